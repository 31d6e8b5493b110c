"""Quality control of generated clips, and where generators break: lesson 06's first two parts,
and the drift of long stories (lesson 08).

The report measures each clip the ways the course can, and flags the failures a person would
reject it for:
    flicker         warping error (metrics.warping_error) with Lucas–Kanade flow between
                    consecutive frames: what changed without moving
    identity drift  share of frames whose digit, as the evaluation network reads it, is not the
                    first frame's
    blur            sharpness of the last four frames over the first frame's
    frozen          mean absolute change between consecutive frames
    speed           the digit's speed as the evaluation network estimates it (px/frame)
Thresholds are calibrated on real clips: a clip is flagged where a measure is worse than all but
1 % of real clips (for speed, outside the real 0.5 … 99.5 % range). A flag is evidence, not a
verdict: about 1 % of real clips trip each flag by construction.

Story drift (lesson 08) measures a long generated story clip by clip: the share of each clip's
frames that still show the story's digit, and its sharpness against the story's first frame.

The stress test measures a predictor on MovingDigits made harder on one axis at a time: faster
digits, more digits, digits crossing each other (occlusion). Its error is the prediction's MSE
over that of repeating the last given frame on the same clips, so that a ratio < 1 means the
model still beats doing nothing.
"""
import torch
from einops import rearrange, reduce

from utils.data import MovingDigits
from utils.flow import lucas_kanade
from utils.metrics import frame_sharpness, warping_error
from utils.models.evalnet import analyse, load_evaluator
from utils.video import check_batch, check_in_range, describe

FLAGS = ("flicker", "identity drift", "blur", "frozen", "speed")
WORSE_WHEN = {"flicker": "high", "identity drift": "high", "blur": "low", "frozen": "low", "speed": "both"}
QUANTILE = 0.99


def _check_digit_clips(videos):
    check_batch(videos, "videos")
    if tuple(videos.shape[2:]) != (1, 64, 64) or videos.shape[1] < 5:
        raise ValueError(f"videos: expected MovingDigits-like clips (B, T ≥ 5, 1, 64, 64); got {tuple(videos.shape)}")
    return videos


def clip_measures(videos):
    """Each measure of the module docstring for each clip of videos (B, T, 1, 64, 64): {name: (B,)}."""
    _check_digit_clips(videos)
    B = videos.shape[0]
    later, earlier = (rearrange(part, "b t c h w -> (b t) c h w") for part in (videos[:, 1:], videos[:, :-1]))
    flow = rearrange(lucas_kanade(later, earlier), "(b t) v h w -> b t v h w", b=B)   # where each pixel of frame t+1 was in frame t
    flicker = torch.tensor([warping_error(clip, clip_flow) for clip, clip_flow in zip(videos, flow)])
    digits, velocity, _ = analyse(load_evaluator(), videos)
    return {"flicker": flicker,
            "identity drift": (digits[:, 1:] != digits[:, :1]).float().mean(dim=1),
            "blur": reduce(frame_sharpness(rearrange(videos[:, -4:], "b t c h w -> (b t) c h w")), "(b t) -> b", "mean", b=B)
                    / frame_sharpness(videos[:, 0]).clamp_min(1e-8),
            "frozen": (videos[:, 1:] - videos[:, :-1]).abs().mean(dim=(1, 2, 3, 4)),
            "speed": velocity.norm(dim=-1).mean(dim=1)}


def calibrate(real_videos, quantile=QUANTILE):
    """Thresholds from real clips: {name: (low, high)}, a clip being flagged outside [low, high]."""
    check_in_range(quantile, "quantile", 0.5, 1, meaning="the share of real clips to pass, e.g. 0.95")
    tail = 1 - quantile
    bounds = {}
    for name, values in clip_measures(real_videos).items():
        worse = WORSE_WHEN[name]
        low = values.quantile(tail / 2 if worse == "both" else tail).item() if worse != "high" else -float("inf")
        high = values.quantile(1 - tail / 2 if worse == "both" else quantile).item() if worse != "low" else float("inf")
        bounds[name] = (low, high)
    return bounds


def _check_measures(measures, thresholds, name="measured"):
    """One set's clip_measures, with a threshold for each of its measures."""
    if not (isinstance(measures, dict) and all(isinstance(values, torch.Tensor) for values in measures.values())):
        hint = " Several sets ({set name: measures})? Use report()." if isinstance(measures, dict) else ""
        raise TypeError(f"{name}: expected one set's clip_measures, {{measure: (B,) tensor}}; got {describe(measures)}.{hint}")
    missing = sorted(set(measures) - set(thresholds))
    if missing:
        raise KeyError(f"thresholds: expected one (low, high) pair per measure, as calibrate() gives; none for {missing}")
    return measures


def _check_sets(measured):
    """Several sets' clip_measures, {set name: {measure: (B,) tensor}}."""
    if not isinstance(measured, dict) or any(isinstance(values, torch.Tensor) for values in measured.values()):
        hint = " One set's clip_measures? Name it: {'my clips': measures}." if isinstance(measured, dict) else ""
        raise TypeError(f"measured: expected {{set name: clip_measures of its clips}}; got {describe(measured)}.{hint}")
    return measured


def flag(measured, thresholds):
    """{name: (B,) bool}, True where the clip's measure lies outside the name's thresholds."""
    _check_measures(measured, thresholds)
    return {name: (values < thresholds[name][0]) | (values > thresholds[name][1]) for name, values in measured.items()}


