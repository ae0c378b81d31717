"""Feedback shows a student why a test failed, never the hidden tests that hold the reference solutions."""

import nbformat

from anncourse.nbgrader_plugins import FeedbackWithoutHiddenTests

TEST_CELL = """out = step(np.zeros(3))
### BEGIN HIDDEN TESTS
def _reference_step(z):
    return (z >= 0).astype(int)
assert (step(z) == _reference_step(z)).all(), "step(0) should be 1"
### END HIDDEN TESTS"""


def _cell(source, solution, outputs):
    meta = {"grade": not solution, "solution": solution, "grade_id": "answer" if solution else "test",
            "locked": not solution, "schema_version": 3, **({} if solution else {"points": 1})}
    cell = nbformat.v4.new_code_cell(source, metadata={"nbgrader": meta})
    cell.outputs = [nbformat.v4.new_output("error", ename="AssertionError", evalue=message,
                                           traceback=["Traceback", "----> 5 assert (step(z) == _reference_step(z))",
                                                      f"AssertionError: {message}"]) for message in outputs]
    return cell


def test_feedback_keeps_the_message_and_drops_the_hidden_tests_and_their_traceback():
    answer = _cell("def step(z):\n    return z > 0\nstep(None)", True, ["answer crashed"])
    test = _cell(TEST_CELL, False, ["step(0) should be 1"])
    nb = nbformat.v4.new_notebook(cells=[answer, test])
    nb, _ = FeedbackWithoutHiddenTests().preprocess(nb, {})
    assert nb.cells[1].source == "out = step(np.zeros(3))"
    assert nb.cells[1].outputs[0].traceback == ["AssertionError: step(0) should be 1"]
    assert len(nb.cells[0].outputs[0].traceback) == 3, "a student's own traceback stays whole"
