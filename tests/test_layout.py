"""The package's layout: imports only go down, modules stay short, and the training command runs on
a bare GPU image (no PyAV, no IPython, no ipywidgets)."""
import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

UTILS = Path(__file__).resolve().parent.parent / "utils"

# Lower layers never import higher ones: the foundation, then models/, then applications/ (what is
# built on the trained models), then course/, then the three commands on top, train, studio
# (video-studio, which uses a model) and leaderboard (which measures them all).
LAYERS = {"foundation": 0, "models": 1, "applications": 2, "course": 3, "train": 4, "studio": 4, "leaderboard": 4}


def module_name(path):
    return ".".join(path.relative_to(UTILS.parent).with_suffix("").parts).removesuffix(".__init__")


def imports_of(path, modules):
    """The modules of `utils` that the file at `path` imports (at any depth: lazy imports count)."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parts + ([base] if base else []))
            targets = [f"{base}.{alias.name}" for alias in node.names] + [base]
        else:
            continue
        for target in targets:
            while target and target not in modules:
                target = target.rpartition(".")[0]
            if target and target != name and not name.startswith(target + "."):  # a package's own __init__ is not an edge
                found.add(target)
    return found


def import_graph():
    paths = {module_name(p): p for p in UTILS.rglob("*.py")}
    return {name: imports_of(path, paths) for name, path in paths.items()}


def find_cycle(graph):
    """One import cycle as a list of modules [a, b, …, a], or None."""
    state = {}

    def visit(node, stack):
        state[node] = "open"
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state:
                cycle = visit(nxt, stack + [nxt])
                if cycle:
                    return cycle
        state[node] = "done"
        return None

    for start in sorted(graph):
        if start not in state:
            cycle = visit(start, [start])
            if cycle:
                return cycle
    return None


def layer(module):
    parts = module.split(".")
    if parts[1:2] in (["train"], ["studio"], ["leaderboard"]):
        return LAYERS[parts[1]]
    return LAYERS.get(parts[1] if len(parts) > 2 else "foundation", LAYERS["foundation"])


def test_the_cycle_finder_names_the_modules_of_a_cycle():
    graph = {"utils.a": {"utils.b"}, "utils.b": {"utils.c"}, "utils.c": {"utils.a"}, "utils.d": set()}
    assert find_cycle(graph) == ["utils.a", "utils.b", "utils.c", "utils.a"]
    assert find_cycle({"utils.a": {"utils.b"}, "utils.b": set()}) is None


def test_utils_has_no_import_cycle():
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle in utils: " + " → ".join(cycle)


def test_imports_only_go_down_the_layers():
    upward = [f"{module} imports {target}" for module, targets in import_graph().items() for target in targets
              if layer(target) > layer(module)]
    assert not upward, "imports that go up a layer (foundation < models < applications < course < train):\n" + "\n".join(upward)


def test_the_foundation_is_listed_bottom_up_in_the_packages_docstring():
    """utils/__init__.py lists the foundation so that each module imports only those before it."""
    import utils
    listing = utils.__doc__.split("The foundation")[1].split("models/")[0]
    order = [f"utils.{line.split()[0]}" for line in listing.splitlines()[1:] if line.strip()]
    graph = import_graph()
    foundation = [f"utils.{path.stem}" for path in UTILS.glob("*.py") if path.stem != "__init__" and layer(f"utils.{path.stem}") == 0]
    assert sorted(order) == sorted(foundation), "every foundation module, once"
    later = [f"{module} imports {target}, listed after it" for i, module in enumerate(order)
             for target in graph[module] if target in order[i:]]
    assert not later, "\n".join(later)


def test_the_training_command_is_the_one_module_that_imports_every_model():
    graph = import_graph()
    models = {m for m in graph if m.startswith("utils.models.")}
    assert models <= graph["utils.train"] | {m for t in graph["utils.train"] for m in graph.get(t, ())}
    assert all("utils.train" not in targets for targets in graph.values())


def test_no_module_is_much_longer_than_300_lines():
    long = {module_name(p): n for p in UTILS.rglob("*.py") if (n := len(p.read_text().splitlines())) > 330}
    assert not long, f"split these modules (lines): {long}"


BLOCKER = """
import runpy, sys
MISSING = ["av", "IPython", "ipywidgets", "pandas", "skvideo", "nbformat", "ipykernel"]
for name in MISSING:
    sys.modules[name] = None  # what a machine without the package gives: import fails, find_spec finds nothing
for name in MISSING:
    try:
        __import__(name)
    except ImportError:
        pass
    else:
        raise SystemExit(f"the blocker let {name} through")
sys.argv = ["python -m utils.train"] + sys.argv[1:]
runpy.run_module("utils.train", run_name="__main__")
"""


@pytest.mark.parametrize("name", ["convlstm"])
def test_the_training_command_runs_without_pyav_ipython_or_widgets(name, tmp_path):
    env = {**os.environ, "MPLBACKEND": "Agg"}
    result = subprocess.run([sys.executable, "-c", BLOCKER, name, "--steps", "3", "--device", "cpu",
                             "--directory", str(tmp_path)],
                            cwd=UTILS.parent, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    assert (tmp_path / f"{name}.safetensors").exists() and (tmp_path / f"{name}.json").exists()
    assert '"steps": 3' in result.stdout
