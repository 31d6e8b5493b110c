"""The install path: one set of pins, torch and torchvision pinned together, CI runs the README's command."""
import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _pyproject_pins():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    specs = project["dependencies"] + project["optional-dependencies"]["course"]
    return dict(s.split("==") for s in specs)


def _environment_pins():
    pins = {}
    for line in (ROOT / "environment.yml").read_text().splitlines():
        match = re.fullmatch(r"\s*-\s*([A-Za-z0-9_.\-]+)==(\S+)\s*", line)
        if match:
            pins[match[1]] = match[2]
    return pins


def test_every_dependency_is_pinned_exactly():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    for spec in project["dependencies"] + project["optional-dependencies"]["course"]:
        assert re.fullmatch(r"[A-Za-z0-9_.\-]+==[0-9][0-9A-Za-z.]*", spec), spec


def test_environment_yml_agrees_with_pyproject():
    assert _environment_pins() == _pyproject_pins()
    assert re.search(r"^\s*-\s*-e \.\s*$", (ROOT / "environment.yml").read_text(), re.M)


def test_torch_and_torchvision_are_pinned_together_and_used():
    pins = _pyproject_pins()
    assert (pins["torch"], pins["torchvision"]) == ("2.14.1", "0.29.1")  # a matching pair: torchvision's ops need its torch
    sources = [*(ROOT / "utils").rglob("*.py"), *(ROOT / "solutions").glob("*.ipynb")]
    imports = re.compile(r"^\W*(import|from) torchvision", re.M)
    assert [p.name for p in sources if imports.search(p.read_text())], "the course uses torchvision where it is the standard tool"


def test_ci_runs_the_readme_test_command():
    assert "exec make test" in (ROOT / ".ci" / "run").read_text()
    readme = (ROOT / "README.md").read_text()
    assert "make test" in readme and "make lab" in readme and "torchvision==0.29.1" in readme


def test_the_readme_gives_make_tests_commands_for_use_without_make():
    recipe = re.search(r"^test:.*\n((?:\t.*\n)+)", (ROOT / "Makefile").read_text(), re.M).group(1)
    readme = (ROOT / "README.md").read_text()
    for line in recipe.splitlines():
        by_hand = line.strip().replace("$(BIN)/", ".venv\\Scripts\\")
        assert by_hand in readme, f"README lacks {by_hand!r}"
