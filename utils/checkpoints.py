"""Checkpoints: safetensors weights with a JSON model card, in data/checkpoints/.

A checkpoint is two files:
    NAME.safetensors  the weights. safetensors holds tensors only, so loading a file cannot run
                      code (pickle-based .pt files can); the course loads nothing else.
    NAME.json         the model card: recipe, seed, steps, wall time, metrics, and the sha256 of
                      the weights, checked on every load.
Every load checks the weights' sha256 against the card: that catches a corrupt, truncated or
swapped file, but says nothing of who made it (whoever can replace the weights can replace the
card). A shipped checkpoint that fails its check is an error that says how to restore it; nothing
here trains over it. `load_or_train` trains into a folder of your own when a checkpoint is absent.
"""
import datetime
import hashlib
import json
import re
import time
from pathlib import Path

import torch
import torch.distributed as dist
from safetensors import SafetensorError
from safetensors.torch import load, save_file

from utils.data import DATA
from utils.video import check_model, describe

CHECKPOINTS = DATA / "checkpoints"


class CheckpointError(RuntimeError):
    """A checkpoint that is missing, corrupt, altered, or made for another model."""


def sha256_file(path):
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def sha256_matches(path, expected):
    """Whether the file at `path` exists and its sha256 is `expected` (64 hex digits)."""
    return Path(path).is_file() and sha256_file(path) == expected


def _paths(name, directory):
    if not isinstance(name, str):
        raise TypeError(f"name: expected a checkpoint's name, such as 'vgan'; got {describe(name)}")
    if not re.fullmatch(r"[a-z0-9_\-]+", name):
        raise ValueError(f"checkpoint names use a-z, 0-9, '_' and '-'; got {name!r}")
    directory = Path(directory)
    return directory / f"{name}.safetensors", directory / f"{name}.json"


def save_checkpoint(model, name, card, directory=CHECKPOINTS):
    """Write NAME.safetensors and NAME.json (the card, completed with sha256, size and versions)."""
    weights_path, card_path = _paths(name, directory)
    weights_path.parent.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    save_file(state, str(weights_path))
    card = {
        "name": name,
        "model": type(model).__name__,
        **card,
        "parameters": sum(p.numel() for p in model.parameters()),
        "file_bytes": weights_path.stat().st_size,
        "sha256": sha256_file(weights_path),
        "torch": torch.__version__,
        "created": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d"),
    }
    write_card(name, card, directory)
    return card


def write_card(name, card, directory=CHECKPOINTS):
    """Write the model card NAME.json (for example with re-measured metrics)."""
    _paths(name, directory)[1].write_text(json.dumps(card, indent=2, ensure_ascii=False) + "\n")


def read_card(name, directory=CHECKPOINTS):
    """The model card of a checkpoint, as a dict."""
    _, card_path = _paths(name, directory)
    if not card_path.exists():
        raise CheckpointError(f"no model card {card_path}. {_how_to_restore(name, directory)}")
    if not card_path.is_file():
        raise CheckpointError(f"model card {card_path} is a directory, not the JSON file it should be. "
                              f"{_how_to_restore(name, directory)}")
    try:
        card = json.loads(card_path.read_bytes().decode("utf-8"))
    except UnicodeDecodeError as err:
        raise CheckpointError(f"model card {card_path} is not UTF-8 text ({err}). {_how_to_restore(name, directory)}") from err
    except json.JSONDecodeError as err:
        raise CheckpointError(f"model card {card_path} is not valid JSON ({err}). {_how_to_restore(name, directory)}") from err
    if not isinstance(card, dict):
        raise CheckpointError(f"model card {card_path}: expected a JSON object {{\"name\": …, \"sha256\": …}}; "
                              f"got a JSON {type(card).__name__}. {_how_to_restore(name, directory)}")
    return card


def _is_shipped(directory):
    return Path(directory).resolve() == CHECKPOINTS.resolve()


def _how_to_restore(name, directory):
    if _is_shipped(directory):
        return (f"Restore the shipped files with `git checkout data/checkpoints/{name}.*`, "
                f"or retrain them with `python -m utils.train {name}`.")
    return f"Delete {name}.safetensors and {name}.json in {directory} to retrain, or copy intact ones there."


