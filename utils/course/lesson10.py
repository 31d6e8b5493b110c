"""Exercise checkers of lesson 10 (References): see utils.course.checker for how they report.
The expected answers are written out by hand."""
import importlib
import numbers

from utils import flow
from utils.course.checker import compare_bool, describe, run_cases
from utils.models import convlstm


def _compare_year(got, expected):
    if isinstance(got, bool) or not isinstance(got, numbers.Integral):   # a NumPy integer is fine, True is not
        return f"expected a year as an int; got a {describe(got)}"
    return None if got == expected else f"expected {expected}, got {got}"


def check_arxiv_year(student_fn):
    """arxiv_year(eprint): the year of an arXiv id, new style YYMM.NNNNN (2007 on) or old style
    archive/YYMMNNN (1991–2007)."""
    cases = [("VideoGPT's id", ("2104.10157",), 2021),
             ("the first new-style id, April 2007", ("0704.0001",), 2007),
             ("an id with a version", ("1308.3432v2",), 2013),
             ("a five-digit number, 2015 on", ("1512.03385",), 2015),
             ("an old-style id from 1999", ("hep-th/9901001",), 1999),
             ("an old-style id from 2003, with a subject class", ("math.GT/0309136",), 2003)]
    return run_cases("arxiv_year", student_fn, cases, compare=_compare_year)


class _NotYetImported(str):
    """A module a case expects that nothing has imported yet: the checker imports it only after
    the student's function ran, so finding it takes an import, not attributes of its package."""


def _compare_same(got, expected):
    if isinstance(expected, _NotYetImported):
        expected = importlib.import_module(expected)
    if got is expected:
        return None
    return f"expected {'None' if expected is None else describe(expected)}; got {'None' if got is None else describe(got)}"


def _shown(value):
    return f"the module {value}" if isinstance(value, _NotYetImported) else "None" if value is None else describe(value)


def check_resolve(student_fn):
    """resolve(dotted): the module, class, function or method a dotted name points at; None when
    there is none."""
    cases = [("a module", ("utils.flow",), flow),
             ("a function in a module", ("utils.flow.lucas_kanade",), flow.lucas_kanade),
             ("a class in a module of a package", ("utils.models.convlstm.ConvLSTMPredictor",), convlstm.ConvLSTMPredictor),
             ("a method of that class", ("utils.models.convlstm.ConvLSTMPredictor.rollout",), convlstm.ConvLSTMPredictor.rollout),
             ("a function that does not exist", ("utils.flow.no_such_function",), None),
             ("a module that does not exist", ("utils.no_such_module.anything",), None),
             ("a module of a package that nothing has imported yet: a package has a submodule as an attribute "
              "only once it is imported", ("email.mime.audio",), _NotYetImported("email.mime.audio"))]
    return run_cases("resolve", student_fn, cases, compare=_compare_same, shown=_shown)


def check_can_mean(student_fn):
    """can_mean(entry, surname, year): one of the entry's authors has that surname, and the year is
    the entry's or the year of its arXiv id."""
    shi = {"surnames": ["Shi", "Chen", "Wang", "Yeung", "Wong", "Woo"], "year": 2015, "eprint": "1506.04214"}
    cfg = {"surnames": ["Ho", "Salimans"], "year": 2021, "eprint": "2207.12598"}
    otsu = {"surnames": ["Otsu"], "year": 1979, "eprint": None}
    hoogeboom = {"surnames": ["Hoogeboom", "Heek", "Salimans"], "year": 2023, "eprint": "2301.11093"}
    cases = [("the first author and the year", (shi, "Shi", 2015), True),
             ("another author and the year", (shi, "Yeung", 2015), True),
             ("the right author, the wrong year", (shi, "Shi", 2016), False),
             ("a name that is not an author", (shi, "Smith", 2015), False),
             ("a surname that only begins another's: Ho is not Hoogeboom", (hoogeboom, "Ho", 2023), False),
             ("the year of the arXiv id, not of the venue", (cfg, "Ho", 2022), True),
             ("the venue's year of an entry that has an arXiv id", (cfg, "Ho", 2021), True),
             ("no arXiv id: only the entry's year", (otsu, "Otsu", 1979), True),
             ("no arXiv id and another year", (otsu, "Otsu", 1980), False)]
    return run_cases("can_mean", student_fn, cases, compare=compare_bool)
