"""SimVP video prediction (Gao, Tan, Wu & Li, CVPR 2022, "SimVP: Simpler yet Better Video
Prediction"), with the gated spatiotemporal attention (gSTA) translator of Tan, Gao, Li & Li
(arXiv:2211.12509, "SimVP: Towards Simple yet Powerful Spatiotemporal Predictive Learning").

No recurrence and no attention over tokens: only convolutions, and all given frames at once.
    encoder     each frame alone    (B·T, C, H, W)       → (B·T, S, H/4, W/4)   strided 2D convolutions
    translator  frames as channels  (B, T·S, H/4, W/4)   → (B, T·S, H/4, W/4)   1×1 to 64 channels, gSTA
                                                                                blocks, 1×1 back, plus a residual
    decoder     each frame alone    (B·T, S, H/4, W/4)   → (B·T, C, H, W)       with a skip from the encoder's
                                                                                first layer (given t → predicted t + T)
Stacking the T frames' features as channels is what makes the translator spatiotemporal: its 1×1
convolutions mix all the frames' features at each position, and its depthwise convolutions spread
them over the map. A gSTA block is a large kernel attention (Guo et al. 2022) with a gate:
    a = DWConv_7×7,dilation 3(DWConv_5×5(GELU(Conv_1×1(x))))   the papers' "21×21" kernel: a 23×23 span
    f, g = split(Conv_1×1(a)),  attention(x) = x + Conv_1×1(σ(g) ∘ f)
    x ← x + s₁ ∘ attention(norm(x)),  x ← x + s₂ ∘ MLP(norm(x))        s₁, s₂: per-channel layer scales
The T outputs are the T frames after the given ones (10 → 10 on Moving MNIST), trained with MSE,
clamped to [0, 1] with a straight-through gradient (blocks.straight_through_clamp).
"""
import torch
import torch.nn as nn
import torch.nn.functional as F
from einops import rearrange

from utils.blocks import GROUPS, straight_through_clamp
from utils.data import MovingDigits
from utils.models.evalnet import prediction_metrics
from utils.training import final_loss, fit
from utils.video import batch_field, check_batch

GIVEN = PREDICTED = 10


def conv_block(channels_in, channels_out, stride=1):
    """3×3 convolution → GroupNorm → SiLU; stride 2 halves H and W."""
    return nn.Sequential(nn.Conv2d(channels_in, channels_out, 3, stride=stride, padding=1),
                         nn.GroupNorm(2, channels_out), nn.SiLU())


def up_block(channels_in, channels_out):
    """Double H and W: a 3×3 convolution to 4× the channels, rearranged into 2×2 pixels (pixel shuffle)."""
    return nn.Sequential(nn.Conv2d(channels_in, 4 * channels_out, 3, padding=1), nn.PixelShuffle(2),
                         nn.GroupNorm(2, channels_out), nn.SiLU())


class GatedAttention(nn.Module):
    """attention(x) = x + Conv_1×1(σ(g) ∘ f), with f, g from the large-kernel depthwise convolutions."""

    def __init__(self, channels):
        super().__init__()
        self.project_in = nn.Sequential(nn.Conv2d(channels, channels, 1), nn.GELU())
        self.local = nn.Conv2d(channels, channels, 5, padding=2, groups=channels)
        self.wide = nn.Conv2d(channels, channels, 7, padding=9, dilation=3, groups=channels)
        self.gates = nn.Conv2d(channels, 2 * channels, 1)
        self.project_out = nn.Conv2d(channels, channels, 1)

    def forward(self, x):
        f, g = self.gates(self.wide(self.local(self.project_in(x)))).chunk(2, dim=1)
        return x + self.project_out(torch.sigmoid(g) * f)


class GSTABlock(nn.Module):
    """x + s₁ ∘ attention(norm(x)), then + s₂ ∘ MLP(norm(x)); the MLP's hidden layer has a 3×3
    depthwise convolution. s₁, s₂: per-channel scales starting at 0.01 ("layer scale"), so that a
    deep stack starts close to the identity."""

    def __init__(self, channels, mlp_ratio=4):
        super().__init__()
        hidden = mlp_ratio * channels
        self.attention = nn.Sequential(nn.GroupNorm(GROUPS, channels), GatedAttention(channels))
        self.mlp = nn.Sequential(nn.GroupNorm(GROUPS, channels), nn.Conv2d(channels, hidden, 1),
                                 nn.Conv2d(hidden, hidden, 3, padding=1, groups=hidden), nn.GELU(),
                                 nn.Conv2d(hidden, channels, 1))
        self.scale_attention = nn.Parameter(torch.full((channels, 1, 1), 0.01))
        self.scale_mlp = nn.Parameter(torch.full((channels, 1, 1), 0.01))

    def forward(self, x):
        x = x + self.scale_attention * self.attention(x)
        return x + self.scale_mlp * self.mlp(x)


