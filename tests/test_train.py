import hashlib
import json
import os
import re
import socket
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
import safetensors.torch
import torch
from torch import nn

from utils import checkpoints, train, training

ROOT = Path(__file__).resolve().parents[1]


def _regression_batch(step):
    g = torch.Generator().manual_seed(step)
    x = torch.randn(32, 4, generator=g)
    return x, x @ torch.tensor([[1.0], [-2.0], [0.5], [3.0]])


def _loss(model, batch):
    x, y = batch
    return nn.functional.mse_loss(model(x), y)


def test_fit_reduces_the_loss():
    torch.manual_seed(0)
    model = nn.Linear(4, 1)
    losses = training.fit(model, _loss, _regression_batch, steps=150, lr=0.05, live_plot=False)
    assert len(losses) == 150 and losses[-1] < 0.01 * losses[0]
    assert not model.training


def test_fit_accepts_an_iterable_and_stops_on_nan():
    model = nn.Linear(4, 1)
    training.fit(model, _loss, [_regression_batch(i) for i in range(3)], steps=3, live_plot=False)
    with pytest.raises(FloatingPointError, match="learning rate"):
        training.fit(model, lambda m, b: m(b[0]).sum() * float("nan"), _regression_batch, steps=2, live_plot=False)


def test_fit_gan_takes_batches_as_fit_does():
    gan = nn.Module()
    gan.generator, gan.discriminator = nn.Linear(4, 1), nn.Linear(1, 1)
    seen = []

    def train_step(gan, optimizer_g, optimizer_d, batch):
        seen.append(batch)
        return {"generator": 0.5}

    batches = [_regression_batch(i) for i in range(3)]
    history = training.fit_gan(gan, train_step, batches, 3, live_plot=False)
    assert history == {"generator": [0.5] * 3} and all(torch.equal(a[0], b[0]) for a, b in zip(seen, batches))
    with pytest.raises(ValueError, match=r"ran out after 3 batches"):
        training.fit_gan(gan, train_step, batches, 4, live_plot=False)


@pytest.mark.parametrize("budget, clock", [("cpu_budget", "process_time"), ("wall_budget", "perf_counter")])
def test_fit_stops_at_its_budget_with_the_cosine_run_along_it(budget, clock, monkeypatch):
    # a clock that ticks 1 ms per reading: a machine that stalls near the end cannot cut the cosine short
    ticks = iter(range(10**7))
    def the_other_clock():
        raise AssertionError(f"{budget} read the wrong clock")
    clocks = {"process_time": the_other_clock, "perf_counter": the_other_clock, clock: lambda: next(ticks) / 1000}
    monkeypatch.setattr(training, "time", SimpleNamespace(**clocks))
    model = nn.Linear(4, 1)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
    losses = training.fit(model, _loss, _regression_batch, steps=10**7, optimizer=optimizer, cosine=True,
                          live_plot=False, progress=False, **{budget: 0.5})
    assert len(losses) == 499, "stopped by the budget (500 readings after the start), not by the steps"
    assert optimizer.param_groups[0]["lr"] < 0.05 * 1e-4, "the learning rate fell along the budget, to nearly 0"


def test_fit_takes_one_budget_only():
    with pytest.raises(ValueError, match="expected one budget"):
        training.fit(nn.Linear(4, 1), _loss, _regression_batch, steps=1, live_plot=False, cpu_budget=1, wall_budget=1)


def test_fit_reports_along_the_way_in_eval_mode():
    reports = []
    model = nn.Sequential(nn.Linear(4, 8), nn.Dropout(0.1), nn.Linear(8, 1))
    training.fit(model, _loss, _regression_batch, steps=10, live_plot=False, progress=False,
                 report=lambda steps, m: reports.append((steps, m.training)), report_every=4)
    assert reports == [(4, False), (8, False)]
    with pytest.raises(ValueError, match="report_every: expected a positive number"):
        training.fit(model, _loss, _regression_batch, steps=1, live_plot=False, report=print, report_every=0)


def test_shard_takes_each_process_its_slice_of_every_tensor():
    batch = {"video": torch.arange(8).view(4, 2), "labels": (torch.arange(4), "name")}
    shards = [training.shard(batch, rank, 2) for rank in (0, 1)]
    assert shards[1]["video"].tolist() == [[4, 5], [6, 7]] and shards[0]["labels"][0].tolist() == [0, 1]
    assert shards[0]["labels"][1] == "name"
    with pytest.raises(ValueError, match="a batch of 4 cannot be split evenly across 3 processes"):
        training.shard(batch, 0, 3)


