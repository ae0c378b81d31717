"""Grade one notebook: the student's code runs in a sandbox, the verdict is decided here.

This process never executes student code. It reads the notebook as nbgrader rebuilt it from the
course's source (hidden tests restored), and for every cell:

- setup cells (the course's own code) run in the sandbox *and* here, so both sides have the data;
- answer cells, and any cell the student added, run in the sandbox only;
- a test cell's visible part (what the student saw) runs in the sandbox, and its hidden part runs
  here. Every name the student's code bound is here a proxy: calling ``softmax(z)`` sends ``z`` to
  the sandbox, runs the student's ``softmax`` there, and brings back plain data (an array, a number,
  a handle to an object that stays in the sandbox). The hidden tests, the reference solutions and
  every comparison stay in this process; the sandbox sees only calls.

A test cell passes when neither part raised. Its outputs are written as nbgrader expects (an error
output, or none), so ``SaveAutoGrades``, ``generate_feedback``, ``formgrader`` and ``export`` work
as usual. Hidden errors show their message only, never a traceback (it would quote hidden lines).

A sandbox that hangs, dies or runs out of memory is stopped, restarted and given the student's
cells again without the one that broke it, so a broken part costs only that part.

Command line (what ``SandboxedExecute`` runs, one process per notebook)::

    python -m anncourse.verdict REQUEST.json RESULT.json
"""

from __future__ import annotations

import ast
import builtins
import contextlib
import contextvars
import itertools
import io
import json
import linecache
import queue
import re
import shutil
import sys
import tempfile
import threading
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np

from anncourse import plaindata
from anncourse.plaindata import Callback, GlobalName, Handle, PlainDataError

HIDDEN = re.compile(r"^[ \t]*### BEGIN HIDDEN TESTS[ \t]*\n(.*?)^[ \t]*### END HIDDEN TESTS[ \t]*$\n?", re.S | re.M)
RUNNER_FILES = ("sandbox_runner.py", "plaindata.py", "probes_torch.py", "probes_keras.py")
# Top-level packages that a sandbox hides unless the assignment lists them (see Settings.libraries).
FRAMEWORK_PACKAGES = ("torch", "tensorflow", "keras", "tf_keras", "tensorboard", "sklearn", "scipy", "jax",
                      "jaxlib", "anncourse", "nbgrader")
MAX_RESTARTS = 3
MAX_WORKDIR_BYTES = 64 * 2**20


class SandboxStopped(BaseException):
    """The sandbox died, hung or ran out of memory. A BaseException, so that a hidden test's
    ``except Exception`` cannot mistake it for an ordinary wrong answer and carry on."""

    def __init__(self, status: str, reason: str):
        super().__init__(reason)
        self.status, self.reason = status, reason


class StudentException(Exception):
    """Raised here when the student's code raised in the sandbox (named after the original)."""

    student_traceback: list[str] = []


_EXCEPTION_TYPES: dict[str, type] = {}


def student_exception(error: dict) -> Exception:
    """An exception standing for the student's: a builtin type of the same name where there is one
    (so that ``except FloatingPointError`` in a hidden test works), carrying the student's message."""
    name = str(error.get("ename", "Exception"))[:100]
    if name not in _EXCEPTION_TYPES:
        base = getattr(builtins, name, None)
        bases = (StudentException, base) if isinstance(base, type) and issubclass(base, Exception) else (StudentException,)
        with contextlib.suppress(TypeError):
            _EXCEPTION_TYPES[name] = type(name, bases, {"__module__": "student"})
        _EXCEPTION_TYPES.setdefault(name, type(name, (StudentException,), {"__module__": "student"}))
    exc = _EXCEPTION_TYPES[name](str(error.get("evalue", ""))[:4000])
    exc.student_traceback = [str(line) for line in error.get("traceback", [])][:12]
    return exc


