"""Proving a grader: autograde the reference, the blank release, broken and tampering submissions and
a catalogue of wrong answers with real ``nbgrader autograde`` (the course's sandboxed pipeline), then
check every score.

Each ``tests/test_grading_<assignment>.py`` gives a :class:`Catalogue` (``{part: {mistake: source}}``,
where ``part`` is the grade_id of an answer cell and its test cell is ``test_<part>``) and collects
``grading_proof(CATALOGUE)``, the tests every assignment must pass.

To keep the suite fast, wrong answers are graded in *rounds*: one submission carries one wrong answer
for each of several parts. A lost point is still evidence against that answer alone, because parts
that call one another (directly or through other parts, in the reference or in any catalogued answer)
never share a round, and each round is also checked for the opposite: every part without a wrong
answer, and not calling one, keeps its full marks.
"""

from __future__ import annotations

import ast
import html
import re
import textwrap
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import nbformat
import pytest

from anncourse.course import SOLUTIONS, PartGrade, autograde, notebook_name, run_nbgrader, student_submission

# Appended to a blank answer: in a kernel that ran the tests, each made every failure a pass.
SWALLOW_ERRORS = "\nget_ipython().set_custom_exc((Exception,), lambda *args, **kwargs: None)\n"
REDEFINE_A_CHECK = "\ndef expect_close(*args, **kwargs):\n    return None\nisinstance = lambda *args: True\n"


def student_id(part: str, mistake: str) -> str:
    return f"{part}--{re.sub(r'[^a-z0-9]+', '-', mistake.lower()).strip('-')[:60]}"


def answer(source: str) -> str:
    return textwrap.dedent(source).strip("\n")


def top_level_names(source: str) -> set[str]:
    tree = ast.parse(source)
    return {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))} | {
        t.id for n in tree.body if isinstance(n, ast.Assign) for t in n.targets if isinstance(t, ast.Name)}


def used_names(source: str) -> set[str]:
    return {n.id for n in ast.walk(ast.parse(source)) if isinstance(n, ast.Name)}


def total(parts: dict[str, PartGrade]) -> tuple[float, float]:
    return sum(p.score for p in parts.values()), sum(p.max_score for p in parts.values())


def lost_points(parts: dict[str, PartGrade], cells) -> dict[str, str]:
    return {c: f"{parts[c].score}/{parts[c].max_score}" for c in cells if parts[c].score < parts[c].max_score}