def load_checkpoint(model, name, directory=CHECKPOINTS):
    """Load NAME.safetensors into `model` after checking its sha256 against the card; return the card.

    The file is read once: the bytes whose sha256 is checked are the bytes that are loaded. The
    sha256 proves that the weights are the ones the card describes (nothing corrupt, truncated or
    swapped); it does not prove who made them — anyone who can replace the file can replace the
    card too."""
    if isinstance(model, str):
        raise TypeError(f"model: expected the model to load into (an nn.Module); got a str ({model!r}). "
                        f"The arguments the other way round? load_checkpoint(model, name).")
    check_model(model, torch.nn.Module)
    weights, card = verified_weights(name, directory)
    weights_path, _ = _paths(name, directory)
    try:
        state = load(weights)
    except (SafetensorError, OSError, ValueError) as err:
        raise CheckpointError(f"{weights_path.name} is not a readable safetensors file ({err})") from err
    device = next(model.parameters()).device
    try:
        model.load_state_dict({k: v.to(device) for k, v in state.items()})
    except RuntimeError as err:
        raise CheckpointError(f"{weights_path.name} was saved from a {card.get('model')} with "
                              f"{card.get('parameters')} parameters and does not fit this "
                              f"{type(model).__name__}:\n{err}") from err
    model.eval()
    return card


def verified_weights(name, directory=CHECKPOINTS):
    """The bytes of NAME.safetensors and its card, once the bytes' sha256 matches the card's; else
    a CheckpointError that says what is wrong and how to restore the files."""
    weights_path, _ = _paths(name, directory)
    card = read_card(name, directory)
    if not isinstance(card.get("sha256"), str):
        raise CheckpointError(f"the card {name}.json has no sha256 of its weights, so nothing vouches for "
                              f"{weights_path.name}. {_how_to_restore(name, directory)}")
    try:
        weights = weights_path.read_bytes()
    except FileNotFoundError:
        raise CheckpointError(f"the card {name}.json exists but the weights {weights_path} do not. "
                              f"{_how_to_restore(name, directory)}") from None
    except IsADirectoryError:
        raise CheckpointError(f"{weights_path} is a directory, not a safetensors file. "
                              f"{_how_to_restore(name, directory)}") from None
    actual = hashlib.sha256(weights).hexdigest()
    if actual != card["sha256"]:
        raise CheckpointError(f"{weights_path.name}: sha256 mismatch — the card expects {card['sha256']}, "
                              f"the file has {actual}. The file is corrupt or was replaced. {_how_to_restore(name, directory)}")
    return weights, card


def load_or_train(model, name, train, directory):
    """Load the checkpoint NAME from `directory` if it is there; otherwise call train(model) → card
    (recipe, seed, steps, metrics), time it, save the checkpoint there, and return the card.

    A checkpoint that is there but fails its check is an error, never trained over. The shipped
    folder data/checkpoints/ is never written to here: only `python -m utils.train NAME` does that."""
    weights_path, card_path = _paths(name, directory)
    if weights_path.exists() or card_path.exists():
        return load_checkpoint(model, name, directory)
    if _is_shipped(directory):
        raise CheckpointError(f"the shipped checkpoint {name} is missing from {directory}. {_how_to_restore(name, directory)}")
    return train_and_save(model, name, train, directory)


KEPT_ON_RETRAINING = ("notes", "scale_runs")   # written by hand: the history of a recipe outlives one run of it


def train_and_save(model, name, train, directory=CHECKPOINTS):
    """Call train(model) → card (recipe, seed, metrics), add its wall time and device, save.
    The old card's KEPT_ON_RETRAINING entries pass to the new one, unless train returns its own.
    Under torchrun every process trains the same weights and only the first (rank 0) saves them,
    and the card records how many processes trained."""
    try:
        kept = {key: value for key, value in read_card(name, directory).items() if key in KEPT_ON_RETRAINING}
    except CheckpointError:   # no card yet, or a broken one that this run replaces
        kept = {}
    start = time.perf_counter()
    card = dict(train(model))
    for key, value in kept.items():
        card.setdefault(key, value)
    card.setdefault("wall_time_s", round(time.perf_counter() - start, 1))
    device = next(model.parameters()).device
    card.setdefault("device", f"cuda ({torch.cuda.get_device_name(device)})" if device.type == "cuda" else str(device))
    if dist.is_initialized():
        card.setdefault("processes", dist.get_world_size())
        if dist.get_rank() != 0:
            return card
    return save_checkpoint(model, name, card, directory)