@dataclass
class Settings:
    """What one grading run may use; ``SandboxedExecute`` fills it from nbgrader's configuration."""

    cell_timeout: float = 60.0
    notebook_timeout: float = 900.0
    memory_bytes: int = 3 * 2**30
    processes: int = 64
    libraries: list[str] = field(default_factory=list)
    unsandboxed: bool = False
    # The names the reference answers define: all of the student's code that hidden tests may call.
    api: list[str] = field(default_factory=list)


# The channel to one sandbox ------------------------------------------------------------------------

class Sandbox:
    """One running sandbox and its protocol channel, with a deadline on every reply."""

    def __init__(self, workdir: Path, settings: Settings):
        from anncourse import sandbox

        self.settings = settings
        limits = sandbox.Limits(memory_bytes=settings.memory_bytes, processes=settings.processes,
                                cpu_seconds=int(settings.notebook_timeout) + 60)
        hidden = [p for p in FRAMEWORK_PACKAGES if p not in settings.libraries]
        files = runner_files(workdir.parent / "runner")
        runner = Path(files if settings.unsandboxed else "/opt/grader") / "sandbox_runner.py"
        self.box = sandbox.start([sys.executable, str(runner)], workdir, limits=limits,
                                 hidden_packages=hidden, readonly={"/opt/grader": files},
                                 env={} if settings.unsandboxed else {"ANNCOURSE_OWN_PID_NAMESPACE": "1"},
                                 unsandboxed=settings.unsandboxed)
        self.how = self.box.how
        self.replies: queue.Queue = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        threading.Thread(target=self._drain, args=(self.box.process.stderr,), daemon=True).start()
        self.callbacks: dict[int, Callable] = {}
        self._callback_numbers = itertools.count(1)
        self.generation = object()  # handles of an earlier sandbox are invalid in a restarted one
        ready = self._next(self.settings.cell_timeout, "starting Python in the sandbox")
        if ready.get("op") != "ready":
            raise SandboxStopped("crashed", "the sandbox did not start")

    def _read(self) -> None:
        stream = self.box.process.stdout
        while True:
            try:
                self.replies.put(plaindata.read_message(stream))
            except (EOFError, PlainDataError, OSError, ValueError) as problem:
                self.replies.put(problem)
                return

    @staticmethod
    def _drain(stream) -> None:
        """Read and drop the sandbox's stderr, so that a full pipe never blocks it."""
        while stream is not None and stream.read(65536):
            pass

    def _next(self, timeout: float, doing: str, budget: float | None = None) -> dict:
        try:
            message = self.replies.get(timeout=max(timeout, 0.001))
        except queue.Empty:
            self.box.kill()
            raise SandboxStopped("timeout", f"{doing} took longer than {budget or timeout:g} s, so it was "
                                 f"stopped") from None
        if isinstance(message, dict):
            return message
        self.box.kill()
        if isinstance(message, PlainDataError):
            raise SandboxStopped("crashed", f"{doing}: the sandbox sent invalid data ({message})")
        self.box.process.wait(timeout=10)
        if self.box.memory_exceeded():
            limit = self.settings.memory_bytes / 2**30
            raise SandboxStopped("memory", f"{doing} used more than the memory limit of {limit:g} GiB")
        code = self.box.process.returncode
        how = f"killed by signal {-code}" if code and code < 0 else f"exited with status {code}"
        raise SandboxStopped("crashed", f"the notebook's Python process {how} while {doing}")

    def request(self, message: dict, timeout: float, doing: str, arguments: list | None = None,
                meanwhile: Callable[[], None] | None = None) -> dict:
        """Send ``message``, serve the callbacks it causes, return the reply. ``arguments`` are the
        grader's own objects that the call received: what the student changes in them is applied here.
        ``meanwhile`` runs here while the sandbox works (the set-up cells run on both sides at once)."""
        try:
            plaindata.write_message(self.box.process.stdin, message)
        except (BrokenPipeError, OSError, ValueError):
            self.replies.put(EOFError())
        deadline = time.monotonic() + timeout  # for the whole request, callbacks included
        if meanwhile is not None:
            meanwhile()
        while True:
            reply = self._next(deadline - time.monotonic(), doing, budget=timeout)
            self.apply_changes(arguments or [], reply.get("changed", []))
            if reply.get("op") != "callback":
                return reply
            self._answer_callback(reply)

    def apply_changes(self, arguments: list, changed: Any) -> None:
        """Make the grader's arguments what the student's code made of them, in place."""
        for item in changed if isinstance(changed, list) else []:
            if not (isinstance(item, list) and len(item) == 2 and isinstance(item[0], int) and 0 <= item[0] < len(arguments)):
                continue
            original = arguments[item[0]]
            try:
                new = plaindata.decode(item[1], resolve=self.remote)
            except PlainDataError:
                new = None
            if isinstance(original, np.ndarray):
                if isinstance(new, np.ndarray) and new.shape == original.shape:
                    np.copyto(original, new, casting="unsafe")
                else:  # changed beyond recognition (resized, retyped): make that visible
                    with contextlib.suppress(Exception):
                        original.fill(np.nan if original.dtype.kind in "fc" else -1)
            elif isinstance(original, dict) and isinstance(new, dict):
                original.clear()
                original.update(new)
            elif isinstance(original, list) and isinstance(new, list):
                original[:] = new

    def _answer_callback(self, message: dict) -> None:
        function = self.callbacks.get(message.get("id"))
        try:
            if function is None:  # kept by the student's code beyond the call it was lent for
                raise RuntimeError("that grader function was lent for one call only")
            args = plaindata.decode(message.get("args", []), resolve=self.remote)
            kwargs = plaindata.decode(message.get("kwargs", {}), resolve=self.remote)
            value = {"value": self.encode(function(*args, **kwargs))}
        except Exception as error:  # the grader's function failed on what the student passed it
            value = {"error": f"{type(error).__name__}: {error}"}
        plaindata.write_message(self.box.process.stdin, value)

    def remote(self, ref) -> Any:
        if isinstance(ref, Callback):
            raise PlainDataError("the sandbox sent a callback where a value belongs")
        return Remote(self, ref)

    def encode(self, value: Any) -> Any:
        def other(thing):
            if isinstance(thing, Remote):
                if thing._sandbox is not self:
                    raise SandboxStopped("crashed", f"{thing!r} belongs to a sandbox that was restarted")
                return plaindata.encode(thing._ref)
            if callable(thing):
                number = next(self._callback_numbers)
                self.callbacks[number] = thing
                return plaindata.encode(Callback(number))
            raise TypeError(f"the grader cannot send a {type(thing).__name__} to the sandbox; send plain data "
                            f"or build the object there with a probe")

        return plaindata.encode(value, other=other)

    def close(self) -> None:
        self.box.cleanup()


