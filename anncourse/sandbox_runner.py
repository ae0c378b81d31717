"""The one program that runs inside a submission's sandbox: the student's cells, and calls on them.

It reads requests from the grader on stdin and answers on stdout, one framed JSON message each
(:mod:`plaindata`). Nothing secret ever reaches it: no hidden test, no reference solution, only the
student's own cells, the course's visible tests, and calls such as "``softmax`` on this array".
Everything it reports is treated by the grader as the student's answer, never as a verdict: a
submission that rewrites this program while it runs can only misreport its own answers.

Requests (``op``):

- ``run``: execute a cell's source in the student's namespace; reply with its outputs and the
  top-level names it bound.
- ``call``: call a student object (by name or handle) on plain arguments, under the floating-point
  and warning rules the grader asks for, optionally tracing that no framework does the work; reply
  with the result (plain data, else a handle), the exception it raised, and the new value of any
  argument it changed in place (the grader applies it to its own copy: arguments behave as shared).
- ``probe``: call a function of a course probe module (``probes_torch``...) the same way.
- ``release``: forget handles.

While a call runs, student code may call a grader function it was given (a ``Callback``): the
runner then sends ``{"op": "callback"}`` and waits for the grader's value.
This file runs with the standard library, NumPy and IPython only (frameworks load when a cell asks).
"""

from __future__ import annotations

import copy
import importlib
import io
import os
import sys
import traceback
import warnings
from types import CodeType, FunctionType, ModuleType

import numpy as np

try:
    import plaindata  # in the sandbox, a file beside this one
except ImportError:  # imported from the package, e.g. by anncourse.grading
    from anncourse import plaindata

OUTPUT_LIMIT = 64 * 1024           # characters of stdout/stderr kept per cell
PROBE_MODULES = ("probes_torch", "probes_keras")
FRAMEWORKS = ("torch", "tensorflow", "keras", "sklearn", "scipy", "jax", "anncourse")

_protocol_in: io.BufferedReader
_protocol_out: io.BufferedWriter


class CappedText(io.TextIOBase):
    """A text stream that keeps the first OUTPUT_LIMIT characters and counts the rest."""

    def __init__(self):
        self.parts, self.kept, self.dropped = [], 0, 0

    def writable(self):
        return True

    def write(self, text):
        text = str(text)
        room = OUTPUT_LIMIT - self.kept
        if room > 0:
            self.parts.append(text[:room])
            self.kept += min(room, len(text))
        self.dropped += max(0, len(text) - max(room, 0))
        return len(text)

    def value(self) -> str:
        text = "".join(self.parts)
        return text + (f"\n[... {self.dropped} more characters of output not kept]\n" if self.dropped else "")


class Namespace:
    """The student's namespace, an IPython shell without a kernel, and the handles table."""

    def __init__(self):
        from IPython.core.interactiveshell import InteractiveShell
        from traitlets.config import Config

        config = Config()
        config.HistoryManager.enabled = False  # no history thread or database: a cell gets every thread it may
        self.shell = InteractiveShell.instance(config=config)
        self.shell.showtraceback = lambda *args, **kwargs: None  # the runner reports errors itself
        self.results: list[str] = []
        hook = self.shell.displayhook
        hook.write_output_prompt = lambda: None
        hook.write_format_data = lambda data, metadata=None: self.results.append(data.get("text/plain", ""))
        hook.finish_displayhook = lambda: None
        self.handles: dict[int, object] = {}
        self.next_handle = 1

    @property
    def globals(self) -> dict:
        return self.shell.user_ns

    # Plain data in and out ------------------------------------------------------------------

    def handle_for(self, value) -> dict:
        number = self.next_handle
        self.next_handle += 1
        self.handles[number] = value
        kind = type(value)
        try:
            text = repr(value)
        except Exception:
            text = f"<{kind.__name__}>"
        return {"__handle__": number, "type": f"{kind.__module__}.{kind.__qualname__}", "repr": text[:300]}

    def encode(self, value):
        return plaindata.encode(value, other=self.handle_for)

    def resolve(self, ref):
        if isinstance(ref, plaindata.Handle):
            if ref.id not in self.handles:
                raise KeyError(f"no object with handle {ref.id}")
            return self.handles[ref.id]
        if isinstance(ref, plaindata.GlobalName):
            if ref.name not in self.globals:
                raise NameError(f"name '{ref.name}' is not defined")
            return self.globals[ref.name]
        return _callback(ref.id)

    def decode(self, data):
        return plaindata.decode(data, resolve=self.resolve)


_CALLS: list[tuple[list, list, set]] = []  # (copies, arguments, positions sent) of the calls in progress


def _changes(kept: list, args: list, sent: set) -> list:
    """``[position, new value]`` of each array, dict or list argument the student changed in place,
    and of those already sent to the grader during the call (so that it sees them restored)."""
    changed = []
    for position, (old, new) in enumerate(zip(kept, args)):
        if old is not _UNTRACKED and (position in sent or not _same(old, new)):
            sent.add(position)
            try:
                changed.append([position, plaindata.encode(new)])
            except plaindata.PlainDataError:
                changed.append([position, None])
    return changed


