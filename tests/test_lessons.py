import json
import re
from pathlib import Path

import nbformat
import pytest

from utils.course import lessons

ROOT = Path(__file__).resolve().parent.parent
SOLUTIONS = sorted((ROOT / "solutions").glob("*.ipynb"))


def _notebook(*cells):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(c) if not c.startswith("md:") else nbformat.v4.new_markdown_cell(c[3:])
                for c in cells]
    return nb


def test_regions_become_stubs_with_their_indentation():
    source = "def f(x):\n    ### BEGIN SOLUTION\n    y = x + 1\n    return y\n    ### END SOLUTION\n\nprint(f)"
    stripped, regions = lessons.strip_solutions(source, lessons.CODE_STUB, "nb, cell 0")
    assert regions == 1
    assert stripped == "def f(x):\n    # YOUR CODE HERE\n    raise NotImplementedError()\n\nprint(f)"


def test_a_region_outside_any_function_leaves_no_raise_behind():
    stripped, _ = lessons.strip_solutions("bugs = {}\n### BEGIN SOLUTION\nbugs = {1: 'x'}\n### END SOLUTION",
                                          lessons.CODE_STUB, "nb, cell 0")
    assert stripped == "bugs = {}\n# YOUR CODE HERE"  # Run All goes on; the checker says "not attempted yet"


def test_lesson_tags_exercise_and_checker_cells_and_drops_outputs():
    solution = _notebook("x = 1",
                         "def f():\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION",
                         "checks.check_something(f)",
                         "md:Why?\n### BEGIN SOLUTION\nBecause.\n### END SOLUTION")
    solution.cells[0].outputs = [nbformat.v4.new_output("stream", text="1")]
    lesson = lessons.lesson_from_solution(solution, "demo.ipynb")
    tags = [c.metadata.get("tags", []) for c in lesson.cells]
    assert tags[:3] == [[], ["raises-exception"], ["raises-exception"]]
    assert lesson.cells[0].outputs == []
    assert "Because" not in lesson.cells[3].source and "YOUR ANSWER HERE" in lesson.cells[3].source
    assert solution.cells[0].outputs  # the solution itself is left alone


@pytest.mark.parametrize("source, words", [
    ("### BEGIN SOLUTION\nx = 1\n", "'### BEGIN SOLUTION' on line 1 is never closed"),
    ("x = 1\n### END SOLUTION\n", "closes no open region"),
    ("### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION", "inside the region opened on line 1"),
    ("#### BEGIN SOLUTION\nx = 1\n#### END SOLUTION", "line 1 reads '#### BEGIN SOLUTION', which is not a solution marker"),
    ("# BEGIN SOLUTION\nx = 1\n# END SOLUTION", "line 1 reads '# BEGIN SOLUTION'"),
    ("### BEGIN SOLUTION\nx = 1\n## end solution", "line 3 reads '## end solution'"),
])
def test_bad_markers_name_the_notebook_and_cell(source, words):
    with pytest.raises(lessons.SolutionMarkerError) as error:
        lessons.lesson_from_solution(_notebook("x = 0", source), "lesson.ipynb")
    assert "lesson.ipynb, cell 1" in str(error.value) and words in str(error.value)


def test_raw_cells_lose_their_solutions_too():
    solution = _notebook("x = 0")
    solution.cells.append(nbformat.v4.new_raw_cell("Answer:\n### BEGIN SOLUTION\n42\n### END SOLUTION"))
    lesson = lessons.lesson_from_solution(solution, "demo.ipynb")
    assert "42" not in lesson.cells[1].source and "YOUR ANSWER HERE" in lesson.cells[1].source


def test_generate_refuses_to_write_through_a_symlink(tmp_path):
    solutions, student, elsewhere = tmp_path / "solutions", tmp_path / "lessons", tmp_path / "precious.ipynb"
    solutions.mkdir()
    student.mkdir()
    nbformat.write(_notebook("x = 1"), solutions / "a.ipynb")
    elsewhere.write_text("keep me")
    (student / "a.ipynb").symlink_to(elsewhere)
    with pytest.raises(lessons.LessonFileError, match="a.ipynb is a symbolic link"):
        lessons.generate(solutions, student)
    assert elsewhere.read_text() == "keep me"


def test_generate_writes_and_then_reports_nothing_stale(tmp_path):
    solutions, student = tmp_path / "solutions", tmp_path / "lessons"
    solutions.mkdir()
    nbformat.write(_notebook("def f():\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION"), solutions / "a.ipynb")
    assert lessons.generate(solutions, student) == ["a.ipynb (solution's grading and slide metadata)", "a.ipynb"]
    assert lessons.generate(solutions, student, check=True) == []
    assert nbformat.read(solutions / "a.ipynb", as_version=4).cells[0].metadata["nbgrader"]["grade_id"] == "answer-f"
    assert "raise NotImplementedError()" in (student / "a.ipynb").read_text()


def test_lessons_are_up_to_date():
    stale = lessons.generate(check=True)
    assert not stale, f"lessons/ is stale ({stale}); run `make lessons`"


def test_there_are_notebooks():
    assert len(SOLUTIONS) >= 2


@pytest.mark.parametrize("path", SOLUTIONS + sorted((ROOT / "lessons").glob("*.ipynb")), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_notebooks_are_stored_without_outputs(path):
    nb = json.loads(path.read_text())
    dirty = [i for i, c in enumerate(nb["cells"]) if c["cell_type"] == "code" and (c.get("outputs") or c.get("execution_count"))]
    assert not dirty, f"{path.name}: cells {dirty} have outputs; clear them before committing"


@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: p.name)
def test_each_lesson_has_three_checked_exercises_and_check_cells(path):
    nb = nbformat.read(path, as_version=4)
    code = [c.source for c in nb.cells if c.cell_type == "code"]
    exercises = sum(lessons.BEGIN in c for c in code)
    checked = set(re.findall(r"\bchecks\.(check_\w+)\(", "\n".join(code)))
    assert exercises >= 3 and len(checked) >= 3, (exercises, checked)
    assert any(re.search(r"^assert ", c, re.M) for c in code), "no check cell asserts a result"
    assert "utils.setup(" in code[0], "the first code cell calls utils.setup()"


@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: p.name)
def test_each_lesson_is_a_slideshow_with_a_slide_per_section(path):
    nb = nbformat.read(path, as_version=4)
    kinds = [c.metadata.get("slideshow", {}).get("slide_type") for c in nb.cells]
    assert nb.metadata["rise"]["scroll"] and None not in kinds
    sections = [i for i, c in enumerate(nb.cells) if c.cell_type == "markdown" and c.source.startswith("## ")]
    assert kinds[0] == "slide" and len(sections) >= 3
    assert all(kinds[i] == ("skip" if nb.cells[i].source.startswith("## Glossary") else "slide") for i in sections)
    assert all(kind == "-" for c, kind in zip(nb.cells, kinds) if c.cell_type == "code")  # code stays with its text
