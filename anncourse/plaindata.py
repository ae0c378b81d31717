"""Plain data across the sandbox boundary: JSON with NumPy arrays, never pickle.

What the grader sends to a student's sandbox, and what comes back, is made only of ``None``, bools,
numbers, strings, lists, tuples, dicts with string keys, NumPy arrays and scalars of numeric or
boolean dtype, PyTorch tensors and devices (rebuilt from their numbers), and *references*:
``Handle`` (an object that stays in the sandbox), ``GlobalName`` (a name in the student's
namespace) and ``Callback`` (a grader function the sandbox may ask the grader to call).

:func:`decode` builds nothing else, whatever the bytes say, so data from a hostile submission is at
worst wrong data. This module needs only the standard library and NumPy: the sandbox loads it too.
"""

from __future__ import annotations

import base64
import json
import math
import struct
from dataclasses import dataclass
from typing import Any, BinaryIO, Callable

import numpy as np

# Sizes a message may not exceed; a sandbox that sends more is stopped.
MAX_MESSAGE_BYTES = 64 * 2**20
MAX_DEPTH = 32
NUMERIC_KINDS = "biufc"  # bool, signed, unsigned, float, complex


class PlainDataError(ValueError):
    """Data that is not plain, or a message that breaks the protocol."""


@dataclass(frozen=True)
class Handle:
    """An object that lives in the sandbox, known to the grader by number, type name and repr."""

    id: int
    type: str
    repr: str

    def __repr__(self) -> str:
        return self.repr


@dataclass(frozen=True)
class GlobalName:
    """A top-level name of the student's namespace, looked up in the sandbox when it is used."""

    name: str


@dataclass(frozen=True)
class Callback:
    """A grader function passed to student code: the sandbox sends its arguments back to call it."""

    id: int


def _encode_array(array: np.ndarray) -> dict:
    if array.dtype.kind not in NUMERIC_KINDS or array.dtype.hasobject:
        raise PlainDataError(f"arrays of dtype {array.dtype} are not plain data")
    array = np.array(array, order="C", copy=True)  # (ascontiguousarray would make a 0-d array 1-d)
    return {"__ndarray__": base64.b64encode(array.tobytes()).decode("ascii"),
            "dtype": array.dtype.str, "shape": list(array.shape)}


def _decode_array(data: dict) -> np.ndarray:
    try:
        dtype = np.dtype(data["dtype"])
        shape = tuple(int(n) for n in data["shape"])
        raw = base64.b64decode(data["__ndarray__"], validate=True)
    except (KeyError, TypeError, ValueError) as error:
        raise PlainDataError(f"malformed array: {error}") from None
    if dtype.kind not in NUMERIC_KINDS or dtype.hasobject or any(n < 0 for n in shape):
        raise PlainDataError(f"arrays of dtype {dtype} are not plain data")
    if len(raw) != dtype.itemsize * math.prod(shape):
        raise PlainDataError("array data does not match its shape and dtype")
    return np.frombuffer(raw, dtype=dtype).reshape(shape).copy()


def _float(value: float) -> Any:
    return value if math.isfinite(value) else {"__float__": repr(value)}


def encode(value: Any, other: Callable[[Any], Any] | None = None, depth: int = 0) -> Any:
    """``value`` as JSON-ready data. ``other(value)`` encodes what is not plain (e.g. as a handle);
    without it, such a value raises :class:`PlainDataError`."""
    if depth > MAX_DEPTH:
        raise PlainDataError("data nested too deeply")
    kind = type(value)
    if value is None or kind in (bool, str):
        return value
    if kind is int:
        return value if abs(value) < 2**63 else {"__bigint__": str(value)}
    if kind is float:
        return _float(value)
    if kind in (list, tuple):
        items = [encode(v, other, depth + 1) for v in value]
        return items if kind is list else {"__tuple__": items}
    if kind is dict:
        if not all(type(k) is str for k in value):
            raise PlainDataError("only dicts with string keys are plain data")
        return {"__dict__": {k: encode(v, other, depth + 1) for k, v in value.items()}}
    if kind is np.ndarray:
        return _encode_array(value)
    if isinstance(value, np.generic) and type(value).__module__ == "numpy":
        return {"__npscalar__": _encode_array(np.asarray(value))}
    if isinstance(value, np.dtype):
        return {"__npdtype__": value.str}
    if kind is Handle:
        return {"__handle__": value.id, "type": value.type, "repr": value.repr}
    if kind is GlobalName:
        return {"__global__": value.name}
    if kind is Callback:
        return {"__callback__": value.id}
    torch_value = _encode_torch(value, depth)
    if torch_value is not None:
        return torch_value
    if other is not None:
        return other(value)
    raise PlainDataError(f"a {kind.__module__}.{kind.__qualname__} is not plain data")


