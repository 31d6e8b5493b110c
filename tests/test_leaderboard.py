"""Lesson 09's leaderboard: the ranking helpers on small hand-made cases, and the command on a few clips."""
import math

import pytest
import torch

from utils import leaderboard
from utils.applications.generate import ALL_DIGIT_GENERATORS


def _row(model, **values):
    return {"model": model, "identity kept": 0.5, "FVD-lite": 10.0, "MSE": 100.0, "SSIM": 0.5, "ms per clip": 1.0, **values}


def test_the_pareto_front_keeps_only_models_nothing_beats_on_both_counts():
    points = {"fast": (9.0, 1.0), "good": (2.0, 50.0), "middle": (5.0, 10.0), "beaten": (6.0, 20.0), "twin": (5.0, 10.0)}
    assert leaderboard.pareto_front(points) == ["fast", "middle", "twin", "good"]


def test_kendall_tau_counts_agreeing_minus_swapped_pairs():
    assert leaderboard.kendall_tau(list("abcd"), list("abcd")) == 1
    assert leaderboard.kendall_tau(list("abcd"), list("dcba")) == -1
    assert math.isclose(leaderboard.kendall_tau(list("abcd"), list("bacd")), 4 / 6)
    with pytest.raises(ValueError, match="the same two or more names"):
        leaderboard.kendall_tau(list("ab"), list("ac"))


def test_mean_rank_averages_over_the_rankings_that_hold_a_name():
    assert leaderboard.mean_rank({"mse": ["a", "b"], "fvd": ["m", "b", "a"]}) == [("m", 1.0), ("a", 2.0), ("b", 2.0)]


def test_rankings_leave_out_the_framing_rows_and_what_a_measure_does_not_apply_to():
    rows = [_row(leaderboard.REAL, **{"FVD-lite": 0.1}), _row(leaderboard.STILL, MSE=1.0),
            _row("a", **{"FVD-lite": 3.0, "MSE": 50.0, "SSIM": 0.9}), _row("b", **{"FVD-lite": 2.0, "MSE": float("nan")})]
    assert leaderboard.ranking(rows, "FVD-lite") == ["b", "a"]
    assert leaderboard.ranking(rows, "MSE") == ["a"]
    assert leaderboard.ranking(rows, "SSIM") == ["a", "b"]  # higher is better


def test_every_generator_card_holds_the_benchmark_measures():
    for name in ALL_DIGIT_GENERATORS:
        assert leaderboard.card_measures(name)["fvd_lite"] > 0, name


def test_the_command_prints_every_generator_sorted_by_fvd_lite(capsys):
    leaderboard.main(["--clips", "8"])
    assert torch.is_grad_enabled()   # it measures without gradients, and leaves them on for what runs next
    out = capsys.readouterr().out
    header, *lines = out.splitlines()
    fvd_ends = header.index("FVD-lite") + len("FVD-lite")   # columns are right-aligned under their names
    rows = {line.split()[0]: float(line[:fvd_ends].split()[-1]) for line in lines[2:2 + len(ALL_DIGIT_GENERATORS)]}
    assert lines[0].split()[:2] == ["real", "clips"] and lines[1].split()[:3] == ["first", "frame", "repeated"]
    assert sorted(rows) == sorted(ALL_DIGIT_GENERATORS)
    assert list(rows.values()) == sorted(rows.values())
    assert "Pareto front, FVD-lite against ms per clip:" in out


def test_the_command_refuses_too_few_clips(capsys):
    with pytest.raises(SystemExit):
        leaderboard.main(["--clips", "1"])
    assert "--clips must be at least 2" in capsys.readouterr().err