@contextlib.contextmanager
def _temporary(var: contextvars.ContextVar, value):
    token = var.set(value)
    try:
        yield
    finally:
        var.reset(token)


_NUMPY_ONLY = contextvars.ContextVar("numpy_only", default=None)
_HELPERS = contextvars.ContextVar("reference_helpers", default={})


def numpy_only(name: str):
    """Within this block, calls into the sandbox trace that no framework does the work."""
    return _temporary(_NUMPY_ONLY, name)


def reference_helpers(**functions: Callable):
    """Within this block, calls into the sandbox see these notebook names bound to the grader's
    functions (called back here), so a part that calls the student's other parts is judged on its own."""
    return _temporary(_HELPERS, {**_HELPERS.get(), **functions})


def _warnings_as_errors() -> bool:
    return bool(warnings.filters) and warnings.filters[0][0] == "error" and warnings.filters[0][1] is None \
        and warnings.filters[0][2] in (Warning, RuntimeWarning)


class Remote:
    """Something of the student's in the sandbox: a function, a class, an object. Calling it runs
    it there on plain data and returns plain data or another ``Remote``."""

    def __init__(self, sandbox: Sandbox, ref: Handle | GlobalName):
        self._sandbox, self._ref = sandbox, ref

    @property
    def __name__(self) -> str:
        return self._ref.name if isinstance(self._ref, GlobalName) else self._ref.type.rpartition(".")[2]

    def __repr__(self) -> str:
        return self._ref.name if isinstance(self._ref, GlobalName) else self._ref.repr

    def __call__(self, *args, **kwargs):
        return call_in_sandbox(self._sandbox, {"op": "call", "target": plaindata.encode(self._ref)}, self.__name__,
                               args, kwargs)


