"""CycleGAN (Zhu, Park, Isola & Efros 2017, "Unpaired Image-to-Image Translation using
Cycle-Consistent Adversarial Networks"), applied to video frame by frame — and the flicker that
causes, with a temporal-consistency term that reduces it.

Two styles of the same kind of video, never paired:
    A "camera": a MovingDigits frame — a white digit on black, with the sensor noise of a camera;
    B "ink":    a thick dark digit on light paper.
Two generators G: A → B and F: B → A (U-Nets, as Pix2Pix's), and a PatchGAN discriminator per
style. With no pairs, an adversarial loss alone would accept any B-looking image; the cycle loss
asks that translating there and back gives the input back:
    L = L_GAN(G, D_B) + L_GAN(F, D_A) + λ_cyc (E‖F(G(a)) − a‖₁ + E‖G(F(b)) − b‖₁),   λ_cyc = 10
with the least-squares GAN loss of the paper: D minimises (D(real) − 1)² + D(fake)², G minimises
(D(fake) − 1)².

Video. Each frame is translated alone, so nothing ties frame t+1's output to frame t's: small
changes between input frames — here the camera noise — become changes in the output that do not
move with the digit: flicker. The temporal term (as in the video style transfer of Ruder, Dosovitskiy
& Brox 2016) asks G's output for frame t+1 to be its output for frame t moved by the true motion:
    L_temp = E‖G(a_{t+1}) − warp(G(a_t), flow_t)‖₁ over the pixels the warp can fill
The flicker is measured by the same quantity on held-out clips: utils.metrics.warping_error.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F
from einops import rearrange

from utils.blocks import PatchDiscriminator
from utils.data import MovingDigits
from utils.flow import warp_difference
from utils.metrics import psnr, warping_error
from utils.models.evalnet import benchmark
from utils.models.pix2pix import UNet
from utils.training import final_losses, fit_gan
from utils.video import batch_field, check_batch, check_clips, check_generator, check_model, describe

CYCLE_WEIGHT = 10.0       # λ_cyc, as the paper
TEMPORAL_WEIGHT = 10.0    # λ_temp of the temporal variant
CAMERA_NOISE = 0.08       # standard deviation of style A's per-frame sensor noise


def camera_style(video, generator=None):
    """Style A: the clip with independent noise on every frame, clipped to [0, 1]."""
    check_clips(video)
    check_generator(generator)
    noise = torch.randn(video.shape, generator=generator).to(video.device)
    return (video + CAMERA_NOISE * noise).clamp(0, 1)


def ink_style(video):
    """Style B: strokes thickened by a 5×5 maximum, dark ink on light paper."""
    check_clips(video)
    frames = rearrange(video, "... c h w -> (...) c h w")
    thick = F.max_pool2d(frames, 5, stride=1, padding=2)
    return (1 - 0.85 * thick).reshape(video.shape)


def digit_flow(position, size=64):
    """The true motion of one-digit clips: positions (B, T, 3, 2) → backward flows (B, T-1, 2, H, W),
    each pixel of frame t+1 fetched from where the digit was in frame t (the background is uniform,
    so the whole frame may move with the digit)."""
    if not isinstance(position, torch.Tensor) or position.ndim != 4 or position.shape[-1] != 2:
        hint = " A data batch? Pass its positions: batch['position']." if isinstance(position, dict) and "position" in position else ""
        raise ValueError(f"position: expected the digits' positions (B, T, digits, 2); got {describe(position)}.{hint}")
    step = position[:, 1:, 0].round() - position[:, :-1, 0].round()              # (B, T-1, 2) px, (x, y)
    return (-step)[..., None, None].expand(-1, -1, -1, size, size)


class CycleGAN(nn.Module):
    def __init__(self, width=16):
        super().__init__()
        self.a_to_b, self.b_to_a = UNet(1, 1, width), UNet(1, 1, width)
        self.discriminator_a, self.discriminator_b = PatchDiscriminator(1, width), PatchDiscriminator(1, width)

    # fit_gan's two optimisers: one for the generators, one for the discriminators
    @property
    def generator(self):
        return nn.ModuleList([self.a_to_b, self.b_to_a])

    @property
    def discriminator(self):
        return nn.ModuleList([self.discriminator_a, self.discriminator_b])

    def forward(self, video):
        """Translate a camera-style video (B, T, 1, 64, 64) into ink style, frame by frame."""
        frames = rearrange(video, "b t c h w -> (b t) c h w")
        return rearrange(self.a_to_b(frames), "(b t) c h w -> b t c h w", b=video.shape[0])


def cycle_loss(a, b, a_to_b, b_to_a):
    """The cycle-consistency loss (without λ_cyc): E‖F(G(a)) − a‖₁ + E‖G(F(b)) − b‖₁."""
    return F.l1_loss(b_to_a(a_to_b(a)), a) + F.l1_loss(a_to_b(b_to_a(b)), b)


def temporal_loss(translated, flow):
    """translated (B, 2, 1, H, W): G's outputs for frames t and t+1; flow (B, 2, H, W) from t+1 to t."""
    return warp_difference(translated[:, 0], translated[:, 1], flow)


def _least_squares(logits, real):
    return (logits - float(real)).square().mean()


