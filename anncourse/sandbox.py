"""Start one untrusted Python process (a student's notebook code) inside bubblewrap.

This module is only the launcher: it builds the sandbox, starts the process with its stdin, stdout
and stderr as pipes, and can kill it. Talking to the process is someone else's job.

What the sandboxed process gets:

- a root of its own (bubblewrap's tmpfs, read-only) with read-only ``/usr`` (and the ``/bin``,
  ``/lib``... links), a minimal ``/etc``, the interpreter (venv and base install) at their host
  paths, and whatever ``readonly`` maps; nothing else of the host, in particular not the course
  repository, other users' homes, ``/root``, ``/run`` or the host's ``/tmp`` and Unix sockets;
- ``workdir`` read-write at ``/home/student/work`` (the cwd), a private size-limited ``/tmp`` and
  ``/dev/shm``; nothing else writable;
- new network, pid, ipc, uts and cgroup namespaces: no network at all (only its own loopback), no
  view of host processes; when the pid namespace's init dies every process in it dies;
- uid/gid 65534. Started by root: bubblewrap runs without a user namespace and ``setpriv`` drops to
  the real host uid 65534 (root mapped into a user namespace would still be root on the files).
  Started by anyone else: a user namespace maps the caller to 65534, which is unprivileged already;
- no new user namespaces (bubblewrap's --disable-userns, or a seccomp filter in root mode);
- limits: a memory cgroup (RSS+swap of the whole sandbox) and a pids cgroup where the caller can
  create them, otherwise RLIMIT_DATA per process and RLIMIT_NPROC; always RLIMIT_CPU,
  RLIMIT_FSIZE, RLIMIT_NOFILE and no core dumps (set by prlimit inside the sandbox, so that no
  preexec_fn runs in the grader's fork). ``Sandboxed.how`` says what is in force.

``--die-with-parent`` uses PR_SET_PDEATHSIG, which fires when the *thread* that started the
sandbox exits: call :func:`start` from a thread that outlives the sandbox (e.g. the main thread).
"""

from __future__ import annotations

import errno
import functools
import importlib.machinery
import itertools
import os
import resource
import secrets
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Limits", "SandboxUnavailable", "Sandboxed", "sandbox_status", "start",
           "SANDBOX_HOME", "SANDBOX_WORKDIR", "SANDBOX_UID"]

SANDBOX_UID = SANDBOX_GID = 65534              # nobody/nogroup on Debian and most distributions
SANDBOX_HOME = "/home/student"
SANDBOX_WORKDIR = SANDBOX_HOME + "/work"
SETPRIV = "/usr/bin/setpriv"                   # util-linux; /usr is visible inside
PRLIMIT = "/usr/bin/prlimit"

# Host system directories shared read-only. Debian's /bin, /lib... are symlinks into /usr and are
# recreated as symlinks; on other layouts they are bound.
SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
# Host files of /etc that programs need and that reveal nothing: the dynamic loader's cache (libs in
# multiarch dirs), the time zone, and Debian's alternatives links (/usr/bin/awk -> /etc/alt...).
ETC_FILES = ("/etc/ld.so.cache", "/etc/localtime", "/etc/alternatives")

ETC_PASSWD = ("root:x:0:0:root:/root:/usr/sbin/nologin\n"
              f"student:x:{SANDBOX_UID}:{SANDBOX_GID}:student:{SANDBOX_HOME}:/usr/sbin/nologin\n")
ETC_GROUP = f"root:x:0:\nstudent:x:{SANDBOX_GID}:\n"
ETC_HOSTS = "127.0.0.1 localhost\n::1 localhost\n"
ETC_NSSWITCH = "passwd: files\ngroup: files\nhosts: files\n"  # never try DNS

UNSANDBOXED_HINT = ("To grade WITHOUT isolation (student code then runs with your rights and can "
                    "read the solutions), pass --unsandboxed or set "
                    "c.Sandbox.allow_unsandboxed = True.")


@dataclass(frozen=True)
class Limits:
    memory_bytes: int = 3 * 2**30      # address space actually used (RSS+swap), the whole sandbox
    processes: int = 64                # fork-bomb cap (threads count on Linux: torch/TF start ~20 threads)
    cpu_seconds: int = 600             # RLIMIT_CPU per process
    file_bytes: int = 256 * 2**20      # RLIMIT_FSIZE
    tmp_bytes: int = 256 * 2**20       # size of the private /tmp tmpfs (and of /dev/shm)
    open_files: int = 256


class SandboxUnavailable(RuntimeError):
    """The sandbox cannot be started here; the message says why and what to do."""

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(
            f"Student code cannot be sandboxed: {reason}\n"
            "Install bubblewrap (Debian/Ubuntu: apt-get install bubblewrap) and, unless you grade "
            "as root, allow unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1 "
            "where that exists, user.max_user_namespaces > 0, and on Ubuntu 24.04+ "
            "kernel.apparmor_restrict_unprivileged_userns=0 or an AppArmor profile for bwrap).\n"
            + UNSANDBOXED_HINT)


