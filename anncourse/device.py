"""Choose where tensors live: CUDA, then Apple's MPS, then the CPU, and say which."""

from __future__ import annotations


def pick_torch_device(verbose: bool = True):
    """Return the best available ``torch.device``: ``cuda``, else ``mps``, else ``cpu``.

    With ``verbose`` it prints the choice, so a reader sees where a cell runs. Hiding the GPUs
    (``CUDA_VISIBLE_DEVICES=""``) makes the same code run on the CPU unchanged.
    """
    import torch

    if torch.cuda.is_available():
        device = torch.device("cuda")
        detail = torch.cuda.get_device_name(device)
    elif getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        device = torch.device("mps")
        detail = "Apple Metal"
    else:
        device = torch.device("cpu")
        detail = "no GPU found, using the CPU"
    if verbose:
        print(f"PyTorch device: {device} ({detail})")
    return device


def tensorflow_devices() -> list[str]:
    """Names of the devices TensorFlow can place work on, e.g. ``['CPU:0', 'GPU:0']``."""
    import tensorflow as tf

    return [f"{d.device_type}:{d.name.rsplit(':', 1)[-1]}" for d in tf.config.list_logical_devices()]
