"""The bilingual glossary: its data is well formed, every lesson's glossary section is drawn from it,
every term a lesson lists is linked from the lesson's text, and every in-notebook link lands on a
heading (by JupyterLab's rule for heading ids)."""
import json
import re

import nbformat
import pytest

from utils.course import glossary
from utils.course.lessons import LESSONS, SOLUTIONS

NOTEBOOKS = sorted(SOLUTIONS.glob("[0-9][0-9]_*.ipynb")) + sorted(LESSONS.glob("[0-9][0-9]_*.ipynb"))
IN_NOTEBOOK_LINK = re.compile(r"\]\(#([^)\s]+)\)")


def _markdown(path):
    return [cell.source for cell in nbformat.read(path, as_version=4).cells if cell.cell_type == "markdown"]


def test_the_glossary_data_is_well_formed_and_every_term_is_used():
    entries = glossary.load_glossary()
    lessons = {path.name[:2] for path in SOLUTIONS.glob("[0-9][0-9]_*.ipynb")}
    assert len(entries) >= 30
    for entry in entries:
        assert set(entry["lessons"]) <= lessons, f"{entry['term']}: lessons {entry['lessons']}, solutions have {sorted(lessons)}"
        assert re.search(r"[\u4e00-\u9fff]", entry["zh"] + entry["definition_zh"]), f"{entry['term']}: no Chinese"


def test_the_solutions_carry_the_current_glossary():
    assert glossary.generate(check=True) == [], "run: python -m utils.course.glossary, then python -m utils.course.lessons"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: f"{path.parent.name}/{path.name}")
def test_every_term_is_linked_and_every_link_lands_on_a_heading(path):
    cells = _markdown(path)
    headings = {glossary.anchor(line.lstrip("#").strip()) for cell in cells for line in cell.splitlines()
                if line.startswith("#")}
    links = {target for cell in cells for target in IN_NOTEBOOK_LINK.findall(cell)}
    assert links <= headings, f"links to no heading: {sorted(links - headings)}"
    text = [cell for cell in cells if not cell.startswith(glossary.HEADING)]
    linked = {target for cell in text for target in IN_NOTEBOOK_LINK.findall(cell)}
    listed = {glossary.anchor(entry["term"]) for entry in glossary.terms_of(glossary.load_glossary(), path.name[:2])}
    assert listed and listed <= linked, f"terms in the glossary section but never linked: {sorted(listed - linked)}"


def test_links_go_to_the_first_use_outside_code_maths_headings_and_links():
    cells = [nbformat.v4.new_markdown_cell(source) for source in (
        "## Optical flow in a heading",
        "Call `optical_flow()` or see [optical flow](https://example.org); $optical flow$ too.",
        "Optical flows are fields. Optical flow again.",
    )]
    entries = [{"term": "optical flow"}]
    assert glossary.link_first_uses(cells, entries) == {"optical flow"}
    assert cells[0].source == "## Optical flow in a heading"
    assert "[optical flow](https://example.org)" in cells[1].source and "](#optical-flow)" not in cells[1].source
    assert cells[2].source == "[Optical flows](#optical-flow) are fields. Optical flow again."
    glossary.link_first_uses(cells, entries)  # a second run changes nothing
    assert cells[2].source == "[Optical flows](#optical-flow) are fields. Optical flow again."


def test_a_term_in_a_solution_region_is_left_for_the_students_copy():
    cells = [nbformat.v4.new_markdown_cell(f"{glossary.BEGIN}\nThe codec answers it.\n{glossary.END}\nA codec.")]
    glossary.link_first_uses(cells, [{"term": "codec"}])
    assert cells[0].source.endswith("A [codec](#codec).") and "The codec answers" in cells[0].source


@pytest.mark.parametrize("entries, message", [
    ([{"term": "codec", "zh": "编解码器", "definition": "d", "definition_zh": "d", "lessons": ["01"]}] * 2, "appears twice"),
    ([{"term": "Lucas–Kanade", "zh": "z", "definition": "d", "definition_zh": "d", "lessons": ["02"]}], "hyphens only"),
    ([{"term": "codec", "zh": "", "definition": "d", "definition_zh": "d", "lessons": ["01"]}], "zh missing or empty"),
    ({"codec": "编解码器"}, "expected a list of entries"),
])
def test_a_malformed_glossary_is_refused_with_the_reason(tmp_path, entries, message):
    path = tmp_path / "glossary.json"
    path.write_text(json.dumps(entries, ensure_ascii=False))
    with pytest.raises(ValueError, match=message):
        glossary.load_glossary(path)
