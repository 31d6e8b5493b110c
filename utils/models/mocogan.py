"""MoCoGAN (Tulyakov, Liu, Yang & Kautz 2018, "MoCoGAN: Decomposing Motion and Content for Video
Generation"): a video is a content code that stays fixed and motion codes that change.

    z_C ~ N(0, I)                               content: one per clip (which digit, its style)
    h_t = GRU(h_{t−1}, ε_t),  ε_t ~ N(0, I)      motion: a recurrent network turns noise into a
    z_M(t) = h_t                                 path of motion codes, one per frame
    frame_t = G_I(z_C, z_M(t))                   one image generator for every frame
Two discriminators: D_I judges single frames (is each frame a good image?), D_V judges clips (is
this motion real?). Holding z_C and redrawing the ε's gives the same digit moving differently;
the reverse gives another digit on the same path.

Our G_I is split in two along the same line: z_C → an 8×8 digit image, upsampled to 24×24 as
MovingDigits draws its digits; z_M(t) → a velocity; the digit is drawn where the velocities take
it, bouncing off the walls as MovingDigits' digits do. (The paper's G_I paints every frame's
pixels from [z_C, z_M(t)]. Lesson 03 found that painting, with a CPU's training budget, loses the
digit's shape between frames; here the shape cannot change by construction, and the adversarial
game decides which shapes and which motions look real.)
D_V: lesson 03's 3D-convolutional discriminator. D_I: a PatchGAN on what a frame shows — the
digit, cropped where it is drawn (real clips: at their known position) — and it sees the digits
PACK at a time, stacked as channels (PacGAN, Lin et al. 2018). Losses: the non-saturating GAN
losses of lesson 03.

Why packs. With D_I on one whole frame at a time, every content code learned to draw the same
digit — mode collapse (the model card's notes give the measurements, and those of a mode-seeking
term that did not fix it). Four digits side by side show a collapse at once: four copies of one
digit are not what four real digits look like.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F
from einops import rearrange, repeat

from utils.blocks import PatchDiscriminator
from utils.data import MovingDigits
from utils.flow import backward_warp
from utils.models.evalnet import FRAMES as EVAL_FRAMES
from utils.models.evalnet import REFERENCE_SEED, analyse, benchmark, fvd_lite, load_evaluator, static_frame_fvd_lite
from utils.models.vgan import FRAMES, SPEED, Discriminator, discriminator_loss, generator_loss
from utils.training import final_losses, fit_gan
from utils.video import check_count, check_generator, check_model, describe

CONTENT, MOTION_NOISE, MOTION = 16, 8, 32     # sizes of z_C, ε_t and z_M(t) = h_t
DIGIT, CANVAS = 24, 64
ROOM = CANVAS - DIGIT                          # positions 0 … 40 px, as MovingDigits
PACK = 4                                       # digits per D_I input


def bounce(position):
    """Fold unbounded positions into [0, ROOM], as a digit bouncing off the walls would be."""
    folded = torch.remainder(position, 2 * ROOM)
    return ROOM - (folded - ROOM).abs()


def place(digit, position):
    """digit (B, 1, 24, 24) drawn with its top-left corner at position (B, T, 2) px (x, y) on a
    black 64×64 canvas → (B, T, 1, 64, 64), by lesson 02's backward warp (differentiable in the
    position)."""
    B, T = position.shape[:2]
    margin = (CANVAS - DIGIT) // 2                                                 # the digit starts centred,
    canvas = F.pad(digit, (margin, CANVAS - DIGIT - margin) * 2)                   # so the warp fetches black from the border
    flow = repeat(margin - position, "b t v -> (b t) v h w", h=CANVAS, w=CANVAS)
    frames = backward_warp(repeat(canvas, "b c h w -> (b t) c h w", t=T), flow)
    return rearrange(frames, "(b t) c h w -> b t c h w", b=B)


class Generator(nn.Module):
    def __init__(self, hidden=128):
        super().__init__()
        self.content = nn.Sequential(nn.Linear(CONTENT, hidden), nn.LeakyReLU(0.2), nn.Linear(hidden, 2 * hidden),
                                     nn.LeakyReLU(0.2), nn.Linear(2 * hidden, 8 * 8))   # z_C → 8×8 digit
        self.start = nn.Linear(MOTION_NOISE, MOTION + 2)                               # ε_0 → h_0, position_0
        self.motion = nn.GRUCell(MOTION_NOISE, MOTION)
        self.velocity = nn.Linear(MOTION, 2)                                           # z_M(t) → px/frame

    def motion_codes(self, noise):
        """ε (B, T, MOTION_NOISE) → z_M (B, T-1, MOTION), one per step after the first frame, and the
        start position (B, 2) px."""
        start = self.start(noise[:, 0])
        h, position = start[:, :MOTION].tanh(), start[:, MOTION:].sigmoid() * ROOM
        codes = []
        for t in range(1, noise.shape[1]):
            h = self.motion(noise[:, t], h)
            codes.append(h)
        return torch.stack(codes, dim=1), position

    def digit(self, content):
        """z_C (B, CONTENT) → the digit (B, 1, 24, 24) in [0, 1]."""
        small = rearrange(self.content(content), "b (h w) -> b 1 h w", h=8).sigmoid()
        return F.interpolate(small, size=(DIGIT, DIGIT), mode="bicubic", align_corners=False).clamp(0, 1)

    def animate(self, digit, motion_noise):
        """digit (B, 1, 24, 24), ε (B, T, MOTION_NOISE) → clip (B, T, 1, 64, 64)."""
        codes, start = self.motion_codes(motion_noise)
        velocity = SPEED[1] * self.velocity(codes).tanh()                          # (B, T-1, 2) px/frame
        path = torch.cat([start[:, None], start[:, None] + velocity.cumsum(dim=1)], dim=1)
        return place(digit, bounce(path))

    def forward(self, content, motion_noise):
        """z_C (B, CONTENT), ε (B, T, MOTION_NOISE) → clip (B, T, 1, 64, 64)."""
        return self.animate(self.digit(content), motion_noise)


def random_codes(n, frames=FRAMES, device=None, generator=None):
    """z_C (n, CONTENT) and ε (n, frames, MOTION_NOISE) drawn from N(0, I)."""
    check_count(n, "n", meaning="the number of clips")
    check_count(frames, "frames", meaning="frames per clip")
    check_generator(generator)
    return (torch.randn(n, CONTENT, generator=generator).to(device),
            torch.randn(n, frames, MOTION_NOISE, generator=generator).to(device))


class MoCoGAN(nn.Module):
    def __init__(self, width=16):
        super().__init__()
        self.generator = Generator()
        self.image_discriminator, self.video_discriminator = PatchDiscriminator(PACK, width), Discriminator(width)

    @property
    def discriminator(self):  # for fit_gan's discriminator optimiser: both
        return nn.ModuleList([self.image_discriminator, self.video_discriminator])

    def forward(self, content, motion_noise):
        return self.generator(content, motion_noise)


def crop_digits(frames, position):
    """The digit of each frame: frames (B, 1, 64, 64), top-left positions (B, 2) px (x, y) → (B, 1, 24, 24)."""
    corners = position.round().long().tolist()
    return torch.stack([frame[:, y:y + DIGIT, x:x + DIGIT] for frame, (x, y) in zip(frames, corners)])


def judge_digits(gan, digits):
    """D_I's logits for digits (B, 1, 24, 24), B a multiple of PACK, read PACK at a time."""
    return gan.image_discriminator(rearrange(digits, "(n k) c h w -> n (k c) h w", k=PACK) * 2 - 1)