def call_in_sandbox(sandbox: Sandbox, head: dict, name: str, args: tuple, kwargs: dict):
    """Send one call (``head`` says of what) with the grader's floating-point and warning rules, and
    turn the reply into a value, the student's exception, or a failure that names the part."""
    options = {"errstate": np.geterr(), "warnings_as_errors": _warnings_as_errors(),
               "numpy_only": _NUMPY_ONLY.get() is not None}
    lent = set(sandbox.callbacks)
    if _HELPERS.get():
        options["helpers"] = sandbox.encode(dict(_HELPERS.get()))
    message = dict(head, args=sandbox.encode(list(args)), kwargs=sandbox.encode(dict(kwargs)), options=options)
    try:
        reply = sandbox.request(message, sandbox.settings.cell_timeout, f"grading a call of {name}",
                                arguments=list(args))
    finally:  # the grader's functions are lent for this call only
        for number in set(sandbox.callbacks) - lent:
            del sandbox.callbacks[number]
    if reply.get("framework"):
        from anncourse.grading import numpy_only_message

        raise AssertionError(numpy_only_message(_NUMPY_ONLY.get() or name, str(reply["framework"])[:40]))
    if "raised" in reply:
        raise student_exception(reply["raised"] if isinstance(reply["raised"], dict) else {})
    if "error" in reply:
        raise RuntimeError(f"the sandbox could not run {name}: {reply['error']}")
    try:
        return plaindata.decode(reply.get("value"), resolve=sandbox.remote)
    except PlainDataError as error:
        raise AssertionError(f"{name} returned something that is not data: {error}") from None


def probe(function: Callable | str, *args, **kwargs):
    """Run a course probe (a function of ``anncourse.probes_torch`` or ``probes_keras``) in the
    sandbox on ``args``, where ``Remote`` objects stand for the student's. Returns plain data."""
    name = function if isinstance(function, str) else f"{function.__module__.rpartition('.')[2]}.{function.__name__}"
    sandbox = _CURRENT.sandbox
    if sandbox is None:
        raise RuntimeError("probe() runs only while a notebook is graded")
    return call_in_sandbox(sandbox, {"op": "probe", "function": name}, name, args, kwargs)


# Grading one notebook -----------------------------------------------------------------------------

@dataclass
class Segment:
    hidden: bool
    source: str


def segments(source: str) -> list[Segment]:
    """A test cell's source split into visible and hidden parts, in order."""
    parts, position = [], 0
    for match in HIDDEN.finditer(source):
        if source[position:match.start()].strip():
            parts.append(Segment(False, source[position:match.start()]))
        parts.append(Segment(True, match.group(1)))
        position = match.end()
    if source[position:].strip():
        parts.append(Segment(False, source[position:]))
    return parts


def _kind(cell) -> str:
    marks = cell.get("metadata", {}).get("nbgrader", {})
    if cell.get("cell_type") != "code":
        return "text"
    if marks.get("solution"):
        return "answer"
    if marks.get("grade"):
        return "test"
    if marks.get("locked"):
        return "setup"
    return "student"


def runner_files(folder: Path) -> Path:
    """``folder`` with just the files the sandbox needs (made once; it lives in the grading's scratch)."""
    if not folder.exists():
        folder.mkdir(parents=True)
        for name in RUNNER_FILES:
            source = Path(__file__).with_name(name)
            if source.exists():
                shutil.copy(source, folder / name)
        folder.chmod(0o755)
    return folder


