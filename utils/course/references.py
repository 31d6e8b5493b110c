"""The course bibliography, data/references.bib, read with bibtexparser (lesson 10).

Each entry holds what identifies a work — authors, title, venue, year and, where one exists, a DOI
or an arXiv id (`eprint`) — and two fields of the course's own: `lessons`, the lessons that cite it,
and `code`, the dotted names in `utils` that implement or use it. From these:

    entries = load_references()            # [{key, authors, surnames, title, venue, year, link, lessons, code}]
    cite(entry)                            # "Shi et al. 2015", as the docstrings cite
    resolve("utils.flow.lucas_kanade")     # the function itself, or None when the name does not exist
    citations(text)                        # [("Shi", 2015), …]: the author–year citations in a text
    course_citations()                     # every one in a docstring of utils or a lesson's markdown
    cited_by(entries, "Shi", 2015)         # the entries such a citation can mean (can_mean: one entry)
    code_table(entries)                    # each mapped name: what it is, where it is defined, its docstring
    references_section("03")               # lesson 03's "## References" cell; lists(section, entry): is it there?
    bibliography_page(entries)             # the whole bibliography as the book's markdown page

tests/test_references.py checks with them that every entry is cited, that every citation in a
docstring or a lesson has an entry, and that every name in `code` exists.
"""
import ast
import importlib
import json
import re
from pathlib import Path

from utils.course.lessons import ROOT, SOLUTIONS

BIB = ROOT / "data" / "references.bib"
VENUE_FIELDS = ("journal", "booktitle", "howpublished", "publisher", "note")
NEW_ARXIV_ID = re.compile(r"(\d\d)(\d\d)\.\d{4,5}(v\d+)?")      # YYMM.NNNNN, since April 2007
OLD_ARXIV_ID = re.compile(r"[a-z\-]+(\.[A-Z]{2})?/(\d\d)(\d\d)\d{3}(v\d+)?")   # archive/YYMMNNN, before
# An author–year citation as the course writes it: "Shi et al. 2015", "Denton & Fergus 2018",
# "Huang, Zhang, Heng, Shi & Zhou, ECCV 2022", "Lucas & Kanade (1981)", and one name only inside
# parentheses: "(Otsu 1979)".
_NAME = r"(?:van den |van |Le |Ó )?[A-Z][a-zß-ÿ'’]+(?:[A-Z][a-zß-ÿ'’]+)?(?:-[A-Z][a-zß-ÿ'’]+)*"   # LeCun; not MoCoGAN, DiT, ICLR
_YEAR = r",? \(?(?:[A-Z]{2,} )?((?:19|20)\d\d)\b"   # "Shi et al. 2015", "Shi et al. (2015)", "…, ECCV 2022"
CITATION = re.compile(rf"\b({_NAME})(?: et al\.|(?:, {_NAME})*,? & {_NAME}){_YEAR}|\(({_NAME}){_YEAR}")


def load_references(path=BIB):
    """The entries of the bibliography as plain dicts, LaTeX accents decoded, in file order.
    Raises ValueError naming the block bibtexparser could not read."""
    import bibtexparser
    from bibtexparser import middlewares
    from pylatexenc.latex2text import LatexNodes2Text

    # authors are split before LaTeX is decoded, so that the braces of {Blender Foundation} still
    # keep a name whole; the parts of each name are decoded here ({\'O} → Ó)
    library = bibtexparser.parse_file(str(path), append_middleware=[
        middlewares.SeparateCoAuthors(), middlewares.SplitNameParts(), middlewares.LatexDecodingMiddleware()])
    if library.failed_blocks:
        block = library.failed_blocks[0]
        raise ValueError(f"{path.name}: could not parse the entry starting at line {block.start_line + 1}: {block.error}")
    decode = LatexNodes2Text().latex_to_text
    return [_entry(item, decode) for item in library.entries]


def _entry(item, decode):
    fields = {key: value.value if hasattr(value, "value") else value for key, value in item.fields_dict.items()}
    authors = [(decode(" ".join(name.first)), decode(" ".join(name.von + name.last))) for name in fields.get("author", [])]
    venue = next((fields[field] for field in VENUE_FIELDS if field in fields), "")
    return {"key": item.key, "kind": item.entry_type, "authors": authors,
            "surnames": [last for _, last in authors if last != "others"],
            "title": fields.get("title", ""), "venue": venue, "year": int(fields["year"]) if "year" in fields else None,
            "doi": fields.get("doi"), "eprint": fields.get("eprint"), "url": fields.get("url"),
            "link": link(fields), "lessons": _list(fields.get("lessons")), "code": _list(fields.get("code"))}


def _list(text):
    return [part.strip() for part in (text or "").split(",") if part.strip()]


def link(fields):
    """Where to read the work: its DOI, else its arXiv page, else its url ('' if none)."""
    if fields.get("doi"):
        return f"https://doi.org/{fields['doi']}"
    if fields.get("eprint"):
        return f"https://arxiv.org/abs/{fields['eprint']}"
    return fields.get("url") or ""


def cite(entry):
    """The short author–year citation: 'Otsu 1979', 'Denton & Fergus 2018', 'Shi et al. 2015'."""
    names, year = entry["surnames"], entry["year"]
    if len(names) == 1 and len(entry["authors"]) == 1:
        return f"{names[0]} {year}"
    if len(names) == 2 and len(entry["authors"]) == 2:
        return f"{names[0]} & {names[1]} {year}"
    return f"{names[0]} et al. {year}"


