"""nbgrader: every solution notebook carries valid grading metadata, and one lesson goes through
nbgrader's round trip — generate the student version, autograde it filled in (every checker's
points) and as released (none) — in a temporary course directory."""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook
from nbgrader.nbgraderformat import MetadataValidator

from utils.course import lessons

SOLUTIONS = sorted(lessons.SOLUTIONS.glob("*.ipynb"))
ROUND_TRIP = lessons.SOLUTIONS / "10_references.ipynb"   # the quickest lesson to run


@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda path: path.name)
def test_each_solution_is_a_valid_nbgrader_source_with_one_test_per_checker(path):
    notebook = nbformat.read(path, as_version=4)
    MetadataValidator().validate_nb(notebook)
    roles = [cell.metadata.get("nbgrader", {}) for cell in notebook.cells]
    checkers = [cell for cell in notebook.cells if cell.cell_type == "code" and lessons.CALLS_CHECKER.search(cell.source)]
    tests = [role for role in roles if role.get("grade") and not role.get("solution")]
    assert len(tests) == len(checkers) >= 3 and all(role["locked"] and role["points"] > 0 for role in tests)
    assert sum(role.get("solution", False) for role in roles) >= 3


def test_each_kind_of_cell_gets_its_role():
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell("import utils"),
                      nbformat.v4.new_code_cell("def f():\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION"),
                      nbformat.v4.new_code_cell("f_passed = checks.check_f(f)"),
                      nbformat.v4.new_markdown_cell("Why?\n### BEGIN SOLUTION\nBecause.\n### END SOLUTION"),
                      nbformat.v4.new_code_cell("x = f()"),
                      nbformat.v4.new_code_cell("assert x == 1")]
    roles = [cell.metadata.get("nbgrader") for cell in lessons.with_grading_metadata(notebook, "demo.ipynb").cells]
    assert [role and role["grade_id"] for role in roles] == ["locked-cell-0", "answer-f", "test-check_f", "written-answer-3", None,
                                                              "locked-cell-5"]
    assert roles[2]["grade"] and roles[2]["locked"] and roles[2]["points"] == lessons.CHECKER_POINTS
    assert roles[1]["solution"] and not roles[1]["grade"] and roles[3]["solution"] and roles[3]["grade"]
    assert "nbgrader" not in notebook.cells[0].metadata   # the input is left alone


def test_an_exercise_and_its_checker_in_one_cell_are_refused():
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell("def f():\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION\n"
                                                "f_passed = checks.check_f(f)")]
    with pytest.raises(lessons.SolutionMarkerError, match="demo.ipynb, cell 0: an exercise and its checker share a cell"):
        lessons.with_grading_metadata(notebook, "demo.ipynb")


def _nbgrader(course, *arguments):
    # nbgrader runs its database migrations with the `alembic` command of the same environment
    environment = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    result = subprocess.run([sys.executable, "-m", "nbgrader", *arguments, "--force", "--create"], cwd=course,
                            env=environment, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]


def test_nbgrader_scores_the_filled_in_lesson_fully_and_the_released_one_zero(tmp_path):
    assignment, name = "lesson10", ROUND_TRIP.name
    (tmp_path / "source" / assignment).mkdir(parents=True)
    shutil.copy(ROUND_TRIP, tmp_path / "source" / assignment)
    (tmp_path / "nbgrader_config.py").write_text(f"c = get_config()\nc.CourseDirectory.root = {str(tmp_path)!r}\n"
                                                 "c.ExecutePreprocessor.timeout = 300\n")
    _nbgrader(tmp_path, "generate_assignment", assignment)
    released = tmp_path / "release" / assignment / name
    assert "### BEGIN SOLUTION" not in released.read_text(encoding="utf-8")
    for student, notebook in (("filled", ROUND_TRIP), ("released", released)):
        (tmp_path / "submitted" / student / assignment).mkdir(parents=True)
        shutil.copy(notebook, tmp_path / "submitted" / student / assignment / name)
    _nbgrader(tmp_path, "autograde", assignment)
    with Gradebook(f"sqlite:///{tmp_path / 'gradebook.db'}") as gradebook:
        scores = {student: {grade.name: (grade.score, grade.max_score) for grade in
                            gradebook.find_submission(assignment, student).notebooks[0].grades if grade.name.startswith("test-")}
                  for student in ("filled", "released")}
    assert len(scores["filled"]) == len(scores["released"]) == 3
    assert all(score == maximum > 0 for score, maximum in scores["filled"].values()), scores["filled"]
    assert all(score == 0 for score, _ in scores["released"].values()), scores["released"]
