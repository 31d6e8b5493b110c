"""What a new student or instructor meets first: the install commands, the kernel, the workspace,
and messages that render with common fonts."""
import json
import re
import tomllib
from pathlib import Path

import matplotlib
import pytest
from matplotlib.ft2font import FT2Font

from utils.course import checker, workspace

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()
MAKEFILE = (ROOT / "Makefile").read_text()


def _recipe(target):
    """The command lines of a Makefile target, with $(BIN)/ and $(AS_ROOT) taken out."""
    block = re.search(rf"^{re.escape(target)}:.*\n((?:\t.*\n)+)", MAKEFILE, re.M)
    assert block, f"no target {target} in the Makefile"
    lines = [line.strip() for line in block[1].splitlines() if not line.strip().startswith(("@", "touch", "$(PYTHON)"))]
    return [re.sub(r"\s+", " ", line.replace("$(BIN)/", "").replace("$(AS_ROOT)", "")).strip() for line in lines]


def test_the_commands_without_make_are_the_makefiles():
    by_hand = re.search(r"\*\*Without make\*\*.*?```\n(.*?)```", README, re.S)[1]
    by_hand = {line.replace(".venv\\Scripts\\", "").strip() for line in by_hand.splitlines()}
    for target in ("$(STAMP)", "lab", "test"):
        for command in _recipe(target):
            assert command in by_hand, f"`make {target}` runs `{command}`, which the README's commands without make lack"


def test_no_kernel_is_registered_outside_the_checkout_and_the_notebooks_name_the_environments():
    assert "ipykernel install" not in MAKEFILE
    for path in sorted(ROOT.glob("solutions/*.ipynb")) + sorted(ROOT.glob("lessons/*.ipynb")):
        assert json.loads(path.read_text())["metadata"]["kernelspec"]["name"] == "python3", path.name


def test_the_python_the_readme_asks_for_is_the_one_pyproject_allows():
    required = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    assert required == ">=3.11" and "You need Python 3.11" in README and "3.10 cannot install" in README


def test_the_workspace_is_filled_once_and_never_overwritten(tmp_path):
    lessons, space = tmp_path / "lessons", tmp_path / "workspace"
    lessons.mkdir()
    for name in ("01_a.ipynb", "02_b.ipynb"):
        (lessons / name).write_text(f"pristine {name}")
    assert workspace.fill(space, lessons) == ["01_a.ipynb", "02_b.ipynb"]
    (space / "01_a.ipynb").write_text("my answers")
    (lessons / "03_c.ipynb").write_text("pristine 03")
    assert workspace.fill(space, lessons) == ["03_c.ipynb"]
    assert (space / "01_a.ipynb").read_text() == "my answers"


def test_reset_puts_one_lesson_back_and_keeps_the_students_version(tmp_path):
    lessons, space = tmp_path / "lessons", tmp_path / "workspace"
    lessons.mkdir()
    (lessons / "03_c.ipynb").write_text("pristine")
    workspace.fill(space, lessons)
    (space / "03_c.ipynb").write_text("my answers")
    kept = workspace.reset("03", space, lessons)
    assert (space / "03_c.ipynb").read_text() == "pristine" and kept.read_text() == "my answers"
    with pytest.raises(ValueError, match="expected a lesson number, one of 03"):
        workspace.reset("7", space, lessons)


def test_the_workspace_is_ignored_by_git_and_left_alone_by_the_tests_and_clean():
    assert "workspace/" in (ROOT / ".gitignore").read_text().splitlines()
    assert "workspace" not in re.search(r"^test:.*\n\t(.*)", MAKEFILE, re.M)[1]
    assert "workspace" not in re.search(r"^clean:.*\n\t(.*)", MAKEFILE, re.M)[1]
    assert "--notebook-dir=workspace" in MAKEFILE and "--notebook-dir=solutions" in MAKEFILE


def test_checker_marks_render_with_the_fonts_everyone_has():
    dejavu = FT2Font(str(Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf")).get_charmap()
    for mark in (checker.PASSED, checker.FAILED, checker.NOT_YET):
        assert ord(mark) in dejavu, f"{mark!r} (U+{ord(mark):04X}) needs an emoji font"
