"""ConvLSTM video prediction (Shi et al. 2015, "Convolutional LSTM Network: A Machine Learning
Approach for Precipitation Nowcasting").

An LSTM whose matrix products are convolutions (*), so that its state keeps the image layout:
    i_t = σ(W_xi * X_t + W_hi * H_{t-1} + b_i)      input gate
    f_t = σ(W_xf * X_t + W_hf * H_{t-1} + b_f)      forget gate
    o_t = σ(W_xo * X_t + W_ho * H_{t-1} + b_o)      output gate
    g_t = tanh(W_xg * X_t + W_hg * H_{t-1} + b_g)   candidate
    C_t = f_t ∘ C_{t-1} + i_t ∘ g_t                 cell state (∘: elementwise)
    H_t = o_t ∘ tanh(C_t)                           hidden state
The paper also feeds C into the gates ("peepholes"); like most implementations we leave them out.
As in the paper, each 64×64 frame is cut into 4×4 patches first (a 16×16 grid of 16 values), so
that a 5×5 convolution sees a 20×20-pixel neighbourhood.

The predictor predicts the next frame at every step, read out of the last cell and clamped to
[0, 1] with a straight-through gradient. It reads the k given frames, then feeds each prediction
back in as the next input; in training, at each step after the context each clip gets the true
frame instead with probability teacher_share (teacher forcing at a fixed rate: scheduled
sampling, Bengio et al. 2015, with a constant rate). It is trained with mean squared error, the
deterministic loss of lesson 03: when the past does not fix the future (k = 1: which way will the digit go?), the
prediction that minimises MSE is the average of the possible futures — a blur.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F
from einops import rearrange

from utils.blocks import straight_through_clamp
from utils.data import MovingDigits
from utils.models.evalnet import image_to_video_metrics, prediction_metrics
from utils.training import final_loss, fit
from utils.video import batch_field, check_batch, check_count, check_frames, check_model

PATCH = 4


def convlstm_step(gates, x, h, c):
    """The equations above. gates: a convolution from [x, h] to the pre-activations of i, f, o, g."""
    i, f, o, g = gates(torch.cat([x, h], dim=1)).chunk(4, dim=1)
    c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
    h = torch.sigmoid(o) * torch.tanh(c)
    return h, c


class ConvLSTMCell(nn.Module):
    """One ConvLSTM layer: (x (B, C_in, H, W), (h, c) (B, C_hid, H, W) each) → new (h, c)."""

    def __init__(self, in_channels, hidden_channels, kernel_size=3):
        super().__init__()
        self.hidden_channels = hidden_channels
        # the four gates' convolutions of x and h, computed as one convolution of [x, h]
        self.gates = nn.Conv2d(in_channels + hidden_channels, 4 * hidden_channels, kernel_size, padding=kernel_size // 2)

    def forward(self, x, state, step=convlstm_step):
        """`step` computes the update from the gates' convolution (lesson 03's exercise can stand in)."""
        return step(self.gates, x, *state)

    def initial_state(self, x):
        zeros = x.new_zeros(x.shape[0], self.hidden_channels, *x.shape[2:])
        return zeros, zeros


class ConvLSTMPredictor(nn.Module):
    """A stack of ConvLSTM cells over 4×4-patch frames, with a 1×1 convolution reading the last
    cell's hidden state out into the next frame."""

    def __init__(self, channels=1, hidden=(32, 32), kernel_size=5):
        super().__init__()
        sizes = (channels * PATCH * PATCH, *hidden)
        self.cells = nn.ModuleList(ConvLSTMCell(a, b, kernel_size) for a, b in zip(sizes[:-1], sizes[1:]))
        self.readout = nn.Conv2d(hidden[-1], channels * PATCH * PATCH, 1)

    def forward(self, context, future, step=convlstm_step):
        """context (B, k, C, H, W) in [0, 1] → the next `future` frames (B, future, C, H, W)."""
        check_batch(context, "context")
        check_count(future, "future", meaning="the number of frames to predict")
        k = context.shape[1]
        return self.rollout(context, given=k, steps=k + future - 1, step=step)[:, k - 1:]

    def rollout(self, frames, given, steps, teacher_share=0.0, step=convlstm_step):
        """Step through time predicting each next frame: returns the predictions of frames 1..steps
        (B, steps, C, H, W). The input at step t is frames[:, t] for t < given, then the previous
        prediction, or, independently for each clip and step with probability `teacher_share`, the
        true frame (teacher forcing). `step` is each cell's update."""
        channels = self.readout.out_channels // (PATCH * PATCH)
        if frames.shape[2] != channels or frames.shape[-1] % PATCH or frames.shape[-2] % PATCH:
            raise ValueError(f"frames: expected {channels}-channel frames whose height and width are multiples of {PATCH}; "
                             f"got {tuple(frames.shape)}")
        states, outputs = None, []
        for t in range(steps):
            frame = frames[:, t] if t < given else outputs[-1]
            if t >= given and teacher_share > 0:
                teacher = torch.rand(len(frame), 1, 1, 1, device=frame.device) < teacher_share
                frame = torch.where(teacher, frames[:, t], frame)
            x = rearrange(frame, "b c (h p) (w q) -> b (c p q) h w", p=PATCH, q=PATCH)  # (B, 16C, H/4, W/4)
            states = states or [cell.initial_state(x) for cell in self.cells]
            for i, cell in enumerate(self.cells):
                states[i] = cell(x, states[i], step)
                x = states[i][0]
            patches = straight_through_clamp(self.readout(x))
            outputs.append(rearrange(patches, "b (c p q) h w -> b c (h p) (w q)", p=PATCH, q=PATCH))
        return torch.stack(outputs, dim=1)