class SimVP(nn.Module):
    """10 given frames → the 10 next ones, in one forward pass."""

    def __init__(self, channels=1, frames=GIVEN, spatial=8, temporal=64, blocks=4):
        super().__init__()
        self.frames = frames
        self.encoder = nn.ModuleList([conv_block(channels, spatial), conv_block(spatial, spatial, stride=2),
                                      conv_block(spatial, spatial), conv_block(spatial, spatial, stride=2)])
        self.translator = nn.Sequential(nn.Conv2d(frames * spatial, temporal, 1),
                                        *(GSTABlock(temporal) for _ in range(blocks)),
                                        nn.Conv2d(temporal, frames * spatial, 1))
        self.decoder = nn.ModuleList([up_block(spatial, spatial), conv_block(spatial, spatial),
                                      up_block(spatial, spatial), conv_block(2 * spatial, spatial)])
        self.readout = nn.Conv2d(spatial, channels, 1)

    def forward(self, context):
        """context (B, 10, C, H, W) in [0, 1] → the next 10 frames (B, 10, C, H, W) in [0, 1]."""
        check_batch(context, "context")
        channels = self.readout.out_channels
        if context.shape[1] != self.frames or context.shape[2] != channels or context.shape[-1] % 4 or context.shape[-2] % 4:
            raise ValueError(f"context: expected {self.frames} frames of {channels} channel(s) whose height and width are "
                             f"multiples of 4; got shape {tuple(context.shape)}")
        b = context.shape[0]
        x = rearrange(context, "b t c h w -> (b t) c h w")
        x = skip = self.encoder[0](x)                                            # (B·T, S, H, W)
        for layer in self.encoder[1:]:
            x = layer(x)                                                          # → (B·T, S, H/4, W/4)
        x = rearrange(x, "(b t) s h w -> b (t s) h w", b=b)
        # a residual, so that an untrained translator passes each frame's features on
        x = x + self.translator(x)                                                # (B, T·S, H/4, W/4)
        x = rearrange(x, "b (t s) h w -> (b t) s h w", t=self.frames)
        for layer in self.decoder[:-1]:
            x = layer(x)                                                          # → (B·T, S, H, W)
        x = self.readout(self.decoder[-1](torch.cat([x, skip], dim=1)))           # (B·T, C, H, W)
        return rearrange(straight_through_clamp(x), "(b t) c h w -> b t c h w", b=b)


def prediction_loss(model, batch):
    """MSE of the 10 predicted frames."""
    video = batch_field(batch, "video")
    if video.shape[1] != 2 * GIVEN:
        raise ValueError(f"batch['video']: expected clips of {2 * GIVEN} frames, {GIVEN} given and {GIVEN} to predict; "
                         f"got {video.shape[1]}")
    return F.mse_loss(model(video[:, :GIVEN]), video[:, GIVEN:])


# ---------------------------------------------------------------------------------------------
# the recipe: `python -m utils.train simvp`

def train(model, steps=1500, batch_size=16, lr=3e-3, seed=0, cpu_budget=None):
    """Train on fresh training-split clips every step, the learning rate falling along a cosine;
    return the card's recipe and metrics. cpu_budget: stop after that many CPU-seconds."""
    torch.manual_seed(seed)
    clips = MovingDigits(num_frames=GIVEN + PREDICTED, num_digits=1, split="train", length=steps * batch_size, seed=seed)
    losses = fit(model, prediction_loss, clips.batches(batch_size), steps, lr=lr, cosine=True, desc="SimVP",
                 cpu_budget=cpu_budget)
    return {"recipe": {"steps": len(losses), "batch_size": batch_size, "lr": lr, "schedule": "cosine",
                       "loss": "MSE of the 10 predicted frames", "cpu_budget_s": cpu_budget,
                       "data": f"MovingDigits, 1 digit, {GIVEN} + {PREDICTED} frames, train split"},
            "seed": seed, "final_loss": final_loss(losses, digits=5), "metrics": evaluate(model)}


@torch.no_grad()
def evaluate(model):
    """10 → 10 prediction on held-out clips (evalnet.prediction_metrics)."""
    device = next(model.parameters()).device
    return prediction_metrics(lambda context: model(context.to(device)))