def _size(n: int) -> str:
    for unit, scale in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n >= scale:
            return f"{n / scale:g} {unit}"
    return f"{n} B"


# ----------------------------------------------------------------------------------------------
# cgroups

_counter = itertools.count()


def _cgroup_mounts() -> dict[str, tuple[Path, str]]:
    """'memory'/'pids' -> (mount point, mount root) of their v1 hierarchy; '' -> the cgroup2 mount."""
    mounts: dict[str, tuple[Path, str]] = {}
    try:
        lines = Path("/proc/self/mountinfo").read_text().splitlines()
    except OSError:
        return mounts
    for line in lines:
        left, _, right = line.partition(" - ")
        fields, info = left.split(), right.split()
        if len(fields) < 5 or len(info) < 3:
            continue
        root, point = fields[3], fields[4].replace("\\040", " ")
        if info[0] == "cgroup":
            for controller in set(info[2].split(",")) & {"memory", "pids"}:
                mounts.setdefault(controller, (Path(point), root))
        elif info[0] == "cgroup2":
            mounts.setdefault("", (Path(point), root))
    return mounts


def _own_cgroup(key: str) -> str | None:
    """This process's cgroup path for a v1 controller, or for v2 when key is ''."""
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        num, controllers, path = line.split(":", 2)
        if (key and key in controllers.split(",")) or (not key and num == "0"):
            return path
    return None


def _write(path: Path, value: str) -> None:
    with open(path, "w") as f:
        f.write(value)


def _rmdir_quietly(path: Path) -> None:
    try:
        path.rmdir()
    except OSError:
        pass


def _remove_stale(base: Path) -> None:
    """Remove empty leftovers of dead launchers (named '<pid>-...'), e.g. after a crash."""
    try:
        names = os.listdir(base)
    except OSError:
        return
    for name in names:
        pid = name.split("-", 1)[0]
        if pid.isdigit() and not os.path.exists(f"/proc/{pid}"):
            _rmdir_quietly(base / name)


class _Cgroups:
    """The sandbox's own memory and pids cgroups, where they can be created."""

    def __init__(self, limits: Limits):
        self.dirs: list[Path] = []            # every leaf created, joined by the sandbox
        self.memory: Path | None = None
        self.pids: Path | None = None
        self.version = 0
        name = f"{os.getpid()}-{next(_counter)}-{secrets.token_hex(3)}"
        mounts = _cgroup_mounts()
        if "memory" in mounts or "pids" in mounts:
            self.version = 1
            self.memory = self._make_v1(mounts, "memory", name, self._limit_memory_v1, limits)
            self.pids = self._make_v1(mounts, "pids", name, self._limit_pids, limits)
        elif "" in mounts:
            self.version = 2
            self._make_v2(mounts[""][0], name, limits)

    def _make_v1(self, mounts, controller, name, configure, limits) -> Path | None:
        if controller not in mounts:
            return None
        point, root = mounts[controller]
        own = _own_cgroup(controller)
        if own is None:
            return None
        # Nested under our own cgroup, so that limits placed on the grader still cover the sandbox.
        rel = own[len(root):] if root != "/" and own.startswith(root) else own
        base = point / rel.lstrip("/") / "anncourse"
        leaf = base / name
        try:
            base.mkdir(exist_ok=True)
            _remove_stale(base)
            leaf.mkdir()
        except OSError:
            return None
        try:
            configure(leaf, limits)
        except OSError:
            _rmdir_quietly(leaf)
            return None
        self.dirs.append(leaf)
        return leaf

    @staticmethod
    def _limit_memory_v1(leaf: Path, limits: Limits) -> None:
        _write(leaf / "memory.limit_in_bytes", str(limits.memory_bytes))
        memsw = leaf / "memory.memsw.limit_in_bytes"
        if memsw.exists():                    # RSS+swap; only there with swap accounting
            try:
                _write(memsw, str(limits.memory_bytes))
            except OSError:
                pass

    @staticmethod
    def _limit_pids(leaf: Path, limits: Limits) -> None:
        _write(leaf / "pids.max", str(limits.processes))

    def _make_v2(self, point: Path, name: str, limits: Limits) -> None:
        # A v2 cgroup that holds processes (ours) cannot hand controllers to children, so the
        # sandboxes live under the hierarchy's root, which only root (or a delegate) may change.
        base = point / "anncourse"
        leaf = base / name
        try:
            wanted = {"memory", "pids"} & set((point / "cgroup.controllers").read_text().split())
            if "memory" not in wanted:
                return
            base.mkdir(exist_ok=True)
            for parent in (point, base):
                enabled = set((parent / "cgroup.subtree_control").read_text().split())
                if wanted - enabled:
                    _write(parent / "cgroup.subtree_control",
                           " ".join("+" + c for c in sorted(wanted - enabled)))
            _remove_stale(base)
            leaf.mkdir()
        except OSError:
            return
        try:
            _write(leaf / "memory.max", str(limits.memory_bytes))
            if (leaf / "memory.swap.max").exists():
                _write(leaf / "memory.swap.max", "0")   # memory.max then bounds RSS+swap
            if "pids" in wanted:
                _write(leaf / "pids.max", str(limits.processes))
                self.pids = leaf
        except OSError:
            _rmdir_quietly(leaf)
            self.pids = None
            return
        self.memory = leaf
        self.dirs.append(leaf)

    def describe(self, limits: Limits) -> tuple[str | None, str | None]:
        memory = (f"memory cgroup v{self.version} {_size(limits.memory_bytes)} (RSS+swap, whole sandbox)"
                  if self.memory else None)
        pids = f"pids cgroup v{self.version} max {limits.processes}" if self.pids else None
        return memory, pids

    def adopt(self, pid: int) -> None:
        """Move pid and its descendants in. Parents first: a child forked after its parent moved
        is in already, one forked before is listed once the parent has moved."""
        todo = [pid]
        while todo:
            p = todo.pop()
            for d in self.dirs:
                try:
                    _write(d / "cgroup.procs", str(p))
                except ProcessLookupError:
                    break
            todo += _children(p)

    def members(self) -> set[int]:
        pids: set[int] = set()
        for d in self.dirs:
            try:
                pids.update(int(p) for p in (d / "cgroup.procs").read_text().split())
            except (OSError, ValueError):
                pass
        return pids

    def oom_killed(self) -> bool:
        if not self.memory:
            return False
        try:
            if self.version == 2:
                events = dict(l.split() for l in (self.memory / "memory.events").read_text().splitlines())
                return int(events.get("oom_kill", 0)) > 0
            stats = dict(l.split() for l in (self.memory / "memory.oom_control").read_text().splitlines())
            if "oom_kill" in stats:           # kernels >= 4.13
                return int(stats["oom_kill"]) > 0
            return int((self.memory / "memory.failcnt").read_text()) > 0
        except (OSError, ValueError):
            return False

    def kill_all(self, timeout: float = 5.0) -> None:
        for d in self.dirs:
            if (d / "cgroup.kill").exists():
                try:
                    _write(d / "cgroup.kill", "1")
                except OSError:
                    pass
        deadline = time.monotonic() + timeout
        while (pids := self.members()) and time.monotonic() < deadline:
            for pid in pids:
                _signal_quietly(pid, signal.SIGKILL)
            time.sleep(0.01)

    def remove(self) -> None:
        for d in self.dirs:
            for _ in range(100):              # exiting tasks may linger a few ms
                try:
                    d.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError as e:
                    if e.errno != errno.EBUSY:
                        break
                    time.sleep(0.01)
        self.dirs = []


