"""Showing results in a notebook: videos inline, side by side, frame grids, flow images, curves.

Outputs are kept small (frames capped, long sides capped) so that notebooks stay light; tiny
videos are shown enlarged with crisp pixels instead of being resampled.
"""
import base64
import html
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import torch
from torchvision.utils import draw_bounding_boxes, flow_to_image, make_grid

from utils.video import check_count, check_video, describe, resize, to_uint8
from utils.videofile import write_video


def _shrink(video, max_frames, max_side):
    check_video(video)
    video = video[:max_frames].detach().float().cpu()
    height, width = video.shape[-2:]
    if max(height, width) > max_side:
        scale = max_side / max(height, width)
        video = resize(video, (max(2, round(height * scale)), max(2, round(width * scale))))
    return video


MIN_SHOWN_WIDTH = 256   # px: smaller videos are enlarged by a whole factor, with crisp pixels
PLAY_PAUSE = "this.paused ? this.play() : this.pause()"


def shown_width(native_width):
    """The width a video of `native_width` pixels is shown at: enlarged by the smallest whole factor
    that reaches MIN_SHOWN_WIDTH, so that every source pixel becomes the same square block."""
    return native_width * max(1, -(-MIN_SHOWN_WIDTH // native_width))


def video_html(video, fps=8, title=None, width=None, max_frames=96, max_side=320):
    """An HTML snippet that plays `video`, looping: an H.264 MP4 in a <video> tag, or a GIF if
    encoding fails. No player controls cover the picture: a click pauses and resumes it."""
    if width is not None:
        check_count(width, "width", meaning="the width in pixels")
    if title is not None and not isinstance(title, str):
        raise TypeError(f"title: expected a string or None; got {describe(title)}")
    video = _shrink(video, max_frames, max_side)
    width = width or shown_width(video.shape[-1])
    with tempfile.TemporaryDirectory() as tmp:
        try:
            data = write_video(Path(tmp) / "v.mp4", video, fps=fps, progress=False).read_bytes()
            media = (f'<video src="data:video/mp4;base64,{base64.b64encode(data).decode()}" width="{width}" '
                     f'autoplay loop muted playsinline onclick="{PLAY_PAUSE}" title="click to pause or play" '
                     'style="image-rendering: pixelated; cursor: pointer"></video>')
        except Exception:  # an FFmpeg build without libx264: a GIF plays everywhere
            data = write_video(Path(tmp) / "v.gif", video, fps=fps, progress=False).read_bytes()
            media = (f'<img src="data:image/gif;base64,{base64.b64encode(data).decode()}" width="{width}" '
                     'style="image-rendering: pixelated">')
    caption = f'<div style="font: 12px sans-serif; text-align: center">{html.escape(title)}</div>' if title else ""
    return f'<figure style="margin: 4px; display: inline-block">{media}{caption}</figure>'


def _html(markup):
    """An object that Jupyter renders as HTML. IPython is imported here, not at the top: scripts
    and the training command use the rest of this module without it."""
    from IPython.display import HTML

    return HTML(markup)


def show_video(video, fps=8, title=None, width=None):
    """Play one video (T, C, H, W) inline, looping."""
    return _html(video_html(video, fps=fps, title=title, width=width))


def show_videos(videos, titles=None, fps=8, width=None):
    """Play several videos side by side, each with its title, e.g. ground truth next to predictions.
    videos: a list of videos (T, C, H, W), a batch (B, T, C, H, W), or {title: video}."""
    if isinstance(videos, dict):
        titles, videos = titles or list(videos), list(videos.values())
    if isinstance(videos, torch.Tensor) and videos.ndim == 4:
        raise ValueError(f"videos: expected several videos (a list, a batch (B, T, C, H, W) or {{title: video}}); got one video, "
                         f"{describe(videos)}. Use show_video(video), or show_videos([video]).")
    if not isinstance(videos, (list, tuple, torch.Tensor)) or not len(videos):
        raise ValueError(f"videos: expected a non-empty list of videos, a batch or {{title: video}}; got {describe(videos)}")
    titles = titles or [None] * len(videos)
    if len(titles) != len(videos):
        raise ValueError(f"expected one title per video; got {len(titles)} titles for {len(videos)} videos")
    cells = "".join(video_html(v, fps=fps, title=t, width=width) for v, t in zip(videos, titles))
    return _html(f'<div style="display: flex; flex-wrap: wrap; align-items: flex-start">{cells}</div>')


def show_frames(videos, titles=None, every=1, max_frames=10, size=1.6, start=0, labels=None):
    """Draw a grid of frames: one row per video (torchvision's make_grid), every `every`-th frame up
    to `max_frames`, each column labelled with the frame's index in the video. For a slice of a
    longer video, `start` is the index of its first frame (one for all rows, or one per row: rows
    that start apart are each labelled); `labels` names the columns instead, where they are not
    frames of one video. Returns nothing: the notebook shows the figure once (a returned figure
    would be shown a second time)."""
    if isinstance(videos, dict):
        raise TypeError("videos: expected a video (T, C, H, W) or a list of them; got a dict. "
                        "Titled videos? show_frames(list(videos.values()), titles=list(videos)).")
    videos = [videos] if isinstance(videos, torch.Tensor) else list(videos)
    if not videos:
        raise ValueError("videos: expected a video (T, C, H, W) or a list of them; got an empty list")
    check_count(every, "every", meaning="a step between frames")
    check_count(max_frames, "max_frames", meaning="a number of frames")
    if titles is not None and len(titles) != len(videos):
        raise ValueError(f"expected one title per video; got {len(titles)} titles for {len(videos)} videos")
    starts = [start] * len(videos) if isinstance(start, int) else list(start)
    if len(starts) != len(videos):
        raise ValueError(f"start: expected one index, or one per video; got {len(starts)} for {len(videos)} videos")
    rows = [check_video(v, f"video {i}").detach().float().cpu()[::every][:max_frames] for i, v in enumerate(videos)]
    cols = max(len(r) for r in rows)
    if labels is not None and len(labels) != cols:
        raise ValueError(f"labels: expected one label per column ({cols}); got {len(labels)}")
    fig, axes = plt.subplots(len(rows), 1, figsize=(size * cols, size * len(rows)), squeeze=False)
    for r, (frames, ax) in enumerate(zip(rows, axes[:, 0])):
        pad = max(1, frames.shape[-1] // 32)
        grid = make_grid(frames, nrow=len(frames), padding=pad, pad_value=1.0)     # (3, H + 2p, n·(W + p) + p)
        ax.imshow(grid.permute(1, 2, 0).numpy(), interpolation="nearest")
        width = frames.shape[-1] + pad
        names = labels[:len(frames)] if labels else [f"t={starts[r] + c * every}" for c in range(len(frames))]
        ax.set_xticks([pad + c * width + frames.shape[-1] / 2 for c in range(len(frames))], names, fontsize=8)
        ax.xaxis.tick_top()
        ax.tick_params(length=0, labeltop=r == 0 or len(set(starts)) > 1)
        ax.set_yticks([])
        for spine in ax.spines.values():
            spine.set_visible(False)
        if titles:
            ax.set_ylabel(titles[r], rotation=0, ha="right", va="center", fontsize=9)
    fig.tight_layout()


def draw_boxes(video, boxes, color="red", width=2):
    """The video (T, C, H, W) with boxes drawn on every frame (torchvision's draw_bounding_boxes):
    boxes (N, 4) as (x0, y0, x1, y1) in pixels, the same on every frame, or (T, N, 4), one set per
    frame, or a list of T tensors (N_t, 4), as many boxes on each frame as it has (a tracker's, say).
    Returns an RGB video (T, 3, H, W) in [0, 1]."""
    check_video(video)
    if isinstance(boxes, (list, tuple)) and boxes and all(isinstance(b, torch.Tensor) for b in boxes):   # N_t boxes on frame t
        per_frame, got = [b.float() for b in boxes], f"a list of {len(boxes)} tensors of shapes {[tuple(b.shape) for b in boxes[:3]]}…"
    else:
        boxes = torch.as_tensor(boxes, dtype=torch.float32)
        got = tuple(boxes.shape)
        if boxes.ndim == 2:   # the same boxes on every frame
            boxes = boxes.expand(len(video), -1, -1)
        per_frame = list(boxes) if boxes.ndim else []
    if len(per_frame) != len(video) or any(b.ndim != 2 or b.shape[-1] != 4 for b in per_frame):
        raise ValueError(f"boxes: expected (N, 4) or ({len(video)}, N, 4) as (x0, y0, x1, y1), or a list of "
                         f"{len(video)} tensors (N_t, 4); got {got}")
    frames = (video.detach().cpu().clamp(0, 1) * 255).round().to(torch.uint8)
    drawn = [draw_bounding_boxes(frame, frame_boxes, colors=color, width=width) if len(frame_boxes) else frame.expand(3, -1, -1)
             for frame, frame_boxes in zip(frames, per_frame)]
    return torch.stack(drawn).float() / 255


def flow_to_color(flow):
    """Optical flow (2, H, W) in pixels → colour image (3, H, W) in [0, 1] on the Middlebury colour
    wheel (torchvision's flow_to_image): hue is direction, saturation is speed, white is still."""
    if not isinstance(flow, torch.Tensor) or flow.ndim != 3 or flow.shape[0] != 2:
        got = tuple(flow.shape) if isinstance(flow, torch.Tensor) else type(flow).__name__
        raise ValueError(f"expected a flow tensor of shape (2, H, W) holding (dx, dy); got {got}")
    if not torch.isfinite(flow).all():
        raise ValueError(f"flow: expected finite numbers; got {int((~torch.isfinite(flow)).sum())} NaN or Inf values")
    return flow_to_image(flow.detach().float().cpu()).float() / 255


def show_flow(flow, image=None, step=8, title=None, ax=None):
    """Flow as a colour image, with arrows every `step` pixels drawn over `image` if given."""
    check_count(step, "step", meaning="pixels between arrows")
    ax = ax or plt.subplots(figsize=(4, 4))[1]
    color = flow_to_color(flow).permute(1, 2, 0).numpy()
    if image is not None:
        ax.imshow(to_uint8(image[None])[0])
        ax.imshow(color, alpha=0.55)
    else:
        ax.imshow(color)
    dx, dy = flow.detach().float().cpu().numpy()
    ys, xs = np.mgrid[step // 2:dx.shape[0]:step, step // 2:dx.shape[1]:step]
    ax.quiver(xs, ys, dx[ys, xs], dy[ys, xs], color="white", angles="xy", scale_units="xy", scale=1, width=0.004)
    ax.set_title(title or "optical flow (hue = direction, saturation = speed)", fontsize=9)
    ax.axis("off")
    return ax


def _shape_of(output):
    if isinstance(output, torch.Tensor):
        return tuple(output.shape)
    if isinstance(output, (tuple, list)):
        return tuple(_shape_of(o) for o in output if isinstance(o, (torch.Tensor, tuple, list)))
    return type(output).__name__


def architecture(model, *inputs):
    """The parts of `model` in the order a real forward pass on `inputs` calls them: a list of
    (name, class name, output shape, number of calls). The parts are the model's children, with a
    ModuleList's elements taken one by one (the list itself is never called), and an only child's
    (a network that is one Sequential) too."""
    parts, children = [], list(model.named_children())
    for name, child in children:
        if isinstance(child, torch.nn.ModuleList) or (len(children) == 1 and any(True for _ in child.children())):
            parts += [(f"{name}.{index}", element) for index, element in child.named_children()]
        else:
            parts.append((name, child))
    seen = {}

    def record(name):
        def hook(module, args, output):
            if name not in seen:
                seen[name] = [type(module).__name__, _shape_of(output), 0]
            seen[name][2] += 1
        return hook

    hooks = [module.register_forward_hook(record(name)) for name, module in parts]
    try:
        with torch.no_grad():
            model.eval()(*inputs)
    finally:
        for hook in hooks:
            hook.remove()
    return [(name, kind, shape, calls) for name, (kind, shape, calls) in seen.items()]


def show_architecture(model, *inputs, title=None, per_row=5):
    """Draw a model as the chain of its parts in call order (see `architecture`), each box with the
    part's name and class and the shape it outputs; "×n" marks a part called n times (a recurrent
    cell, a shared block). Returns nothing: the notebook shows the figure."""
    shapes = [_shape_of(x) for x in inputs if isinstance(x, torch.Tensor)]
    rows = [("input", "", shapes[0] if len(shapes) == 1 else tuple(shapes), 1)] + architecture(model, *inputs)
    lines = -(-len(rows) // per_row)
    fig, ax = plt.subplots(figsize=(2.6 * per_row, 1.25 * lines))
    for index, (name, kind, shape, calls) in enumerate(rows):
        x, y = index % per_row, -(index // per_row)
        label = f"{name}" + (f" ×{calls}" if calls > 1 else "") + (f"\n{kind}" if kind else "") + f"\n{shape}"
        ax.text(x, y, label, ha="center", va="center", fontsize=7.5, family="monospace",
                bbox=dict(boxstyle="round,pad=0.35", fc="#eef3fb" if kind else "#f4f4f4", ec="#4a6fa5"))
        if index + 1 < len(rows):
            nx, ny = (index + 1) % per_row, -((index + 1) // per_row)
            ax.annotate("", xy=(nx - 0.38, ny) if ny == y else (nx, ny + 0.3), xytext=(x + 0.38, y) if ny == y else (x, y - 0.3),
                        arrowprops=dict(arrowstyle="->", color="#4a6fa5", lw=0.8))
    ax.set_xlim(-0.6, per_row - 0.4)
    ax.set_ylim(-lines + 0.4, 0.6)
    ax.axis("off")
    ax.set_title(title or f"{type(model).__name__}: parts in the order of a forward pass, with output shapes", fontsize=9)
    fig.tight_layout()


def plot_curves(curves, xlabel="step", ylabel="loss", title=None, logy=False, ax=None, x=None):
    """Plot named curves {name: values}, or one curve (a list of values, as training.fit returns),
    against `x` (the same for every curve; 0, 1, … by default); used for training losses and for
    metric sweeps."""
    if isinstance(curves, (list, tuple, np.ndarray, torch.Tensor)):
        curves = {ylabel: curves}
    if not isinstance(curves, dict):
        raise TypeError(f"curves: expected {{name: values}} or a list of values; got {describe(curves)}")
    ax = ax or plt.subplots(figsize=(5, 3))[1]
    for name, values in curves.items():
        values = np.asarray(values.detach().cpu() if isinstance(values, torch.Tensor) else values, dtype=float)
        if x is not None and len(x) != len(values):
            raise ValueError(f"x: expected one value per point ({len(values)} in {name!r}); got {len(x)}")
        ax.plot(np.arange(len(values)) if x is None else np.asarray(x, dtype=float), values, label=name)
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    if len(curves) > 1:
        ax.legend()
    ax.grid(alpha=0.3)
    return ax


def plot_timeline(events, title=None, ax=None):
    """A timeline figure: events = [(year, label, family), ...]; one colour per family."""
    if not (isinstance(events, (list, tuple)) and events):
        raise ValueError(f"events: expected a non-empty list of (year, label, family); got {events!r}")
    for i, event in enumerate(events):
        if not (isinstance(event, (list, tuple)) and len(event) == 3 and isinstance(event[0], (int, float))):
            raise ValueError(f"events[{i}]: expected (year, label, family); got {event!r}")
    years = sorted({year for year, _, _ in events})
    tallest = max(sum(1 for e in events if e[0] == year) for year in years)   # the most labels stacked on one year
    ax = ax or plt.subplots(figsize=(11, 1.4 + 1.2 * tallest))[1]
    families = list(dict.fromkeys(family for _, _, family in events))
    colors = dict(zip(families, plt.cm.tab10.colors))
    ax.axhline(0, color="gray", lw=1)
    for year in years:
        at_year = [e for e in events if e[0] == year]
        side = 1 if years.index(year) % 2 == 0 else -1
        ax.plot([year, year], [0, side * len(at_year) * 0.9], color="gray", lw=1)   # one stem: the boxes carry the colours
        ax.scatter([year], [0], color="black", s=12, zorder=3)
        for k, (_, label, family) in enumerate(at_year):
            ax.text(year, side * (1 + k), label, ha="center", va="center", fontsize=8,
                    bbox=dict(boxstyle="round,pad=0.25", fc="white", ec=colors[family], lw=1.5))
    handles = [plt.Line2D([], [], color=colors[f], lw=3, label=f) for f in families]
    ax.legend(handles=handles, loc="upper center", fontsize=7, ncol=len(families), frameon=False)
    ax.set_xticks(years)
    ax.set_xlim(years[0] - 0.7, years[-1] + 0.7)
    ax.set_ylim(-tallest - 1, tallest + 1)
    ax.set_yticks([])
    for side in ("left", "right", "top"):
        ax.spines[side].set_visible(False)
    if title:
        ax.set_title(title)
    return ax
