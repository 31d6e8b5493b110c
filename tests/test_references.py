"""The course bibliography (data/references.bib): it parses, its keys are unique, every entry has
an author, a title and a year, and every lesson an entry names lists it in its references section."""
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BIB = ROOT / "data" / "references.bib"
ENTRY = re.compile(r"@(\w+)\{([^,\s]+),(.*?)\n\}", re.DOTALL)
FIELD = re.compile(r"(\w+)\s*=\s*\{((?:[^{}]|\{[^{}]*\})*)\}")


def entries():
    text = BIB.read_text(encoding="utf-8")
    found = [(kind, key, dict(FIELD.findall(body))) for kind, key, body in ENTRY.findall(text)]
    assert len(found) == text.count("\n@") + text.startswith("@"), "an entry that does not parse"
    return found


def references_of(lesson):
    path = next((ROOT / "solutions").glob(f"{lesson}_*.ipynb"))
    cells = ["".join(cell["source"]) for cell in json.loads(path.read_text())["cells"] if cell["cell_type"] == "markdown"]
    return next(cell for cell in cells if cell.startswith("## References"))


def test_the_bibliography_parses_with_unique_keys_and_the_basic_fields():
    found = entries()
    keys = [key for _, key, _ in found]
    assert found and len(keys) == len(set(keys))
    for _, key, fields in found:
        missing = {"author", "title", "year", "lessons"} - set(fields)
        assert not missing, f"{key}: no {sorted(missing)}"
        assert re.fullmatch(r"(19|20)\d\d", fields["year"]), f"{key}: year {fields['year']!r}"


@pytest.mark.parametrize("kind, key, fields", entries(), ids=lambda value: value if isinstance(value, str) else "")
def test_each_entry_is_listed_by_the_lessons_it_names(kind, key, fields):
    for lesson in fields["lessons"].split(","):
        assert fields["title"] in references_of(lesson.strip()), f"{key}: lesson {lesson} does not list {fields['title']!r}"
