import hashlib
import json

import pytest
import safetensors.torch
import torch
from torch import nn

from utils import checkpoints, train, training


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


def test_fit_stops_at_its_cpu_budget_with_the_cosine_run_along_it():
    model = nn.Linear(4, 1)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
    losses = training.fit(model, _loss, _regression_batch, steps=10**7, optimizer=optimizer, cosine=True,
                          live_plot=False, progress=False, cpu_budget=0.5)
    assert 10 < len(losses) < 10**7, "stopped by the budget, not by the steps"
    assert optimizer.param_groups[0]["lr"] < 0.05 * 0.1, "the learning rate fell along the budget"


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
