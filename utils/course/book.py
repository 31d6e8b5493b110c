"""The course as a static website, built offline: `make book` (python -m utils.course.book).

    python -m utils.course.book              build build/book/html (open its index.html, or serve it:
                                             python -m http.server -d build/book/html)
    python -m utils.course.book --jobs 1     execute the notebooks that need it one at a time

A lesson's page is its solution notebook with outputs: those `make test` recorded in build/executed/
(conftest.py calls `record_run`) when it ran the same cells with the same `utils` and data, otherwise
the notebook is executed here with nbclient. Beside the lessons the book has an instructor's
run-sheet per lesson (sections, compute time measured when the notebook ran, which cells to start
early, the widgets, the exercises), a page per model card and the bibliography. Sphinx builds it
with myst-nb and sphinx-book-theme; MathJax is copied into the site, so no page loads anything from
the network. A widget needs a kernel: its page shows what it displayed for its default settings.
"""
import argparse
import hashlib
import json
import os
import re
import shutil
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat

from utils.course.checker import PASSED
from utils.course.lessons import BEGIN, END, ROOT, SOLUTIONS
from utils.course.references import bibliography_page, load_references

EXECUTED = ROOT / "build" / "executed"
BOOK = ROOT / "build" / "book"
SITE_FILES = ROOT / "book"                   # conf.py and the front page, checked in
CARDS = ROOT / "data" / "checkpoints"
WIDGET = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
PROGRESS_BAR = re.compile(r"\d+%\|")         # tqdm's text, e.g. " 40%|████      | 4/10"
SLOW_CELL_S = 5.0                            # a cell slower than this is started before the instructor talks
WORDS_PER_MINUTE = 130                       # speaking pace for the run-sheets' talk-time estimate
NOT_PRESENTED = ("Glossary", "References")    # sections a run-sheet leaves out: students read them
STATIC_WIDGET_NOTE = ("<p class='static-widget'><em>Interactive in Jupyter (it needs a running kernel): "
                      "on this page, what it shows for its default settings.</em></p>")
KERNEL_ONLY_NOTE = ("<p class='static-widget'><em>Interactive in Jupyter (it needs a running kernel): "
                    "open the lesson there to use it.</em></p>")
DISPLAYS = ("display_data", "execute_result")


def heading_slug(title):
    """A heading's anchor as JupyterLab writes it, which the lessons' links use: '#### frame rate' → #frame-rate."""
    return title.strip().replace(" ", "-")


def course_digest():
    """sha256 of what outputs depend on besides the cells: every module of `utils` and every file in
    data/ (the checkpoints through their cards, which hold their sha256)."""
    files = sorted([*(p for p in (ROOT / "utils").rglob("*.py") if p != Path(__file__)),   # this builder shapes no output
                    *(p for p in (ROOT / "data").rglob("*") if p.is_file() and p.suffix != ".safetensors")])
    digest = hashlib.sha256()
    for path in files:
        digest.update(str(path.relative_to(ROOT)).encode() + path.read_bytes())
    return digest.hexdigest()


def run_digest(notebook):
    """sha256 of a notebook's cells (type and source) and of `course_digest`: outputs are reused only
    where the same cells ran on the same code and data."""
    cells = [[cell.cell_type, cell.source] for cell in notebook.cells]
    return hashlib.sha256((json.dumps(cells) + course_digest()).encode()).hexdigest()


def record_run(path, runs, how, folder=EXECUTED, widgets=None):
    """Save notebook `path` with the outputs and run times of one run: `runs[i] = (outputs, seconds)`
    for its i-th code cell, `how` it ran (for the run-sheet), and the widgets' state if the run kept
    it. A run that misses a cell is not saved, and an older record is removed (returns None)."""
    notebook = nbformat.read(path, as_version=4)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    out = Path(folder) / Path(path).name
    if sorted(runs) != list(range(len(code))):
        out.unlink(missing_ok=True)
        return None
    for count, cell in enumerate(code, start=1):
        outputs, seconds = runs[count - 1]
        cell.outputs = [nbformat.from_dict(dict(output)) for output in outputs]
        for output in cell.outputs:
            if output.output_type == "execute_result":
                output.execution_count = count
        cell.execution_count = count
        cell.metadata["course"] = {"seconds": round(seconds, 2)}
    notebook.metadata["course"] = {"run_sha256": run_digest(notebook), "how": how}
    if widgets:
        notebook.metadata["widgets"] = widgets
    out.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, out)
    return out