# ----------------------------------------------------------------------------------------------
# what the sandbox sees

def _under(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip("/") + "/")


def _symlink_chain(path: str) -> list[str]:
    """path, and every link it goes through until the real file (absolute paths)."""
    chain, seen = [os.path.abspath(path)], set()
    while os.path.islink(chain[-1]) and chain[-1] not in seen:
        seen.add(chain[-1])
        target = os.readlink(chain[-1])
        chain.append(os.path.normpath(os.path.join(os.path.dirname(chain[-1]), target)))
    chain.append(os.path.realpath(path))
    return chain


def _python_roots(executable: str) -> list[str]:
    """Host directories the interpreter needs: its venv, the base install, and every prefix its
    symlinks pass through; system directories (/usr...) are left out, they are bound anyway."""
    roots: list[str] = []
    if os.path.abspath(executable) == sys.executable:
        roots += [sys.prefix, sys.exec_prefix, sys.base_prefix, sys.base_exec_prefix]
    for hop in _symlink_chain(executable):
        bindir = os.path.realpath(os.path.dirname(hop))
        prefix = os.path.dirname(bindir)
        if prefix == "/" or any(_under(bindir, s) for s in SYSTEM_DIRS):
            continue
        cfg = os.path.join(prefix, "pyvenv.cfg")
        if os.path.isfile(cfg):
            roots.append(prefix)
            for line in open(cfg, encoding="utf-8", errors="replace"):
                key, _, value = line.partition("=")
                if key.strip() == "home" and value.strip():
                    roots.append(os.path.dirname(value.strip().rstrip("/")))
        elif os.path.basename(bindir) == "bin":
            roots.append(prefix)
    roots = [os.path.abspath(r) for r in roots
             if not any(_under(os.path.abspath(r), s) for s in SYSTEM_DIRS)]
    # Only the outermost of nested roots, in a stable order.
    unique = sorted(set(roots), key=lambda r: (r.count("/"), r))
    return [r for i, r in enumerate(unique) if not any(_under(r, o) for o in unique[:i])]


