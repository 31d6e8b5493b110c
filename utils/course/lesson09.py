"""Exercise checkers of lesson 09 (Summary and discussion): see utils.course.checker for how they report.
The expected answers are worked out by hand for small cases."""
import math
import numbers

from utils.course.checker import describe, run_cases


def _compare_names(got, expected):
    if not isinstance(got, (list, tuple)) or not all(isinstance(name, str) for name in got):
        return f"expected a list of names; got a {describe(got)}"
    return None if list(got) == expected else f"expected {expected}, got {list(got)}"


def check_pareto_front(student_fn):
    """pareto_front(points): {name: (quality, cost)}, lower is better for both → the names no
    other point beats on both, cheapest first."""
    cases = [("three points, each best at something", ({"a": (1.0, 9.0), "b": (2.0, 4.0), "c": (5.0, 1.0)},), ["c", "b", "a"]),
             ("d is worse than b on both: it is not on the front",
              ({"a": (1.0, 9.0), "b": (2.0, 4.0), "d": (3.0, 5.0)},), ["b", "a"]),
             ("e ties b on quality but costs more: b beats it", ({"b": (2.0, 4.0), "e": (2.0, 6.0)},), ["b"]),
             ("two identical points beat neither each other", ({"f": (2.0, 4.0), "g": (2.0, 4.0)},), ["f", "g"]),
             ("one point is its own front", ({"only": (7.0, 7.0)},), ["only"])]
    return run_cases("pareto_front", student_fn, cases, compare=_compare_names)


def _compare_close(got, expected):
    if isinstance(got, bool) or not isinstance(got, numbers.Real):   # a NumPy float is fine, True is not
        return f"expected a number; got a {describe(got)}"
    return None if math.isclose(got, expected, abs_tol=1e-6) else f"expected {expected:.4f}, got {got:.4f}"


def check_kendall_tau(student_fn):
    """kendall_tau(first, second): +1 for the same order, −1 reversed, (agreeing − swapped pairs) / pairs."""
    cases = [("the same order", (["a", "b", "c", "d"], ["a", "b", "c", "d"]), 1.0),
             ("reversed", (["a", "b", "c", "d"], ["d", "c", "b", "a"]), -1.0),
             ("one neighbouring swap among 4 (1 of 6 pairs swapped)", (["a", "b", "c", "d"], ["b", "a", "c", "d"]), 4 / 6),
             ("the first and last swapped among 3 (all 3 pairs swapped)", (["a", "b", "c"], ["c", "b", "a"]), -1.0),
             ("the first moved to the end among 3 (2 of 3 pairs swapped)", (["a", "b", "c"], ["b", "c", "a"]), -1 / 3)]
    return run_cases("kendall_tau", student_fn, cases, compare=_compare_close)


def _compare_ranks(got, expected):
    try:
        pairs = [(name, float(place)) for name, place in got]
    except (TypeError, ValueError):
        return f"expected a list of (name, mean position) pairs; got a {describe(got)}"
    if [name for name, _ in pairs] != [name for name, _ in expected]:
        return f"expected the order {[name for name, _ in expected]}, got {[name for name, _ in pairs]}"
    wrong = [(name, place, want) for (name, place), (_, want) in zip(pairs, expected) if not math.isclose(place, want)]
    return None if not wrong else f"{wrong[0][0]}: expected mean position {wrong[0][2]:g}, got {wrong[0][1]:g}"


def check_mean_rank(student_fn):
    """mean_rank(rankings): {metric: names best first} → [(name, mean position from 1)], best first,
    ties by name; a name is averaged over the rankings that hold it."""
    cases = [("one ranking", ({"mse": ["a", "b", "c"]},), [("a", 1.0), ("b", 2.0), ("c", 3.0)]),
             ("two rankings that disagree", ({"mse": ["a", "b", "c"], "fvd": ["c", "a", "b"]},),
              [("a", 1.5), ("c", 2.0), ("b", 2.5)]),
             ("a tie, broken by name", ({"mse": ["b", "a"], "fvd": ["a", "b"]},), [("a", 1.5), ("b", 1.5)]),
             ("m is missing from one ranking: averaged over the one that holds it",
              ({"mse": ["a", "b"], "fvd": ["m", "b", "a"]},), [("m", 1.0), ("a", 2.0), ("b", 2.0)])]
    return run_cases("mean_rank", student_fn, cases, compare=_compare_ranks)