@dataclass(frozen=True)
class Catalogue:
    """What a test module knows about its assignment: wrong answers, other correct answers, and
    further submissions (``{student: {part: source}}``) that its own tests look at."""

    assignment: str
    wrong: dict[str, dict[str, str]]
    alternatives: dict[str, str] = field(default_factory=dict)
    extra: dict[str, dict[str, str]] = field(default_factory=dict)
    # Parts whose hidden tests lend them the grader's reference helpers (``reference_helpers``): a
    # wrong helper must cost them nothing, and the proof checks that it does not.
    independent: frozenset[str] = frozenset()

    @cached_property
    def notebook(self) -> nbformat.NotebookNode:
        return nbformat.read(SOLUTIONS / self.assignment / notebook_name(self.assignment), as_version=4)

    def _cells(self, solution: bool) -> dict[str, str]:
        """Code cells by grade_id: the answer cells, or else the graded test cells."""
        cells = {}
        for cell in self.notebook.cells:
            marks = cell.metadata.get("nbgrader", {})
            if cell.cell_type == "code" and bool(marks.get("solution")) == solution and (solution or marks.get("grade")):
                cells[marks["grade_id"]] = cell.source
        return cells

    @cached_property
    def parts(self) -> dict[str, str]:
        """Answer cells in notebook order, with their reference source."""
        return self._cells(solution=True)

    @cached_property
    def test_cells(self) -> list[str]:
        """Graded test cells, in notebook order."""
        return list(self._cells(solution=False))

    @cached_property
    def pipeline_cells(self) -> set[str]:
        """Graded test cells that are no part's own test (an end-to-end run that uses every part)."""
        return set(self.test_cells) - {f"test_{p}" for p in self.parts}

    @cached_property
    def uses(self) -> dict[str, set[str]]:
        """The parts each part may call: in its reference, its other correct answer or any wrong one."""
        defined = {p: top_level_names(source) for p, source in self.parts.items()}
        uses = {}
        for part, reference in self.parts.items():
            sources = [reference, *self.wrong.get(part, {}).values(), self.alternatives.get(part, "")]
            names = set().union(*(used_names(answer(s)) for s in sources))
            uses[part] = {other for other, own in defined.items() if other != part and names & own}
        return uses

    @cached_property
    def reaches(self) -> dict[str, set[str]]:
        """Every part each part calls, directly or through others."""
        reach = {}
        for part in self.parts:
            seen, todo = set(), list(self.uses[part])
            while todo:
                other = todo.pop()
                if other not in seen:
                    seen.add(other)
                    todo += self.uses[other]
            reach[part] = seen
        return reach

    def may_lose(self, wrong_parts) -> set[str]:
        """Test cells that may lose points when ``wrong_parts`` are wrong: theirs, their callers', pipelines."""
        affected = {p for p in self.parts if p in wrong_parts
                    or (p not in self.independent and self.reaches[p] & set(wrong_parts))}
        return {f"test_{p}" for p in affected} | self.pipeline_cells

    @cached_property
    def rounds(self) -> list[dict[str, str]]:
        """Wrong answers grouped into submissions, ``[{part: mistake}]``: never two parts where one
        reaches the other."""
        pending = {p: list(mistakes) for p, mistakes in self.wrong.items()}
        rounds: list[dict[str, str]] = []
        while any(pending.values()):
            chosen: dict[str, str] = {}
            for part in sorted(pending, key=lambda p: -len(pending[p])):
                if pending[part] and not any(part in self.reaches[o] or o in self.reaches[part] for o in chosen):
                    chosen[part] = pending[part].pop(0)
            rounds.append(chosen)
        return rounds

    @staticmethod
    def round_id(number: int) -> str:
        return f"round-{number:02d}"

    def round_of(self, part: str, mistake: str) -> str:
        (number,) = [i for i, r in enumerate(self.rounds) if r.get(part) == mistake]
        return self.round_id(number)

    @cached_property
    def blank_answers(self) -> dict[str, str]:
        """The release's answer cells, as a student receives them."""
        release = student_submission(self.assignment, blank=True)
        return {c.metadata["nbgrader"]["grade_id"]: c.source for c in release.cells
                if c.metadata.get("nbgrader", {}).get("solution") and c.cell_type == "code"}

    def submissions(self) -> dict:
        first = next(iter(self.parts))
        broken = self.parts[first].replace("):", ")", 1)
        blank_first = self.blank_answers[first]
        submissions = {
            "reference": student_submission(self.assignment),
            "blank": student_submission(self.assignment, blank=True),
            "corrupted-file": "{ this is not a notebook",
            "syntax-error": student_submission(self.assignment, {first: broken}),
            "swallows-errors": student_submission(self.assignment, {**self.blank_answers, first: blank_first + SWALLOW_ERRORS}),
            "redefines-a-check": student_submission(self.assignment, {**self.blank_answers, first: blank_first + REDEFINE_A_CHECK}),
        }
        if self.alternatives:
            submissions["alternatives"] = student_submission(
                self.assignment, {p: answer(s) for p, s in self.alternatives.items()})
        for i, chosen in enumerate(self.rounds):
            submissions[self.round_id(i)] = student_submission(
                self.assignment, {p: answer(self.wrong[p][m]) for p, m in chosen.items()})
        for student, answers in self.extra.items():
            submissions[student] = student_submission(self.assignment, {p: answer(s) for p, s in answers.items()})
        return submissions


