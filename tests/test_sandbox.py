"""The student sandbox (anncourse.sandbox): every test starts a real bubblewrap sandbox with a small
program and checks, from outside, what it could and could not do.

The ``check_*`` functions hold the checks. The tests run them as the current user (root in CI:
then the sandbox drops to uid 65534 with setpriv), and ``test_unprivileged_caller`` runs them
again in a process of uid 65534, where the sandbox must use a user namespace and rlimits.
"""

from __future__ import annotations

import errno
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

from anncourse import sandbox
from anncourse.sandbox import Limits, Sandboxed, start

PY = sys.executable
REPO = Path(__file__).resolve().parent.parent
UID = sandbox.SANDBOX_UID


# helpers ---------------------------------------------------------------------------------------

def launch(code: str, workdir: Path, *args: str, **kwargs) -> Sandboxed:
    return start([PY, "-c", textwrap.dedent(code), *args], workdir, **kwargs)


def finish(box: Sandboxed, stdin: bytes | None = None, timeout: float = 60) -> tuple[int, str, str]:
    try:
        out, err = box.process.communicate(stdin, timeout=timeout)
    except subprocess.TimeoutExpired:
        box.cleanup()
        raise AssertionError(f"sandbox still running after {timeout} s")
    box.cleanup()
    return box.process.returncode, out.decode(errors="replace"), err.decode(errors="replace")


def run(code: str, workdir: Path, *args: str, timeout: float = 60, **kwargs) -> dict:
    """Run code that prints one JSON object last; return it (with 'rc', 'how', 'box')."""
    box = launch(code, workdir, *args, **kwargs)
    rc, out, err = finish(box, timeout=timeout)
    lines = out.strip().splitlines()
    assert lines, f"no output (rc {rc}); stderr:\n{err[-3000:]}"
    result = json.loads(lines[-1])
    result.update(rc=rc, how=box.how, box=box, stderr=err)
    return result