def with_outputs(path, jobs=1, folder=EXECUTED):
    """Notebook `path` with outputs: the recorded run if it is of these very cells, code and data,
    else a new run (`jobs` notebooks running at once)."""
    saved = Path(folder) / Path(path).name
    if saved.exists():
        notebook = nbformat.read(saved, as_version=4)
        if notebook.metadata.get("course", {}).get("run_sha256") == run_digest(nbformat.read(path, as_version=4)):
            return notebook
    return execute(path, jobs, folder)


def execute(path, jobs=1, folder=EXECUTED):
    """Run notebook `path` top to bottom with nbclient (in its own folder), timing each code cell."""
    from nbclient import NotebookClient

    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(Path(path).parent)}})
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    index = {id(cell): i for i, cell in enumerate(code)}
    runs, started = {}, {}
    client.on_cell_execute = lambda cell, cell_index: started.update({id(cell): time.perf_counter()})
    client.on_cell_executed = lambda cell, cell_index, execute_reply: runs.update(
        {index[id(cell)]: (cell.outputs, time.perf_counter() - started[id(cell)])})
    # notebooks running side by side share the cores: one torch thread each, as in `make test`
    client.execute(env={**os.environ, "OMP_NUM_THREADS": "1"} if jobs > 1 else dict(os.environ))
    for i, cell in enumerate(code):   # nbclient skips empty cells and cells tagged skip-execution
        runs.setdefault(i, (cell.outputs, 0.0))
    print(f"executed {Path(path).name} in {sum(seconds for _, seconds in runs.values()):.0f} s")
    how = f"in `make book` ({jobs} notebooks at a time)" if jobs > 1 else "in `make book`"
    return nbformat.read(record_run(path, runs, how, folder, notebook.metadata.get("widgets")), as_version=4)


def controls(cell):
    """The model ids of the widgets a code cell displays, progress bars aside."""
    return [output["data"][WIDGET]["model_id"] for output in cell.get("outputs", []) if WIDGET in output.get("data", {})
            and not PROGRESS_BAR.search(output["data"].get("text/plain", ""))]


def widget_outputs(notebook, model_id):
    """What widget `model_id` showed in its Output areas, from the widget state nbclient keeps (it
    routes those outputs there; nbval, which keeps no state, records them as the cell's own)."""
    model = notebook.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {}).get(model_id)
    if model is None:
        return []
    found = list(model["state"].get("outputs", [])) if model.get("model_name") == "OutputModel" else []
    for child in model["state"].get("children", []):
        found += widget_outputs(notebook, child.removeprefix("IPY_MODEL_"))
    return found


def for_the_web(notebook):
    """A copy without nbgrader's solution markers, in which each widget, which needs a kernel, gives
    way to a note and what it displayed for its default settings; progress bars are left out. The
    widget state goes too (myst-nb would fetch the widgets' JavaScript from a CDN to show it)."""
    notebook = nbformat.from_dict(json.loads(json.dumps(notebook)))
    for cell in notebook.cells:
        cell.source = "\n".join(line for line in cell.source.splitlines() if line.strip() not in (BEGIN, END))
        if cell.cell_type != "code":
            continue
        widgets = controls(cell)
        outputs = [output for output in cell.outputs if WIDGET not in output.get("data", {})]
        outputs += [nbformat.from_dict(output) for model in widgets for output in widget_outputs(notebook, model)]
        if widgets:
            shown = any(output.output_type in DISPLAYS for output in outputs)
            outputs.insert(0, nbformat.v4.new_output("display_data", data={
                "text/html": STATIC_WIDGET_NOTE if shown else KERNEL_ONLY_NOTE}))
        cell.outputs = outputs
    notebook.metadata.pop("widgets", None)
    return notebook