@functools.lru_cache(maxsize=None)
def _distribution_tops(site: str) -> dict[str, tuple[str, frozenset[str]]]:
    """dist-info name -> (its RECORD, the top-level import names it provides), for one site dir."""
    tops: dict[str, tuple[str, frozenset[str]]] = {}
    try:
        names = os.listdir(site)
    except OSError:
        return tops
    for name in names:
        if not name.endswith((".dist-info", ".egg-info")):
            continue
        info = os.path.join(site, name)
        record = os.path.join(info, "RECORD" if name.endswith(".dist-info") else "installed-files.txt")
        try:
            provided = Path(info, "top_level.txt").read_text().split()
        except OSError:
            try:
                with open(record, encoding="utf-8", errors="replace") as f:
                    firsts = {line.split(",", 1)[0].split("/", 1)[0] for line in f}
            except OSError:
                continue
            provided = [t.split(".", 1)[0] for t in firsts
                        if t and not t.endswith((".dist-info", ".libs", ".pth", ".data")) and t != ".."]
        tops[name] = (record, frozenset(provided))
    return tops


def _record_entries(site: str, record: str) -> set[str]:
    """Top-level entries of site that one distribution installed: regular packages, modules,
    extension modules, .pth files, vendored .libs dirs, its metadata, its __pycache__ files."""
    try:
        with open(record, encoding="utf-8", errors="replace") as f:
            paths = [line.split(",", 1)[0] for line in f if line.strip()]
    except OSError:
        return set()
    if record.endswith("installed-files.txt"):   # egg-info paths are relative to the egg-info dir
        rel = os.path.relpath(os.path.dirname(record), site)
        paths = [os.path.normpath(os.path.join(rel, p)) for p in paths]
    packages = {p.split("/", 1)[0] for p in paths if p.endswith("/__init__.py") and p.count("/") == 1}
    entries: set[str] = set()
    for p in paths:
        first, _, rest = p.partition("/")
        if first in ("", "..", ".") or os.path.isabs(p):
            continue
        if not rest:
            entries.add(first)                              # module, .so, .pth
        elif first == "__pycache__":
            entries.add(p)                                  # bytecode of a top-level module
        elif first in packages or first.endswith((".dist-info", ".egg-info", ".libs")):
            entries.add(first)
        # else: a namespace package shared with other distributions (e.g. google/, nvidia/)
    return entries


@functools.lru_cache(maxsize=None)
def _hidden_paths(names: tuple[str, ...], visible: tuple[str, ...]) -> tuple[str, ...]:
    """Host paths to blank so that these top-level packages cannot be imported or read.

    Looked for in every entry of this interpreter's sys.path that the sandbox sees (not only
    the first hit: a package may be installed twice), without importing anything.
    """
    entries = [p for p in sys.path if p and os.path.isabs(p) and any(_under(p, v) for v in visible)]
    hidden: set[str] = set()
    for name in names:
        if not name.isidentifier():
            raise ValueError(f"hidden_packages takes top-level import names, not {name!r}")
        places = []
        for entry in entries:
            spec = importlib.machinery.PathFinder.find_spec(name, [entry])
            if spec is not None:
                places += spec.submodule_search_locations or []
                if spec.origin and spec.has_location and not spec.submodule_search_locations:
                    places.append(spec.origin)        # a single-file module
        for place in places:
            place = os.path.abspath(place)
            hidden.add(place)
            site = os.path.dirname(place)
            for info, (record, provided) in _distribution_tops(site).items():
                if name in provided:
                    hidden.update(os.path.join(site, e) for e in _record_entries(site, record))
                    hidden.add(os.path.join(site, info))
    existing = [p for p in hidden if os.path.lexists(p)]
    # Blanking a directory hides what is below it.
    existing.sort(key=lambda p: (p.count("/"), p))
    return tuple(p for i, p in enumerate(existing)
                 if not any(_under(p, q) for q in existing[:i]))


@functools.lru_cache(maxsize=None)
def _bwrap_version() -> str:
    exe = shutil.which("bwrap")
    if exe is None:
        return ""
    try:
        out = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return ""
    return out.strip() or "bubblewrap"


# ----------------------------------------------------------------------------------------------
# the sandbox

def _env(argv0: str, env: Mapping[str, str], home: str) -> dict[str, str]:
    bindir = os.path.dirname(argv0) if os.path.isabs(argv0) else ""
    base = {
        "PATH": ":".join(p for p in (bindir, "/usr/local/bin", "/usr/bin", "/bin") if p),
        "HOME": home,
        "LANG": "C.UTF-8",
        "PYTHONDONTWRITEBYTECODE": "1",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "TF_CPP_MIN_LOG_LEVEL": "3",
        "TF_ENABLE_ONEDNN_OPTS": "0",
        "CUDA_VISIBLE_DEVICES": "",
        "MPLBACKEND": "Agg",
        # HOME is read-only: caches and configs (matplotlib, IPython, torch...) go to /tmp.
        "XDG_CACHE_HOME": "/tmp/.cache",
        "XDG_CONFIG_HOME": "/tmp/.config",
        "MPLCONFIGDIR": "/tmp/.config/matplotlib",
        "IPYTHONDIR": "/tmp/.ipython",
    }
    base.update(env)
    return base