def descendants(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        for task in os.listdir(f"/proc/{p}/task") if os.path.exists(f"/proc/{p}/task") else []:
            try:
                kids = [int(k) for k in Path(f"/proc/{p}/task/{task}/children").read_text().split()]
            except OSError:
                kids = []
            found += kids
            todo += kids
    return found


def host_uids(pid: int) -> tuple[int, int]:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("Uid:"):
            real, effective = line.split()[1:3]
            return int(real), int(effective)
    raise AssertionError("no Uid line")


def fresh_workdir(base: Path) -> Path:
    """A submission's working copy, inside a course directory with a gradebook next to it."""
    course = base / "course"
    work = course / "submitted" / "alice" / "ex01"
    work.mkdir(parents=True)
    (work / "ex01.ipynb").write_text("{}")
    (course / "gradebook.db").write_text("secret grades")
    (course / "submitted" / "bob").mkdir()
    (course / "submitted" / "bob" / "answer.txt").write_text("bob's answer")
    return work


def unprivileged() -> bool:
    return os.geteuid() != 0


# the checks ------------------------------------------------------------------------------------

def check_status_and_overhead() -> str:
    ok, how = sandbox.sandbox_status()
    assert ok, how
    work = Path(tempfile.mkdtemp(prefix="anncourse-overhead-"))
    try:
        def best(fn, n=5):
            times = []
            for _ in range(n):
                t0 = time.perf_counter()
                fn()
                times.append(time.perf_counter() - t0)
            return min(times) * 1000

        def boxed(argv):
            box = start(argv, work)
            finish(box)
            assert box.process.returncode == 0

        direct_true = best(lambda: subprocess.run(["/bin/true"], check=True))
        boxed_true = best(lambda: boxed(["/bin/true"]))
        direct_py = best(lambda: subprocess.run([PY, "-S", "-c", "pass"], check=True))
        boxed_py = best(lambda: boxed([PY, "-S", "-c", "pass"]))
    finally:
        shutil.rmtree(work)
    return (f"{how}\n  startup overhead: /bin/true {direct_true:.1f} ms direct, {boxed_true:.1f} ms sandboxed "
            f"(+{boxed_true - direct_true:.1f} ms); python -S -c pass {direct_py:.1f} ms direct, "
            f"{boxed_py:.1f} ms sandboxed (+{boxed_py - direct_py:.1f} ms)")


def check_identity(base: Path) -> None:
    work = fresh_workdir(base)
    os.environ["ANNCOURSE_HOST_SECRET"] = "must not leak"
    try:
        box = launch("""
            import ctypes, json, os, sys
            libc = ctypes.CDLL(None, use_errno=True)
            new_userns = libc.unshare(0x10000000)          # CLONE_NEWUSER: refused
            print(json.dumps({"new_userns": new_userns, "uid": os.getuid(), "euid": os.geteuid(),
                              "gid": os.getgid(), "groups": os.getgroups(), "cwd": os.getcwd(), "env": dict(os.environ),
                              "prefix": sys.prefix, "base": sys.base_prefix, "pids": os.listdir("/proc"),
                              "caps": [l for l in open("/proc/self/status") if l.startswith("Cap")]}),
                  flush=True)
            sys.stdin.readline()
            """, work, env={"EXTRA": "given"})
    finally:
        del os.environ["ANNCOURSE_HOST_SECRET"]
    inside = json.loads(box.process.stdout.readline())
    # From outside: the student's python runs as uid 65534 on the host when root started it (and
    # as the caller's own uid, mapped to 65534 inside, otherwise).
    pythons = [p for p in descendants(box.process.pid)
               if Path(f"/proc/{p}/cmdline").read_bytes().split(b"\0")[:2] == [PY.encode(), b"-c"]]
    assert len(pythons) == 1, pythons
    expected_host_uid = os.getuid() if unprivileged() else UID
    assert host_uids(pythons[0]) == (expected_host_uid, expected_host_uid)
    rc, _, err = finish(box, b"\n")
    assert rc == 0, err
    assert (inside["uid"], inside["euid"], inside["gid"]) == (UID, UID, UID)
    assert inside["new_userns"] == -1
    assert inside["groups"] in ([], [UID])
    assert all(line.split()[1] == "0" * 16 for line in inside["caps"]), inside["caps"]
    assert inside["cwd"] == sandbox.SANDBOX_WORKDIR
    assert inside["prefix"] == sys.prefix and inside["base"] == sys.base_prefix  # the venv works
    assert "ANNCOURSE_HOST_SECRET" not in inside["env"] and inside["env"]["EXTRA"] == "given"
    assert inside["env"]["HOME"] == sandbox.SANDBOX_HOME and inside["env"]["CUDA_VISIBLE_DEVICES"] == ""
    assert len([p for p in inside["pids"] if p.isdigit()]) <= 4, inside["pids"]  # no host processes


def check_filesystem(base: Path) -> None:
    work = fresh_workdir(base)
    extra = base / "grader_files"
    extra.mkdir()
    (extra / "probe.py").write_text("VALUE = 42\n")
    extra.chmod(0o755)
    hidden_host = [REPO / "solutions", REPO / "nbgrader_config.py", REPO / "anncourse" / "sandbox.py",
                   REPO / ".git", work.parent.parent.parent / "gradebook.db", work.parent.parent / "bob",
                   work.parent, Path("/run"), Path("/var/run"), Path("/var/lib"), Path("/srv")]
    hidden_host += [Path("/root", name) for name in os.listdir("/root")
                    if not any(str(r).startswith(f"/root/{name}") for r in sandbox._python_roots(PY))] \
        if os.access("/root", os.R_OK) else []
    hidden_host += [Path("/home", name) for name in os.listdir("/home")] if os.path.isdir("/home") else []
    # Above the interpreter's directories only the path to them exists (no /root/.bashrc, no other
    # pyenv versions, nothing of a repository that holds the venv).
    leading: dict[str, set[str]] = {}
    for root in sandbox._python_roots(PY):
        for child in [Path(root), *Path(root).parents][:-2]:
            leading.setdefault(str(child.parent), set()).add(child.name)
    r = run("""
        import json, os, sys
        args = json.loads(sys.argv[1])
        def writable(path):
            try:
                with open(path, "w") as f:
                    f.write("x")
                return True
            except OSError:
                return False
        attempts = {p: writable(p) for p in args["must_fail"]}
        os.makedirs("sub", exist_ok=True)
        print(json.dumps({
            "writes": attempts,
            "work_ok": writable("sub/result.txt"),
            "tmp_ok": writable("/tmp/scratch"),
            "shm_ok": writable("/dev/shm/scratch"),
            "visible": [p for p in args["hidden"] if os.path.lexists(p)],
            "repo_listing": sorted(os.listdir(args["repo"])) if os.path.isdir(args["repo"]) else None,
            # (/tmp is the private scratch space: it holds the file written above, nothing of the host)
            "extra_entries": {d: sorted(set(os.listdir(d)) - set(names) - ({"scratch"} if d == "/tmp" else set()))
                              for d, names in args["leading"].items()},
            "home": sorted(os.listdir("/home")),
            "work_listing": sorted(os.listdir(".")),
            "grader": open("/opt/grader/probe.py").read(),
            "grader_writable": writable("/opt/grader/probe.py"),
        }))
        """, work, json.dumps({
            "must_fail": ["/usr/evil", "/etc/passwd", "/evil", "/home/student/evil", "/proc/sys/kernel/hostname",
                          f"{sys.prefix}/evil", f"{sys.prefix}/lib/evil.py", f"{sys.base_prefix}/evil",
                          "/dev/evil", sandbox._python_roots(PY)[0] + "/pyvenv.cfg"],
            "hidden": [str(p) for p in hidden_host], "repo": str(REPO),
            "leading": {d: sorted(names) for d, names in leading.items()}}),
        readonly={"/opt/grader": extra})
    assert r["rc"] == 0, r["stderr"]
    assert not any(r["writes"].values()), r["writes"]
    assert r["work_ok"] and r["tmp_ok"] and r["shm_ok"]
    assert (work / "sub" / "result.txt").read_text() == "x"        # the workdir is the host folder
    assert r["visible"] == [], r["visible"]
    assert not any(r["extra_entries"].values()), r["extra_entries"]
    # A venv inside the repository makes the repository's folder exist, holding only the venv.
    venv_in_repo = [p.name for p in REPO.iterdir() if str(p) in sys.prefix]
    assert r["repo_listing"] in (None, venv_in_repo), r["repo_listing"]
    assert r["home"] == ["student"]
    assert r["work_listing"] == ["ex01.ipynb", "sub"]
    assert r["grader"] == "VALUE = 42\n" and not r["grader_writable"]


def check_network(base: Path) -> None:
    work = fresh_workdir(base)
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.setblocking(False)
    unix_dir = Path(tempfile.mkdtemp(prefix="anncourse-sock-", dir="/tmp"))
    unix_path = unix_dir / "host.sock"
    unix = socket.socket(socket.AF_UNIX)
    unix.bind(str(unix_path))
    unix.listen()
    abstract_name = "\0anncourse-test-" + secrets.token_hex(4)
    abstract = socket.socket(socket.AF_UNIX)
    abstract.bind(abstract_name)
    abstract.listen()
    try:
        r = run("""
            import json, os, socket, sys
            args = json.loads(sys.argv[1])
            def attempt(fn):
                try:
                    fn()
                    return "connected"
                except OSError as e:
                    return type(e).__name__
            def tcp(host, port):
                s = socket.socket()
                s.settimeout(3)
                s.connect((host, port))
            def unix(address):
                s = socket.socket(socket.AF_UNIX)
                s.settimeout(3)
                s.connect(address)
            print(json.dumps({
                "host_port": attempt(lambda: tcp("127.0.0.1", args["port"])),
                "public": attempt(lambda: tcp("1.1.1.1", 80)),
                "dns": attempt(lambda: socket.getaddrinfo("example.com", 80)),
                "unix": attempt(lambda: unix(args["unix"])),
                "abstract": attempt(lambda: unix(args["abstract"])),
                "unix_visible": os.path.exists(args["unix"]),
                "interfaces": [name for _, name in socket.if_nameindex()],
            }))
            """, work, json.dumps({"port": server.getsockname()[1], "unix": str(unix_path),
                                   "abstract": abstract_name}))
        for sock in (server, unix, abstract):           # nothing reached the host's listeners
            sock.setblocking(False)
            try:
                sock.accept()
                raise AssertionError(f"the sandbox connected to {sock}")
            except BlockingIOError:
                pass
    finally:
        for sock in (server, unix, abstract):
            sock.close()
        shutil.rmtree(unix_dir)
    assert r["rc"] == 0, r["stderr"]
    assert r["host_port"] == "ConnectionRefusedError"   # its own loopback: nobody listens there
    assert r["public"] != "connected" and r["dns"] == "gaierror"
    assert r["unix"] == "FileNotFoundError" and not r["unix_visible"]
    assert r["abstract"] == "ConnectionRefusedError"     # abstract sockets belong to the netns
    assert r["interfaces"] == ["lo"]


def check_hidden_packages(base: Path) -> None:
    work = fresh_workdir(base)
    import importlib.util
    torch_dir = importlib.util.find_spec("torch").submodule_search_locations[0]
    r = run("""
        import importlib, json, os, sys
        torch_dir = sys.argv[1]
        def importable(name):
            try:
                importlib.import_module(name)
                return "ok"
            except ImportError as e:
                return f"{type(e).__name__}: {e}"
        import numpy
        print(json.dumps({
            "numpy": float(numpy.arange(4).sum()),
            "torch": importable("torch"), "torchgen": importable("torchgen"),
            "tensorflow": importable("tensorflow"), "sklearn": importable("sklearn"),
            "torch_listing": os.listdir(torch_dir),
            "stub": open(os.path.join(torch_dir, "__init__.py")).read(),
            "dist_info": [os.listdir(os.path.join(os.path.dirname(torch_dir), d))
                          for d in os.listdir(os.path.dirname(torch_dir)) if d.startswith("torch-")],
            "torch_file_exists": os.path.exists(os.path.join(torch_dir, "version.py")),
        }))
        """, work, torch_dir, hidden_packages=["torch", "tensorflow", "sklearn"])
    assert r["rc"] == 0, r["stderr"]
    assert r["numpy"] == 6.0
    for name in ("torch", "torchgen", "tensorflow", "sklearn"):
        assert r[name].startswith("ModuleNotFoundError"), (name, r[name])
    # An empty directory would import as a namespace package: it holds only a stub that refuses.
    assert r["torch_listing"] == ["__init__.py"] and "raise ModuleNotFoundError" in r["stub"]
    assert len(r["stub"]) < 200 and not r["torch_file_exists"]
    assert r["dist_info"] == [[]]


def check_memory_bomb(base: Path) -> str:
    """Touch 5 GB with a 1 GiB limit: the sandbox dies (cgroup) or gets MemoryError (RLIMIT_DATA)."""
    work = fresh_workdir(base)
    box = launch("""
        chunks = []
        try:
            for _ in range(80):
                chunks.append(b"x" * (64 << 20))     # written, so really used
        except MemoryError:
            print("MemoryError", flush=True)
            raise SystemExit(3)
        print("survived", flush=True)
        """, work, limits=Limits(memory_bytes=2**30))
    rc, out, err = finish(box, timeout=60)
    assert "survived" not in out
    if box._cgroups and box._cgroups.memory:
        assert box.memory_exceeded() and rc != 0, (rc, out, err)
    else:
        assert "RLIMIT_DATA" in box.how and out.strip() == "MemoryError" and rc == 3, (rc, out, err)
        assert not box.memory_exceeded()
    return f"memory bomb: rc {rc}, memory_exceeded {box.memory_exceeded()}, output {out.strip()!r}"


def check_fork_bomb(base: Path) -> str:
    work = fresh_workdir(base)
    limit = 32
    box = launch("""
        import os
        while True:
            try:
                os.fork()
            except OSError:
                pass
        """, work, limits=Limits(processes=limit))
    time.sleep(1)                                   # the test's own timeout
    assert box.process.poll() is None
    if box._cgroups and box._cgroups.pids:
        counted = int((box._cgroups.pids / "pids.current").read_text())
        counted_where = "pids.current"
    else:
        counted = len(descendants(box.process.pid)) + 1
        counted_where = "descendants"
    subprocess.run(["/bin/true"], check=True)       # the host can still start processes
    t0 = time.perf_counter()
    doomed = descendants(box.process.pid)
    box.kill()
    killed_in = time.perf_counter() - t0
    assert box.process.poll() is not None
    assert [p for p in doomed if os.path.exists(f"/proc/{p}")] == []
    if box._cgroups:
        assert box._cgroups.members() == set()
    box.cleanup()
    # bubblewrap's two processes and setpriv/prlimit's exec'd one are part of the count
    assert counted <= limit + 3, counted
    return f"fork bomb: {counted} processes ({counted_where}, limit {limit}), killed in {killed_in * 1000:.0f} ms"


def check_daemon_killed(base: Path) -> None:
    work = fresh_workdir(base)
    box = launch("""
        import os, sys, time
        if os.fork() == 0:
            os.setsid()
            if os.fork() == 0:
                fd = os.open("ticks", os.O_WRONLY | os.O_CREAT | os.O_APPEND)
                while True:
                    os.write(fd, b".")
                    time.sleep(0.1)
            os._exit(0)
        print("ready", flush=True)
        time.sleep(600)
        """, work)
    assert box.process.stdout.readline().strip() == b"ready"
    ticks = work / "ticks"
    deadline = time.monotonic() + 10
    while (not ticks.exists() or ticks.stat().st_size < 3) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert ticks.stat().st_size >= 3
    box.kill()
    box.kill()                                       # idempotent
    size = ticks.stat().st_size
    time.sleep(0.5)
    assert ticks.stat().st_size == size, "the daemon is still writing"
    assert box.process.returncode is not None
    box.cleanup()
    box.cleanup()


def check_file_limits(base: Path) -> None:
    work = fresh_workdir(base)
    r = run("""
        import json
        def write(path, total, chunk=16 << 20):
            data = b"x" * chunk
            written = 0
            try:
                with open(path, "wb") as f:
                    while written < total:
                        f.write(data)
                        f.flush()
                        written += chunk
                return "ok"
            except OSError as e:
                return e.errno
        print(json.dumps({"work": write("big", 64 << 20, 1 << 20), "tmp": write("/tmp/big", 2 << 30),
                          "shm": write("/dev/shm/big", 2 << 30)}))
        """, work, limits=Limits(file_bytes=8 << 20))
    assert r["rc"] == 0, r["stderr"]
    assert r["work"] == errno.EFBIG and (work / "big").stat().st_size <= 8 << 20
    assert r["tmp"] in (errno.ENOSPC, errno.EFBIG) and r["shm"] in (errno.ENOSPC, errno.EFBIG)
    # With a file size limit above the tmpfs, the tmpfs size is what stops a 2 GB write.
    r = run("""
        import json, os
        data, written = b"x" * (16 << 20), 0
        try:
            with open("/tmp/big", "wb") as f:
                while written < 2 << 30:
                    f.write(data)
                    f.flush()
                    written += len(data)
            print(json.dumps({"errno": None, "written": written}))
        except OSError as e:
            print(json.dumps({"errno": e.errno, "written": written}))
        """, work, limits=Limits(file_bytes=4 << 30))
    assert r["errno"] == errno.ENOSPC and r["written"] <= Limits().tmp_bytes, r


def check_frameworks_under_default_limits(base: Path) -> str:
    work = fresh_workdir(base)
    r = run("""
        import json, time
        t0 = time.perf_counter()
        import torch
        import tensorflow as tf
        took = time.perf_counter() - t0
        values = [torch.ones(3).sum().item(), float(tf.reduce_sum(tf.ones(3)))]
        status = {l.split(":")[0]: l.split(":")[1].strip() for l in open("/proc/self/status")
                  if l.startswith(("VmPeak", "VmData", "VmHWM", "Threads"))}
        print(json.dumps({"values": values, "seconds": took, "status": status}))
        """, work, timeout=120)
    assert r["rc"] == 0, r["stderr"][-3000:]
    assert r["values"] == [3.0, 3.0]
    return (f"torch+tensorflow import in {r['seconds']:.1f} s under default Limits ({r['how']}); "
            f"{r['status']}")


def check_unsandboxed(base: Path) -> None:
    work = fresh_workdir(base)
    r = run("""
        import json, os, resource
        print(json.dumps({"cwd": os.getcwd(), "fsize": resource.getrlimit(resource.RLIMIT_FSIZE)[0]}))
        """, work, unsandboxed=True, limits=Limits(file_bytes=1 << 20))
    assert r["rc"] == 0 and r["how"].startswith("UNSANDBOXED")
    assert r["cwd"] == str(work) and r["fsize"] == 1 << 20


ALL_CHECKS = [check_identity, check_filesystem, check_network, check_hidden_packages,
              check_memory_bomb, check_fork_bomb, check_daemon_killed, check_file_limits,
              check_frameworks_under_default_limits]


def run_all_checks() -> None:
    """Entry point of the unprivileged run: every check, each in its own folder under /tmp."""
    print(check_status_and_overhead(), flush=True)
    for check in ALL_CHECKS:
        base = Path(tempfile.mkdtemp(prefix=f"anncourse-{check.__name__}-"))
        try:
            note = check(base)
            print(f"{check.__name__}: ok" + (f" ({note})" if note else ""), flush=True)
        finally:
            shutil.rmtree(base, ignore_errors=True)


# the tests -------------------------------------------------------------------------------------

def test_status_and_startup_overhead(capsys):
    report = check_status_and_overhead()
    with capsys.disabled():
        print(f"\n[sandbox] {report}")


def test_runs_as_uid_65534_inside_and_on_the_host(tmp_path):
    check_identity(tmp_path)


def test_only_the_workdir_and_tmp_are_writable_and_the_course_is_invisible(tmp_path):
    check_filesystem(tmp_path)


def test_no_network_and_no_host_sockets(tmp_path):
    check_network(tmp_path)


def test_hidden_packages_cannot_be_imported_or_read(tmp_path):
    check_hidden_packages(tmp_path)


def test_memory_bomb_is_stopped(tmp_path, capsys):
    note = check_memory_bomb(tmp_path)
    with capsys.disabled():
        print(f"\n[sandbox] {note}")


def test_fork_bomb_is_contained(tmp_path, capsys):
    note = check_fork_bomb(tmp_path)
    with capsys.disabled():
        print(f"\n[sandbox] {note}")


def test_kill_stops_a_setsid_double_forked_daemon(tmp_path):
    check_daemon_killed(tmp_path)


def test_file_size_and_tmp_size_limits(tmp_path):
    check_file_limits(tmp_path)


def test_torch_and_tensorflow_import_under_the_default_limits(tmp_path, capsys):
    note = check_frameworks_under_default_limits(tmp_path)
    with capsys.disabled():
        print(f"\n[sandbox] {note}")


def test_unsandboxed_mode_says_so_and_keeps_the_rlimits(tmp_path):
    check_unsandboxed(tmp_path)


def test_without_bubblewrap_start_refuses_and_names_the_opt_out(monkeypatch, tmp_path):
    real_which = shutil.which
    monkeypatch.setattr(sandbox.shutil, "which", lambda name, *a, **k: None if name == "bwrap"
                        else real_which(name, *a, **k))
    sandbox.sandbox_status.cache_clear()
    sandbox._bwrap_version.cache_clear()
    try:
        ok, reason = sandbox.sandbox_status()
        assert not ok and "bubblewrap" in reason
        try:
            launch("pass", fresh_workdir(tmp_path))
            raise AssertionError("started without bubblewrap")
        except sandbox.SandboxUnavailable as e:
            assert "--unsandboxed" in str(e) and "c.Sandbox.allow_unsandboxed = True" in str(e)
            assert "apt-get install bubblewrap" in str(e) and "user namespaces" in str(e)
    finally:
        monkeypatch.undo()
        sandbox.sandbox_status.cache_clear()
        sandbox._bwrap_version.cache_clear()
    assert sandbox.sandbox_status()[0]


def test_cgroups_are_removed_after_cleanup(tmp_path):
    box = launch("import time; time.sleep(60)", fresh_workdir(tmp_path))
    dirs = list(box._cgroups.dirs) if box._cgroups else []
    box.cleanup()
    assert all(not d.exists() for d in dirs)
    assert box.process.returncode in (128 + signal.SIGKILL, -signal.SIGKILL)   # bwrap reports 137


def _reachable_wrapper(paths: list[str]) -> list[str]:
    """Options for a root bwrap that shows the host as it is, except that every directory
    uid 65534 could not enter (like /root, mode 0700) is replaced by an empty one holding only
    read-only binds of the paths the check needs. No host permission changes."""
    opts, blocked = [], []
    for path in paths:
        for parent in reversed(Path(path).parents):
            if str(parent) != "/" and not os.stat(parent).st_mode & 0o001:
                blocked.append(str(parent))
                break
    for b in sorted(set(blocked)):
        opts += ["--perms", "0755", "--tmpfs", b]
    bound: list[str] = []
    for path in sorted(set(paths), key=len):
        if any(path.startswith(b + "/") for b in blocked) and not any(
                path == d or path.startswith(d + "/") for d in bound):
            bound.append(path)
            for parent in reversed(Path(path).parents):
                if any(str(parent).startswith(b + "/") for b in blocked):
                    opts += ["--perms", "0755", "--dir", str(parent)]
            opts += ["--ro-bind", path, path]
    return opts


def test_unprivileged_caller(capsys):
    """The same checks, started by a process of uid 65534: user namespace, rlimits, no cgroup."""
    script = (f"import sys; sys.path[:0] = [{str(REPO)!r}, {str(REPO / 'tests')!r}]; "
              "import test_sandbox; test_sandbox.run_all_checks()")
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": "/tmp", "LANG": "C.UTF-8",
           "PYTHONDONTWRITEBYTECODE": "1", "TF_CPP_MIN_LOG_LEVEL": "3"}
    if unprivileged():
        command = [PY, "-c", script]
    else:
        needed = sandbox._python_roots(PY) + [str(REPO)]
        command = (["bwrap", "--dev-bind", "/", "/", *_reachable_wrapper(needed), "--die-with-parent",
                    "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID", "--",
                    sandbox.SETPRIV, f"--reuid={UID}", f"--regid={UID}", "--clear-groups",
                    "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs", "--", PY, "-c", script])
    result = subprocess.run(command, cwd="/", env=env, capture_output=True, text=True, timeout=180)
    with capsys.disabled():
        print("\n[sandbox, unprivileged caller] " + result.stdout.strip().replace("\n", "\n  "))
    assert result.returncode == 0, result.stdout + result.stderr[-5000:]
    assert "(user namespace, unprivileged)" in result.stdout and "RLIMIT_DATA" in result.stdout
    assert result.stdout.count(": ok") == len(ALL_CHECKS)


def test_an_interpreter_under_the_hosts_tmp_still_runs_behind_the_private_tmp(tmp_path):
    """CI may clone the course under /tmp: its environment must not vanish under the sandbox's own /tmp."""
    env = Path(tempfile.mkdtemp(prefix="anncourse-venv-", dir="/tmp"))
    try:
        env.chmod(0o755)
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(env)], check=True)
        box = start([str(env / "bin" / "python"), "-c", "import os, sys; print(sys.prefix, sorted(os.listdir('/tmp')))"],
                    tmp_path)
        code, out, err = finish(box)
        assert code == 0, err
        prefix, listing = out.split(" ", 1)
        assert prefix == str(env) and env.name in listing
        assert not (set(eval(listing)) - {env.name}), "the host's other /tmp entries stay hidden"
    finally:
        shutil.rmtree(env, ignore_errors=True)