def run_sheet(notebook, page):
    """The instructor's run-sheet of one executed lesson, as MyST markdown."""
    title = notebook.cells[0].source.splitlines()[0].lstrip("# ").strip()
    sections, exercises, widgets = [], [], []
    current = _section("Opening")
    code_number = 0
    for cell in notebook.cells:
        heading = re.match(r"##\s+(.+)", cell.source) if cell.cell_type == "markdown" else None
        if heading:
            sections.append(current)
            current = _section(heading.group(1).strip())
        if cell.cell_type == "markdown":
            current["words"] += len(cell.source.split())
            exercises += [(current["name"], m) for m in re.findall(r"^###\s+(Exercise.*)$", cell.source, re.MULTILINE)]
            continue
        code_number += 1
        seconds = cell.metadata.get("course", {}).get("seconds", 0.0)
        current["cells"] += 1
        current["seconds"] += seconds
        if seconds > SLOW_CELL_S:
            current["slow"].append(f"[{code_number}] ({seconds:.0f} s)")
        if controls(cell):
            widgets.append((current["name"], code_number))
    sections.append(current)
    sections = [s for s in sections if (s["cells"] or s["words"]) and not s["name"].startswith(NOT_PRESENTED)]
    compute = sum(s["seconds"] for s in sections)
    talk = sum(s["words"] for s in sections) / WORDS_PER_MINUTE
    lines = [f"# Run-sheet · {title}", "",
             f"Lesson page: [{title}](../lessons/{page}.ipynb). Present it from JupyterLab "
             "(`make lab-solutions`, then Alt+R or the slideshow button): each section is a slide. "
             "Cells are named by their execution count, [1] for the first.", "",
             f"**Timing.** The notebook's {code_number} code cells ran in {compute:.0f} s "
             f"{notebook.metadata.get('course', {}).get('how', '')}, on the machine that built this book "
             "(one torch thread beside another notebook is slower than a lecture laptop's whole CPU). "
             f"Reading its text aloud takes about {talk:.0f} minutes (at {WORDS_PER_MINUTE} words a minute); "
             "plan questions and the exercises on top.", "",
             f"**Before class.** Open the notebook and run its first cell (it loads `utils` and fixes the seed). "
             f"Cells listed under *start early* take over {SLOW_CELL_S:.0f} s: start each as you open its "
             "section and talk while it runs.", "",
             "| section | code cells | compute | talk | start early |", "| --- | ---: | ---: | ---: | --- |"]
    for s in sections:
        lines.append(f"| {s['name']} | {s['cells']} | {s['seconds']:.1f} s | {s['words'] / WORDS_PER_MINUTE:.1f} min "
                     f"| {', '.join(s['slow']) or '—'} |")
    lines.append("")
    if widgets:
        lines += ["**Widgets to use live** (each needs the kernel, so run its cell in class):", ""]
        lines += [f"- {section}: [{number}]" for section, number in widgets] + [""]
    if exercises:
        lines += [f"**Students' turn.** Leave time for these; each checker prints {PASSED} or says which case failed:", ""]
        lines += [f"- {section}: {name}" for section, name in exercises] + [""]
    return "\n".join(lines)


def _section(name):
    return {"name": name, "cells": 0, "seconds": 0.0, "slow": [], "words": 0}


def _table_cell(value):
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, (dict, list)):
        return f"`{json.dumps(value, ensure_ascii=False)}`"
    return str(value).replace("|", "\\|").replace("\n", " ")


