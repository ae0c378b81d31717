"""A warm judge: one process with the grader's imports loaded that forks a judge per notebook.

``anncourse-grade``'s workers grade one submission after another. A fresh interpreter for each would
import NumPy, PyTorch and Hypothesis again every time; a fork of this server starts with them loaded
and with nothing else: the same code (:func:`anncourse.verdict.main`) on a copy of a clean state.
The server is single-threaded, so forking it is safe, and it never runs student code itself.

Protocol, one JSON line each way: ``{"request": path, "result": path, "cwd": folder}`` in; the
server answers ``{"pid": n}`` when the judge starts and ``{"exit": code}`` when it ends.
"""

from __future__ import annotations

import importlib
import json
import os
import select
import signal
import subprocess
import sys
import time

PRELOAD = ("numpy", "anncourse.verdict", "anncourse.grading", "hypothesis", "torch", "sklearn.datasets")


def serve() -> None:
    for module in PRELOAD:
        try:
            importlib.import_module(module)
        except ImportError:
            pass
    for line in sys.stdin:
        job = json.loads(line)
        pid = os.fork()
        if pid == 0:  # the judge: a copy of this process, its streams closed
            code = 1
            try:
                devnull = os.open(os.devnull, os.O_RDWR)
                for fd in (0, 1):
                    os.dup2(devnull, fd)
                os.chdir(job["cwd"])
                from anncourse import verdict

                code = verdict.main([job["request"], job["result"]])
            finally:
                os._exit(code)
        print(json.dumps({"pid": pid}), flush=True)
        _, status = os.waitpid(pid, 0)
        print(json.dumps({"exit": os.waitstatus_to_exitcode(status)}), flush=True)


class WarmJudge:
    """The client: starts the server once, then runs one judge at a time through it."""

    def __init__(self, env: dict[str, str]):
        self.process = subprocess.Popen([sys.executable, "-m", "anncourse.judge_server"], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, env=env, text=True, bufsize=1)

    def alive(self) -> bool:
        return self.process.poll() is None

    def _line(self, deadline: float) -> dict | None:
        ready, _, _ = select.select([self.process.stdout], [], [], max(0.0, deadline - time.monotonic()))
        line = self.process.stdout.readline() if ready else ""
        return json.loads(line) if line else None

    def run(self, request: str, result: str, cwd: str, timeout: float) -> int | None:
        """Judge ``request`` into ``result``; the exit code, or None if the server is gone."""
        deadline = time.monotonic() + timeout
        self.process.stdin.write(json.dumps({"request": request, "result": result, "cwd": cwd}) + "\n")
        self.process.stdin.flush()
        started = self._line(deadline)
        if started is None:
            return None
        ended = self._line(deadline)
        if ended is None:  # too slow: stop that judge, the server goes on
            os.kill(started["pid"], signal.SIGKILL)
            ended = self._line(time.monotonic() + 30)
        return ended.get("exit") if ended else None


if __name__ == "__main__":
    serve()