class _Current:
    sandbox: Sandbox | None = None


_CURRENT = _Current()


def submission_files(folder: Path, budget: int = MAX_WORKDIR_BYTES) -> dict[str, bytes]:
    """The regular files of ``folder`` (no links, no checkpoints), up to ``budget`` bytes in all."""
    files = {}
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if path.is_symlink() or not path.is_file() or ".ipynb_checkpoints" in relative.parts:
            continue
        size = path.stat().st_size
        if size <= budget:
            files[relative.as_posix()] = path.read_bytes()
            budget -= size
    return files


def copy_workdir(source: Path | None, destination: Path) -> None:
    """The submission's own files, without notebooks (they would hold the hidden tests) or links."""
    destination.mkdir(parents=True, exist_ok=True)
    destination.chmod(0o777)  # the sandbox's unprivileged user writes here
    files = submission_files(source) if source is not None and source.is_dir() else {}
    for name, content in files.items():
        if not name.endswith(".ipynb"):
            target = destination / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
    for path in destination.rglob("*"):
        path.chmod(0o777 if path.is_dir() else 0o666)


class Grader:
    """Runs one notebook's cells between the sandbox and this process (see the module docstring)."""

    def __init__(self, notebook: dict, workdir: Path, settings: Settings):
        self.notebook, self.workdir, self.settings = notebook, workdir, settings
        self.namespace: dict[str, Any] = {"__name__": "__main__", "__builtins__": __builtins__}
        self.trusted: set[str] = set()   # names bound by the course's own code here
        self.replay: list[tuple[int, str]] = []  # (cell index, source) of the student's cells run so far
        self.events: list[dict] = []
        self.restarts = 0
        self.sandbox: Sandbox | None = None
        self.started = time.monotonic()
        self.how = ""
        self.started_once = False
        self.answer_names = set(settings.api)

    # The sandbox, restarted when it stops ---------------------------------------------------------

    def _start(self) -> None:
        self.sandbox = Sandbox(self.workdir, self.settings)
        self.how = self.sandbox.how
        _CURRENT.sandbox = self.sandbox
        for index, source in self.replay:
            self.sandbox.request({"op": "run", "source": source}, self.settings.cell_timeout,
                                 f"running cell {index + 1} again")

    def _stopped(self, stop: SandboxStopped, index: int) -> None:
        self.events.append({"status": stop.status, "cell": index + 1, "reason": stop.reason})
        if self.sandbox is not None:
            self.sandbox.close()
        self.sandbox = None
        self.restarts += 1

    def _ensure_sandbox(self, index: int) -> bool:
        while self.sandbox is None:
            if self.restarts > MAX_RESTARTS:
                return False
            try:
                self._start()
                self.started_once = True
            except SandboxStopped as stop:
                if not self.started_once:  # not the student's doing: this machine cannot run the sandbox
                    raise RuntimeError(f"the sandbox could not start: {stop.reason}") from None
                # a cell that was fine before broke on replay: leave it out from now on
                self.replay = [(i, s) for i, s in self.replay if f"cell {i + 1} " not in stop.reason]
                self._stopped(stop, index)
        return True

    def _time_left(self) -> float:
        return self.settings.notebook_timeout - (time.monotonic() - self.started)

    # Names ------------------------------------------------------------------------------------

    def _bind(self, names: dict, allowed: set[str]) -> None:
        """Bind here what a sandbox cell bound there, among ``allowed`` names only: never a builtin,
        never a name of the course's own code (a student's ``isinstance`` or ``expect_close`` stays
        in the sandbox)."""
        for name, info in names.items():
            if (not isinstance(name, str) or name not in allowed or name in self.trusted or name in _BUILTINS
                    or not isinstance(info, dict)):
                continue
            if info.get("kind") == "value":
                try:
                    self.namespace[name] = plaindata.decode(info.get("value"))
                except PlainDataError:
                    self.namespace[name] = Remote(self.sandbox, GlobalName(name))
            else:
                self.namespace[name] = Remote(self.sandbox, GlobalName(name))

    def _rebind_after_restart(self) -> None:
        for name, value in list(self.namespace.items()):
            if isinstance(value, Remote) and isinstance(value._ref, GlobalName):
                self.namespace[name] = Remote(self.sandbox, value._ref)

    # Running ------------------------------------------------------------------------------------

    def _run_in_sandbox(self, index: int, source: str, replayable: bool, test: bool,
                        allowed: set[str] = frozenset(), meanwhile: Callable[[], None] | None = None) -> list[dict]:
        if self._time_left() <= 0:
            return [_error_output("TimeoutError", "the notebook ran out of its total time "
                                  f"({self.settings.notebook_timeout:g} s); this cell was not run")]
        if not self._ensure_sandbox(index):
            return [_error_output("RuntimeError", "not run: the notebook's Python process stopped too often")]
        try:
            reply = self.sandbox.request({"op": "run", "source": source}, min(self.settings.cell_timeout, self._time_left()),
                                         f"running cell {index + 1}", meanwhile=meanwhile)
        except SandboxStopped as stop:
            self._stopped(stop, index)
            if self._ensure_sandbox(index):
                self._rebind_after_restart()
            return [_error_output(_STOP_NAMES[stop.status], stop.reason + ". The rest of the notebook is graded "
                                  "without this cell.")]
        if replayable:
            self.replay.append((index, source))
        self._bind(reply.get("names", {}), allowed)
        return _outputs(reply, test)

    def _run_here(self, index: int, source: str, grade_id: str) -> None:
        filename = f"<hidden test {grade_id or index + 1}>"
        linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
        code = compile(source, filename, "exec")
        before = set(self.namespace)
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            exec(code, self.namespace)
        self.trusted |= set(self.namespace) - before

    def _run_setup_here(self, index: int, source: str) -> None:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            exec(compile(source, f"<setup cell {index + 1}>", "exec"), self.namespace)
        self.trusted |= {n for n in self.namespace}

    def _test(self, index: int, cell: dict) -> list[dict]:
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id", "")
        outputs: list[dict] = []
        for segment in segments(cell.get("source", "")):
            if not segment.hidden:
                outputs += self._run_in_sandbox(index, segment.source, replayable=False, test=True,
                                                allowed=assigned_names(segment.source))
                if any(o["output_type"] == "error" for o in outputs):
                    return outputs
                continue
            if not self._ensure_sandbox(index):
                return outputs + [_error_output("RuntimeError", "not graded: the notebook's Python process stopped "
                                                "too often")]
            try:
                self._run_here(index, segment.source, grade_id)
            except SandboxStopped as stop:
                self._stopped(stop, index)
                if self._ensure_sandbox(index):
                    self._rebind_after_restart()
                return outputs + [_error_output(_STOP_NAMES[stop.status], stop.reason)]
            except Exception as error:  # the hidden test failed: its message, never its traceback
                return outputs + [_error_output(type(error).__name__, str(error))]
        return outputs

    def run(self) -> dict:
        cells = self.notebook.get("cells", [])
        for index, cell in enumerate(cells):
            kind = _kind(cell)
            if kind == "text":
                continue
            if kind == "setup":
                source = cell.get("source", "")
                ran_here = []
                cell["outputs"] = self._run_in_sandbox(
                    index, source, replayable=True, test=False,
                    meanwhile=lambda: ran_here.append(self._run_setup_here(index, source)))
                if not ran_here:  # the sandbox could not take the cell: the grader still needs its names
                    self._run_setup_here(index, source)
            elif kind in ("answer", "student"):
                cell["outputs"] = self._run_in_sandbox(index, cell.get("source", ""), replayable=True, test=False,
                                                       allowed=self.answer_names)
            else:
                cell["outputs"] = self._test(index, cell)
            cell["execution_count"] = index + 1
        if self.sandbox is not None:
            self.sandbox.close()
        return {"status": self._status(), "events": self.events, "sandbox": self._how(),
                "seconds": round(time.monotonic() - self.started, 3)}

    def _status(self) -> str:
        statuses = [e["status"] for e in self.events]
        for status in ("memory", "timeout", "crashed"):
            if status in statuses:
                return status
        return "graded"

    def _how(self) -> str:
        return self.how


