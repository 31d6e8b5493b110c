"""The speed script runs and reports every model (it measures; it asserts no timings)."""
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_speed_script_reports_sampling_and_training_for_each_model():
    result = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "speed.py"), "--device", "cpu", "--repeats", "1"],
                            capture_output=True, text=True, timeout=300, check=True)
    lines = result.stdout.splitlines()
    for model in ("convlstm", "vgan", "pix2pix", "cyclegan", "mocogan", "svg", "videogpt", "flow (image", "flow (label"):
        assert any("sample one 16-frame" in line and model in line for line in lines), result.stdout
    for model in ("convlstm", "vgan", "pix2pix", "cyclegan", "mocogan", "svg", "vqvae", "videogpt", "autoencoder", "flow"):
        assert any("training step" in line and model in line for line in lines), result.stdout
