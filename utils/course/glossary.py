"""The course's bilingual glossary (English · 中文), kept in data/glossary.json: each term with its
Chinese name, a definition in both languages and the lessons that use it. Each lesson ends with a
glossary section drawn from it, and the first use of each of its terms in the lesson links there.

    python -m utils.course.glossary           write the glossary sections and links into solutions/
    python -m utils.course.glossary --check   exit 1 if a solution's glossary is out of date

`python -m utils.course.lessons` then carries them into lessons/.

The links are anchors within the notebook, to one heading per term. JupyterLab names a heading by
its text with spaces turned into hyphens ("#### optical flow" → #optical-flow), so a term is
written with letters, digits, spaces and hyphens only.
"""
import argparse
import json
import re
import sys

import nbformat

from utils.course.lessons import BEGIN, END, ROOT, SOLUTIONS, render

GLOSSARY = ROOT / "data" / "glossary.json"
HEADING = "## Glossary · 术语表"
REFERENCES = "## References"
FIELDS = ("term", "zh", "definition", "definition_zh", "lessons")
TERM_CHARACTERS = re.compile(r"[A-Za-z0-9][A-Za-z0-9 -]*")
# spans where a term is not linked: code, maths, existing links, HTML tags
PROTECTED = re.compile(r"`[^`]*`|\$\$.*?\$\$|\$[^$\n]*\$|\[[^\]]*\]\([^)]*\)|<[^>]+>", re.DOTALL)


def load_glossary(path=GLOSSARY):
    """The entries of the glossary file, checked: every field present, terms unique and usable as anchors."""
    entries = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(entries, list):
        raise ValueError(f"{path.name}: expected a list of entries; got {type(entries).__name__}")
    seen = set()
    for number, entry in enumerate(entries):
        missing = [field for field in FIELDS if not entry.get(field)]
        if missing:
            raise ValueError(f"{path.name}, entry {number} ({entry.get('term', '?')!r}): expected the fields "
                             f"{', '.join(FIELDS)}; {', '.join(missing)} missing or empty")
        term = entry["term"]
        if not TERM_CHARACTERS.fullmatch(term):
            raise ValueError(f"{path.name}: term {term!r}: expected letters, digits, spaces and hyphens only "
                             "(the term is also its heading's anchor)")
        if term.lower() in seen:
            raise ValueError(f"{path.name}: term {term!r} appears twice")
        seen.add(term.lower())
    return entries


def anchor(term):
    """The id JupyterLab gives the term's heading: its text, spaces turned into hyphens."""
    return term.replace(" ", "-")


def terms_of(entries, lesson):
    """The entries lesson "NN" uses, in alphabetical order."""
    return sorted((entry for entry in entries if lesson in entry["lessons"]), key=lambda entry: entry["term"].lower())


def glossary_section(entries, lesson):
    """The markdown of lesson "NN"'s glossary cell."""
    parts = [HEADING, "Each term is linked from its first use in this lesson. 每个术语在本课首次出现处均有链接。"]
    for entry in terms_of(entries, lesson):
        parts.append(f"#### {entry['term']}\n**{entry['zh']}** — {entry['definition']}  \n{entry['definition_zh']}")
    return "\n\n".join(parts)


def link_first_uses(cells, entries):
    """Link the first use of each term in the markdown cells' text (not in headings, code, maths,
    links, the references, or solution regions, which the student's copy does not have). Returns the terms linked
    now or before; edits the cells in place."""
    pending = {entry["term"]: _term_pattern(entry["term"]) for entry in entries}
    linked = set()
    for cell in cells:
        if cell.cell_type != "markdown" or cell.source.startswith((HEADING, REFERENCES)):
            continue
        for term in list(pending):
            if f"](#{anchor(term)})" in cell.source:
                linked.add(term)
                del pending[term]
        lines, in_solution = cell.source.split("\n"), False
        for number, line in enumerate(lines):
            if line.strip() in (BEGIN, END):
                in_solution = line.strip() == BEGIN
                continue
            if in_solution or line.lstrip().startswith("#"):
                continue
            for term in list(pending):
                line, found = _link_once(line, term, pending[term])
                if found:
                    linked.add(term)
                    del pending[term]
            lines[number] = line
        cell.source = "\n".join(lines)
    return linked


def _term_pattern(term):
    words = re.escape(term).replace(r"\ ", r"\s").replace(r"\-", "[-‑–]")     # Lucas–Kanade is written with an en dash
    return re.compile(rf"(?<![\w-]){words}(?:s|es)?(?![\w-])", re.IGNORECASE)


def _link_once(line, term, pattern):
    """Link the first unprotected match of `pattern` in `line`; returns (line, whether it linked)."""
    protected = [match.span() for match in PROTECTED.finditer(line)]
    for match in pattern.finditer(line):
        if any(start < match.end() and match.start() < end for start, end in protected):
            continue
        text = match.group(0)
        return f"{line[:match.start()]}[{text}](#{anchor(term)}){line[match.end():]}", True
    return line, False


def apply(notebook, lesson, entries):
    """Write lesson "NN"'s glossary cell (before References, or at the end) and its links."""
    previous = [cell for cell in notebook.cells if cell.cell_type == "markdown" and cell.source.startswith(HEADING)]
    cells = [cell for cell in notebook.cells if not any(cell is old for old in previous)]
    section = nbformat.v4.new_markdown_cell(glossary_section(entries, lesson))
    section.id = f"glossary-{lesson}"
    if previous:
        section.metadata = previous[0].metadata   # what the lesson generator wrote there (its slide type)
    references = next((i for i, cell in enumerate(cells) if cell.source.startswith(REFERENCES)), len(cells))
    cells.insert(references, section)
    notebook.cells = cells
    link_first_uses(cells, terms_of(entries, lesson))
    return notebook


def generate(solutions=SOLUTIONS, check=False):
    """Apply the glossary to every solution; returns the names that changed (or would)."""
    entries, changed = load_glossary(), []
    for path in sorted(solutions.glob("[0-9][0-9]_*.ipynb")):
        before = path.read_text(encoding="utf-8")
        notebook = apply(nbformat.reads(before, as_version=4), path.name[:2], entries)
        after = render(notebook)
        if after != before:
            changed.append(path.name)
            if not check:
                path.write_text(after, encoding="utf-8")
    return changed


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m utils.course.glossary", description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if a solution's glossary is out of date")
    args = parser.parse_args(argv)
    changed = generate(check=args.check)
    verb = "out of date" if args.check else "updated"
    print(f"{verb}: {', '.join(changed)}" if changed else "the glossary sections are up to date")
    return 1 if args.check and changed else 0


if __name__ == "__main__":
    sys.exit(main())