def train_step(gan, optimizer_g, optimizer_d, batch):
    real = batch["video"]
    content, motion_noise = random_codes(len(real), real.shape[1], real.device)
    digits = gan.generator.digit(content)
    fake = gan.generator.animate(digits, motion_noise)
    real_digits = crop_digits(real[:, 0], batch["position"][:, 0, 0])            # one digit per real clip

    d_loss = (discriminator_loss(judge_digits(gan, real_digits), judge_digits(gan, digits.detach()))
              + discriminator_loss(gan.video_discriminator(real), gan.video_discriminator(fake.detach())))
    optimizer_d.zero_grad(set_to_none=True)
    d_loss.backward()
    optimizer_d.step()

    image_loss = generator_loss(judge_digits(gan, digits))
    video_loss = generator_loss(gan.video_discriminator(fake))
    optimizer_g.zero_grad(set_to_none=True)
    (image_loss + video_loss).backward()
    optimizer_g.step()
    return {"discriminators": d_loss.item(), "generator (image D)": image_loss.item(), "generator (video D)": video_loss.item()}


@torch.no_grad()
def generate(model, content, motion_noise):
    """Clips (B, T, 1, 64, 64) on the CPU for given codes (see random_codes)."""
    check_model(model, (MoCoGAN, Generator))
    if not (isinstance(content, torch.Tensor) and content.is_floating_point() and content.ndim == 2 and content.shape[1] == CONTENT):
        raise ValueError(f"content: expected z_C, a float tensor of shape (B, {CONTENT}); got {describe(content)}")
    if not (isinstance(motion_noise, torch.Tensor) and motion_noise.is_floating_point() and motion_noise.ndim == 3 and motion_noise.shape[2] == MOTION_NOISE
            and motion_noise.shape[0] == content.shape[0] and motion_noise.shape[1] >= 2):
        raise ValueError(f"motion_noise: expected ε, a float tensor of shape ({content.shape[0]}, T ≥ 2, {MOTION_NOISE}), "
                         f"one code per frame; got {describe(motion_noise)}")
    generator = getattr(model, "generator", model)
    device = next(generator.parameters()).device
    generator.eval()
    return generator(content.to(device), motion_noise.to(device)).float().cpu()


