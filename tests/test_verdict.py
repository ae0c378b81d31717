"""The pieces of sandboxed grading that run without a sandbox: plain data, notebook rebuilding, test
cells split into visible and hidden parts, and how the student's exceptions arrive."""

import io
import json

import nbformat
import numpy as np
import pytest

from anncourse import plaindata
from anncourse.course import EXERCISES, SOLUTIONS, notebook_name
from anncourse.nbgrader_plugins import rebuild_from_source
from anncourse.verdict import api_names, assigned_names, segments, student_exception


def roundtrip(value):
    return plaindata.decode(json.loads(json.dumps(plaindata.encode(value))))


@pytest.mark.parametrize("value", [
    np.arange(6, dtype=np.float32).reshape(2, 3), np.array(2.5), np.array([True, False]), np.int64(3),
    np.float32(1.5), {"W": np.ones((2, 2)), "b": (1, 2.0, None)}, [float("nan"), float("inf"), -0.0, 2**70],
    np.zeros((0, 4)), np.dtype("float32"),
])
def test_plain_data_comes_back_with_its_values_dtypes_and_shapes(value):
    back = roundtrip(value)
    if isinstance(value, dict):
        assert back.keys() == value.keys() and np.array_equal(back["W"], value["W"]) and back["b"] == value["b"]
    elif isinstance(value, list):
        assert np.isnan(back[0]) and back[1:] == value[1:]
    elif isinstance(value, np.dtype):
        assert back == value
    else:
        assert type(back) is type(value) and np.asarray(back).dtype == np.asarray(value).dtype
        assert np.asarray(back).shape == np.asarray(value).shape and np.array_equal(back, value)


def test_a_0d_array_stays_0d():
    assert roundtrip(np.array(3.0)).shape == ()


class Lies(np.ndarray):
    def __eq__(self, other):
        return True


@pytest.mark.parametrize("value", [object(), np.array([object()]), {1: 2}, lambda: 1, np.array(["text"])])
def test_what_is_not_plain_data_is_refused(value):
    with pytest.raises(plaindata.PlainDataError):
        plaindata.encode(value)


def test_an_ndarray_subclass_that_lies_is_not_plain_data():
    """A student's array whose == always holds cannot cross as an array (it stays a handle in the
    sandbox, which no array check accepts); a plain copy of its values crosses as a plain ndarray."""
    liar = np.zeros(3).view(Lies)
    assert liar == np.ones(3), "the subclass lies"
    with pytest.raises(plaindata.PlainDataError):
        plaindata.encode(liar)
    back = roundtrip(np.asarray(liar).view(np.ndarray))
    assert type(back) is np.ndarray and not np.array_equal(back, np.ones(3))


@pytest.mark.parametrize("data", [
    {"__ndarray__": "AAAA", "dtype": "|O", "shape": [1]},            # object arrays would unpickle
    {"__ndarray__": "AAAA", "dtype": "<f8", "shape": [5]},           # length does not match
    {"__builtin__": "os.system"}, {"__tuple__": 3}, {"a": 1, "b": 2},
])
def test_decoding_builds_nothing_but_plain_data(data):
    with pytest.raises(plaindata.PlainDataError):
        plaindata.decode(data)


def test_references_are_resolved_only_by_the_receiving_side():
    encoded = plaindata.encode([plaindata.Handle(4, "keras.Model", "<model>"), plaindata.GlobalName("softmax")])
    refs = plaindata.decode(json.loads(json.dumps(encoded)))
    assert refs == [plaindata.Handle(4, "keras.Model", "<model>"), plaindata.GlobalName("softmax")]
    assert plaindata.decode(encoded, resolve=lambda ref: type(ref).__name__) == ["Handle", "GlobalName"]


def test_messages_are_framed_and_oversized_ones_refused():
    stream = io.BytesIO()
    plaindata.write_message(stream, {"op": "call", "args": plaindata.encode([np.ones(3)])})
    stream.seek(0)
    assert plaindata.read_message(stream)["op"] == "call"
    stream = io.BytesIO((plaindata.MAX_MESSAGE_BYTES + 1).to_bytes(8, "big"))
    with pytest.raises(plaindata.PlainDataError):
        plaindata.read_message(stream)


def test_test_cells_split_into_visible_and_hidden_parts_in_order():
    source = ("### BEGIN HIDDEN TESTS\nsetup = 1\n### END HIDDEN TESTS\nassert f(1) == 1\n"
              "### BEGIN HIDDEN TESTS\ncheck()\n### END HIDDEN TESTS")
    parts = segments(source)
    assert [(p.hidden, p.source.strip()) for p in parts] == [(True, "setup = 1"), (False, "assert f(1) == 1"),
                                                             (True, "check()")]


def test_the_names_the_hidden_tests_may_call_are_those_the_reference_defines():
    source = nbformat.read(SOLUTIONS / "ex04_softmax" / notebook_name("ex04_softmax"), as_version=4)
    assert set(api_names(source)) == {"logsumexp", "softmax", "log_softmax", "cross_entropy", "cross_entropy_grad",
                                      "bce_with_logits_and_grad", "top_k_accuracy", "fit_softmax_regression"}
    assert assigned_names("def f():\n    x = 1\nclass C: pass\ny, (z, w) = 1, (2, 3)\nfor i in []: pass") == {
        "f", "C", "y", "z", "w", "i"}


