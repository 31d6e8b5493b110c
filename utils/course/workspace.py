"""The student's workspace: a copy of lessons/ that is the student's own to edit and save.

    python -m utils.course.workspace                 copy into workspace/ every lesson not there yet
    python -m utils.course.workspace --reset 03      put lesson 03 back to the pristine copy
                                                     (the student's version is kept beside it)

`make lab` runs the first, then opens JupyterLab in workspace/. Nothing here ever overwrites a
notebook in the workspace without being asked to, and nothing else in the course (the lesson
generator, the tests) reads or writes it: the folder is git-ignored.
"""
import argparse
import datetime
import shutil
import sys
from pathlib import Path

from utils.course.lessons import LESSONS, ROOT

WORKSPACE = ROOT / "workspace"


def fill(workspace=WORKSPACE, lessons=LESSONS):
    """Copy each lesson that the workspace does not have yet; return the names copied."""
    workspace = Path(workspace)
    workspace.mkdir(parents=True, exist_ok=True)
    copied = []
    for lesson in sorted(Path(lessons).glob("*.ipynb")):
        target = workspace / lesson.name
        if not target.exists() and not target.is_symlink():
            shutil.copyfile(lesson, target)
            copied.append(lesson.name)
    return copied


def reset(number, workspace=WORKSPACE, lessons=LESSONS):
    """Replace lesson `number` ("03" or 3) in the workspace by the pristine copy. The student's
    version is renamed, not deleted: NAME.before-reset-YYYYmmdd-HHMMSS.ipynb. Returns that path,
    or None when there was nothing to keep."""
    prefix = f"{int(number):02d}_" if str(number).isdigit() else None
    matches = sorted(Path(lessons).glob(f"{prefix}*.ipynb")) if prefix else []
    if len(matches) != 1:
        known = ", ".join(p.name[:2] for p in sorted(Path(lessons).glob("*.ipynb")))
        raise ValueError(f"expected a lesson number, one of {known}; got {number!r}")
    pristine, target = matches[0], Path(workspace) / matches[0].name
    kept = None
    if target.exists():
        stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
        kept = target.with_name(f"{target.stem}.before-reset-{stamp}.ipynb")
        target.rename(kept)
    Path(workspace).mkdir(parents=True, exist_ok=True)
    shutil.copyfile(pristine, target)
    return kept


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m utils.course.workspace", description=__doc__.splitlines()[0])
    parser.add_argument("--reset", metavar="NN", help="put lesson NN back to the pristine copy (yours is kept beside it)")
    parser.add_argument("--workspace", default=str(WORKSPACE), help="the folder (default: workspace/)")
    args = parser.parse_args(argv)
    if args.reset is not None:
        try:
            kept = reset(args.reset, args.workspace)
        except ValueError as err:
            parser.error(str(err))
        print(f"lesson {args.reset} reset" + (f"; your version is kept as {kept.name}" if kept else ""))
        return 0
    copied = fill(args.workspace)
    print(f"workspace {args.workspace}: " + (f"copied {', '.join(copied)}" if copied else "every lesson is there already (none overwritten)"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
