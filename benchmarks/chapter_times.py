"""Execute chapters from scratch, one kernel each, on the CPU with CUDA hidden, and print their times.

    python benchmarks/chapter_times.py                      # every chapter in chapters/
    python benchmarks/chapter_times.py chapters/perceptron.md

Budget (DESIGN.md): at most 60 s per chapter on the 2-core CI machine. Exits 1 if a chapter fails
or writes to stderr (which a warnings-as-errors book build would also reject).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def execute_chapter(path: Path, timeout: int = 120):
    """Run a MyST notebook top to bottom in a fresh kernel; return (seconds, executed notebook)."""
    import jupytext
    from nbclient import NotebookClient

    os.environ.update(CUDA_VISIBLE_DEVICES="", TF_CPP_MIN_LOG_LEVEL="3", TF_ENABLE_ONEDNN_OPTS="0")
    notebook = jupytext.read(path)
    client = NotebookClient(notebook, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    start = time.perf_counter()
    client.execute()
    return time.perf_counter() - start, notebook


def stderr_outputs(notebook) -> list[str]:
    return [out.get("text", "") for cell in notebook.cells if cell.cell_type == "code"
            for out in cell.get("outputs", []) if out.get("name") == "stderr"]


def main(paths: list[str]) -> int:
    chapters = [Path(p) for p in paths] or sorted((ROOT / "chapters").glob("*.md"))
    status = 0
    print(f"{'chapter':<28}{'seconds':>9}  stderr")
    for chapter in chapters:
        try:
            seconds, notebook = execute_chapter(chapter)
        except Exception as error:  # report every chapter, then fail
            print(f"{chapter.name:<28}{'FAILED':>9}  {type(error).__name__}: {str(error)[:400]}")
            status = 1
            continue
        noise = stderr_outputs(notebook)
        print(f"{chapter.name:<28}{seconds:9.1f}  {'; '.join(n.strip()[:120] for n in noise) or '-'}")
        status |= bool(noise)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
