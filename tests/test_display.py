import base64
import re

import matplotlib
import pytest
import torch

import utils
from utils import display, runtime, video


def test_show_video_embeds_a_small_h264_mp4(tmp_path):
    html = display.show_video(torch.rand(120, 3, 240, 400), fps=10, title="noise <clip>").data
    payload = re.search(r'data:video/mp4;base64,([A-Za-z0-9+/=]+)', html)
    assert payload, "an MP4 inside a <video> tag"
    (tmp_path / "shown.mp4").write_bytes(base64.b64decode(payload[1]))
    shown, _ = video.read_video(tmp_path / "shown.mp4")
    assert len(shown) == 96 and max(shown.shape[-2:]) == 320  # frames and size capped: light notebooks
    assert "noise &lt;clip&gt;" in html  # titles are escaped


def test_show_videos_side_by_side_and_title_count():
    html = display.show_videos([torch.rand(4, 1, 16, 16), torch.rand(4, 3, 16, 16)], ["a", "b"]).data
    assert html.count("<video") == 2
    with pytest.raises(ValueError, match="one title per video"):
        display.show_videos([torch.rand(4, 1, 16, 16)], ["a", "b"])
    with pytest.raises(ValueError, match="expected"):
        display.show_video(torch.rand(4, 16, 16, 3))


def test_flow_to_color_hue_follows_direction():
    right = torch.zeros(2, 4, 4)
    right[0] = 1.0
    up = torch.zeros(2, 4, 4)
    up[1] = -1.0
    red = display.flow_to_color(right)[:, 0, 0]
    assert red[0] > 0.9 and red[1] < 0.1 and red[2] < 0.1  # hue 0: rightward motion is red
    assert not torch.allclose(display.flow_to_color(up)[:, 0, 0], red)
    assert display.flow_to_color(torch.zeros(2, 4, 4)).max() == 0  # no motion is black
    with pytest.raises(ValueError, match=r"\(2, H, W\)"):
        display.flow_to_color(torch.zeros(4, 4, 2))


def test_figures():
    assert isinstance(display.show_frames(torch.rand(12, 3, 8, 8), every=3), matplotlib.figure.Figure)
    assert display.plot_curves({"loss": [3, 2, 1]}).get_lines()
    assert display.plot_timeline([(2016, "VGAN", "GAN"), (2022, "VDM", "diffusion")]).texts
    display.show_flow(torch.randn(2, 16, 16), image=torch.rand(3, 16, 16))
    matplotlib.pyplot.close("all")


def test_setup_prints_device_seed_and_versions(capsys):
    device = utils.setup(seed=3)
    out = capsys.readouterr().out
    assert device == runtime.pick_device() and "seed 3" in out and "torch 2.13.0" in out and "av " in out
    first = torch.rand(3)
    utils.setup(seed=3)
    assert torch.equal(torch.rand(3), first)