def _prlimit(limits: Limits, memory: bool, processes: bool) -> list[str]:
    """A prlimit(1) command prefix setting the limits for the program it then executes.

    prlimit runs inside the sandbox, right before the program, instead of a preexec_fn in our
    fork (unsafe when the grader has threads, and it forbids vfork).
    """
    wanted = [
        ("cpu", resource.RLIMIT_CPU, limits.cpu_seconds, limits.cpu_seconds + 5),  # SIGXCPU, then KILL
        ("fsize", resource.RLIMIT_FSIZE, limits.file_bytes, limits.file_bytes),
        ("nofile", resource.RLIMIT_NOFILE, limits.open_files, limits.open_files),
        ("core", resource.RLIMIT_CORE, 0, 0),
    ]
    if memory:
        # Not RLIMIT_AS: torch and tensorflow reserve far more address space than they use (TF's
        # libraries fail to load under RLIMIT_AS=1 GiB). RLIMIT_DATA counts private writable
        # memory only, which is what allocations use.
        wanted.append(("data", resource.RLIMIT_DATA, limits.memory_bytes, limits.memory_bytes))
    if processes:
        # In a user namespace (kernel >= 5.14) this counts only the sandbox's processes, because it
        # is set after bwrap created the namespace; elsewhere all processes of the real uid.
        wanted.append(("nproc", resource.RLIMIT_NPROC, limits.processes, limits.processes))
    command = [PRLIMIT]
    for name, res, soft, hard in wanted:
        _, cur_hard = resource.getrlimit(res)
        if cur_hard != resource.RLIM_INFINITY:    # without CAP_SYS_RESOURCE it cannot be raised
            soft, hard = min(soft, cur_hard), min(hard, cur_hard)
        command.append(f"--{name}={soft}:{hard}")
    return command + ["--"]


def _data_fd(data: str | bytes) -> int:
    r, w = os.pipe()
    os.write(w, data.encode() if isinstance(data, str) else data)   # small: fits the pipe buffer
    os.close(w)
    return r


def _no_userns_filter() -> bytes | None:
    """A seccomp program refusing new user namespaces (unshare/clone with CLONE_NEWUSER).

    For root mode, where the sandbox has no user namespace of its own and bubblewrap's
    --disable-userns cannot apply: a student could otherwise get a namespace "root" and with it
    the mount and other kernel code that only privileged users reach. clone3 gets ENOSYS (its
    flags are out of a filter's reach); glibc then falls back to clone. Other ABIs (i386, x32)
    are refused, since their system call numbers differ.
    """
    numbers = {"x86_64": (0xC000003E, 272, 56, 435), "aarch64": (0xC00000B7, 97, 220, 435)}
    if os.uname().machine not in numbers:
        return None
    audit_arch, unshare, clone, clone3 = numbers[os.uname().machine]
    ld, jeq, jge, jset, ret = 0x20, 0x15, 0x35, 0x45, 0x06
    allow, eperm, enosys = 0x7FFF0000, 0x50000 | errno.EPERM, 0x50000 | errno.ENOSYS
    program = [                                   # (code, jump if true, jump if false, k)
        (ld, 0, 0, 4),                            # 0  arch
        (jeq, 1, 0, audit_arch),                  # 1
        (ret, 0, 0, eperm),                       # 2  another ABI
        (ld, 0, 0, 0),                            # 3  system call number
        (jge, 7, 0, 0x40000000),                  # 4  x32 -> 12
        (jeq, 7, 0, clone3),                      # 5  -> 13
        (jeq, 2, 0, unshare),                     # 6  -> 9
        (jeq, 1, 0, clone),                       # 7  -> 9
        (ret, 0, 0, allow),                       # 8
        (ld, 0, 0, 16),                           # 9  flags: low half of the first argument
        (jset, 1, 0, 0x10000000),                 # 10 CLONE_NEWUSER -> 12
        (ret, 0, 0, allow),                       # 11
        (ret, 0, 0, eperm),                       # 12
        (ret, 0, 0, enosys),                      # 13
    ]
    return b"".join(struct.pack("=HBBI", *insn) for insn in program)


def _blank(path: str, inside: str, fds: list[int]) -> list[str]:
    """bwrap options that replace a hidden package's file or directory by a read-only stub.

    An empty directory would still import, as a namespace package, so a package directory gets
    a tmpfs holding only an __init__.py that raises ModuleNotFoundError; likewise a module file.
    Anything else (metadata, vendored libraries, .so, .pth) becomes empty.
    """
    name = os.path.basename(path)
    module = name[:-3] if name.endswith(".py") else name
    stub = (f"raise ModuleNotFoundError({f'No module named {module!r} (not available in this sandbox)'!r}, "
            f"name={module!r})\n")
    if os.path.isdir(path) and not os.path.islink(path):
        opts = ["--perms", "0555", "--size", "65536", "--tmpfs", inside]
        if module.isidentifier():
            fds.append(_data_fd(stub))
            opts += ["--perms", "0444", "--file", str(fds[-1]), inside + "/__init__.py"]
        return opts + ["--remount-ro", inside]
    if name.endswith(".py") and module.isidentifier():
        fds.append(_data_fd(stub))
        return ["--perms", "0444", "--ro-bind-data", str(fds[-1]), inside]
    return ["--ro-bind", "/dev/null", inside]


