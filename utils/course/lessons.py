"""Regenerate the student notebooks in lessons/ from the complete ones in solutions/.

    python -m utils.course.lessons           write lessons/
    python -m utils.course.lessons --check   exit 1 if lessons/ is out of date

Solution code sits between `### BEGIN SOLUTION` and `### END SOLUTION` (nbgrader's markers). In a
lesson each region becomes `# YOUR CODE HERE` + `raise NotImplementedError()` (at the top level of
a cell, `# YOUR CODE HERE` alone, so that "Run All" is not stopped; in markdown: a prompt for the
student's answer), and every cell that runs or checks an exercise is tagged
`raises-exception`, so that nbval still runs the lesson top to bottom. Outputs are dropped.

The solutions carry the cell metadata nbgrader needs, written here too: each code exercise is a
solution cell, each checker cell a locked test worth one point (`grade_id` from the checker's name),
each written answer (a solution in markdown) an answer worth one point that a person grades, and
the first cell and the lesson's own check cells (`assert …`) are locked. So a solution notebook is an
nbgrader source notebook as it stands: `nbgrader generate_assignment` makes the student version and
`nbgrader autograde` scores the checkers (tests/test_grading.py runs that round trip).

They carry slide metadata for RISE (jupyterlab-rise) as well, so that an instructor can present a
lesson in JupyterLab: the title and each section (`## `) open a slide, each exercise (`### `) and
each paragraph that introduces code a sub-slide below it, code cells stay with the text before
them, and the glossary is skipped; slides scroll when a long output does not fit.
"""
import argparse
import re
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[2]
SOLUTIONS, LESSONS = ROOT / "solutions", ROOT / "lessons"
BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
CODE_STUB = ["# YOUR CODE HERE", "raise NotImplementedError()"]
TOP_LEVEL_STUB = ["# YOUR CODE HERE"]  # a raise outside a function would stop "Run All" at this cell
MARKDOWN_STUB = ["*YOUR ANSWER HERE*"]
GLOSSARY_HEADING = "## Glossary"
CALLS_CHECKER = re.compile(r"\bchecks\.(check_\w+)\(")
ASSERTS = re.compile(r"^assert ", re.MULTILINE)
DEFINES = re.compile(r"^(?:def|class) (\w+)", re.MULTILINE)
CHECKER_POINTS = ANSWER_POINTS = 1


NEAR_MISS = re.compile(r"^\W*(BEGIN|END)\W+SOLUTION\b", re.IGNORECASE)


class LessonFileError(ValueError):
    """A file in lessons/ that the generator must not write through (a symbolic link)."""


class SolutionMarkerError(ValueError):
    """A solution region that is opened and never closed, closed without being opened, or marked
    by a line that is almost, but not exactly, nbgrader's marker."""


def strip_solutions(source, stub, where):
    """Replace each solution region of `source` by `stub`, indented like the BEGIN line.
    Returns (new source, number of regions)."""
    out, regions, opened_at = [], 0, None
    for number, line in enumerate(source.splitlines(), start=1):
        marker = line.strip()
        if marker == BEGIN:
            if opened_at is not None:
                raise SolutionMarkerError(f"{where}: '{BEGIN}' on line {number} inside the region opened on line {opened_at}")
            opened_at, regions = number, regions + 1
            indent = line[: len(line) - len(line.lstrip())]
            out.extend(indent + s for s in (TOP_LEVEL_STUB if stub is CODE_STUB and not indent else stub))
        elif marker == END:
            if opened_at is None:
                raise SolutionMarkerError(f"{where}: '{END}' on line {number} closes no open region")
            opened_at = None
        elif NEAR_MISS.match(marker):
            raise SolutionMarkerError(f"{where}: line {number} reads {marker!r}, which is not a solution marker: "
                                      f"write exactly '{BEGIN}' or '{END}', or the solution would reach the students")
        elif opened_at is None:
            out.append(line)
    if opened_at is not None:
        raise SolutionMarkerError(f"{where}: '{BEGIN}' on line {opened_at} is never closed by '{END}'")
    return "\n".join(out), regions


def lesson_from_solution(notebook, name):
    """The student version of a solution notebook (a new notebook; the input is left alone)."""
    lesson = nbformat.reads(nbformat.writes(notebook), as_version=4)
    for index, cell in enumerate(lesson.cells):
        where = f"{name}, cell {index}"
        if cell.cell_type == "code":
            cell.source, regions = strip_solutions(cell.source, CODE_STUB, where)
            cell.outputs, cell.execution_count = [], None
            if regions or CALLS_CHECKER.search(cell.source):
                tags = cell.metadata.setdefault("tags", [])
                if "raises-exception" not in tags:
                    tags.append("raises-exception")
        else:  # markdown and raw cells: a solution in prose becomes a prompt
            cell.source, _ = strip_solutions(cell.source, MARKDOWN_STUB, where)
    return lesson