DISTRIBUTED_SCRIPT = """
import sys
from pathlib import Path

import torch
from torch import nn

from utils import checkpoints, training
from utils.runtime import join_torchrun

join_torchrun("cpu")
rank, processes = training.rank_and_size()
torch.manual_seed(rank)  # other starting weights in each process: DistributedDataParallel hands out rank 0's


def whole_batch(step):  # the same in every process
    inputs = torch.randn(8, 4, generator=torch.Generator().manual_seed(step))
    return inputs, inputs @ torch.tensor([[1.0], [-2.0], [0.5], [3.0]])


def loss(model, batch):
    inputs, targets = batch
    return nn.functional.mse_loss(model(inputs), targets)


def train(model):
    return {"losses": training.fit(model, loss, whole_batch, steps=30, lr=0.03, live_plot=False, progress=False)}


model = nn.Sequential(nn.Linear(4, 16), nn.Tanh(), nn.Linear(16, 1))
checkpoints.train_and_save(model, "tiny", train, Path(sys.argv[1]) / f"rank{rank}")

if processes > 1:  # what cannot train under torchrun says so
    reaching_in = lambda model, batch: loss(getattr(model, "0"), (batch[0], batch[0] @ torch.ones(4, 16)))
    for attempt, error, words in ((lambda: training.fit(model, reaching_in, whole_batch, 1, live_plot=False), TypeError,
                                   "reaches into the model"),
                                  (lambda: training.fit_gan(model, None, whole_batch, 1, live_plot=False), RuntimeError,
                                   "without torchrun")):
        try:
            attempt()
        except error as raised:
            assert words in str(raised), raised
        else:
            raise SystemExit(f"no {error.__name__} saying {words!r}")
    print("refused: a loss that reaches into the model, a GAN")
    # each process reads its own clock, yet all stop on the same step (else the next all-reduce would hang)
    budgeted = training.fit(model, loss, whole_batch, 10**6, live_plot=False, progress=False, wall_budget=1.0 + rank)
    print(f"rank {rank} stopped by the budget after {len(budgeted)} steps")
"""


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_two_processes_under_torchrun_train_what_one_trains_on_their_combined_batch(tmp_path):
    script = tmp_path / "train_tiny.py"
    script.write_text(DISTRIBUTED_SCRIPT)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
           "OMP_NUM_THREADS": "1", "GLOO_SOCKET_IFNAME": "lo"}  # gloo over loopback: the test run has no other network
    alone = subprocess.run([sys.executable, str(script), str(tmp_path / "one")], cwd=ROOT, env=env,
                           capture_output=True, text=True, timeout=300)
    assert alone.returncode == 0, alone.stderr[-3000:]
    for _ in range(3):   # the free port may be taken (by the other test worker) before torchrun binds it
        torchrun = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2",
                    "--master_addr", "127.0.0.1", "--master_port", str(_free_port())]
        result = subprocess.run([*torchrun, str(script), str(tmp_path / "two")], cwd=ROOT, env=env,
                                capture_output=True, text=True, timeout=300)
        if "address already in use" not in result.stderr.lower():
            break
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.count("refused: a loss that reaches into the model, a GAN") == 2
    # both processes write to one pipe, and unbuffered (PYTHONUNBUFFERED) a print is two writes, text then newline,
    # so one process's line can run into the other's: read the reports by pattern, not by line
    budgeted = dict(re.findall(r"rank (\d) stopped by the budget after (\d+) steps", result.stdout))
    assert budgeted.keys() == {"0", "1"}, f"expected a budget report from ranks 0 and 1, got {budgeted}: {result.stdout!r}"
    assert budgeted["0"] == budgeted["1"], f"each process stopped after its own number of steps: {budgeted}"
    assert not (tmp_path / "two" / "rank1").exists(), "only rank 0 writes the checkpoint"
    one, two = (safetensors.torch.load_file(tmp_path / folder / "rank0" / "tiny.safetensors") for folder in ("one", "two"))
    torch.manual_seed(0)
    start = nn.Sequential(nn.Linear(4, 16), nn.Tanh(), nn.Linear(16, 1)).state_dict()
    assert all(not torch.allclose(one[k], start[k], atol=1e-3) for k in start), "the weights trained"
    assert all(torch.allclose(one[k], two[k], atol=1e-6) for k in one), "two processes on half batches = one on the whole"
    cards = [json.loads((tmp_path / folder / "rank0" / "tiny.json").read_text()) for folder in ("one", "two")]
    assert cards[1]["processes"] == 2 and "processes" not in cards[0]
    assert sum(cards[0]["losses"][-5:]) < 0.5 * sum(cards[0]["losses"][:5]), "the loss fell"
    assert cards[1]["losses"] == pytest.approx(cards[0]["losses"], rel=1e-5), "the losses are the whole batch's"