def arxiv_year(eprint):
    """The year an arXiv id was issued: '2104.10157' → 2021, 'hep-th/9901001' → 1999."""
    new, old = NEW_ARXIV_ID.fullmatch(eprint), OLD_ARXIV_ID.fullmatch(eprint)
    if new:
        return 2000 + int(new.group(1))
    if old:
        year = int(old.group(2))
        return 1900 + year if year >= 91 else 2000 + year   # arXiv began in 1991
    raise ValueError(f"eprint: expected an arXiv id such as '2104.10157' or 'hep-th/9901001'; got {eprint!r}")


def resolve(dotted):
    """The object a dotted name points at — a module, class, function, method or constant of the
    course — or None when no such object exists."""
    parts = dotted.split(".")
    for split in range(len(parts), 0, -1):
        module = ".".join(parts[:split])
        try:
            found = importlib.import_module(module)
        except ModuleNotFoundError as err:
            if module != err.name and not module.startswith(f"{err.name}."):
                raise   # the module exists but needs a package that is missing: say so, do not guess
            continue
        for attribute in parts[split:]:
            found = getattr(found, attribute, None)
            if found is None:
                return None
        return found
    return None


def citations(text):
    """The author–year citations in a text, as (surname, year) pairs, whitespace evened out first."""
    return [(name or lone_name, int(year or lone_year))
            for name, year, lone_name, lone_year in CITATION.findall(" ".join(text.split()))]


def references_section(lesson, folder=SOLUTIONS):
    """The markdown of lesson `lesson`'s "## References" cell ('' when it has none)."""
    path = next(folder.glob(f"{lesson}_*.ipynb"), None)
    if path is None:
        raise ValueError(f"lesson: expected the number of a lesson in {folder.name}/, such as '03'; got {lesson!r}")
    cells = ["".join(cell["source"]) for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]
             if cell["cell_type"] == "markdown"]
    return next((cell for cell in cells if cell.startswith("## References")), "")


def lists(section, entry):
    """Whether a references section lists `entry`: its full title, not as the start of a longer one."""
    return re.search(re.escape(entry["title"]) + r"(?![\w-])", section) is not None


def course_citations(root=ROOT):
    """Every author–year citation of the course, as (source, where, surname, year): source is
    "utils docstrings" (where: the file) or "lessons" (where: the solution notebook's markdown)."""
    found = []
    for path in sorted((root / "utils").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef)) and ast.get_docstring(node):
                where = str(path.relative_to(root))
                found += [("utils docstrings", where, name, year) for name, year in citations(ast.get_docstring(node))]
    for path in sorted((root / "solutions").glob("*.ipynb")):
        for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
            if cell["cell_type"] == "markdown":
                found += [("lessons", path.name, name, year) for name, year in citations("".join(cell["source"]))]
    return found


def can_mean(entry, surname, year):
    """Whether the citation 'surname year' can mean `entry`: one of its authors has that surname,
    and the year is the entry's or its arXiv id's (a work is often cited by its preprint's year)."""
    years = {entry["year"]} | ({arxiv_year(entry["eprint"])} if entry["eprint"] else set())
    return surname in entry["surnames"] and year in years


def cited_by(entries, surname, year):
    """The entries a citation 'surname year' can mean."""
    return [entry for entry in entries if can_mean(entry, surname, year)]


def code_table(entries):
    """One row per name an entry maps to: the entry's key and short citation, the name, what it is
    (module, class, function, …), where it is defined (file:line) and the first line of its docstring."""
    import inspect
    rows = []
    for entry in entries:
        for name in entry["code"]:
            found = resolve(name)
            kind = "module" if inspect.ismodule(found) else "class" if inspect.isclass(found) else \
                "function" if callable(found) else "constant" if found is not None else "missing"
            try:
                where = str(Path(inspect.getsourcefile(found)).relative_to(ROOT))
                where += "" if kind == "module" else f":{inspect.getsourcelines(found)[1]}"
            except (TypeError, OSError, ValueError):   # built-in, or defined outside the course
                where = ""
            # its own docstring only: inspect.getdoc would show a class's base's (nn.Module's) instead
            own = vars(found).get("__doc__") if kind == "class" else getattr(found, "__doc__", None)
            doc = inspect.cleandoc(own).split("\n")[0] if kind in ("module", "class", "function") and own else ""
            rows.append({"entry": entry["key"], "cited as": cite(entry), "code": name, "kind": kind, "defined at": where,
                         "what it says": doc})
    return rows


def find(entries, text):
    """The entries whose key, authors, title, venue, year, lessons or code contain `text` (any case)."""
    text = text.lower()
    def haystack(entry):
        return " ".join([entry["key"], " ".join(f"{first} {last}" for first, last in entry["authors"]), entry["title"],
                         entry["venue"], str(entry["year"]), " ".join(entry["lessons"]), " ".join(entry["code"])]).lower()
    return [entry for entry in entries if text in haystack(entry)]


def bibliography_page(entries):
    """The bibliography as a markdown page (the book's): every entry with its link and the lessons citing it."""
    lines = ["# References", "", f"The {len(entries)} works the lessons cite, from `data/references.bib` "
             "(lesson 10 shows how to search it and how each entry maps to the course's code).", ""]
    for entry in sorted(entries, key=lambda e: (e["surnames"][0] if e["surnames"] else e["title"], e["year"] or 0)):
        where = f" *{entry['venue']}*." if entry["venue"] else ""
        link = f" <{entry['link']}>" if entry["link"] else ""
        lessons = f" Lessons {', '.join(entry['lessons'])}." if entry["lessons"] else ""
        lines.append(f"- **{cite(entry)}**. {entry['title']}.{where}{link}{lessons}")
    return "\n".join(lines) + "\n"
