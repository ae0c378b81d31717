"""Print what grading a class costs: serial `nbgrader autograde` against `anncourse-grade`, side by side.

    python benchmarks/class_scale.py [--submissions 100] [--memory-submissions 200] [--assignment ex04_softmax]

One batch of generated submissions (references, blanks, catalogued wrong answers, a few hostile ones,
mixed in order), graded in fresh scratch courses, one after another in this run:

1. serial `nbgrader autograde ASSIGNMENT` (the course's sandboxed pipeline, one submission at a time);
2. `anncourse-grade ASSIGNMENT --workers 2` (a Dask LocalCluster);
3. `anncourse-grade ASSIGNMENT --scheduler ...` with a scheduler and two workers started as separate
   processes on 127.0.0.1;
4. peak resident memory of the `anncourse-grade` process itself (the writer) and of its whole process
   tree, sampled every 0.2 s, over --memory-submissions submissions, and the same over half as many:
   flat means it does not grow with the class.

Targets (DESIGN.md): 2 workers at least 1.8x the throughput of serial nbgrader; the separate
scheduler within 10% of LocalCluster.
"""

from __future__ import annotations

import argparse
import itertools
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import psutil  # noqa: E402

from anncourse.course import course_with_submissions, nbgrader_env, run_nbgrader, student_submission  # noqa: E402

BIN = Path(sys.executable).parent
HOSTILE = {
    "endless-loop": {"softmax": "def softmax(z, axis=-1, temperature=1.0):\n    while True:\n        pass"},
    "exits": {"top_k_accuracy": "import os\nos._exit(3)"},
    "hook": {"softmax": "get_ipython().set_custom_exc((Exception,), lambda *a, **k: None)\n"
                        "def softmax(z, axis=-1, temperature=1.0):\n    raise ValueError"},
}


def mixed_batch(assignment: str, count: int) -> dict:
    """``count`` submissions: the catalogue's rounds, references, blanks and hostile ones, cycled."""
    import importlib

    catalogue = importlib.import_module(f"test_grading_{assignment.split('_')[0]}").CATALOGUE
    pool = catalogue.submissions()
    pool.pop("corrupted-file", None)
    kinds = list(pool.items()) + [(f"hostile-{n}", student_submission(assignment, a)) for n, a in HOSTILE.items()]
    return {f"s{i:04d}-{name}"[:60]: notebook for i, (name, notebook) in zip(range(count), itertools.cycle(kinds))}


def make_course(folder: Path, assignment: str, submissions: dict) -> Path:
    return course_with_submissions(folder, assignment, submissions, config="\nc.SandboxedExecute.cell_timeout = 10\n")


class PeakMemory:
    """Peak RSS of a process and of its whole tree, sampled in a thread."""

    def __init__(self, pid: int):
        self.process, self.own, self.tree = psutil.Process(pid), 0, 0
        self.done = False
        self.thread = threading.Thread(target=self._sample, daemon=True)
        self.thread.start()

    def _sample(self):
        while not self.done:
            try:
                own = self.process.memory_info().rss
                tree = own + sum(c.memory_info().rss for c in self.process.children(recursive=True))
            except psutil.Error:
                break
            self.own, self.tree = max(self.own, own), max(self.tree, tree)
            time.sleep(0.2)

    def stop(self):
        self.done = True
        self.thread.join()


def run_command(course: Path, assignment: str, *args: str) -> tuple[float, PeakMemory]:
    start = time.perf_counter()
    process = subprocess.Popen([str(BIN / "anncourse-grade"), assignment, "--quiet", *args], cwd=course,
                               env=nbgrader_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    memory = PeakMemory(process.pid)
    _, err = process.communicate()
    memory.stop()
    if process.returncode != 0:
        raise SystemExit(f"anncourse-grade failed: {err[-2000:]}")
    return time.perf_counter() - start, memory


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def separate_cluster(folder: Path):
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    env = nbgrader_env()
    processes = [subprocess.Popen([str(BIN / "dask"), "scheduler", "--host", "127.0.0.1", "--port", str(port),
                                   "--no-dashboard"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    processes += [subprocess.Popen([str(BIN / "dask"), "worker", address, "--nthreads", "1", "--no-dashboard",
                                    "--local-directory", str(folder / f"worker{i}")], env=env,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for i in range(2)]
    from distributed import Client

    with Client(address, timeout="60s") as client:
        client.wait_for_workers(2, timeout=120)
    return address, processes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--assignment", default="ex04_softmax")
    parser.add_argument("--submissions", type=int, default=100)
    parser.add_argument("--memory-submissions", type=int, default=200)
    args = parser.parse_args()
    assignment, n = args.assignment, args.submissions
    batch = mixed_batch(assignment, n)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        course = make_course(tmp / "serial", assignment, batch)
        start = time.perf_counter()
        run_nbgrader(course, "autograde", assignment, "--create", check=False, timeout=36000)
        serial = time.perf_counter() - start
        print(f"{n} submissions of {assignment}, serial nbgrader autograde: {serial:7.1f} s "
              f"({n / serial * 60:5.1f} submissions/min, {serial / n:4.2f} s each)")

        local, _ = run_command(make_course(tmp / "local", assignment, batch), assignment, "--workers", "2")
        print(f"{n} submissions, anncourse-grade --workers 2:    {local:7.1f} s "
              f"({n / local * 60:5.1f} submissions/min): {serial / local:4.2f}x serial (target 1.8x)")

        address, processes = separate_cluster(tmp)
        try:
            remote, _ = run_command(make_course(tmp / "remote", assignment, batch), assignment, "--scheduler", address)
        finally:
            for process in processes:
                process.kill()
        print(f"{n} submissions, anncourse-grade --scheduler (2 worker processes): {remote:7.1f} s: "
              f"{remote / local:4.2f}x the LocalCluster time (target within 1.10x)")

        for count in (args.memory_submissions // 2, args.memory_submissions):
            seconds, memory = run_command(make_course(tmp / f"memory{count}", assignment, mixed_batch(assignment, count)),
                                          assignment, "--workers", "2")
            print(f"{count} submissions, --workers 2: {seconds:7.1f} s; peak memory of the command "
                  f"{memory.own / 2**20:6.0f} MiB, of its whole process tree {memory.tree / 2**20:6.0f} MiB")


if __name__ == "__main__":
    main()
