"""Checks that the hidden tests of the exercise notebooks share.

They run in the grading process (:mod:`anncourse.verdict`), never in the student's sandbox: the
student's functions reach them as proxies that run in the sandbox and return plain data. Everything
here is strict: every failure says what was called, what was expected and what came back, and names
a known mistake when the result matches one.
"""

from __future__ import annotations

import builtins
import copy
import os
import sys
from types import CodeType, FunctionType, ModuleType
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


def _root_module(obj: Any) -> str:
    """The top-level package an object comes from: 'torch' for torch.nn.functional.relu."""
    if isinstance(obj, ModuleType):
        name = obj.__name__
    elif isinstance(obj, np.ufunc):  # SciPy's special functions are ufuncs too
        name = "numpy" if getattr(np, obj.__name__, None) is obj else "scipy"
    else:
        name = getattr(obj, "__module__", None)
        if not isinstance(name, str):  # e.g. a method of a C type: ask its owner's type
            owner = getattr(obj, "__self__", None)
            name = type(owner).__module__ if owner is not None else type(obj).__module__
    return (name or "").split(".")[0]


def referenced_frameworks(fn: Callable, roots: Iterable[str] = FRAMEWORKS) -> set[str]:
    """Frameworks that ``fn``'s code names, directly or through the notebook functions it calls.

    Reads the names in the compiled code (imports inside the function included) and resolves
    them through the function's globals; catches what a run-time trace cannot see, such as a
    SciPy ufunc, which executes no Python frame.
    """
    roots = set(roots)
    found: set[str] = set()
    seen: set[int] = set()

    def visit(function: Callable) -> None:
        if id(function) in seen or not isinstance(function, FunctionType):
            return
        seen.add(id(function))
        closure = [c.cell_contents for c in function.__closure__ or () if _filled(c)]
        codes = [function.__code__]
        while codes:
            code = codes.pop()
            codes += [c for c in code.co_consts if isinstance(c, CodeType)]
            for name in code.co_names + code.co_freevars:
                found.update({name} & roots)
                if name in function.__globals__:
                    _resolve(function.__globals__[name])
        for value in closure:
            _resolve(value)

    def _resolve(value: Any) -> None:
        root = _root_module(value)
        if root in roots:
            found.add(root)
        elif isinstance(value, FunctionType):
            visit(value)

    visit(fn)
    return found


def _filled(cell) -> bool:
    try:
        cell.cell_contents
    except ValueError:
        return False
    return True


def call_numpy_only(fn: Callable, *args, forbidden: Iterable[Callable] = (), name: str | None = None, **kwargs):
    """Call ``fn`` and fail if it hands the work to a framework or to any of ``forbidden``.

    A part that asks for NumPy from scratch earns nothing when PyTorch, TensorFlow, Keras,
    scikit-learn, SciPy or the course's own helpers do the work. Two checks: the code ``fn`` names
    (:func:`referenced_frameworks`), and a trace of what actually executes during the call, which
    sees through any spelling of the call.
    """
    name = name or getattr(fn, "__name__", "your function")
    from anncourse.verdict import Remote, numpy_only

    if isinstance(fn, Remote):  # the student's function: the sandbox traces the call and reports
        with numpy_only(name):
            return fn(*args, **kwargs)
    roots = set(FRAMEWORKS)
    forbidden_codes = {f.__code__ for f in forbidden}
    caught: list[str] = sorted(referenced_frameworks(fn, roots))

    def profiler(frame, event, arg):
        if caught:
            return
        if event == "call":
            if frame.f_code in forbidden_codes:
                caught.append("the instructor's reference solution")
            elif str(frame.f_globals.get("__name__", "")).split(".")[0] in roots:
                caught.append(frame.f_globals["__name__"].split(".")[0])
        elif event == "c_call" and _root_module(arg) in roots:
            caught.append(_root_module(arg))

    previous = sys.getprofile()
    sys.setprofile(profiler)
    try:
        result = fn(*args, **kwargs)
    finally:
        sys.setprofile(previous)
    if caught:
        raise AssertionError(f"{name} uses {caught[0]}: this part asks for NumPy only, written by you. "
                             f"It earns no points while another library does the work.")
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


def hypothesis_outside_the_submission() -> None:
    """Hypothesis caches examples in ./.hypothesis by default: keep them out of the graded folder."""
    import tempfile

    os.environ.setdefault("HYPOTHESIS_STORAGE_DIRECTORY", os.path.join(tempfile.gettempdir(), "anncourse-hypothesis"))


def torch_float64(array: Any, requires_grad: bool = False):
    """``array`` as a float64 PyTorch tensor, for comparing with autograd at full precision."""
    import torch

    return torch.tensor(np.asarray(array, dtype=np.float64), requires_grad=requires_grad)


def refuse_reference(answer: Any, name: str, prefix: str = "_grader_reference") -> None:
    """Fail when ``answer`` (or a notebook function or class it names) uses the hidden reference,
    i.e. a global whose name starts with ``prefix``. For framework parts, where ``call_numpy_only``
    does not apply. A student's answer in the sandbox cannot reach the reference at all."""
    from anncourse.verdict import Remote

    if isinstance(answer, Remote):
        return
    seen: set[int] = set()

    def uses_reference(value: Any) -> bool:
        if id(value) in seen or getattr(value, "__module__", None) != "__main__":
            return False
        seen.add(id(value))
        if isinstance(value, type):
            return any(uses_reference(getattr(member, "__func__", member)) for member in vars(value).values())
        if not isinstance(value, FunctionType):
            return False
        codes = [value.__code__]
        while codes:
            code = codes.pop()
            codes += [c for c in code.co_consts if isinstance(c, CodeType)]
            for word in code.co_names + code.co_freevars:
                if word.startswith(prefix) or uses_reference(value.__globals__.get(word)):
                    return True
        return False

    assert not uses_reference(answer), (f"{name} uses the instructor's reference solution; it earns "
                                        f"no points until it is your own code.")
