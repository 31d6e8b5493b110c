"""Is this machine ready for the course? Each check prints ✅ or ❌, and with ❌ the fix.

    import utils; utils.doctor()       in a notebook
    python -m utils.checkup            in a terminal, or the `course-doctor` command (exit status 1
                                       when a check fails)

It checks the Python version, every package pinned in pyproject.toml, the device torch will use,
FFmpeg's H.264 encoder and decoder in PyAV, every shipped checkpoint against the sha256 on its
card, that the course can write its files, and a CJK font for Chinese captions. A missing package,
codec or checkpoint is a failure (❌); another Python or another version of a package than the
pinned one is a warning (⚠️: the course is tested with the pins, and may still work), and so is a
missing CJK font (captions then fall back to English).
"""
import importlib.metadata
import platform
import sys
import tempfile
import tomllib
from pathlib import Path

from utils.checkpoints import CHECKPOINTS, CheckpointError, verified_weights
from utils.data import ROOT
from utils.edit import INSTALL_CJK_FONT, find_cjk_font
from utils.runtime import pick_device

PYPROJECT = ROOT / "pyproject.toml"
PYTHON = (3, 11)
REINSTALL = "re-run the README's set-up (`make setup`, or `pip install -e \".[course]\"` in the course's environment)"


def _row(name, ok, detail, fix="", warning=False):
    """One check: ok, or failed — a warning (⚠️) where the course may still work, else an error (❌)."""
    return {"check": name, "ok": ok, "detail": detail, "fix": "" if ok else fix, "warning": warning and not ok}


def check_python():
    found = sys.version_info[:2]
    return _row("Python", found == PYTHON, f"{platform.python_version()}",
                f"the course is tested on Python {PYTHON[0]}.{PYTHON[1]}: make its environment with python{PYTHON[0]}.{PYTHON[1]} -m venv .venv",
                warning=True)


def check_pins(pyproject=PYPROJECT):
    """One row per package pinned ("name==version") in pyproject.toml, the course's dependencies
    and its "course" extra: installed (else ❌), and at its pinned version (else ⚠️)."""
    try:
        project = tomllib.loads(Path(pyproject).read_text(encoding="utf-8"))["project"]
    except (OSError, tomllib.TOMLDecodeError, KeyError) as err:
        return [_row("pinned packages", False, f"cannot read the pins in {pyproject} ({err})", "run this from a clone of the course")]
    rows = []
    for requirement in [*project.get("dependencies", []), *project.get("optional-dependencies", {}).get("course", [])]:
        name, _, pinned = (part.strip() for part in requirement.partition("=="))
        try:
            found = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            rows.append(_row(name, False, f"missing (pinned {pinned})", REINSTALL))
            continue
        ok = found.split("+")[0] == pinned                                   # torch 2.14.1+cu130 is torch 2.14.1
        rows.append(_row(name, ok, found if ok else f"{found}, pinned {pinned}", REINSTALL, warning=True))
    return rows


def check_device():
    device = pick_device()
    detail = {"cuda": "CUDA GPU", "mps": "Apple GPU (MPS)", "cpu": "CPU (every lesson runs on it; training is slower)"}[device.type]
    return _row("device", True, detail)


def check_ffmpeg():
    try:
        import av
    except ImportError:
        return _row("PyAV (video files)", False, "not installed", REINSTALL)
    missing = []
    for codec, mode in (("libx264", "w"), ("h264", "r")):
        try:
            av.Codec(codec, mode)
        except Exception:
            missing.append(f"{codec} ({'encoder' if mode == 'w' else 'decoder'})")
    return _row("FFmpeg H.264 in PyAV", not missing, f"PyAV {av.__version__}" + (f"; missing {', '.join(missing)}" if missing else ""),
                "install PyAV's wheel from PyPI (it bundles FFmpeg with libx264); a conda or system build may lack it")


def check_checkpoints(directory=CHECKPOINTS):
    """One row per model card in `directory`: its weights exist and match the card's sha256."""
    rows = []
    for card in sorted(Path(directory).glob("*.json")):
        try:
            verified_weights(card.stem, directory)
            rows.append(_row(f"checkpoint {card.stem}", True, "sha256 matches its card"))
        except CheckpointError as err:
            message = str(err)
            rows.append(_row(f"checkpoint {card.stem}", False, message.split(". ")[0], message))
    if not rows:
        rows.append(_row("checkpoints", False, f"no model cards in {directory}", "clone the repository again: data/checkpoints/ ships with it"))
    return rows


def check_writable(folder=None):
    folder = Path(folder or tempfile.gettempdir())
    try:
        with tempfile.NamedTemporaryFile(dir=folder):
            pass
        return _row("write access", True, f"{folder}")
    except OSError as err:
        return _row("write access", False, f"{folder}: {err.strerror}", "free some disk space, or set TMPDIR to a folder you can write")


def check_cjk_font():
    font = find_cjk_font()
    return _row("CJK font (Chinese captions)", font is not None, font or "none found", INSTALL_CJK_FONT, warning=True)


def report(checkpoints=CHECKPOINTS):
    """All the rows, in the order they are printed."""
    return [check_python(), *check_pins(), check_device(), check_ffmpeg(), *check_checkpoints(checkpoints),
            check_writable(), check_cjk_font()]


def doctor(checkpoints=CHECKPOINTS, log=print):
    """Print each check with ✅, ⚠️ (a warning) or ❌ and its fix; True when nothing is ❌."""
    rows = report(checkpoints)
    for row in rows:
        mark = "✅" if row["ok"] else "⚠️" if row["warning"] else "❌"
        log(f"{mark} {row['check']}: {row['detail']}" + (f"\n   fix: {row['fix']}" if row["fix"] else ""))
    failed = sum(not row["ok"] and not row["warning"] for row in rows)
    passed = sum(row["ok"] for row in rows)
    log(f"{passed} of {len(rows)} checks pass" + (f"; fix the {failed} marked ❌" if failed else "; the course is ready to run"))
    return not failed


def main():
    sys.exit(0 if doctor() else 1)


if __name__ == "__main__":
    main()