def _callback(number: int):
    def call_the_grader(*args, **kwargs):
        # The grader's function may read the arguments it passed (a closure over x): send their state.
        changed = _changes(*_CALLS[-1]) if _CALLS else []
        plaindata.write_message(_protocol_out, {"op": "callback", "id": number, "changed": changed,
                                                "args": NAMESPACE.encode(list(args)),
                                                "kwargs": NAMESPACE.encode(kwargs)})
        reply = plaindata.read_message(_protocol_in)
        if "error" in reply:
            raise RuntimeError(str(reply["error"]))
        return NAMESPACE.decode(reply.get("value"))

    return call_the_grader


def _error(exc: BaseException, skip_frames: int = 0) -> dict:
    frames = traceback.format_exception(type(exc), exc, exc.__traceback__)
    return {"ename": type(exc).__name__, "evalue": str(exc)[:4000],
            "traceback": [line[:2000] for line in frames[-12:]]}


def _names_bound(before: dict, after: dict) -> dict:
    """Top-level names the cell (re)bound, with what the grader may bind in its place."""
    names = {}
    for name, value in after.items():
        if name.startswith("_") or (name in before and before[name] is value):
            continue
        if isinstance(value, ModuleType):
            continue
        if callable(value):
            names[name] = {"kind": "callable"}
            continue
        try:
            names[name] = {"kind": "value", "value": plaindata.encode(value)}
        except plaindata.PlainDataError:
            names[name] = {"kind": "object"}
    return names


def run_cell(request: dict) -> dict:
    space = NAMESPACE
    before = dict(space.globals)
    out, err = CappedText(), CappedText()
    space.results.clear()
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = out, err
    try:
        result = space.shell.run_cell(request["source"], store_history=False)
    finally:
        sys.stdout, sys.stderr = saved
        stop_leftover_processes()
    reply = {"stdout": out.value(), "stderr": err.value(),
             "result": (space.results[-1][:OUTPUT_LIMIT] if space.results else None)}
    failure = result.error_in_exec or result.error_before_exec
    if isinstance(failure, SystemExit):
        reply["stderr"] += f"SystemExit({failure.code}) was ignored: a notebook cell cannot end the grading.\n"
    elif failure is not None:
        reply["error"] = _error(failure)
    reply["names"] = _names_bound(before, space.globals)
    return reply


# Calls ----------------------------------------------------------------------------------------

def _root_module(obj) -> str:
    if isinstance(obj, ModuleType):
        name = obj.__name__
    elif isinstance(obj, np.ufunc):  # SciPy's special functions are ufuncs too
        name = "numpy" if getattr(np, obj.__name__, None) is obj else "scipy"
    else:
        name = getattr(obj, "__module__", None)
        if not isinstance(name, str):
            owner = getattr(obj, "__self__", None)
            name = type(owner).__module__ if owner is not None else type(obj).__module__
    return (name or "").split(".")[0]


def _named_frameworks(fn) -> set:
    """Frameworks that ``fn``'s code names, directly or through the notebook functions it calls."""
    found, seen = set(), set()

    def visit(function):
        if id(function) in seen or not isinstance(function, FunctionType):
            return
        seen.add(id(function))
        codes = [function.__code__]
        while codes:
            code = codes.pop()
            codes += [c for c in code.co_consts if isinstance(c, CodeType)]
            for name in code.co_names + code.co_freevars:
                if name in FRAMEWORKS:
                    found.add(name)
                value = function.__globals__.get(name)
                if value is not None:
                    root = _root_module(value)
                    if root in FRAMEWORKS:
                        found.add(root)
                    elif isinstance(value, FunctionType):
                        visit(value)
        for cell in function.__closure__ or ():
            try:
                visit(cell.cell_contents)
            except ValueError:
                pass

    visit(fn)
    return found


def call_tracing_frameworks(fn, args, kwargs):
    """Call fn and name the first framework whose code ran (or that fn's code names)."""
    caught = sorted(_named_frameworks(fn))

    def profiler(frame, event, arg):
        if caught:
            return
        if event == "call":
            root = str(frame.f_globals.get("__name__", "")).split(".")[0]
            if root in FRAMEWORKS:
                caught.append(root)
        elif event == "c_call" and _root_module(arg) in FRAMEWORKS:
            caught.append(_root_module(arg))

    previous = sys.getprofile()
    sys.setprofile(profiler)
    try:
        result = fn(*args, **kwargs)
    finally:
        sys.setprofile(previous)
    return result, (caught[0] if caught else None)


def _same(old, new) -> bool:
    if isinstance(old, np.ndarray):
        return isinstance(new, np.ndarray) and old.shape == new.shape and np.array_equal(old, new, equal_nan=True)
    if isinstance(old, dict):
        return isinstance(new, dict) and old.keys() == new.keys() and all(_same(old[k], new[k]) for k in old)
    if isinstance(old, (list, tuple)):
        return type(old) is type(new) and len(old) == len(new) and all(_same(a, b) for a, b in zip(old, new))
    try:
        return bool(old == new) or (old != old and new != new)
    except Exception:
        return True  # not comparable: not judged