def _encode_torch(value: Any, depth: int) -> Any:
    """Tensors and devices travel as numbers; only when PyTorch is already imported."""
    import sys

    torch = sys.modules.get("torch")
    if torch is None or not hasattr(torch, "Tensor"):
        return None
    if type(value) is torch.device:
        return {"__torch_device__": str(value)}
    if type(value) is torch.dtype:
        return {"__torch_dtype__": str(value).removeprefix("torch.")}
    if type(value) in (torch.Tensor, torch.nn.Parameter):
        tensor = value.detach().cpu()
        return {"__tensor__": _encode_array(tensor.numpy()), "dtype": str(tensor.dtype).removeprefix("torch."),
                "requires_grad": bool(value.requires_grad), "device": str(value.device)}
    return None


def _torch():
    import torch  # only when the data holds tensors: the grader has PyTorch where an exercise uses it

    return torch


def decode(data: Any, resolve: Callable[[Any], Any] | None = None, depth: int = 0) -> Any:
    """The value that :func:`encode` made. ``resolve(ref)`` turns a Handle, GlobalName or Callback
    into what the receiving side uses for it (the object itself, in the sandbox)."""
    if depth > MAX_DEPTH:
        raise PlainDataError("data nested too deeply")
    kind = type(data)
    if data is None or kind in (bool, str, int, float):
        return data
    if kind is list:
        return [decode(v, resolve, depth + 1) for v in data]
    if kind is not dict or len(data) == 0:
        raise PlainDataError(f"unexpected {kind.__name__} in plain data")
    (tag, body), *_ = data.items()
    if tag == "__tuple__" and type(body) is list:
        return tuple(decode(v, resolve, depth + 1) for v in body)
    if tag == "__dict__" and type(body) is dict:
        return {str(k): decode(v, resolve, depth + 1) for k, v in body.items()}
    if tag == "__ndarray__":
        return _decode_array(data)
    if tag == "__npscalar__" and type(body) is dict:
        return _decode_array(body)[()]
    if tag == "__npdtype__" and type(body) is str:
        dtype = np.dtype(body)
        if dtype.kind not in NUMERIC_KINDS:
            raise PlainDataError(f"dtype {dtype} is not plain data")
        return dtype
    if tag == "__float__" and body in ("nan", "inf", "-inf"):
        return float(body)
    if tag == "__bigint__" and type(body) is str and body.lstrip("-").isdigit() and len(body) < 5000:
        return int(body)
    if tag in ("__handle__", "__global__", "__callback__"):
        ref = _reference(tag, data)
        return resolve(ref) if resolve is not None else ref
    if tag == "__torch_device__" and type(body) is str:
        return _torch().device(body)
    if tag == "__torch_dtype__" and type(body) is str:
        torch = _torch()
        dtype = getattr(torch, body, None)
        if not isinstance(dtype, torch.dtype):
            raise PlainDataError(f"unknown torch dtype {body!r}")
        return dtype
    if tag == "__tensor__" and type(body) is dict:
        torch = _torch()
        tensor = torch.from_numpy(_decode_array(body))
        return tensor.requires_grad_(True) if data.get("requires_grad") is True and tensor.is_floating_point() else tensor
    raise PlainDataError(f"unknown tag {tag!r} in plain data")


def _reference(tag: str, data: dict):
    body = data[tag]
    if tag == "__global__":
        if type(body) is not str or not body.isidentifier():
            raise PlainDataError("malformed name reference")
        return GlobalName(body)
    if type(body) is not int:
        raise PlainDataError("malformed reference")
    if tag == "__callback__":
        return Callback(body)
    return Handle(body, str(data.get("type", "?"))[:200], str(data.get("repr", "?"))[:500])


# Framing: an 8-byte big-endian length, then that many bytes of UTF-8 JSON.

def write_message(stream: BinaryIO, message: dict) -> None:
    payload = json.dumps(message, allow_nan=False, separators=(",", ":")).encode("utf-8")
    if len(payload) > MAX_MESSAGE_BYTES:
        raise PlainDataError(f"a message of {len(payload)} bytes is larger than {MAX_MESSAGE_BYTES}")
    stream.write(struct.pack(">Q", len(payload)) + payload)
    stream.flush()


def read_exactly(stream: BinaryIO, size: int) -> bytes:
    chunks, missing = [], size
    while missing:
        chunk = stream.read(missing)
        if not chunk:
            raise EOFError("the other side closed the channel")
        chunks.append(chunk)
        missing -= len(chunk)
    return b"".join(chunks)


def read_message(stream: BinaryIO) -> dict:
    (size,) = struct.unpack(">Q", read_exactly(stream, 8))
    if size > MAX_MESSAGE_BYTES:
        raise PlainDataError(f"a message of {size} bytes is larger than {MAX_MESSAGE_BYTES}")
    try:
        message = json.loads(read_exactly(stream, size))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise PlainDataError(f"a message that is not JSON: {error}") from None
    if type(message) is not dict:
        raise PlainDataError("a message must be a JSON object")
    return message
