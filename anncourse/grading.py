"""Checks that the hidden tests of the exercise notebooks share.

These run on the instructor's machine, inside the student's kernel, during ``nbgrader autograde``.
Nothing here is secret (the reference solutions live only in the hidden tests), but everything here
is strict: every failure says what was called, what was expected and what came back, and names a
known mistake when the result matches one.
"""

from __future__ import annotations

import builtins
import copy
import os
import sys
from contextlib import contextmanager
from typing import Any, Callable, Iterable, Mapping

import numpy as np

# Packages whose code must not run when a part asks for NumPy from scratch.
FRAMEWORKS = ("torch", "tensorflow", "keras", "sklearn", "scipy", "jax", "anncourse")


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
    """Fail if the code inside the block changes any of ``arguments`` in place."""
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


def _package_dirs(names: Iterable[str]) -> dict[str, str]:
    dirs = {}
    for name in names:
        module = sys.modules.get(name)
        path = getattr(module, "__file__", None)
        if path:
            dirs[name] = os.path.dirname(os.path.abspath(path)) + os.sep
    return dirs


def _owner_package(event: str, frame, arg, package_dirs: Mapping[str, str], roots: tuple[str, ...]) -> str | None:
    if event == "call":
        filename = os.path.abspath(frame.f_code.co_filename)
        for name, folder in package_dirs.items():
            if filename.startswith(folder):
                return name
        return None
    if event == "c_call":
        module = getattr(arg, "__module__", None)
        if module is None:  # a method of a C type, e.g. Tensor.softmax: ask its owner
            owner = getattr(arg, "__self__", None)
            module = type(owner).__module__ if owner is not None else ""
        root = module.split(".")[0]
        return root if root in roots else None
    return None


def call_numpy_only(fn: Callable, *args, forbidden: Iterable[Callable] = (), name: str | None = None, **kwargs):
    """Call ``fn`` and fail if, while it runs, any framework code or any of ``forbidden`` runs.

    A part that asks for NumPy from scratch earns nothing when a framework (PyTorch, TensorFlow,
    Keras, scikit-learn, SciPy) or the course's own helpers do the work, whatever the spelling of
    the call: the check watches what executes, not what the source says.
    """
    name = name or getattr(fn, "__name__", "your function")
    roots = FRAMEWORKS
    package_dirs = _package_dirs(roots)
    forbidden_codes = {f.__code__ for f in forbidden}
    caught: list[str] = []

    def profiler(frame, event, arg):
        if caught:
            return
        if event == "call" and frame.f_code in forbidden_codes:
            caught.append("the instructor's reference solution")
            return
        package = _owner_package(event, frame, arg, package_dirs, roots)
        if package is not None:
            caught.append(package)

    previous = sys.getprofile()
    sys.setprofile(profiler)
    try:
        result = fn(*args, **kwargs)
    finally:
        sys.setprofile(previous)
    if caught:
        raise AssertionError(f"{name} ran code from {caught[0]}: this part asks for NumPy only, "
                             f"written by you. It earns no points while another library does the work.")
    return result


def assert_genuine_numpy() -> None:
    """Fail if the NumPy functions that grading relies on were replaced by the notebook's code."""
    numpy_dir = os.path.dirname(os.path.abspath(np.__file__))
    for name in ("allclose", "array_equal", "asarray", "isfinite", "all"):
        function = getattr(np, name)
        code = getattr(function, "__code__", None)
        if code is not None and not os.path.abspath(code.co_filename).startswith(numpy_dir):
            raise AssertionError(f"numpy.{name} was replaced by code in the notebook; grading cannot trust it.")
    if builtins.isinstance.__module__ != "builtins":
        raise AssertionError("builtins were replaced by code in the notebook; grading cannot trust them.")