def with_grading_metadata(notebook, name):
    """The solution notebook with nbgrader's cell metadata set (a new notebook; the input is left
    alone): code exercises are solution cells, checker cells locked tests of CHECKER_POINTS, written
    answers graded by hand (ANSWER_POINTS), the first cell and the check cells locked; every other
    cell has none. A cell that holds an exercise and calls its checker cannot be both: split it."""
    graded = nbformat.reads(nbformat.writes(notebook), as_version=4)
    first_code = next((i for i, cell in enumerate(graded.cells) if cell.cell_type == "code"), None)
    for index, cell in enumerate(graded.cells):
        solution = any(line.strip() == BEGIN for line in cell.source.splitlines())
        checker = CALLS_CHECKER.search(cell.source) if cell.cell_type == "code" else None
        if solution and checker:
            raise SolutionMarkerError(f"{name}, cell {index}: an exercise and its checker share a cell; put the "
                                      f"`checks.{checker.group(1)}(…)` call in a cell of its own, for nbgrader to grade it")
        if solution and cell.cell_type != "code":   # nbgrader grades a written answer by hand
            cell_id, role = f"written-answer-{index}", {"grade": True, "solution": True, "locked": False, "points": ANSWER_POINTS}
        elif solution:
            defined = DEFINES.search(cell.source)
            cell_id = f"answer-{defined.group(1)}" if defined else f"answer-cell-{index}"
            role = {"grade": False, "solution": True, "locked": False}
        elif checker:
            cell_id, role = f"test-{checker.group(1)}", {"grade": True, "solution": False, "locked": True,
                                                         "points": CHECKER_POINTS}
        elif cell.cell_type == "code" and (index == first_code or ASSERTS.search(cell.source)):
            cell_id, role = f"locked-cell-{index}", {"grade": False, "solution": False, "locked": True}
        else:
            cell.metadata.pop("nbgrader", None)
            continue
        cell.metadata["nbgrader"] = {**role, "grade_id": cell_id, "schema_version": 3, "task": False}
    return graded


SLIDES = {"scroll": True}   # the notebook's RISE settings


def slide_type(cell, index):
    """RISE's slide type of a cell: 'slide', 'subslide', 'skip' or '-' (on the slide before)."""
    if cell.cell_type == "code":
        return "-"
    if cell.source.startswith(GLOSSARY_HEADING):
        return "skip"
    if index == 0 or cell.source.startswith("## "):
        return "slide"
    return "subslide"


def with_slide_metadata(notebook):
    """The notebook with RISE's slide metadata set on every cell (a new notebook)."""
    slides = nbformat.reads(nbformat.writes(notebook), as_version=4)
    slides.metadata["rise"] = dict(SLIDES)
    for index, cell in enumerate(slides.cells):
        cell.metadata["slideshow"] = {"slide_type": slide_type(cell, index)}
    return slides


def render(notebook):
    return nbformat.writes(notebook, version=4) + "\n"


def generate(solutions=SOLUTIONS, lessons=LESSONS, check=False):
    """Write (or, with check=True, only compare) every lesson; return the names that were stale."""
    stale = []
    for path in sorted(Path(solutions).glob("*.ipynb")):
        solution = with_slide_metadata(with_grading_metadata(nbformat.read(path, as_version=4), path.name))
        if path.read_text(encoding="utf-8") != render(solution):
            stale.append(f"{path.name} (solution's grading and slide metadata)")
            if not check:
                path.write_text(render(solution), encoding="utf-8")
        text = render(lesson_from_solution(solution, path.name))
        target = Path(lessons) / path.name
        if target.is_symlink():
            raise LessonFileError(f"{target} is a symbolic link (to {target.readlink()}): the generator writes only "
                                      "plain files in lessons/; remove the link and run it again")
        if not target.exists() or target.read_text(encoding="utf-8") != text:
            stale.append(path.name)
            if not check:
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(text, encoding="utf-8")
    extra = sorted({p.name for p in Path(lessons).glob("*.ipynb")} - {p.name for p in Path(solutions).glob("*.ipynb")})
    return stale + [f"{name} (no solution)" for name in extra]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report whether lessons/ is up to date")
    args = parser.parse_args(argv)
    stale = generate(check=args.check)
    if args.check:
        print("lessons/ is up to date" if not stale else "stale in lessons/: " + ", ".join(stale))
        return 1 if stale else 0
    print("regenerated: " + (", ".join(stale) if stale else "nothing (already up to date)"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