def card_page(card):
    """A model card (data/checkpoints/NAME.json) as a page: what was trained, how, and what it measures."""
    lines = [f"# Model card · {card['name']}", "",
             f"`{card.get('model', card['name'])}`, {card.get('parameters', 0):,} parameters, trained "
             f"{card.get('wall_time_s', 0) / 60:.0f} minutes on the {card.get('device', '?')} "
             f"(torch {card.get('torch', '?')}, {card.get('created', '?')}); file sha256 `{card.get('sha256', '?')}`.", ""]
    for heading, key, column in (("Recipe", "recipe", "setting"), ("Metrics", "metrics", "metric")):
        if isinstance(card.get(key), dict):
            lines += [f"## {heading}", "", f"| {column} | value |", "| --- | --- |"]
            lines += [f"| {name} | {_table_cell(value)} |" for name, value in card[key].items()] + [""]
    rest = {k: v for k, v in card.items() if k not in {"name", "model", "parameters", "wall_time_s", "device", "torch",
                                                        "created", "sha256", "recipe", "metrics", "notes"}}
    tables = {k: v for k, v in rest.items() if isinstance(v, list) and v and all(isinstance(row, dict) for row in v)}
    for name, rows in tables.items():  # a list of runs or reports: one row each
        columns = list(dict.fromkeys(column for row in rows for column in row))
        lines += [f"## {name}", "", "| " + " | ".join(columns) + " |", "|" + " --- |" * len(columns)]
        lines += ["| " + " | ".join(_table_cell(row.get(column, "")) for column in columns) + " |" for row in rows] + [""]
    rest = {k: v for k, v in rest.items() if k not in tables}
    if rest:
        lines += ["## More", "", "| field | value |", "| --- | --- |"] + [f"| {k} | {_table_cell(v)} |" for k, v in rest.items()] + [""]
    if card.get("notes"):
        notes = card["notes"] if isinstance(card["notes"], list) else [card["notes"]]
        lines += ["## Notes", ""] + [f"- {note}" for note in notes] + [""]
    return "\n".join(lines)


def write_sources(notebooks, out):
    """The Sphinx source folder: conf.py and the front page, the lesson notebooks, the run-sheets,
    the model cards, the bibliography and MathJax."""
    import mathjax

    if out.exists():
        shutil.rmtree(out)
    shutil.copytree(SITE_FILES, out)
    for folder in ("lessons", "runsheets", "cards"):
        (out / folder).mkdir()
    for page, notebook in notebooks.items():
        nbformat.write(for_the_web(notebook), out / "lessons" / f"{page}.ipynb")
        (out / "runsheets" / f"{page}.md").write_text(run_sheet(notebook, page), encoding="utf-8")
    for card_path in sorted(CARDS.glob("*.json")):
        card = json.loads(card_path.read_text(encoding="utf-8"))
        (out / "cards" / f"{card['name']}.md").write_text(card_page(card), encoding="utf-8")
    (out / "references.md").write_text(bibliography_page(load_references()), encoding="utf-8")
    shutil.copytree(Path(mathjax.__file__).parent / "static" / "mathjax" / "es5", out / "_static" / "mathjax")


def build(jobs=2, out=BOOK):
    """Build the website into `out`/html; returns the path of its front page."""
    from sphinx.cmd.build import build_main

    paths = sorted(SOLUTIONS.glob("[0-9][0-9]_*.ipynb"))
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        notebooks = dict(zip((p.stem for p in paths), pool.map(lambda path: with_outputs(path, jobs), paths)))
    write_sources(notebooks, out / "source")
    shutil.rmtree(out / "html", ignore_errors=True)   # no page of a renamed lesson or card stays behind
    status = build_main(["-b", "html", "-q", "-W", "--keep-going", "-d", str(out / "doctrees"),
                         str(out / "source"), str(out / "html")])
    if status:
        raise SystemExit(f"sphinx-build failed (exit {status}): see the warnings above")
    return out / "html" / "index.html"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2, help="notebooks executed at once when outputs are missing")
    index = build(jobs=parser.parse_args(argv).jobs)
    print(f"The book: {index}")


if __name__ == "__main__":
    main()
