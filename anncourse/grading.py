"""Checks that the hidden tests of the exercise notebooks share.

They run in the grading process (:mod:`anncourse.verdict`), never in the student's sandbox: the
student's functions reach them as proxies that run in the sandbox and return plain data. Everything
here is strict: every failure says what was called, what was expected and what came back, and names
a known mistake when the result matches one.
"""

from __future__ import annotations

import copy
import os
from contextlib import contextmanager
from typing import Any, Callable, Mapping

import numpy as np


def _short(value: Any, limit: int = 300) -> str:
    text = np.array2string(value, precision=6, threshold=20) if isinstance(value, np.ndarray) else repr(value)
    return text if len(text) <= limit else text[:limit] + " ..."


def describe_call(name: str, *args, **kwargs) -> str:
    parts = [_short(a, 80) for a in args] + [f"{k}={_short(v, 80)}" for k, v in kwargs.items()]
    return f"{name}({', '.join(parts)})"


def _as_array(value: Any, call: str) -> np.ndarray:
    if value is None:
        raise AssertionError(f"{call} returned None: did you forget a `return`?")
    try:
        return np.asarray(value)
    except Exception as error:  # e.g. a ragged list
        raise AssertionError(f"{call} returned {type(value).__name__}, which is not an array: {error}") from None


def expect_close(got: Any, expected: Any, call: str, rtol: float = 1e-7, atol: float = 1e-9,
                 mistakes: Mapping[str, Any] | None = None, check_dtype: bool = False) -> None:
    """Assert that ``got`` equals ``expected`` within tolerances, with a message a student can act on.

    ``mistakes`` maps the name of a known wrong answer ("softmax applied twice") to the value that
    mistake produces here; when ``got`` matches one, the message names it.
    """
    expected = np.asarray(expected)
    got_array = _as_array(got, call)
    if got_array.shape != expected.shape:
        raise AssertionError(f"{call} returned shape {got_array.shape}; expected shape {expected.shape}.")
    if check_dtype and got_array.dtype != expected.dtype:
        raise AssertionError(f"{call} returned dtype {got_array.dtype}; expected {expected.dtype} "
                             f"(keep the input's floating dtype).")
    if not np.issubdtype(got_array.dtype, np.number) and got_array.dtype != bool:
        raise AssertionError(f"{call} returned an array of {got_array.dtype}, not numbers.")
    if np.allclose(got_array, expected, rtol=rtol, atol=atol, equal_nan=False):
        return
    hint = ""
    for mistake, wrong_value in (mistakes or {}).items():
        wrong = np.asarray(wrong_value)
        if wrong.shape == got_array.shape and np.allclose(got_array, wrong, rtol=rtol, atol=atol):
            hint = f"\nThis matches a known mistake: {mistake}."
            break
    if not np.all(np.isfinite(got_array)) and np.all(np.isfinite(expected)):
        hint += "\nYour result contains nan or inf where the right answer is finite: check numerical stability."
    raise AssertionError(f"{call} returned\n{_short(got_array)}\nexpected\n{_short(expected)}"
                         f" (within rtol={rtol:g}, atol={atol:g}).{hint}")


def expect_equal(got: Any, expected: Any, call: str, mistakes: Mapping[str, Any] | None = None) -> None:
    """Exact equality of values and shape (for integer outputs such as labels and 0/1 predictions)."""
    expected = np.asarray(expected)
    got_array = _as_array(got, call)
    if got_array.shape != expected.shape:
        raise AssertionError(f"{call} returned shape {got_array.shape}; expected shape {expected.shape}.")
    if np.array_equal(got_array, expected):
        return
    hint = ""
    for mistake, wrong_value in (mistakes or {}).items():
        if np.array_equal(got_array, np.asarray(wrong_value)):
            hint = f"\nThis matches a known mistake: {mistake}."
            break
    raise AssertionError(f"{call} returned\n{_short(got_array)}\nexpected\n{_short(expected)}.{hint}")


@contextmanager
def arguments_unchanged(call: str, *arguments: Any):
    """Fail if the code inside the block changes any of ``arguments`` in place (a student's function
    in the sandbox changes them there, and the grader's copies follow)."""
    before = [copy.deepcopy(a) for a in arguments]
    yield
    for position, (old, new) in enumerate(zip(before, arguments)):
        same = (np.array_equal(np.asarray(old), np.asarray(new)) if isinstance(old, np.ndarray)
                else _dicts_of_arrays_equal(old, new) if isinstance(old, dict) else old == new)
        if not same:
            raise AssertionError(f"{call} changed its argument number {position + 1} in place. "
                                 f"Return new arrays instead (e.g. `w = w + ...`, not `w += ...`).")


def _dicts_of_arrays_equal(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(np.array_equal(np.asarray(a[k]), np.asarray(b[k])) for k in a)


def call_numpy_only(fn: Callable, *args, name: str | None = None, **kwargs):
    """Call ``fn`` and fail if it hands the work to a framework.

    A part that asks for NumPy from scratch earns nothing when PyTorch, TensorFlow, Keras,
    scikit-learn or SciPy does the work. ``fn`` is the student's function: the sandbox traces what
    executes during the call (and what its code names), which sees through any spelling of the call.
    In the NumPy-only assignments those libraries are not installed in the sandbox at all.
    """
    from anncourse.verdict import _HELPERS, Remote, numpy_only

    name = name or getattr(fn, "__name__", "your function")
    if isinstance(fn, Remote):
        with numpy_only(name):
            return fn(*args, **kwargs)
    from anncourse.sandbox_runner import call_tracing_frameworks  # the sandbox's own tracer, run here

    with _bound(getattr(fn, "__globals__", {}), _HELPERS.get()):
        result, framework = call_tracing_frameworks(fn, args, kwargs)
    if framework:
        raise AssertionError(numpy_only_message(name, framework))
    return result


def reference_helpers(**functions: Callable):
    """Within this block, the student's function sees these names of its notebook bound to the
    grader's references, so a part that calls the student's other parts is judged on its own::

        with reference_helpers(dense_backward=_grader_reference_dense_backward):
            got = call_numpy_only(two_layer_loss_and_grads, X, Y, params)
    """
    from anncourse.verdict import reference_helpers as lend

    return lend(**functions)


@contextmanager
def _bound(namespace: dict, names: Mapping[str, Any]):
    """``names`` bound in ``namespace`` for the block (a function graded in this process)."""
    missing = object()
    saved = {name: namespace.get(name, missing) for name in names}
    namespace.update(names)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is missing:
                namespace.pop(name, None)
            else:
                namespace[name] = value


def numpy_only_message(name: str, framework: str) -> str:
    return (f"{name} uses {framework}: this part asks for NumPy only, written by you. "
            f"It earns no points while another library does the work.")


def hypothesis_outside_the_submission() -> None:
    """Hypothesis caches examples in ./.hypothesis by default: keep them out of the graded folder."""
    import tempfile

    os.environ.setdefault("HYPOTHESIS_STORAGE_DIRECTORY", os.path.join(tempfile.gettempdir(), "anncourse-hypothesis"))


def torch_float64(array: Any, requires_grad: bool = False):
    """``array`` as a float64 PyTorch tensor, for comparing with autograd at full precision."""
    import torch

    return torch.tensor(np.asarray(array, dtype=np.float64), requires_grad=requires_grad)