_BUILTINS = frozenset(dir(builtins))


def assigned_names(source: str) -> set[str]:
    """Top-level names that ``source`` defines or assigns (functions, classes, variables)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign, ast.For, ast.With)):
            targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)] + [
                item.optional_vars for item in getattr(node, "items", [])]
            for target in targets:
                if target is not None:
                    names |= {n.id for n in ast.walk(target) if isinstance(n, ast.Name)}
    return names - {"_"}
_STOP_NAMES = {"timeout": "TimeoutError", "memory": "MemoryError", "crashed": "KernelDied"}


def _error_output(name: str, message: str) -> dict:
    message = message[:4000]
    return {"output_type": "error", "ename": name, "evalue": message, "traceback": [f"{name}: {message}"]}


def _outputs(reply: dict, test: bool) -> list[dict]:
    """nbformat outputs from a sandbox reply. In a test cell, stderr is shown as text (a warning
    must not cost the part) and a value is never a result (nbgrader would read it as points)."""
    outputs = []
    stdout, stderr = str(reply.get("stdout", "")), str(reply.get("stderr", ""))
    if test:
        stdout, stderr = stdout + stderr, ""
    if stdout:
        outputs.append({"output_type": "stream", "name": "stdout", "text": stdout})
    if stderr:
        outputs.append({"output_type": "stream", "name": "stderr", "text": stderr})
    if reply.get("result") is not None and not test:
        outputs.append({"output_type": "execute_result", "execution_count": None, "metadata": {},
                        "data": {"text/plain": str(reply["result"])}})
    error = reply.get("error")
    if isinstance(error, dict):
        outputs.append({"output_type": "error", "ename": str(error.get("ename", "Error"))[:100],
                        "evalue": str(error.get("evalue", ""))[:4000],
                        "traceback": [str(t)[:2000] for t in error.get("traceback", [])][:12]})
    return outputs


def api_names(source_notebook: dict) -> list[str]:
    """The names the answer cells of the course's source notebook define (its reference answers)."""
    return sorted(set().union(*(assigned_names(c.get("source", "")) for c in source_notebook.get("cells", [])
                                if _kind(c) == "answer")))