def predict(model, context, future, step=convlstm_step):
    """model(context, future) with `step` as every cell's update: the loop lesson 03 writes out."""
    return model(context, future, step=step)


def prediction_loss(model, batch):
    """MSE of every predicted frame, 1..T-1: the frames inside the context too (each one predicted
    from those before it), which gives the cells a training signal at every step. The first
    `context` frames are given, the rest fed back (see `rollout`)."""
    video = batch_field(batch, "video")
    predicted = model.rollout(video, batch["context"], video.shape[1] - 1, teacher_share=batch.get("teacher_share", 0.0))
    return F.mse_loss(predicted, video[:, 1:])


# ---------------------------------------------------------------------------------------------
# the recipe: `python -m utils.train convlstm`

FRAMES = 20  # 10 given + 10 predicted, the Moving MNIST benchmark task


def train(model, steps=1500, batch_size=16, lr=2e-3, teacher_share=0.5, seed=0, cpu_budget=None):
    """Train on fresh training-split clips every step, the learning rate falling along a cosine;
    return the card's recipe and metrics. cpu_budget: stop after that many CPU-seconds."""
    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed)
    clips = MovingDigits(num_frames=FRAMES, num_digits=1, split="train", length=steps * batch_size, seed=seed)
    clips_at = clips.batches(batch_size)

    def batch(step):
        return {"video": clips_at(step)["video"], "teacher_share": teacher_share,
                "context": int(torch.randint(1, 11, (), generator=generator))}

    losses = fit(model, prediction_loss, batch, steps, lr=lr, cosine=True, desc="ConvLSTM", cpu_budget=cpu_budget)
    return {"recipe": {"steps": len(losses), "batch_size": batch_size, "lr": lr, "schedule": "cosine",
                       "loss": f"MSE of frames 1..{FRAMES - 1}, context k drawn from 1..10, the rest fed back "
                               f"(the true frame with probability {teacher_share} at each step)",
                       "cpu_budget_s": cpu_budget, "data": f"MovingDigits, 1 digit, {FRAMES} frames, train split"},
            "seed": seed, "final_loss": final_loss(losses, digits=5), "metrics": evaluate(model)}


@torch.no_grad()
def evaluate(model):
    """10 → 10 prediction on held-out clips (evalnet.prediction_metrics), and the image-to-video
    measures (k = 1)."""
    device = next(model.parameters()).device
    return {**prediction_metrics(lambda context: model(context.to(device), 10)),
            "image_to_video": image_to_video_metrics(lambda first: image_to_video(model, first))}


@torch.no_grad()
def image_to_video(model, first_frames, frames=16):
    """first_frames (B, 1, 64, 64) → clips (B, frames, 1, 64, 64) that start with them, on the CPU."""
    check_model(model, ConvLSTMPredictor)
    check_frames(first_frames)
    check_count(frames, "frames", minimum=2, meaning="the clip's length (the given frame and more)")
    device = next(model.parameters()).device
    context = first_frames[:, None].to(device)
    return torch.cat([context, model(context, frames - 1)], dim=1).float().cpu()