def report(measured, thresholds):
    """measured: {set name: clip_measures of its clips} → {set name: {flag: share of its clips
    flagged, "any": share with any flag}}."""
    _check_sets(measured)
    table = {}
    for name, measures in measured.items():
        flags = flag(measures, thresholds)
        any_flag = torch.stack(list(flags.values())).any(dim=0)
        table[name] = {**{f: round(v.float().mean().item(), 3) for f, v in flags.items()}, "any": round(any_flag.float().mean().item(), 3)}
    return table


def furthest_beyond(measured, thresholds, flag_name):
    """(set name, clip index) of the clip that lies furthest beyond `flag_name`'s thresholds."""
    if flag_name not in FLAGS:
        raise KeyError(f"flag_name: expected one of {FLAGS}; got {flag_name!r}")
    _check_sets(measured)
    low, high = thresholds[flag_name]
    beyond = {name: torch.maximum(low - m[flag_name], m[flag_name] - high) for name, m in measured.items()}
    name = max(beyond, key=lambda n: beyond[n].max())
    return name, int(beyond[name].argmax())


def story_drift(stories, digits):
    """How generated stories (B, N, T, 1, 64, 64) drift clip by clip: {"identity": (N,) the share
    of each clip's frames whose digit the evaluation network reads as the story's digit `digits`
    (B,), "sharpness": (N,) each clip's last four frames over the story's first frame, the median
    over stories}."""
    if not isinstance(stories, torch.Tensor) or stories.ndim != 6:
        raise ValueError(f"stories: expected (B, N, T, 1, 64, 64), N clips per story; got {describe(stories)}")
    B, N = stories.shape[:2]
    if not isinstance(digits, torch.Tensor) or digits.ndim != 1:
        raise ValueError(f"digits: expected a (B,) tensor, the digit of each story; got {describe(digits)}")
    if len(digits) != B:
        raise ValueError(f"digits: expected one digit per story ({B}); got {len(digits)}")
    read, _, _ = analyse(load_evaluator(), _check_digit_clips(rearrange(stories, "b n t c h w -> (b n) t c h w")))
    identity = (rearrange(read, "(b n) t -> b n t", b=B) == digits.view(B, 1, 1)).float().mean(dim=2)   # (B, N)
    last = reduce(frame_sharpness(rearrange(stories[:, :, -4:], "b n t c h w -> (b n t) c h w")), "(b n t) -> b n", "mean", b=B, n=N)
    sharp = last / frame_sharpness(stories[:, 0, 0]).clamp_min(1e-8)[:, None]
    return {"identity": identity.mean(dim=0), "sharpness": sharp.median(dim=0).values}


# ---------------------------------------------------------------------------------------------
# the stress test: complex motion

GIVEN = 10    # context frames; the predictor makes the next GIVEN


def crossing(positions, count, digit_size=24, start=GIVEN):
    """(B,) bool: clips where two digits' boxes overlap by more than half a digit in any frame from
    `start` on. positions (B, T, 3, 2): each digit's top-left corner; count: digits per clip."""
    if count < 2:
        return torch.zeros(len(positions), dtype=torch.bool)
    a, b = positions[:, start:, 0], positions[:, start:, 1]
    return ((a - b).abs() < digit_size / 2).all(dim=-1).any(dim=1)


def prediction_error(predict, clips):
    """predict(context (B, GIVEN, 1, 64, 64)) → the next GIVEN frames, on clips (B, 2·GIVEN, 1, 64, 64):
    per clip, the prediction's squared error over the repeat-last-frame baseline's (B,)."""
    context, future = clips[:, :GIVEN], clips[:, GIVEN:]
    with torch.no_grad():
        predicted = torch.cat([predict(part).float().cpu() for part in context.split(64)])
    error = (predicted - future).square().sum(dim=(1, 2, 3, 4))
    baseline = (context[:, -1:] - future).square().sum(dim=(1, 2, 3, 4))
    return error / baseline.clamp_min(1e-6)


def stress_test(predict, speeds=(1, 2, 3, 4, 5, 6, 8), digit_counts=(1, 2, 3), clips=64, seed=7):
    """The median error ratio (prediction over repeat-last) on held-out clips made harder on one axis:
    {"speed": {speed: ratio} (one digit), "digits": {count: ratio} (speed 2…4),
     "occlusion": {"crossing": ratio, "apart": ratio} (two digits, speed 2…4)}."""
    def made(**config):
        return MovingDigits(num_frames=2 * GIVEN, split="test", length=clips, seed=seed, **config).batch(clips)

    out = {"speed": {s: prediction_error(predict, made(num_digits=1, speed=float(s))["video"]).median().item() for s in speeds},
           "digits": {n: prediction_error(predict, made(num_digits=n)["video"]).median().item() for n in digit_counts}}
    pair = MovingDigits(num_frames=2 * GIVEN, split="test", length=4 * clips, seed=seed, num_digits=2).batch(4 * clips)
    ratio, crossed = prediction_error(predict, pair["video"]), crossing(pair["position"], 2)
    out["occlusion"] = {"crossing": ratio[crossed].median().item(), "apart": ratio[~crossed].median().item(),
                        "clips_crossing": int(crossed.sum())}
    return out