def grade(notebook: dict, submission_folder: Path | None, settings: Settings) -> dict:
    """Fill in the outputs of ``notebook`` (a dict in nbformat 4) and return the grading report."""
    with tempfile.TemporaryDirectory(prefix="anncourse-work-") as scratch:
        workdir = Path(scratch) / "work"
        copy_workdir(submission_folder, workdir)
        grader = Grader(notebook, workdir, settings)
        try:
            return grader.run()
        finally:
            if grader.sandbox is not None:
                grader.sandbox.close()
            _CURRENT.sandbox = None


def main(argv: list[str] | None = None) -> int:
    request_path, result_path = (argv or sys.argv[1:])[:2]
    request = json.loads(Path(request_path).read_text())
    settings = Settings(**request["settings"])
    folder = Path(request["folder"]) if request.get("folder") else None
    notebook = request["notebook"]
    try:
        report = grade(notebook, folder, settings)
    except Exception as error:  # the grading itself failed: say so, lose nothing
        report = {"status": "infrastructure", "events": [], "reason": f"{type(error).__name__}: {error}"}
    Path(result_path).write_text(json.dumps({"notebook": notebook, "report": report}))
    return 0


if __name__ == "__main__":
    # Run the imported module, not this __main__ copy: hidden tests import anncourse.verdict, and
    # its Remote must be the class that proxies are made of.
    from anncourse.verdict import main as imported_main

    sys.exit(imported_main())
