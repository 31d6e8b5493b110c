"""utils.doctor(): each check passes on a machine set up by the README, and a broken checkpoint or
a missing package is a ❌ with its fix."""
import shutil
import subprocess
import sys

from utils import checkup
from utils.checkpoints import CHECKPOINTS


def test_every_check_passes_here_except_perhaps_the_font():
    rows = checkup.report()
    failed = [row for row in rows if not row["ok"] and row["check"] != "CJK font (Chinese captions)"]
    assert not failed, failed
    names = [row["check"] for row in rows]
    assert "torch" in names and "FFmpeg H.264 in PyAV" in names
    assert sum(name.startswith("checkpoint ") for name in names) == len(list(CHECKPOINTS.glob("*.json")))


def test_a_corrupt_or_missing_checkpoint_is_a_failure_with_its_fix(tmp_path):
    for name in ("convlstm", "vgan"):
        for suffix in (".json", ".safetensors"):
            shutil.copy(CHECKPOINTS / f"{name}{suffix}", tmp_path)
    weights = (tmp_path / "convlstm.safetensors").read_bytes()
    (tmp_path / "convlstm.safetensors").write_bytes(weights[:-1] + bytes([weights[-1] ^ 1]))
    (tmp_path / "vgan.safetensors").unlink()
    rows = {row["check"]: row for row in checkup.check_checkpoints(tmp_path)}
    assert not rows["checkpoint convlstm"]["ok"] and "sha256 mismatch" in rows["checkpoint convlstm"]["detail"]
    assert not rows["checkpoint vgan"]["ok"] and "do not" in rows["checkpoint vgan"]["fix"]
    assert all("retrain" in row["fix"] or "copy intact" in row["fix"] for row in rows.values())
    lines = []
    assert checkup.doctor(tmp_path, log=lines.append) is False
    assert any(line.startswith("❌ checkpoint convlstm") and "fix:" in line for line in lines)
    assert lines[-1].endswith("fix the 2 marked ❌")


def test_a_missing_package_is_an_error_and_another_version_a_warning(tmp_path):
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text('[project]\ndependencies = ["no-such-package-here==1.0", "torch==0.0.1"]\n'
                         '[project.optional-dependencies]\ncourse = ["pytest==0.1"]\n')
    rows = {row["check"]: row for row in checkup.check_pins(pyproject)}
    assert not rows["no-such-package-here"]["ok"] and not rows["no-such-package-here"]["warning"]
    assert "make setup" in rows["no-such-package-here"]["fix"]
    assert rows["torch"]["warning"] and "pinned 0.0.1" in rows["torch"]["detail"] and rows["pytest"]["warning"]


def test_the_command_exits_zero_when_the_course_is_ready():
    result = subprocess.run([sys.executable, "-m", "utils.checkup"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "the course is ready to run" in result.stdout and "RuntimeWarning" not in result.stderr
