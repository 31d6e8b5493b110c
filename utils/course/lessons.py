"""Regenerate the student notebooks in lessons/ from the complete ones in solutions/.

    python -m utils.course.lessons           write lessons/
    python -m utils.course.lessons --check   exit 1 if lessons/ is out of date

Solution code sits between `### BEGIN SOLUTION` and `### END SOLUTION` (nbgrader's markers). In a
lesson each region becomes `# YOUR CODE HERE` + `raise NotImplementedError()` (at the top level of
a cell, `# YOUR CODE HERE` alone, so that "Run All" is not stopped; in markdown: a prompt for the
student's answer), and every cell that runs or checks an exercise is tagged
`raises-exception`, so that nbval still runs the lesson top to bottom. Outputs are dropped.
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
CALLS_CHECKER = re.compile(r"\bchecks\.check_\w+\(")


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


def render(notebook):
    return nbformat.writes(notebook, version=4) + "\n"


def generate(solutions=SOLUTIONS, lessons=LESSONS, check=False):
    """Write (or, with check=True, only compare) every lesson; return the names that were stale."""
    stale = []
    for path in sorted(Path(solutions).glob("*.ipynb")):
        text = render(lesson_from_solution(nbformat.read(path, as_version=4), path.name))
        target = Path(lessons) / path.name
        if target.is_symlink():
            raise LessonFileError(f"{target} is a symbolic link (to {target.readlink()}): the generator writes only "
                                      "plain files in lessons/; remove the link and run it again")
        if not target.exists() or target.read_text() != text:
            stale.append(path.name)
            if not check:
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(text)
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
