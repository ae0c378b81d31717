"""Proving a grader: autograde the reference, the blank release and a catalogue of wrong answers.

Each ``tests/test_grading_<assignment>.py`` gives its catalogue, ``{part: {mistake: source}}``, where
``part`` is the grade_id of a solution cell and its test cell is ``test_<part>``. Every submission is
the reference notebook with exactly one solution cell replaced, so a lost point can only come from
that cell, and all of them are graded by one real ``nbgrader autograde`` run.
"""

from __future__ import annotations

import re
import textwrap

import pytest

from anncourse.course import PartGrade, autograde, student_submission


def student_id(part: str, mistake: str) -> str:
    return f"{part}--{re.sub(r'[^a-z0-9]+', '-', mistake.lower()).strip('-')[:60]}"


def wrong_cases(catalogue: dict[str, dict[str, str]]) -> list:
    return [pytest.param(part, mistake, id=student_id(part, mistake))
            for part, mistakes in catalogue.items() for mistake in mistakes]


def grade_catalogue(assignment: str, catalogue: dict[str, dict[str, str]], workdir,
                    extra: dict | None = None) -> dict[str, dict[str, PartGrade]]:
    submissions = {"reference": student_submission(assignment),
                   "blank": student_submission(assignment, blank=True)}
    for part, mistakes in catalogue.items():
        for mistake, source in mistakes.items():
            submissions[student_id(part, mistake)] = student_submission(
                assignment, {part: textwrap.dedent(source).strip("\n")})
    submissions.update(extra or {})
    return autograde(assignment, submissions, workdir)


def total(parts: dict[str, PartGrade]) -> tuple[float, float]:
    return sum(p.score for p in parts.values()), sum(p.max_score for p in parts.values())


def assert_reference_full_marks(grades, manual_parts=()):
    parts = {k: v for k, v in grades["reference"].items() if k not in manual_parts}
    assert parts, "the reference submission was not graded"
    lost = {k: f"{v.score}/{v.max_score}" for k, v in parts.items() if v.score != v.max_score}
    assert not lost, f"the reference solution lost points: {lost}"


def assert_blank_scores_zero(grades, expected_parts):
    parts = grades["blank"]
    assert set(expected_parts) <= set(parts), f"the blank release was not graded on {set(expected_parts) - set(parts)}"
    assert total(parts)[0] == 0, f"the untouched release earned points: { {k: v.score for k, v in parts.items() if v.score} }"


def assert_part_loses_points(grades, part, mistake):
    graded = grades[student_id(part, mistake)][f"test_{part}"]
    assert graded.score < graded.max_score, (
        f"the wrong {part} ({mistake}) still earned {graded.score}/{graded.max_score}")