# ---------------------------------------------------------------------------------------------
# the recipe: `python -m utils.train mocogan`

def train(gan, steps=2000, batch_size=16, lr=2e-4, seed=0):
    torch.manual_seed(seed)
    clips = MovingDigits(num_frames=FRAMES, num_digits=1, split="train", length=steps * batch_size, seed=seed)
    history = fit_gan(gan, train_step, clips.batches(batch_size), steps, lr=lr, desc="MoCoGAN")
    return {"recipe": {"steps": steps, "batch_size": batch_size, "lr": lr, "betas": [0.5, 0.999],
                       "loss": f"non-saturating GAN; D_I on digits, {PACK} at a time (PacGAN); D_V on clips",
                       "data": f"MovingDigits, 1 digit, {FRAMES} frames, train split"},
            "seed": seed, "final_losses": final_losses(history),
            "metrics": evaluate(gan)}


def evaluate(model, clips=256):
    """Unconditional clips, by the evaluation network: does each clip keep one digit (frames that
    agree with the clip's most frequent label), how fast it moves, FVD-lite against held-out
    clips; and the same FVD-lite for held-out first frames held still."""
    evaluator = load_evaluator()
    videos = generate(model, *random_codes(clips, EVAL_FRAMES, generator=torch.Generator().manual_seed(0)))
    digits, velocity, _ = analyse(evaluator, videos)
    majority = digits.mode(dim=1).values
    reference = benchmark(clips, seed=REFERENCE_SEED)["video"]
    return {"identity_consistency": round((digits == majority[:, None]).float().mean().item(), 4),
            "digit_classes_seen": int(majority.unique().numel()),
            "speed_px_per_frame": round(velocity.norm(dim=-1).mean().item(), 3),
            "fvd_lite": round(fvd_lite(evaluator, videos, reference), 2),
            "fvd_lite_static_frame": static_frame_fvd_lite(clips)}