def _children(pid: int) -> list[int]:
    kids: list[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            kids += [int(k) for k in Path(f"/proc/{pid}/task/{task}/children").read_text().split()]
    except (OSError, ValueError):
        pass
    return kids


def _descendants(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        kids = _children(todo.pop())
        found += kids
        todo += kids
    return found


def _signal_quietly(pid: int, sig: int) -> None:
    try:
        if pid < 0:
            os.killpg(-pid, sig)
        else:
            os.kill(pid, sig)
    except OSError:
        pass


def _wait_gone(pids: list[int], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        alive = []
        for pid in pids:
            try:
                state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
            except (OSError, IndexError):
                continue
            if state not in ("Z", "X"):
                alive.append(pid)
        if not alive:
            return
        pids = alive
        time.sleep(0.005)


@dataclass
class Sandboxed:
    """One running sandbox. ``process`` is bubblewrap (its exit status is the program's)."""

    process: subprocess.Popen
    how: str
    _cgroups: _Cgroups | None = field(default=None, repr=False)
    _unsandboxed: bool = field(default=False, repr=False)
    _oom: bool = field(default=False, repr=False)

    def memory_exceeded(self) -> bool:
        """True if the memory cgroup recorded an OOM kill (False without a memory cgroup)."""
        if self._cgroups and self._cgroups.dirs:
            self._oom = self._oom or self._cgroups.oom_killed()
        return self._oom

    def kill(self) -> None:
        """Kill every process of the sandbox now, and wait for bubblewrap. Idempotent."""
        proc = self.process
        if proc.poll() is None:                   # not reaped: its pid is still ours
            doomed = _descendants(proc.pid)
            if self._unsandboxed:
                _signal_quietly(-proc.pid, signal.SIGKILL)       # its process group
            # bwrap's child is the pid namespace's init. Killing it kills everything in the
            # namespace, setsid'd and double-forked processes too, and bwrap exits only once
            # they are all gone.
            for child in _children(proc.pid):
                _signal_quietly(child, signal.SIGKILL)
            try:
                proc.wait(timeout=2)
            except subprocess.TimeoutExpired:
                proc.kill()                       # --die-with-parent then kills the init
            _wait_gone(doomed)
        if self._cgroups:
            self.memory_exceeded()                # remember it before the cgroup goes
            self._cgroups.kill_all()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass

    def cleanup(self) -> None:
        """kill(), then remove the cgroups. Idempotent."""
        self.kill()
        if self._cgroups:
            self._cgroups.remove()

    def __enter__(self) -> Sandboxed:
        return self

    def __exit__(self, *exc) -> None:
        self.cleanup()


def _chown_tree(root: Path, uid: int, gid: int) -> None:
    os.chown(root, uid, gid, follow_symlinks=False)
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            os.chown(os.path.join(dirpath, name), uid, gid, follow_symlinks=False)


def _check_not_exposed(roots: Iterable[str], secrets_: Iterable[Path]) -> None:
    for root in roots:
        for secret in secrets_:
            if _under(str(secret), root):
                raise ValueError(
                    f"the interpreter's directory {root} contains {secret}; binding it would show "
                    "the course to student code. Use a virtual environment that does not contain "
                    "the course directory (a venv inside it, like .venv, is fine).")


def start(argv: list[str], workdir: Path, *, limits: Limits = Limits(),
          hidden_packages: Iterable[str] = (), readonly: Mapping[str, Path] = {},
          env: Mapping[str, str] = {}, unsandboxed: bool = False) -> Sandboxed:
    """Start ``argv`` in a sandbox whose working directory is ``workdir``.

    - ``argv[0]``: the interpreter, an absolute path (e.g. the venv's ``sys.executable``); its venv
      and base installation are bound read-only at their host paths.
    - ``workdir``: bound read-write at ``/home/student/work``. When started by root it is chowned
      to uid 65534 so that the student can write it.
    - ``hidden_packages``: top-level import names; the distribution providing each (its packages,
      metadata, vendored libraries) is blanked in every visible site directory.
    - ``readonly``: sandbox path -> host path, bound read-only.
    - ``env``: added to (or overriding) the minimal environment.
    - ``unsandboxed``: run ``argv`` directly, with the rlimits only (explicit opt-in).

    Raises :class:`SandboxUnavailable` if bubblewrap cannot isolate here (unless ``unsandboxed``).
    """
    workdir = Path(workdir).resolve()
    if not workdir.is_dir():
        raise FileNotFoundError(f"workdir {workdir} is not a directory")
    if unsandboxed:
        return _start_unsandboxed(argv, workdir, limits, env)
    ok, reason = sandbox_status()
    if not ok:
        raise SandboxUnavailable(reason)
    return _start(argv, workdir, limits, tuple(hidden_packages), dict(readonly), env)


def _start_unsandboxed(argv, workdir, limits, env) -> Sandboxed:
    # RLIMIT_NPROC would count every process of the caller's uid, so processes are not capped.
    proc = subprocess.Popen([*_prlimit(limits, memory=True, processes=False), *argv], cwd=workdir,
                            env=_env(argv[0], env, str(workdir)), stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    how = (f"UNSANDBOXED: student code runs as uid {os.geteuid()} with the host's files and network; "
           f"RLIMIT_DATA {_size(limits.memory_bytes)} per process, cpu {limits.cpu_seconds} s, "
           f"file {_size(limits.file_bytes)}, {limits.open_files} open files, no process cap")
    return Sandboxed(proc, how, _unsandboxed=True)


def _bwrap_options(interpreter: str, workdir: Path, limits: Limits, hidden: tuple[str, ...],
                   readonly: dict[str, Path], env: Mapping[str, str],
                   fds: list[int]) -> tuple[list[str], str]:
    """bwrap's options up to the command, and a note on user namespaces; data fds go to fds."""
    as_root = os.geteuid() == 0
    roots = _python_roots(interpreter)
    _check_not_exposed(roots, [workdir, Path(__file__).resolve().parent.parent])

    cmd = ["--die-with-parent", "--new-session",
           "--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts",
           "--unshare-cgroup-try", "--hostname", "sandbox"]
    if as_root:
        # No user namespace: uid 0 in one is still root to the files. setpriv needs these two.
        cmd += ["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
        seccomp = _no_userns_filter()
        if seccomp:
            fds.append(_data_fd(seccomp))
            cmd += ["--seccomp", str(fds[-1])]
        userns_note = "no new user namespaces (seccomp)" if seccomp else "new user namespaces allowed"
    else:
        cmd += ["--unshare-user", "--uid", str(SANDBOX_UID), "--gid", str(SANDBOX_GID),
                "--disable-userns"]
        userns_note = "no new user namespaces"
    cmd += ["--clearenv"]
    for key, value in _env(interpreter, env, SANDBOX_HOME).items():
        cmd += ["--setenv", key, value]

    binds: list[tuple[str, str, str]] = []        # (option, source, destination)
    for d in SYSTEM_DIRS:
        if os.path.islink(d):
            cmd += ["--symlink", os.readlink(d), d]
        elif os.path.isdir(d):
            binds.append(("--ro-bind", d, d))
    for root in roots:
        binds.append(("--ro-bind", root, root))
    for dest, src in readonly.items():
        if not os.path.isabs(dest):
            raise ValueError(f"readonly destinations must be absolute, not {dest!r}")
        src = Path(src).resolve()
        if as_root and not os.stat(src).st_mode & 0o004:
            raise PermissionError(f"{src} must be readable by others: the sandbox runs as uid "
                                  f"{SANDBOX_UID}")
        binds.append(("--ro-bind", str(src), os.path.normpath(dest)))
    workdir_bind = ("--bind", str(workdir), SANDBOX_WORKDIR)

    # Parents of the mount points, made 0755 so that uid 65534 can pass: left to itself bubblewrap
    # copies the host's modes, and /root is 0700.
    dests = [b[2] for b in binds] + [SANDBOX_WORKDIR, "/etc", "/tmp"]
    parents = sorted({str(p) for d in dests for p in Path(d).parents if str(p) != "/"}
                     - set(dests), key=lambda p: (p.count("/"), p))
    # The private /tmp first: an interpreter installed under the host's /tmp (a clone there) is bound on top.
    cmd += ["--perms", "1777", "--size", str(limits.tmp_bytes), "--tmpfs", "/tmp"]
    for p in parents:
        if not any(_under(p, d) for d in dests) or (_under(p, "/tmp") and p != "/tmp"):
            cmd += ["--perms", "0755", "--dir", p]
    for bind in binds:
        cmd += bind

    cmd += ["--perms", "0755", "--dir", "/etc"]
    for path, text in (("/etc/passwd", ETC_PASSWD), ("/etc/group", ETC_GROUP),
                       ("/etc/hosts", ETC_HOSTS), ("/etc/nsswitch.conf", ETC_NSSWITCH)):
        fds.append(_data_fd(text))
        cmd += ["--perms", "0444", "--ro-bind-data", str(fds[-1]), path]
    for path in ETC_FILES:
        if os.path.islink(path) and not os.path.isdir(path):
            cmd += ["--symlink", os.readlink(path), path]
        elif os.path.exists(path):
            cmd += ["--ro-bind", path, path]

    cmd += ["--proc", "/proc", "--dev", "/dev",
            "--perms", "1777", "--size", str(limits.tmp_bytes), "--tmpfs", "/dev/shm"]

    for path in _hidden_paths(tuple(sorted(set(hidden))), tuple(b[1] for b in binds)):
        for option, src, dest in binds:
            if _under(path, src):
                cmd += _blank(path, dest + path[len(src):], fds)
                break

    cmd += [*workdir_bind, "--chdir", SANDBOX_WORKDIR, "--remount-ro", "/dev", "--remount-ro", "/"]
    return cmd, userns_note


def _start(argv, workdir: Path, limits: Limits, hidden: tuple[str, ...],
           readonly: dict[str, Path], env: Mapping[str, str]) -> Sandboxed:
    bwrap = shutil.which("bwrap")
    as_root = os.geteuid() == 0
    if not os.path.isabs(argv[0]):
        raise ValueError(f"argv[0] must be an absolute path to the interpreter, not {argv[0]!r}")
    fds: list[int] = []                           # data for bwrap to read: files, seccomp
    cgroups = None
    try:
        options, userns_note = _bwrap_options(argv[0], workdir, limits, hidden, readonly, env, fds)
        cgroups = _Cgroups(limits)
        memory_desc, pids_desc = cgroups.describe(limits)
        inner = _prlimit(limits, memory=memory_desc is None, processes=pids_desc is None)
        if pids_desc is None:
            pids_desc = f"RLIMIT_NPROC {limits.processes} (no writable pids cgroup)"
            if as_root:
                pids_desc += f", shared by all processes of host uid {SANDBOX_UID}"
        if as_root:
            inner += [SETPRIV, f"--reuid={SANDBOX_UID}", f"--regid={SANDBOX_GID}", "--clear-groups",
                      "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs", "--"]
            _chown_tree(workdir, SANDBOX_UID, SANDBOX_GID)
        # bwrap waits on this pipe before running anything of the sandbox, until we have moved it
        # into the cgroups: everything it starts then inherits them.
        block_r, block_w = os.pipe()
        fds.append(block_r)
        options += ["--block-fd", str(block_r)]
        try:
            proc = subprocess.Popen([bwrap, *options, "--", *inner, *argv], stdin=subprocess.PIPE,
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, pass_fds=fds)
            try:
                cgroups.adopt(proc.pid)
            except OSError as e:
                proc.kill()
                proc.wait()
                raise SandboxUnavailable(f"cannot move the sandbox into its cgroups: {e}") from e
            try:
                os.write(block_w, b"1")
            except BrokenPipeError:           # bwrap failed already; its stderr says why
                pass
        finally:
            os.close(block_w)
    except BaseException:
        if cgroups:
            cgroups.remove()
        raise
    finally:
        for fd in fds:
            os.close(fd)

    how = ", ".join([
        _bwrap_version(),
        f"uid {SANDBOX_UID} " + ("(root drops to it with setpriv, no user namespace)" if as_root
                                 else "(user namespace, unprivileged)"),
        "no network, own pid/ipc/uts namespaces", userns_note,
        memory_desc or f"RLIMIT_DATA {_size(limits.memory_bytes)} per process (no writable memory cgroup)",
        pids_desc,
        f"cpu {limits.cpu_seconds} s, file {_size(limits.file_bytes)}, {limits.open_files} open files, "
        f"/tmp {_size(limits.tmp_bytes)}",
    ] + ([f"hidden: {', '.join(sorted(set(hidden)))}"] if hidden else []))
    return Sandboxed(proc, how, cgroups)


@functools.lru_cache(maxsize=None)
def sandbox_status() -> tuple[bool, str]:
    """(True, how it will isolate) or (False, why not). Cached; runs a tiny sandboxed program."""
    if not _bwrap_version():
        return False, "bubblewrap (bwrap) is not installed or does not run"
    if not os.access(PRLIMIT, os.X_OK):
        return False, f"{PRLIMIT} (util-linux) is missing: it sets the resource limits"
    if os.geteuid() == 0 and not os.access(SETPRIV, os.X_OK):
        return False, f"{SETPRIV} (util-linux) is missing: root needs it to drop to uid {SANDBOX_UID}"
    with tempfile.TemporaryDirectory(prefix="anncourse-sandbox-check-") as tmp:
        try:
            box = _start([sys.executable, "-c", "import os; print(os.getuid())"], Path(tmp),
                         Limits(), (), {}, {})
        except (OSError, subprocess.SubprocessError, SandboxUnavailable) as e:
            return False, f"starting bubblewrap failed: {e}"
        try:
            out, err = box.process.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            out, err = b"", b"timed out"
        finally:
            box.cleanup()
    if box.process.returncode != 0 or out.strip() != str(SANDBOX_UID).encode():
        message = err.decode(errors="replace").strip().splitlines()
        return False, ("a test sandbox failed: " + (message[-1] if message else
                                                    f"exit status {box.process.returncode}"))
    return True, box.how