@dataclass
class Graded:
    catalogue: Catalogue
    grades: dict[str, dict[str, PartGrade]]
    course: Path

    def autograded(self, student: str) -> nbformat.NotebookNode:
        """The notebook of ``student`` as nbgrader ran it, outputs included."""
        name = notebook_name(self.catalogue.assignment)
        return nbformat.read(self.course / "autograded" / student / self.catalogue.assignment / name, as_version=4)

    def feedback(self, student: str) -> str:
        """The text a student reads in the HTML feedback that ``nbgrader generate_feedback`` writes."""
        assignment = self.catalogue.assignment
        run_nbgrader(self.course, "generate_feedback", assignment, "--student", student)
        page = self.course / "feedback" / student / assignment / notebook_name(assignment).replace(".ipynb", ".html")
        return html.unescape(re.sub(r"<[^>]+>", "", page.read_text()))


def grading_proof(catalogue: Catalogue) -> type:
    """The tests every assignment's grader must pass, as a test class (collect it as ``TestGrading``)."""
    cases = [pytest.param(part, mistake, id=student_id(part, mistake))
             for part, mistakes in catalogue.wrong.items() for mistake in mistakes]

    class GradingProof:
        def test_catalogue_covers_every_graded_part(self):
            assert list(catalogue.wrong) == list(catalogue.parts), "one entry per answer cell, in notebook order"
            assert all(len(mistakes) >= 3 for mistakes in catalogue.wrong.values()), "at least three wrong answers per part"
            assert set(catalogue.alternatives) <= set(catalogue.parts)
            assert all(catalogue.reaches.get(p) for p in catalogue.independent), \
                "a part judged independently must call another part (else there is nothing to lend it)"
            for part, mistakes in catalogue.wrong.items():
                for mistake, source in mistakes.items():
                    assert top_level_names(catalogue.parts[part]) <= top_level_names(answer(source)), (
                        f"the wrong {part} ({mistake}) does not define what the part must define")

        def test_rounds_hold_every_wrong_answer_once_and_no_two_parts_that_call_each_other(self):
            held = [(p, m) for r in catalogue.rounds for p, m in r.items()]
            assert sorted(held) == sorted((p, m) for p, ms in catalogue.wrong.items() for m in ms)
            for chosen in catalogue.rounds:
                for part in chosen:
                    assert not catalogue.reaches[part] & set(chosen), f"{part} calls another wrong part of {chosen}"

        def test_tests_use_only_their_own_hidden_helpers_or_the_set_up(self):
            """A helper defined after a visible assert is not defined when that assert fails: every
            later test using it would fail with a NameError, whatever the student wrote."""
            hidden = r"### BEGIN HIDDEN TESTS(.*?)### END HIDDEN TESTS"
            tests = {c.metadata["nbgrader"]["grade_id"]: c.source for c in catalogue.notebook.cells
                     if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("grade")
                     and not c.metadata["nbgrader"].get("solution")}
            first = next(iter(tests.values()))
            assert first.lstrip().startswith("### BEGIN HIDDEN TESTS"), "the first test cell must open with the set-up"
            set_up = top_level_names(re.search(hidden, first, re.S).group(1))
            owner = {name: cell for cell, source in tests.items() for block in re.findall(hidden, source, re.S)
                     for name in top_level_names(block) - set_up}
            misplaced = {f"{name} (defined in {owner[name]}) used in {cell}" for cell, source in tests.items()
                         for name in used_names(source) if owner.get(name, cell) != cell}
            assert not misplaced, f"hidden helpers used where they may be undefined: {sorted(misplaced)}"

        @pytest.fixture(scope="class")
        @classmethod
        def graded(cls, tmp_path_factory) -> Graded:
            course = tmp_path_factory.mktemp(catalogue.assignment)
            grades = autograde(catalogue.assignment, catalogue.submissions(), course, workers=2)
            return Graded(catalogue, grades, course)

        @pytest.mark.slow
        def test_reference_solution_earns_full_marks(self, graded):
            parts = graded.grades["reference"]
            assert set(catalogue.test_cells) <= set(parts), "the reference submission was not graded on every test"
            assert not lost_points(parts, catalogue.test_cells), "the reference solution lost points"

        @pytest.mark.slow
        def test_untouched_release_earns_zero(self, graded):
            parts = graded.grades["blank"]
            assert set(catalogue.test_cells) <= set(parts), "the blank release was not graded on every test"
            assert total(parts)[0] == 0, f"the untouched release earned points: { {k: v.score for k, v in parts.items() if v.score} }"

        if catalogue.alternatives:
            @pytest.mark.slow
            def test_other_correct_answers_earn_full_marks(self, graded):
                assert not lost_points(graded.grades["alternatives"], catalogue.test_cells)

        @pytest.mark.slow
        @pytest.mark.parametrize("part, mistake", cases)
        def test_wrong_implementation_loses_points(self, graded, part, mistake):
            parts = graded.grades[catalogue.round_of(part, mistake)]
            own = parts[f"test_{part}"]
            assert own.score < own.max_score, f"the wrong {part} ({mistake}) still earned {own.score}/{own.max_score}"

        @pytest.mark.slow
        def test_a_wrong_part_costs_only_its_own_part_and_the_parts_that_call_it(self, graded):
            leaks = {}
            for number, chosen in enumerate(catalogue.rounds):
                spared = set(catalogue.test_cells) - catalogue.may_lose(chosen)
                lost = lost_points(graded.grades[catalogue.round_id(number)], spared)
                if lost:
                    leaks[f"wrong {sorted(chosen.items())}"] = lost
            assert not leaks, f"wrong answers cost points in parts that do not use them: {leaks}"

        @pytest.mark.slow
        def test_broken_submissions_score_zero_without_stopping_the_batch(self, graded):
            assert total(graded.grades["corrupted-file"])[0] == 0
            syntax, first = graded.grades["syntax-error"], next(iter(catalogue.parts))
            assert set(catalogue.test_cells) <= set(syntax), "the notebook with a syntax error was not graded"
            assert syntax[f"test_{first}"].score == 0
            assert not lost_points(syntax, set(catalogue.test_cells) - catalogue.may_lose([first]))
            # The batch went on: the submissions graded after the broken ones still got their marks.
            assert not lost_points(graded.grades["reference"], catalogue.test_cells)

        @pytest.mark.slow
        def test_an_exception_hook_in_the_students_kernel_earns_nothing(self, graded):
            """The hook swallows errors in the student's own kernel; the verdict is decided elsewhere."""
            assert total(graded.grades["swallows-errors"])[0] == 0
            assert "NotImplementedError" in graded.feedback("swallows-errors"), "the reason is not in the feedback"

        @pytest.mark.slow
        def test_redefining_a_grading_check_or_a_builtin_earns_nothing(self, graded):
            assert total(graded.grades["redefines-a-check"])[0] == 0

        @pytest.mark.slow
        def test_feedback_gives_the_reasons_but_never_the_hidden_tests(self, graded):
            student = catalogue.round_id(0)
            feedback = graded.feedback(student)
            reasons = [output.evalue.splitlines()[0][:80] for cell in graded.autograded(student).cells
                       if cell.cell_type == "code" for output in cell.get("outputs", [])
                       if output.output_type == "error" and output.evalue]
            assert reasons, f"no test of {student} failed"
            assert all(reason in feedback for reason in reasons), "a failing test's message is missing from the feedback"
            # What the student wrote and the release shows may be shown again.
            release = student_submission(catalogue.assignment, blank=True)
            answers = [c for c in graded.autograded(student).cells if c.metadata.get("nbgrader", {}).get("solution")]
            shown = {line.strip() for cell in [*release.cells, *answers] for line in cell.source.splitlines()}
            hidden = {line.strip() for cell in catalogue.notebook.cells if cell.cell_type == "code"
                      for block in re.findall(r"### BEGIN HIDDEN TESTS(.*?)### END HIDDEN TESTS", cell.source, re.S)
                      for line in block.splitlines() if len(line.strip()) >= 30}
            hidden -= shown
            leaked = sorted(hidden & {line.strip() for line in feedback.splitlines()})
            assert hidden and not leaked, f"the feedback shows hidden tests: {leaked[:5]}"

    GradingProof.__name__ = GradingProof.__qualname__ = f"GradingProof_{catalogue.assignment}"
    return GradingProof