def test_save_load_round_trip(tmp_path):
    model = nn.Linear(4, 1)
    card = checkpoints.save_checkpoint(model, "tiny", {"seed": 1, "steps": 0, "metrics": {"mse": 1.0}}, tmp_path)
    assert card["sha256"] == checkpoints.sha256_file(tmp_path / "tiny.safetensors")
    assert json.loads((tmp_path / "tiny.json").read_text())["metrics"] == {"mse": 1.0}
    fresh = nn.Linear(4, 1)
    checkpoints.load_checkpoint(fresh, "tiny", tmp_path)
    assert torch.equal(fresh.weight, model.weight)


def test_sha256_mismatch_is_refused(tmp_path):
    checkpoints.save_checkpoint(nn.Linear(4, 1), "tiny", {}, tmp_path)
    path = tmp_path / "tiny.safetensors"
    data = bytearray(path.read_bytes())
    data[-1] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(checkpoints.CheckpointError, match="sha256 mismatch"):
        checkpoints.load_checkpoint(nn.Linear(4, 1), "tiny", tmp_path)


def test_corrupt_file_with_matching_card_is_refused(tmp_path):
    checkpoints.save_checkpoint(nn.Linear(4, 1), "tiny", {}, tmp_path)
    path = tmp_path / "tiny.safetensors"
    path.write_bytes(b"\x00" * 64)  # not safetensors, and (re)recorded in the card
    card = json.loads((tmp_path / "tiny.json").read_text())
    card["sha256"] = checkpoints.sha256_file(path)
    (tmp_path / "tiny.json").write_text(json.dumps(card))
    with pytest.raises(checkpoints.CheckpointError, match="not a readable safetensors"):
        checkpoints.load_checkpoint(nn.Linear(4, 1), "tiny", tmp_path)


def test_checkpoint_for_another_model_is_refused(tmp_path):
    checkpoints.save_checkpoint(nn.Linear(4, 1), "tiny", {}, tmp_path)
    with pytest.raises(checkpoints.CheckpointError, match="does not fit"):
        checkpoints.load_checkpoint(nn.Linear(5, 1), "tiny", tmp_path)


def test_missing_files(tmp_path):
    with pytest.raises(checkpoints.CheckpointError, match="no model card"):
        checkpoints.load_checkpoint(nn.Linear(4, 1), "absent", tmp_path)
    with pytest.raises(ValueError, match="checkpoint names"):
        checkpoints.load_checkpoint(nn.Linear(4, 1), "../escape", tmp_path)


def test_final_loss_is_the_mean_of_the_last_steps_even_in_a_short_run():
    assert training.final_loss([9.0] * 10 + [1.0] * 50) == 1.0
    assert training.final_loss([2.0, 4.0]) == 3.0                      # 2 steps: their mean, not their sum over 50
    assert training.final_losses({"generator": [2.0, 4.0]}) == {"generator": 3.0}


def test_retraining_keeps_the_cards_notes_unless_the_recipe_writes_its_own(tmp_path):
    def train_fn(model):
        return {"seed": 0, "metrics": {}}
    checkpoints.save_checkpoint(nn.Linear(4, 1), "tiny", {"seed": 0, "notes": "tried lr 1e-2 first", "scale_runs": [1],
                                                          "metrics": {"mse": 9.0}}, tmp_path)
    card = checkpoints.train_and_save(nn.Linear(4, 1), "tiny", train_fn, tmp_path)
    assert card["notes"] == "tried lr 1e-2 first" and card["scale_runs"] == [1] and card["metrics"] == {}
    assert checkpoints.read_card("tiny", tmp_path)["notes"] == "tried lr 1e-2 first"
    card = checkpoints.train_and_save(nn.Linear(4, 1), "tiny", lambda model: {**train_fn(model), "notes": "new"}, tmp_path)
    assert card["notes"] == "new"
    (tmp_path / "tiny.json").write_text("{broken")                     # a broken card is replaced, not a reason to fail
    assert "notes" not in checkpoints.train_and_save(nn.Linear(4, 1), "tiny", train_fn, tmp_path)


