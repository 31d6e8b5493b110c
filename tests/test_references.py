"""The course bibliography (data/references.bib, read with bibtexparser by utils.course.references):
every entry identified and cited, every citation in a docstring or a lesson backed by an entry,
every lesson an entry names listing it, and every name an entry maps to existing in `utils`."""
from pathlib import Path

import pytest

from utils.course import references

ROOT = Path(__file__).resolve().parent.parent
ENTRIES = references.load_references()
SOLUTIONS = sorted((ROOT / "solutions").glob("*.ipynb"))


def test_the_bibliography_parses_with_unique_keys_and_the_basic_fields():
    keys = [entry["key"] for entry in ENTRIES]
    assert len(ENTRIES) >= 100 and len(keys) == len(set(keys))
    for entry in ENTRIES:
        assert entry["authors"] and entry["title"] and entry["venue"], f"{entry['key']}: authors, title and venue"
        assert entry["year"] and 1900 < entry["year"] <= 2026, f"{entry['key']}: year {entry['year']}"
        if entry["eprint"]:   # a well-formed arXiv id, within two years of the entry (preprint, then venue)
            assert abs(references.arxiv_year(entry["eprint"]) - entry["year"]) <= 2, entry["key"]


def test_every_entry_is_cited_by_a_lesson():
    uncited = [entry["key"] for entry in ENTRIES if not entry["lessons"]]
    assert not uncited, f"entries no lesson cites: {uncited}"


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda entry: entry["key"])
def test_each_entry_is_listed_by_the_lessons_it_names(entry):
    for lesson in entry["lessons"]:
        assert references.lists(references.references_section(lesson), entry), \
            f"{entry['key']}: lesson {lesson} does not list {entry['title']!r}"


@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda path: path.name)
def test_every_work_a_lesson_lists_is_in_the_bibliography(path):
    cell = references.references_section(path.name[:2])
    listed = [line for line in cell.splitlines() if line.startswith("- ")]
    assert listed, f"{path.name}: its references section lists nothing"
    missing = [line[:90] for line in listed if not any(references.lists(line, entry) for entry in ENTRIES)]
    assert not missing, f"{path.name} lists works that data/references.bib lacks: {missing}"


def test_every_author_year_citation_in_a_docstring_or_a_lesson_has_an_entry():
    cited = references.course_citations()
    assert {source for source, *_ in cited} == {"utils docstrings", "lessons"} and len(cited) > 100   # it finds them at all
    missing = [f"{where}: {name} {year}" for _, where, name, year in cited if not references.cited_by(ENTRIES, name, year)]
    assert not missing, "citations without an entry in data/references.bib:\n" + "\n".join(missing)


@pytest.mark.parametrize("entry", [entry for entry in ENTRIES if entry["code"]], ids=lambda entry: entry["key"])
def test_every_name_an_entry_maps_to_exists(entry):
    missing = [name for name in entry["code"] if not name.startswith("utils.") or references.resolve(name) is None]
    assert not missing, f"{entry['key']}: no such object in utils: {missing}"


def test_the_code_table_shows_each_objects_own_docstring_and_where_it_is():
    rows = references.code_table(ENTRIES)
    undocumented = [row["code"] for row in rows if row["kind"] in ("module", "class", "function") and not row["what it says"]]
    assert not undocumented, f"no docstring of their own (lesson 10's table would show a blank): {undocumented}"
    assert not [row for row in rows if row["what it says"].startswith("Base class for all neural network modules")]
    modules = [row["defined at"] for row in rows if row["kind"] == "module"]
    assert modules and all(where.endswith(".py") for where in modules), modules   # a file, not file:0
    assert all(row["defined at"].rsplit(":", 1)[1].isdigit() for row in rows if row["kind"] in ("class", "function"))


def test_the_citation_search_reads_the_forms_the_course_writes():
    text = ("(Otsu 1979), Shi et al. 2015, Denton & Fergus 2018; Huang, Zhang, Heng, Shi & Zhou, ECCV 2022 (DiT, Peebles & Xie 2023); "
            "Mathieu, Couprie & LeCun 2016; MoCoGAN 2018")
    assert references.citations(text) == [("Otsu", 1979), ("Shi", 2015), ("Denton", 2018), ("Huang", 2022), ("Peebles", 2023),
                                          ("Mathieu", 2016)]
    assert references.citations("NeurIPS 2015, in March 2025 (MICCAI 2015)") == []
    assert references.citations("as Shi et al. (2015) and Lucas & Kanade (1981) show") == [("Shi", 2015), ("Lucas", 1981)]


def test_resolve_finds_modules_classes_and_methods_and_nothing_else():
    from utils import flow
    from utils.models import convlstm
    assert references.resolve("utils.flow") is flow and references.resolve("utils.flow.lucas_kanade") is flow.lucas_kanade
    assert references.resolve("utils.models.convlstm.ConvLSTMPredictor.rollout") is convlstm.ConvLSTMPredictor.rollout
    assert references.resolve("utils.flow.no_such_function") is None and references.resolve("utils.no_such_module.f") is None


def test_a_title_is_listed_only_whole():
    entry = {"title": "Deep Learning"}
    assert references.lists("- I. Goodfellow et al. Deep Learning. MIT Press, 2016.", entry)
    assert not references.lists("- Deep Learning-based video coding, 2020.", entry)
    assert not references.lists("- Deep Learningless, 2020.", entry)


@pytest.mark.parametrize("eprint, year", [("2104.10157", 2021), ("0704.0001", 2007), ("1308.3432v2", 2013), ("hep-th/9901001", 1999),
                                          ("math.GT/0309136", 2003)])
def test_arxiv_year(eprint, year):
    assert references.arxiv_year(eprint) == year


def test_a_broken_bibliography_names_the_entry(tmp_path):
    broken = tmp_path / "broken.bib"
    broken.write_text("@article{good, author = {A, B}, title = {T}, journal = {J}, year = {2000}}\n\n@article{bad, title = {unclosed\n")
    with pytest.raises(ValueError, match="broken.bib: could not parse the entry starting at line 3"):
        references.load_references(broken)


def test_the_books_bibliography_page_lists_every_entry_with_its_link():
    page = references.bibliography_page(ENTRIES)
    assert page.startswith("# References") and page.count("\n- **") == len(ENTRIES)
    assert all(entry["title"] in page and entry["link"] in page for entry in ENTRIES)