def train_step(gan, optimizer_g, optimizer_d, batch, temporal_weight=0.0, cycle_loss_fn=cycle_loss):
    """batch: "a" (B, 2, 1, 64, 64) pairs of consecutive camera-style frames with their "flow",
    "b" (2B, 1, 64, 64) ink-style frames from other clips. cycle_loss_fn: the cycle loss (lesson
    04's exercise can stand in)."""
    a_pairs, b = batch["a"], batch["b"]
    a = rearrange(a_pairs, "b t c h w -> (b t) c h w")
    fake_b, fake_a = gan.a_to_b(a), gan.b_to_a(b)

    d_loss = (_least_squares(gan.discriminator_b(b * 2 - 1), True) + _least_squares(gan.discriminator_b(fake_b.detach() * 2 - 1), False)
              + _least_squares(gan.discriminator_a(a * 2 - 1), True) + _least_squares(gan.discriminator_a(fake_a.detach() * 2 - 1), False)) / 2
    optimizer_d.zero_grad(set_to_none=True)
    d_loss.backward()
    optimizer_d.step()

    adversarial = _least_squares(gan.discriminator_b(fake_b * 2 - 1), True) + _least_squares(gan.discriminator_a(fake_a * 2 - 1), True)
    cycle = cycle_loss_fn(a, b, gan.a_to_b, gan.b_to_a)
    temporal = temporal_loss(rearrange(fake_b, "(b t) c h w -> b t c h w", t=2), batch["flow"])
    loss = adversarial + CYCLE_WEIGHT * cycle + temporal_weight * temporal
    optimizer_g.zero_grad(set_to_none=True)
    loss.backward()
    optimizer_g.step()
    return {"discriminators": d_loss.item(), "generators (adversarial)": adversarial.item(), "cycle": cycle.item(),
            "temporal": temporal.item()}


def training_batch(clips, other_clips, generator):
    """Two MovingDigits batches → camera-style pairs of consecutive frames of `clips` with their
    flow, and ink-style frames of `other_clips`."""
    video, other = batch_field(clips, "video", "clips"), batch_field(other_clips, "video", "other_clips")
    start = torch.randint(video.shape[1] - 1, (1,), generator=generator).item()
    return {"a": camera_style(video[:, start:start + 2], generator),
            "flow": digit_flow(clips["position"][:, start:start + 2])[:, 0],
            "b": rearrange(ink_style(other[:, start:start + 2]), "b t c h w -> (b t) c h w")}


# ---------------------------------------------------------------------------------------------
# the recipes: `python -m utils.train cyclegan` and `python -m utils.train cyclegan_temporal`

def train(gan, steps=1500, batch_size=8, lr=2e-4, temporal_weight=0.0, seed=0):
    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed)
    clips = MovingDigits(num_frames=8, num_digits=1, split="train", length=steps * batch_size, seed=seed)
    unpaired = MovingDigits(num_frames=8, num_digits=1, split="train", length=steps * batch_size, seed=seed + 1)
    step_fn = lambda *args: train_step(*args, temporal_weight=temporal_weight)
    clips_at, unpaired_at = clips.batches(batch_size), unpaired.batches(batch_size)
    batches = lambda step: training_batch(clips_at(step), unpaired_at(step), generator)
    history = fit_gan(gan, step_fn, batches, steps, lr=lr, desc="CycleGAN" + (" + temporal" if temporal_weight else ""))
    return {"recipe": {"steps": steps, "batch_size": f"{batch_size} pairs of frames", "lr": lr, "betas": [0.5, 0.999],
                       "loss": f"least-squares GAN + {CYCLE_WEIGHT:g} × cycle L1" + (f" + {temporal_weight:g} × temporal" if temporal_weight else ""),
                       "data": "MovingDigits (1 digit, train split) in camera style, other clips in ink style, unpaired"},
            "seed": seed, "final_losses": final_losses(history),
            "metrics": evaluate(gan)}


def train_temporal(gan, **options):
    return train(gan, temporal_weight=TEMPORAL_WEIGHT, **options)


@torch.no_grad()
def translate(gan, video, clips_at_once=8):
    """Camera-style video(s) (B, T, 1, 64, 64) → ink style, frame by frame, on the CPU."""
    check_model(gan, CycleGAN, "gan")
    if check_batch(video).shape[2:] != (1, 64, 64):
        raise ValueError(f"video: expected clips of gray 64×64 frames (B, T, 1, 64, 64); got {tuple(video.shape)}")
    device = next(gan.parameters()).device
    gan.eval()
    return torch.cat([gan(part.to(device)).float().cpu() for part in video.split(clips_at_once)])


def evaluate(gan, clips=64):
    """On held-out clips in camera style: flicker (warping error) of the translation, of the
    true ink rendering of the same clips and of the input; and PSNR against the true rendering, of
    the translation and of the input inverted (1 − x: the mapping's colours without its strokes)."""
    held_out = benchmark(clips)
    camera = camera_style(held_out["video"], torch.Generator().manual_seed(0))
    flow, true_ink = digit_flow(held_out["position"]), ink_style(held_out["video"])
    translated = translate(gan, camera)
    return {"warping_error": round(warping_error(translated, flow), 5),
            "warping_error_true_ink": round(warping_error(true_ink, flow), 5),
            "warping_error_input": round(warping_error(camera, flow), 5),
            "psnr_vs_true_ink_db": round(psnr(translated, true_ink), 2),
            "psnr_inverted_input_db": round(psnr(1 - camera, true_ink), 2)}