def test_load_or_train(tmp_path):
    calls = []

    def train_fn(model):
        calls.append(1)
        training.fit(model, _loss, _regression_batch, steps=20, lr=0.05, live_plot=False)
        return {"seed": 0, "steps": 20, "metrics": {}}

    card = checkpoints.load_or_train(nn.Linear(4, 1), "tiny", train_fn, tmp_path)
    assert calls == [1] and card["steps"] == 20 and card["wall_time_s"] >= 0
    checkpoints.load_or_train(nn.Linear(4, 1), "tiny", train_fn, tmp_path)
    assert calls == [1]  # the second time it loads
    (tmp_path / "tiny.safetensors").write_bytes(b"tampered")
    with pytest.raises(checkpoints.CheckpointError, match=r"sha256 mismatch.*Delete tiny.safetensors and tiny.json"):
        checkpoints.load_or_train(nn.Linear(4, 1), "tiny", train_fn, tmp_path)
    assert calls == [1] and (tmp_path / "tiny.safetensors").read_bytes() == b"tampered"  # never trained over


def test_load_or_train_never_writes_the_shipped_folder(tmp_path, monkeypatch):
    monkeypatch.setattr(checkpoints, "CHECKPOINTS", tmp_path)  # stands in for data/checkpoints/
    trained = []
    with pytest.raises(checkpoints.CheckpointError, match=r"git checkout data/checkpoints/tiny\.\*"):
        checkpoints.load_or_train(nn.Linear(4, 1), "tiny", lambda model: trained.append(1) or {}, tmp_path)
    checkpoints.save_checkpoint(nn.Linear(4, 1), "tiny", {}, tmp_path)
    (tmp_path / "tiny.safetensors").write_bytes(b"corrupt")
    with pytest.raises(checkpoints.CheckpointError, match=r"git checkout data/checkpoints/tiny\.\*.*python -m utils.train tiny"):
        checkpoints.load_or_train(nn.Linear(4, 1), "tiny", lambda model: trained.append(1) or {}, tmp_path)
    assert not trained and (tmp_path / "tiny.safetensors").read_bytes() == b"corrupt"


@pytest.mark.parametrize("card_bytes, words", [
    (b'{"name": "tiny"}', "has no sha256"),
    (b"[1, 2, 3]", "expected a JSON object"),
    ("{\"name\": \"caf\u00e9\"}".encode("latin-1"), "not UTF-8"),
    (b"{not json", "not valid JSON"),
])
def test_bad_cards_get_their_own_message(tmp_path, card_bytes, words):
    checkpoints.save_checkpoint(nn.Linear(4, 1), "tiny", {}, tmp_path)
    (tmp_path / "tiny.json").write_bytes(card_bytes)
    with pytest.raises(checkpoints.CheckpointError, match=words):
        checkpoints.load_checkpoint(nn.Linear(4, 1), "tiny", tmp_path)


def test_directories_in_place_of_files_are_named(tmp_path):
    checkpoints.save_checkpoint(nn.Linear(4, 1), "tiny", {}, tmp_path)
    (tmp_path / "tiny.safetensors").unlink()
    (tmp_path / "tiny.safetensors").mkdir()
    with pytest.raises(checkpoints.CheckpointError, match="is a directory"):
        checkpoints.load_checkpoint(nn.Linear(4, 1), "tiny", tmp_path)
    (tmp_path / "tiny.json").unlink()
    (tmp_path / "tiny.json").mkdir()
    with pytest.raises(checkpoints.CheckpointError, match="is a directory"):
        checkpoints.read_card("tiny", tmp_path)


def test_the_bytes_loaded_are_the_bytes_hashed(tmp_path, monkeypatch):
    card = checkpoints.save_checkpoint(nn.Linear(4, 1), "tiny", {}, tmp_path)
    loaded = []
    monkeypatch.setattr(checkpoints, "load", lambda data: loaded.append(data) or safetensors.torch.load(data))
    checkpoints.load_checkpoint(nn.Linear(4, 1), "tiny", tmp_path)
    assert hashlib.sha256(loaded[0]).hexdigest() == card["sha256"]


def test_the_train_command_lists_every_shipped_model(capsys):
    with pytest.raises(SystemExit) as exit_:
        train.main(["--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert all(name in out for name in train.RECIPES) and "--remeasure" in out


@pytest.mark.parametrize("name", sorted(train.RECIPES))
def test_every_recipe_model_can_be_saved_and_loaded(name, tmp_path):
    build = train.RECIPES[name][0]
    torch.manual_seed(0)
    model = build()
    checkpoints.save_checkpoint(model, name, {"recipe": "test"}, directory=tmp_path)  # safetensors refuses shared tensors
    other = build()
    checkpoints.load_checkpoint(other, name, directory=tmp_path)
    assert all(torch.equal(a, b) for a, b in zip(model.state_dict().values(), other.state_dict().values()))