def _is_plain(value, depth: int = 0) -> bool:
    """Plain data the grader sent (arrays, numbers, strings and containers of them), not objects."""
    if depth > 8:
        return False
    if value is None or isinstance(value, (bool, int, float, str, np.ndarray, np.generic)):
        return True
    if isinstance(value, (list, tuple)):
        return all(_is_plain(v, depth + 1) for v in value)
    if isinstance(value, dict):
        return all(_is_plain(v, depth + 1) for v in value.values())
    return False


_UNTRACKED = object()


def _plain_copy(value):
    """A copy to compare with after the call; objects (models, loaders) are neither copied nor compared."""
    if isinstance(value, (np.ndarray, dict, list)) and _is_plain(value):
        return copy.deepcopy(value)
    return _UNTRACKED


_UNBOUND = object()


def call(request: dict) -> dict:
    space = NAMESPACE
    if request["op"] == "probe":
        module, _, name = str(request["function"]).partition(".")
        if module not in PROBE_MODULES or name.startswith("_"):
            return {"error": {"ename": "ValueError", "evalue": f"no probe {request['function']!r}", "traceback": []}}
        target = getattr(importlib.import_module(module), name)
    else:
        try:
            target = space.decode(request["target"])
        except (NameError, KeyError) as missing:  # a name the student's notebook never defined
            return {"raised": _error(missing)}
    try:
        args, kwargs = space.decode(request.get("args", [])), space.decode(request.get("kwargs", {}))
    except (NameError, KeyError) as missing:
        return {"raised": _error(missing)}
    options = request.get("options", {})
    try:
        helpers = space.decode(options["helpers"]) if "helpers" in options else {}
    except (NameError, KeyError) as missing:
        return {"raised": _error(missing)}
    replaced = {name: space.globals.get(name, _UNBOUND) for name in helpers}
    space.globals.update(helpers)  # the grader's own parts, for this call only
    kept = [_plain_copy(a) for a in args]
    _CALLS.append((kept, args, set()))
    out = CappedText()
    saved = sys.stdout, sys.stderr
    sys.stdout = sys.stderr = out  # prints during grading calls are not shown
    framework = None
    try:
        with warnings.catch_warnings(), np.errstate(**options.get("errstate", {})):
            if options.get("warnings_as_errors"):
                warnings.simplefilter("error")
            if options.get("numpy_only"):
                value, framework = call_tracing_frameworks(target, args, kwargs)
            else:
                value = target(*args, **kwargs)
        reply = {"value": space.encode(value)}
    except BaseException as exc:  # the student's exception, whatever it is, is reported, not raised
        if isinstance(exc, KeyboardInterrupt):
            raise
        reply = {"raised": _error(exc)}
    finally:
        sys.stdout, sys.stderr = saved
        for name, value in replaced.items():
            if value is _UNBOUND:
                space.globals.pop(name, None)
            else:
                space.globals[name] = value
        sent = _CALLS.pop()[2]
        if not _CALLS:
            stop_leftover_processes()
    reply["changed"] = _changes(kept, args, sent)
    if framework:
        reply["framework"] = framework
    return reply


def stop_leftover_processes() -> None:
    """Kill every process a cell or call left behind (a fork bomb, a daemon): only inside the sandbox,
    where this runner shares its own pid namespace with nothing but the student's processes."""
    if os.environ.get("ANNCOURSE_OWN_PID_NAMESPACE") != "1" or os.getpid() > 8:
        return
    try:
        os.kill(-1, 9)  # every process this user may signal, except this one and the namespace's init
    except OSError:
        pass  # none left


def serve() -> None:
    global _protocol_in, _protocol_out
    # The protocol keeps the real stdin/stdout; the student's prints and fd-level writes go elsewhere.
    _protocol_in = os.fdopen(os.dup(0), "rb", buffering=0)
    _protocol_out = os.fdopen(os.dup(1), "wb")
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):  # nobody reads them: a full pipe would hang the cell that writes to it
        os.dup2(devnull, fd)
    sys.stdin = open(os.devnull)
    while True:
        try:
            request = plaindata.read_message(_protocol_in)
        except EOFError:
            return
        try:
            if request.get("op") == "run":
                reply = run_cell(request)
            elif request.get("op") in ("call", "probe"):
                reply = call(request)
            elif request.get("op") == "release":
                for number in request.get("handles", []):
                    NAMESPACE.handles.pop(number, None)
                reply = {}
            else:
                reply = {"error": {"ename": "ValueError", "evalue": f"unknown request {request.get('op')!r}",
                                   "traceback": []}}
        except Exception as exc:  # a request the runner itself could not serve
            reply = {"error": _error(exc)}
        reply["op"] = "reply"
        try:
            plaindata.write_message(_protocol_out, reply)
        except plaindata.PlainDataError as exc:
            plaindata.write_message(_protocol_out, {"op": "reply", "error": _error(exc)})


if __name__ == "__main__":
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    NAMESPACE = Namespace()
    plaindata.write_message(sys.stdout.buffer, {"op": "ready", "pid": os.getpid()})
    serve()