def test_the_students_exception_keeps_its_builtin_type_and_message():
    error = student_exception({"ename": "FloatingPointError", "evalue": "overflow", "traceback": ["line"]})
    assert isinstance(error, FloatingPointError) and str(error) == "overflow"
    odd = student_exception({"ename": "MyOwnError", "evalue": "x"})
    assert type(odd).__name__ == "MyOwnError" and isinstance(odd, Exception)
    assert not isinstance(student_exception({"ename": "KeyboardInterrupt"}), KeyboardInterrupt)


def _release():
    return nbformat.read(EXERCISES / "ex01_perceptron" / notebook_name("ex01_perceptron"), as_version=4)


def _source():
    return nbformat.read(SOLUTIONS / "ex01_perceptron" / notebook_name("ex01_perceptron"), as_version=4)


def _by_id(nb):
    return {c.metadata.get("nbgrader", {}).get("grade_id"): c for c in nb.cells}


def test_rebuilding_restores_deleted_edited_and_forged_test_cells():
    source, submitted = _source(), _release()
    tests = [c for c in submitted.cells if c.metadata.get("nbgrader", {}).get("grade")
             and not c.metadata["nbgrader"].get("solution")]
    submitted.cells.remove(tests[0])                                  # deleted
    tests[1].source = "assert True"                                   # edited
    tests[1].metadata["nbgrader"]["points"] = 99                      # raised points
    fake = nbformat.v4.new_code_cell("pass", metadata={"nbgrader": {"grade": True, "grade_id": "free", "points": 100,
                                                                    "locked": True, "solution": False}})
    submitted.cells.append(fake)
    rebuilt = rebuild_from_source(source, submitted)
    source_ids = [c.metadata.get("nbgrader", {}).get("grade_id") for c in source.cells]
    assert [c.metadata.get("nbgrader", {}).get("grade_id") for c in rebuilt.cells if c.metadata.get("nbgrader")] == source_ids
    by_id = _by_id(rebuilt)
    for grade_id in (tests[0].metadata["nbgrader"]["grade_id"], tests[1].metadata["nbgrader"]["grade_id"]):
        assert by_id[grade_id].source == _by_id(source)[grade_id].source
        assert by_id[grade_id].metadata["nbgrader"] == _by_id(source)[grade_id].metadata["nbgrader"]
    extra = [c for c in rebuilt.cells if not c.metadata.get("nbgrader")]
    assert [c.source for c in extra] == ["pass"], "the forged cell is kept as the student's own code, ungraded"


def test_rebuilding_keeps_the_students_answers_and_extra_cells_in_place():
    source, submitted = _source(), _release()
    answer = next(c for c in submitted.cells if c.metadata.get("nbgrader", {}).get("solution") and c.cell_type == "code")
    answer.source = "def step(z):\n    return (z >= 0) * 1"
    position = submitted.cells.index(answer)
    submitted.cells.insert(position + 1, nbformat.v4.new_code_cell("helper = 42"))
    copy_of_answer = nbformat.from_dict(json.loads(json.dumps(answer)))
    copy_of_answer.source = "def step(z):\n    return 0"
    submitted.cells.append(copy_of_answer)                          # a duplicated grade id
    rebuilt = rebuild_from_source(source, submitted)
    grade_id = answer.metadata["nbgrader"]["grade_id"]
    index = next(i for i, c in enumerate(rebuilt.cells) if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)
    assert rebuilt.cells[index].source == answer.source
    assert rebuilt.cells[index + 1].source == "helper = 42" and not rebuilt.cells[index + 1].metadata.get("nbgrader")
    assert rebuilt.cells[-1].source == "def step(z):\n    return 0" and not rebuilt.cells[-1].metadata.get("nbgrader")


def test_an_answer_turned_into_another_cell_type_counts_as_blank():
    source, submitted = _source(), _release()
    answer = next(c for c in submitted.cells if c.metadata.get("nbgrader", {}).get("solution") and c.cell_type == "code")
    answer.cell_type = "markdown"
    rebuilt = rebuild_from_source(source, submitted)
    grade_id = answer.metadata["nbgrader"]["grade_id"]
    assert _by_id(rebuilt)[grade_id].cell_type == "code" and _by_id(rebuilt)[grade_id].source == ""


def test_the_report_names_changed_and_forged_test_cells_but_not_an_honest_release():
    from anncourse.grade import tampering

    source = json.loads(json.dumps(_source()))
    assert tampering(source, _release()) == []
    submitted = _release()
    test = next(c for c in submitted.cells if c.metadata.get("nbgrader", {}).get("grade")
                and not c.metadata["nbgrader"].get("solution"))
    test.source = "assert True"
    submitted.cells.append(nbformat.v4.new_code_cell("pass", metadata={"nbgrader": {"grade": True, "grade_id": "free",
                                                                                     "points": 100}}))
    assert tampering(source, submitted) == ["a graded cell 'free' that the course does not have",
                                            f"cell {test.metadata['nbgrader']['grade_id']} was changed"]
