"""Build the book: the chapters that changed are executed in parallel, one kernel per core, into the
execution cache; then Jupyter Book renders every page from that cache.

    python -m anncourse.book            # what `make book` runs
    python -m anncourse.book --serial   # Jupyter Book alone, executing one chapter after another

Jupyter Book 1 executes the pages of a book one after another. jupyter-cache, which it reads its
executed notebooks from (``execute.cache`` in ``_config.yml``), can execute a project's notebooks
over a pool of processes; with the same MyST reader as the build, the cached notebooks match the
pages exactly, so the build executes nothing that is already there.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def chapters(root: Path = ROOT) -> list[Path]:
    """The executed pages of the table of contents (MyST notebooks in chapters/)."""
    toc = yaml.safe_load((root / "_toc.yml").read_text())
    files = [toc["root"]] + [c["file"] for part in toc.get("parts", []) for c in part["chapters"]]
    pages = [root / f"{name}.md" for name in files]
    return [page for page in pages if page.exists() and "{code-cell}" in page.read_text()]


def execute_in_parallel(root: Path = ROOT) -> dict:
    """Execute every chapter whose code is not in the cache yet, in parallel; return what ran."""
    from jupyter_cache import get_cache
    from jupyter_cache.executors import load_executor

    config = yaml.safe_load((root / "_config.yml").read_text())
    cache = get_cache(str(root / config["execute"]["cache"]))
    pages = [str(page) for page in chapters(root)]
    known = {record.uri for record in cache.list_project_records()}
    for page in pages:
        if page not in known:
            cache.add_nb_to_project(page, read_data={"name": "myst_nb_md", "type": "plugin"})
    stale = [record.uri for record in cache.list_project_records()
             if record.uri in pages and cache.get_cached_project_nb(record.uri) is None]
    # The book's own per-cell limit (execute.timeout); a chapter that runs out of it is executed
    # again by the build, which also honours a page's own mystnb.execution_timeout.
    start = time.perf_counter()
    result = load_executor("local-parallel", cache).run_and_cache(
        filter_uris=stale, timeout=config["execute"]["timeout"]) if stale else None
    seconds = time.perf_counter() - start
    failed = sorted(set(result.excepted + result.errored)) if result else []
    return {"executed": stale, "failed": failed, "seconds": seconds}


def environment() -> dict[str, str]:
    """What every build runs with: the GPUs hidden (pages must run on a CPU laptop) and TensorFlow's
    start-up lines off stderr (they would fail a warnings-as-errors build)."""
    env = dict(os.environ, CUDA_VISIBLE_DEVICES="", TF_CPP_MIN_LOG_LEVEL="3", TF_ENABLE_ONEDNN_OPTS="0")
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    return env


def build(root: Path = ROOT, serial: bool = False, every_page: bool = False) -> subprocess.CompletedProcess:
    """Execute (in parallel unless ``serial``), then render with warnings as errors.

    Sphinx re-reads only the pages that changed, and forgets the warnings of the others: a build
    that failed on a warning passes when run again unchanged. ``every_page`` renders them all (from
    the cache), so that every warning counts each time; the tests build that way.
    """
    env = environment()
    if not serial:
        saved = dict(os.environ)
        os.environ.update(env)  # the executor's kernels inherit this process's environment
        try:
            report = execute_in_parallel(root)
        finally:  # and the caller (pytest, say) keeps its own
            os.environ.clear()
            os.environ.update(saved)
        if report["executed"]:
            print(f"executed {len(report['executed'])} chapters in parallel in {report['seconds']:.1f} s"
                  + (f"; failed (the build shows why): {report['failed']}" if report["failed"] else ""))
    command = [str(Path(sys.executable).parent / "jupyter-book"), "build", str(root), "-W", "-n", "--keep-going"]
    command += ["--all"] if every_page else []
    return subprocess.run(command, cwd=root, env=env, capture_output=True, text=True, timeout=1800)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--serial", action="store_true", help="let Jupyter Book execute the chapters itself")
    parser.add_argument("--root", type=Path, default=Path.cwd(), help="the book's folder (default: here)")
    args = parser.parse_args(argv)
    result = build(args.root.resolve(), serial=args.serial)
    sys.stdout.write(result.stdout)
    sys.stderr.write(result.stderr)
    return result.returncode


if __name__ == "__main__":
    sys.exit(main())
