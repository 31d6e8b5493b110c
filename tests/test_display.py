import base64
import re

import matplotlib
import pytest
import torch

import utils
from utils import display, runtime, videofile


def test_show_video_embeds_a_small_h264_mp4(tmp_path):
    html = display.show_video(torch.rand(120, 3, 240, 400), fps=10, title="noise <clip>").data
    payload = re.search(r'data:video/mp4;base64,([A-Za-z0-9+/=]+)', html)
    assert payload, "an MP4 inside a <video> tag"
    (tmp_path / "shown.mp4").write_bytes(base64.b64decode(payload[1]))
    shown, _ = videofile.read_video(tmp_path / "shown.mp4")
    assert len(shown) == 96 and max(shown.shape[-2:]) == 320  # frames and size capped: light notebooks
    assert "noise &lt;clip&gt;" in html  # titles are escaped


def test_small_videos_are_enlarged_by_a_whole_factor_and_no_controls_cover_them():
    html = display.video_html(torch.rand(4, 1, 64, 128))
    assert 'width="256"' in html and "controls" not in html and "onclick" in html
    assert 'width="264"' in display.video_html(torch.rand(2, 1, 8, 88))   # 3 × 88
    assert 'width="300"' in display.video_html(torch.rand(2, 1, 8, 300))  # large enough already


def test_show_videos_side_by_side_and_title_count():
    html = display.show_videos([torch.rand(4, 1, 16, 16), torch.rand(4, 3, 16, 16)], ["a", "b"]).data
    assert html.count("<video") == 2
    with pytest.raises(ValueError, match="one title per video"):
        display.show_videos([torch.rand(4, 1, 16, 16)], ["a", "b"])
    by_title = display.show_videos({"truth": torch.rand(4, 1, 16, 16), "guess": torch.rand(4, 1, 16, 16)}).data
    assert by_title.count("<video") == 2 and by_title.index("truth") < by_title.index("guess")
    assert "renamed" in display.show_videos({"truth": torch.rand(4, 1, 16, 16)}, ["renamed"]).data
    with pytest.raises(ValueError, match="expected"):
        display.show_video(torch.rand(4, 16, 16, 3))
    for width in ('200" onload="alert(1)', -5, 0, 2.5, True):
        with pytest.raises(ValueError, match="width: expected the width in pixels"):
            display.video_html(torch.rand(2, 1, 8, 8), width=width)


def test_flow_to_color_hue_follows_direction():
    right = torch.zeros(2, 4, 4)
    right[0] = 1.0
    up = torch.zeros(2, 4, 4)
    up[1] = -1.0
    red = display.flow_to_color(right)[:, 0, 0]
    assert red[0] > 0.9 and red[1] < 0.1 and red[2] < 0.1  # hue 0: rightward motion is red
    assert not torch.allclose(display.flow_to_color(up)[:, 0, 0], red)
    assert torch.equal(display.flow_to_color(torch.zeros(2, 4, 4)), torch.ones(3, 4, 4))  # no motion is white
    with pytest.raises(ValueError, match=r"\(2, H, W\)"):
        display.flow_to_color(torch.zeros(4, 4, 2))


def test_frame_grids_label_the_real_frame_index():
    assert display.show_frames([torch.rand(12, 3, 8, 8), torch.rand(12, 1, 8, 8)], titles=["rgb", "gray"], every=3) is None
    figure = matplotlib.pyplot.gcf()  # drawn, not returned: a returned figure is shown twice in a notebook
    top = figure.axes[0]
    assert [t.get_text() for t in top.get_xticklabels()] == ["t=0", "t=3", "t=6", "t=9"]
    assert top.get_images()[0].get_array().shape[:2] == (8 + 2, 4 * (8 + 1) + 1)  # make_grid: 4 frames, 1-px borders
    with pytest.raises(ValueError, match="one title per video"):
        display.show_frames([torch.rand(2, 1, 8, 8)], titles=["a", "b"])
    matplotlib.pyplot.close("all")


def test_slices_of_a_longer_video_are_labelled_from_where_they_start():
    video = torch.rand(50, 1, 8, 8)
    display.show_frames([video[27:33], video[37:43]], max_frames=3, start=[27, 37])
    rows = matplotlib.pyplot.gcf().axes
    shown = [[t.get_text() for t in row.get_xticklabels()] for row in rows]
    assert shown == [["t=27", "t=28", "t=29"], ["t=37", "t=38", "t=39"]]
    assert all(row.xaxis.get_tick_params(which="major")["labeltop"] for row in rows), "rows that start apart: each labelled"
    matplotlib.pyplot.close("all")
    with pytest.raises(ValueError, match="one index, or one per video"):
        display.show_frames([video, video], start=[3])


def test_columns_that_are_not_frames_of_one_video_get_their_own_labels():
    display.show_frames(torch.rand(4, 1, 8, 8), labels=["frame 10", "blend", "truth", "frame 12"])
    assert [t.get_text() for t in matplotlib.pyplot.gcf().axes[0].get_xticklabels()] == ["frame 10", "blend", "truth", "frame 12"]
    matplotlib.pyplot.close("all")
    with pytest.raises(ValueError, match=r"one label per column \(4\); got 3"):
        display.show_frames(torch.rand(4, 1, 8, 8), labels=["a", "b", "c"])


