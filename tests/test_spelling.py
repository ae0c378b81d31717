"""No spelling mistakes in what readers and students read (codespell's dictionary)."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CODESPELL = str(Path(sys.executable).parent / "codespell")


def test_chapters_code_and_docs_have_no_spelling_mistakes():
    targets = ["chapters", "anncourse", "tests", "benchmarks", "README.md", "_config.yml", "_toc.yml"]
    result = subprocess.run([CODESPELL, *targets], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, "codespell found mistakes:\n" + result.stdout + result.stderr


def test_exercise_notebooks_have_no_spelling_mistakes(tmp_path):
    # Only the cells' text: the notebooks' metadata holds checksums that are not words.
    for notebook in sorted((ROOT / "solutions").rglob("*.ipynb")):
        cells = json.loads(notebook.read_text())["cells"]
        (tmp_path / f"{notebook.parent.name}.txt").write_text("\n".join("".join(c["source"]) for c in cells))
    result = subprocess.run([CODESPELL, str(tmp_path)], capture_output=True, text=True)
    assert result.returncode == 0, "codespell found mistakes in the exercises:\n" + result.stdout