def test_boxes_are_drawn_on_every_frame():
    still = torch.zeros(3, 1, 10, 12)
    boxed = display.draw_boxes(still, [[2, 3, 8, 7]], color="white", width=1)
    assert boxed.shape == (3, 3, 10, 12) and torch.equal(boxed[0], boxed[2])
    assert boxed[0, :, 3, 2:9].min() == 1 and boxed[0, :, 5, 5].max() == 0  # the outline, not the inside
    moving = display.draw_boxes(still, torch.tensor([[[0, 0, 3, 3]], [[4, 4, 7, 7]], [[8, 6, 11, 9]]]))
    assert not torch.equal(moving[0], moving[1])
    with pytest.raises(ValueError, match=r"\(x0, y0, x1, y1\)"):
        display.draw_boxes(still, torch.zeros(2, 3, 4))


def test_each_frame_can_have_its_own_number_of_boxes():
    still = torch.zeros(3, 1, 10, 12)
    tracked = [torch.tensor([[2.0, 3.0, 8.0, 7.0]]), torch.zeros(0, 4), torch.tensor([[0.0, 0.0, 3.0, 3.0], [6.0, 5.0, 11.0, 9.0]])]
    boxed = display.draw_boxes(still, tracked, color="white", width=1)
    for frame, boxes in zip(boxed, tracked):
        assert torch.equal(frame, display.draw_boxes(still[:1], boxes[None], color="white", width=1)[0] if len(boxes) else frame.new_zeros(frame.shape))
    with pytest.raises(ValueError, match=r"or a list of 3 tensors \(N_t, 4\); got a list of 2 tensors of shapes \[\(1, 4\), \(0, 4\)\]"):
        display.draw_boxes(still, tracked[:2])
    with pytest.raises(ValueError, match=r"got a list of 3 tensors of shapes \[\(1, 4\), \(0, 4\), \(2, 3\)\]"):
        display.draw_boxes(still, [*tracked[:2], torch.zeros(2, 3)])


def test_figures():
    assert display.plot_curves({"loss": [3, 2, 1]}).get_lines()
    assert display.plot_curves(torch.tensor([3.0, 2.0], requires_grad=True) * 1).get_lines()   # a tensor with its graph
    one_curve = display.plot_curves([3, 2, 1])   # what training.fit returns
    assert [list(line.get_ydata()) for line in one_curve.get_lines()] == [[3, 2, 1]] and one_curve.get_ylabel() == "loss"
    horizon = display.plot_curves({"psnr": [30, 28, 27]}, x=[1, 2, 3])
    assert [list(line.get_xdata()) for line in horizon.get_lines()] == [[1, 2, 3]]
    with pytest.raises(ValueError, match=r"x: expected one value per point \(3 in 'psnr'\); got 2"):
        display.plot_curves({"psnr": [30, 28, 27]}, x=[1, 2])
    assert display.plot_timeline([(2016, "VGAN", "GAN"), (2022, "VDM", "diffusion")]).texts
    display.show_flow(torch.randn(2, 16, 16), image=torch.rand(3, 16, 16))
    matplotlib.pyplot.close("all")


def test_a_timeline_colours_each_box_by_its_family_even_where_a_year_holds_several():
    ax = display.plot_timeline([(2017, "Pix2Pix", "GAN"), (2017, "VQ-VAE", "tokens"), (2017, "CycleGAN", "GAN")])
    edges = [tuple(text.get_bbox_patch().get_edgecolor()) for text in ax.texts]
    assert edges[0] == edges[2] != edges[1]
    stems = [line for line in ax.get_lines() if len(set(line.get_xdata())) == 1]
    assert len(stems) == 1 and max(abs(y) for y in stems[0].get_ydata()) >= 2.5, "one stem, reaching the third box"
    matplotlib.pyplot.close("all")


def test_setup_prints_device_seed_and_versions(capsys):
    device = utils.setup(seed=3)
    out = capsys.readouterr().out
    assert device == runtime.pick_device() and "seed 3" in out and "torch 2.14.1" in out and "torchvision 0.29.1" in out and "av " in out
    first = torch.rand(3)
    utils.setup(seed=3)
    assert torch.equal(torch.rand(3), first)


def test_architecture_is_read_from_a_real_forward_pass():
    from utils.models import convlstm

    parts = display.architecture(convlstm.ConvLSTMPredictor(), torch.rand(1, 10, 1, 64, 64), 10)
    assert [name for name, *_ in parts] == ["cells.0", "cells.1", "readout"]
    calls = {name: count for name, _, _, count in parts}
    assert calls == {"cells.0": 19, "cells.1": 19, "readout": 19}  # a step, and a next frame, per frame seen or predicted, minus one
    assert parts[-1][2] == (1, 16, 16, 16)  # 4×4 patches of one gray frame on a 16×16 grid
    assert display.show_architecture(torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU()), torch.rand(2, 3)) is None
    assert [shape for _, _, shape, _ in display.architecture(torch.nn.Sequential(torch.nn.Linear(3, 4)), torch.rand(2, 3))] == [(2, 4)]
    matplotlib.pyplot.close("all")
