"""Exercise checkers: run the student's function on several cases and say, in plain words, which
case failed and why (input, expected, got). They never let a traceback of theirs reach the
student: a failure is an `ExerciseFailed` whose notebook display is just the explanation.

Each `check_*` takes the student's function, prints a ✅ line when every case passes, and raises
ExerciseFailed otherwise.
"""
import traceback

import numpy as np
import torch

from utils import data, flow, metrics, video


class ExerciseFailed(AssertionError):
    """A checked exercise that does not pass yet."""

    def _render_traceback_(self):  # IPython shows these lines instead of a traceback
        return [f"❌ {line}" if i == 0 else f"   {line}" for i, line in enumerate(str(self).splitlines())]


def describe(x):
    """A short description of a value for a report: type, shape, dtype, range."""
    if isinstance(x, torch.Tensor):
        if x.numel() and (x.is_floating_point() or x.dtype in (torch.uint8, torch.int64)):
            finite = x[torch.isfinite(x)] if x.is_floating_point() else x
            low, high = finite.min().item() + 0.0, finite.max().item() + 0.0  # + 0.0 turns -0 into 0
            span = f", values in [{low:.4g}, {high:.4g}]" if finite.numel() else ", no finite values"
        else:
            span = ""
        return f"tensor of shape {tuple(x.shape)}, {x.dtype}{span}"
    if isinstance(x, np.ndarray):
        return f"NumPy array of shape {x.shape}, {x.dtype}"
    if isinstance(x, float):
        return f"{x:.6g}"
    return f"{type(x).__name__} {x!r}"[:120]


def compare_tensors(got, expected, atol=1e-5, rtol=1e-4):
    """None if `got` matches `expected`; otherwise a sentence saying how it differs."""
    if not isinstance(got, torch.Tensor):
        return f"expected a torch.Tensor, got a {describe(got)}"
    if tuple(got.shape) != tuple(expected.shape):
        return f"expected shape {tuple(expected.shape)}, got shape {tuple(got.shape)}"
    if got.dtype != expected.dtype:
        return f"expected dtype {expected.dtype}, got {got.dtype}"
    got_, expected_ = got.detach().double().cpu(), expected.detach().double().cpu()
    error = (got_ - expected_).abs()
    bad = ~(error <= atol + rtol * expected_.abs())
    if bad.any():
        where = tuple(int(i) for i in np.unravel_index(int(bad.flatten().nonzero()[0]), tuple(got.shape)))
        return (f"values differ: at index {where} expected {expected_[where].item():.6g}, got {got_[where].item():.6g} "
                f"(largest difference {error.max().item():.3g}, in {int(bad.sum())} of {bad.numel()} entries)")
    return None


def compare_numbers(got, expected, atol=1e-4):
    try:
        value = float(got)
    except (TypeError, ValueError):
        return f"expected a number, got a {describe(got)}"
    if not abs(value - expected) <= atol:  # also false for NaN
        return f"expected {expected:.6g}, got {value:.6g}"
    return None


def _where(err):
    """' (at line N: code)' for the innermost frame of the student's own code, if there is one."""
    library = ("site-packages", "/utils/", "\\utils\\")
    frames = [f for f in traceback.extract_tb(err.__traceback__)[1:] if not any(p in f.filename for p in library)]
    return f"\n(at line {frames[-1].lineno}: {frames[-1].line})" if frames and frames[-1].line else ""


def run_cases(title, student_fn, cases, compare=compare_tensors):
    """cases: list of (description, args tuple, expected). Stops at the first failing case."""
    if not callable(student_fn):
        raise ExerciseFailed(f"{title}: expected a function, got {describe(student_fn)}")
    for number, (description, args, expected) in enumerate(cases, start=1):
        inputs = ", ".join(describe(a) for a in args)
        header = f"{title}: case {number} of {len(cases)} failed — {description}\ninput: {inputs}"
        try:
            got = student_fn(*[a.clone() if isinstance(a, torch.Tensor) else a for a in args])
        except NotImplementedError:
            raise ExerciseFailed(f"{title}: not implemented yet — replace `raise NotImplementedError()` "
                                 "with your code, then run this cell again") from None
        except Exception as err:  # the student's code crashed: say where, in their code
            raise ExerciseFailed(f"{header}\nyour function raised {type(err).__name__}: {err}{_where(err)}") from None
        try:
            problem = compare(got, expected)
        except Exception as err:
            problem = f"the result could not be compared ({type(err).__name__}: {err}); got a {describe(got)}"
        if problem:
            raise ExerciseFailed(f"{header}\nexpected: {describe(expected)}\ngot: {describe(got)}\n{problem}")
    print(f"✅ {title}: all {len(cases)} cases pass")


def _generator(seed):
    return torch.Generator().manual_seed(seed)


# ---------------------------------------------------------------------------------------------
# Lesson 01

def check_to_course_video(student_fn):
    """to_course_video(frames): uint8 (T, H, W, C) → float (T, C, H, W) in [0, 1]."""
    rng = np.random.default_rng(0)
    rgb = rng.integers(0, 256, size=(3, 4, 5, 3), dtype=np.uint8)
    extremes = np.zeros((2, 2, 3, 3), dtype=np.uint8)
    extremes[1] = 255
    gray = rng.integers(0, 256, size=(2, 6, 4, 1), dtype=np.uint8)
    cases = [("3 RGB frames of 4×5 pixels", (rgb,), video.from_numpy(rgb)),
             ("black and white frames: 0 must become 0.0 and 255 must become 1.0", (extremes,), video.from_numpy(extremes)),
             ("2 gray frames (C = 1) of 6×4 pixels: height and width must not be swapped", (gray,), video.from_numpy(gray))]
    run_cases("to_course_video", student_fn, cases)


def check_resample_fps(student_fn):
    """resample_fps(video, fps_in, fps_out): drop or repeat frames to change the frame rate."""
    clip = torch.linspace(0, 1, 12).view(12, 1, 1, 1).expand(12, 1, 2, 2).contiguous()  # frame t has value t/11
    cases = [("30 → 10 fps keeps every third frame", (clip, 30, 10), video.resample_fps(clip, 30, 10)),
             ("10 → 30 fps shows every frame three times", (clip[:4], 10, 30), video.resample_fps(clip[:4], 10, 30)),
             ("25 → 10 fps: frames floor(i · 2.5) = 0, 2, 5, 7, 10", (clip, 25, 10), video.resample_fps(clip, 25, 10)),
             ("same rate: the video unchanged", (clip, 24, 24), clip)]
    run_cases("resample_fps", student_fn, cases)


def check_frame_differences(student_fn):
    """frame_differences(video): mean |frame[t+1] − frame[t]| for each t, shape (T − 1,)."""
    still = torch.full((4, 3, 5, 5), 0.5)
    flash = still.clone()
    flash[2] = 1.0
    noisy = torch.rand(6, 1, 8, 8, generator=_generator(1))
    cases = [("a still video: all differences 0", (still,), video.frame_differences(still)),
             ("a flash at frame 2: differences 0, 0.5, 0.5", (flash,), video.frame_differences(flash)),
             ("random frames (mean over channels and pixels, absolute values)", (noisy,), video.frame_differences(noisy))]
    run_cases("frame_differences", student_fn, cases)


# ---------------------------------------------------------------------------------------------
# Lesson 02

def check_backward_warp(student_fn):
    """backward_warp(image (N, C, H, W), flow (N, 2, H, W)) → image sampled at x + flow(x)."""
    image = torch.rand(1, 3, 6, 7, generator=_generator(2))
    zero = torch.zeros(1, 2, 6, 7)
    shift_right = zero.clone()
    shift_right[:, 0] = 1.0  # sample one pixel to the right: content moves left
    fractional = torch.randn(2, 2, 6, 7, generator=_generator(3)) * 0.7
    pair = torch.rand(2, 1, 6, 7, generator=_generator(4))
    cases = [("zero flow returns the image unchanged", (image, zero), flow.backward_warp(image, zero)),
             ("flow dx = +1 everywhere: out[..., x] = image[..., x + 1], border repeated", (image, shift_right),
              flow.backward_warp(image, shift_right)),
             ("fractional flow, a batch of 2: bilinear interpolation", (pair, fractional), flow.backward_warp(pair, fractional))]
    run_cases("backward_warp", student_fn, cases, compare=lambda g, e: compare_tensors(g, e, atol=1e-4))


def check_lucas_kanade_step(student_fn):
    """lucas_kanade_step(frame0, frame1, window) on gray (N, 1, H, W) → flow (N, 2, H, W)."""
    texture = data.smooth_texture(32, 32, seed=5)[None]
    moved = flow.backward_warp(texture, torch.tensor([-0.6, 0.3]).view(1, 2, 1, 1).expand(1, 2, 32, 32))
    other = data.smooth_texture(32, 32, seed=6)[None]
    cases = [("identical frames: zero flow", (texture, texture, 9), flow.lucas_kanade_step(texture, texture, 9)),
             ("a texture moved by (0.6, -0.3) pixels", (texture, moved, 9), flow.lucas_kanade_step(texture, moved, 9)),
             ("two unrelated textures, window 5", (texture, other, 5), flow.lucas_kanade_step(texture, other, 5))]
    run_cases("lucas_kanade_step", student_fn, cases, compare=lambda g, e: compare_tensors(g, e, atol=1e-3, rtol=1e-2))


def check_psnr(student_fn):
    """psnr(pred, target): mean over frames of 10·log10(1 / MSE_frame), for videos in [0, 1]."""
    target = torch.rand(4, 3, 8, 8, generator=_generator(7))
    noisy = (target + 0.05 * torch.randn(4, 3, 8, 8, generator=_generator(8))).clamp(0, 1)
    uneven = noisy.clone()
    uneven[0] = 0.0  # one ruined frame: the mean of per-frame PSNRs differs from the PSNR of the mean MSE
    cases = [("a noisy copy", (noisy, target), metrics.psnr(noisy, target)),
             ("one frame black, three noisy: average the per-frame PSNRs", (uneven, target), metrics.psnr(uneven, target))]
    run_cases("psnr", student_fn, cases, compare=lambda g, e: compare_numbers(g, e, atol=0.05))


# ---------------------------------------------------------------------------------------------
# Lesson 03

def _compare_state(got, expected):
    """For functions returning (h, c)."""
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        return f"expected a pair (h, c), got a {describe(got)}"
    for name, g, e in zip(("h", "c"), got, expected):
        problem = compare_tensors(g, e, atol=1e-5)
        if problem:
            return f"{name}: {problem}"
    return None


def check_convlstm_step(student_fn):
    """convlstm_step(gates, x, h, c) → (h, c), the ConvLSTM equations with `gates`, an nn.Conv2d
    from [x, h] to the 4 gates (i, f, o, g) stacked on the channel axis."""
    from utils.convlstm import ConvLSTMCell

    torch.manual_seed(0)
    cell = ConvLSTMCell(3, 4).eval()
    x, h, c = (torch.randn(2, channels, 5, 6, generator=_generator(seed)) for channels, seed in ((3, 9), (4, 10), (4, 11)))
    zeros = torch.zeros(2, 4, 5, 6)
    with torch.no_grad():
        cell.gates.bias[4:8] = 5.0  # forget gate wide open: c carries over, f must multiply c
        cases = [("zero state (the first time step)", (cell.gates, x, zeros, zeros), cell(x, (zeros, zeros))),
                 ("a random state; the forget gate is almost 1, so c_t ≈ c_{t-1} + i ∘ g", (cell.gates, x, h, c), cell(x, (h, c))),
                 ("x = 0: only the hidden state drives the gates", (cell.gates, torch.zeros_like(x), h, c), cell(torch.zeros_like(x), (h, c)))]
        run_cases("convlstm_step", student_fn, cases, compare=_compare_state)


def check_discriminator_loss(student_fn):
    """discriminator_loss(real_logits, fake_logits) → −mean log σ(real) − mean log(1 − σ(fake))."""
    from utils.vgan import discriminator_loss

    real, fake = torch.randn(8, generator=_generator(11)), torch.randn(8, generator=_generator(12))
    sure = torch.tensor([-200.0, 3.0])
    cases = [("random logits for 8 real and 8 generated clips", (real, fake), discriminator_loss(real, fake)),
             ("a perfect discriminator (real logits +20, fake −20): loss near 0", (torch.full((4,), 20.0), torch.full((4,), -20.0)),
              discriminator_loss(torch.full((4,), 20.0), torch.full((4,), -20.0))),
             ("a discriminator sure that a real clip is fake (logit −200): the loss is about 200, but σ(−200) "
              "underflows to 0 and log(0) = −inf — compute from logits (F.binary_cross_entropy_with_logits)", (sure, -sure),
              discriminator_loss(sure, -sure))]
    run_cases("discriminator_loss", student_fn, cases, compare=lambda g, e: compare_numbers(g, e.item(), atol=1e-3))


ARTICLE_GAN_SNIPPET = data.DATA / "article_gan_snippet.txt"


def _article_bugs():
    """The bugs of the article's GAN code: (what is wrong, the lines that show it)."""
    lines = ARTICLE_GAN_SNIPPET.read_text().splitlines()

    def where(*patterns, within=None):
        first, last = within or (1, len(lines))
        return {n for n, line in enumerate(lines, start=1) if first <= n <= last and any(p in line for p in patterns)}

    generator_start = min(where("class Generator"))
    generator_end = min(where("class Discriminator")) - 1
    return [
        ("torchvision cannot be imported next to the course's CPU torch (and MNIST is not needed)", where("torchvision", "transforms.")),
        ("cv2 and mermaid are imported but never used, and mermaid is a diagram tool, not a Python package", where("import cv2", "import mermaid")),
        ("the dataset is downloaded at run time; the course works offline", where("download=True")),
        ("the 'generator' is a stack of strided convolutions: it shrinks an image to a 1×1 map instead of growing "
         "a noise vector into an image (transposed convolutions do that)", where("nn.Conv2d", "class Generator", within=(generator_start, generator_end))),
        ("the last 4×4 convolution of the discriminator does not fit MNIST's 3×3 map (28 → 14 → 7 → 3), and its "
         "(B, 1, 1, 1) output does not match the (B, 1) labels of BCELoss", where("nn.Conv2d(256, 1, 4, 1, 0)", within=(generator_end + 1, len(lines))) | where("nn.BCELoss()")),
        ("num_epochs is never defined", where("num_epochs")),
        ("noise() is never defined", where("noise()")),
        (".cuda() everywhere: the code cannot run without an NVIDIA GPU (use a `device` variable)", where(".cuda()")),
    ]


def check_bug_hunt(bugs):
    """bugs: {line number: "why it is a bug"} for data/article_gan_snippet.txt."""
    title = "bug hunt"
    if not isinstance(bugs, dict) or not bugs:
        raise ExerciseFailed(f"{title}: expected a dict {{line number: 'why it is a bug'}} with at least one entry, got {describe(bugs)}")
    lines = ARTICLE_GAN_SNIPPET.read_text().splitlines()
    for line, why in bugs.items():
        if not isinstance(line, int) or not 1 <= line <= len(lines):
            raise ExerciseFailed(f"{title}: the keys are line numbers 1..{len(lines)}; got {line!r}")
        if not isinstance(why, str) or len(why.strip()) < 5:
            raise ExerciseFailed(f"{title}: line {line}: say in a few words why it is a bug (got {why!r})")
    found, missing = [], []
    for what, where in _article_bugs():
        (found if where & set(bugs) else missing).append((what, min(where)))
    innocent = sorted(set(bugs) - set().union(*(where for _, where in _article_bugs())))
    report = [f"{title}: you found {len(found)} of {len(found) + len(missing)} bugs"]
    if innocent:
        report.append("these lines look fine to us: " + ", ".join(f"{n} ({lines[n - 1].strip()[:40]})" for n in innocent))
    if missing:
        report += [f"still hidden: a bug at or after line {line}" for _, line in missing]
        raise ExerciseFailed("\n".join(report))
    print(f"✅ {report[0]}:")
    for what, _ in found:
        print(f"   • {what}")


# ---------------------------------------------------------------------------------------------
# Lesson 04

def _compare_quantized(got, expected):
    """For vector_quantize run through _with_gradient: (z_q, tokens, loss, gradient of z_e)."""
    if not isinstance(got, (tuple, list)) or len(got) != 4:
        return f"expected three results (z_q, tokens, loss), got a {describe(got)}"
    for name, g, e in zip(("z_q", "tokens", "loss"), got[:3], expected[:3]):
        problem = compare_tensors(g, e) if isinstance(g, torch.Tensor) else f"expected a tensor, got a {describe(g)}"
        if problem:
            return f"{name}: {problem}"
    if got[3] is None:
        return ("no gradient reached z_e: argmin and indexing have none. Use the straight-through estimator, "
                "z_q = z_e + (e - z_e).detach()")
    problem = compare_tensors(got[3], expected[3])
    return f"the gradient of z_e should be the gradient of z_q, copied straight through: {problem}" if problem else None


def _with_gradient(student_fn):
    """Run vector_quantize, then backpropagate Σ weights ⊙ z_q to see what reaches z_e."""
    def run(z_e, codebook, weights):
        z_e = z_e.clone().requires_grad_(True)
        result = student_fn(z_e, codebook)
        if not isinstance(result, (tuple, list)) or len(result) != 3 or not isinstance(result[0], torch.Tensor):
            return result
        z_q, tokens, loss = result
        gradient = None
        if z_q.requires_grad:
            (z_q * weights).sum().backward()
            gradient = z_e.grad
        return z_q.detach(), tokens, loss.detach() if isinstance(loss, torch.Tensor) else loss, gradient
    run.__name__ = getattr(student_fn, "__name__", "vector_quantize")
    return run if callable(student_fn) else student_fn


def check_vector_quantize(student_fn):
    """vector_quantize(z_e (N, D), codebook (K, D)) → z_q with the straight-through gradient,
    tokens (N,), codebook + 0.25 × commitment loss."""
    from utils.vqvae import vector_quantize

    codebook = torch.randn(5, 3, generator=_generator(20))
    z_e = torch.randn(6, 3, generator=_generator(21))
    weights = torch.randn(6, 3, generator=_generator(22))
    on_codes = codebook[[4, 0, 2]]

    def expected(z):
        z = z.clone().requires_grad_(True)
        z_q, tokens, loss = vector_quantize(z, codebook)
        (z_q * weights[:len(z)]).sum().backward()
        return z_q.detach(), tokens, loss.detach(), z.grad

    cases = [("6 random vectors, a codebook of 5", (z_e, codebook, weights), expected(z_e)),
             ("vectors that are codebook entries 4, 0, 2: tokens [4, 0, 2], loss 0", (on_codes, codebook, weights[:3]),
              expected(on_codes)),
             ("vectors far from every code: the loss is large", (z_e * 10, codebook, weights), expected(z_e * 10))]
    run_cases("vector_quantize", _with_gradient(student_fn), cases, compare=_compare_quantized)


def check_reparameterize(student_fn):
    """reparameterize(mu, log_variance, noise) → mu + exp(½ log_variance) · noise."""
    from utils.svg import reparameterize

    mu, log_variance = torch.randn(5, 3, generator=_generator(30)), torch.randn(5, 3, generator=_generator(31))
    noise = torch.randn(5, 3, generator=_generator(32))
    four = torch.full((1, 2), 4.0).log()
    cases = [("a batch of 5 three-dimensional Gaussians", (mu, log_variance, noise), reparameterize(mu, log_variance, noise)),
             ("μ = 0, σ² = 4, ε = 1: z = σ = 2 (σ is exp(½ log σ²), not exp(log σ²))", (torch.zeros(1, 2), four, torch.ones(1, 2)),
              torch.full((1, 2), 2.0)),
             ("ε = 0: z = μ whatever σ", (mu, log_variance, torch.zeros_like(noise)), mu)]
    run_cases("reparameterize", student_fn, cases)


def check_cycle_loss(student_fn):
    """cycle_loss(a, b, a_to_b, b_to_a) → mean |F(G(a)) − a| + mean |G(F(b)) − b|."""
    from utils.cyclegan import cycle_loss

    a, b = torch.rand(2, 1, 8, 8, generator=_generator(40)), torch.rand(3, 1, 8, 8, generator=_generator(41))
    invert = lambda x: 1 - x
    darken, keep = lambda x: 0.5 * x, lambda x: x
    cases = [("G and F invert the image: each undoes the other, so the loss is 0", (a, b, invert, invert), cycle_loss(a, b, invert, invert)),
             ("G halves the image, F keeps it: both cycles lose half of their input", (a, b, darken, keep), cycle_loss(a, b, darken, keep)),
             ("G keeps, F squares: the two directions differ (a → b → a uses F after G, b → a → b G after F)",
              (a, b, keep, torch.square), cycle_loss(a, b, keep, torch.square))]
    run_cases("cycle_loss", student_fn, cases, compare=lambda g, e: compare_numbers(g, e.item(), atol=1e-5))


def check_causal_mask(student_fn):
    """causal_mask(n) → (n, n) booleans, True where query i may attend to key j (j ≤ i)."""
    from utils.videogpt import causal_mask

    cases = [("n = 1: a token sees itself", (1,), causal_mask(1)),
             ("n = 4: row i is True up to column i (the past and the token itself), False after", (4,), causal_mask(4)),
             ("n = 7", (7,), causal_mask(7))]
    run_cases("causal_mask", student_fn, cases)


# ---------------------------------------------------------------------------------------------
# Lesson 07

def _compare_path_point(got, expected):
    """For flow_matching_pair: (x_t, velocity)."""
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        return f"expected two results (x_t, velocity), got a {describe(got)}"
    for name, g, e in zip(("x_t", "velocity"), got, expected):
        problem = compare_tensors(g, e)
        if problem:
            return f"{name}: {problem}"
    return None


def check_flow_matching_pair(student_fn):
    """flow_matching_pair(x, noise, t) → (t·x + (1 − t)·noise, x − noise), t (B,) for each clip."""
    from utils.diffusion import flow_matching_pair

    x, noise = torch.rand(3, 4, 1, 2, 2, generator=_generator(70)), torch.randn(3, 4, 1, 2, 2, generator=_generator(71))
    t = torch.tensor([0.1, 0.5, 0.9])
    cases = [("t = 0 for every clip: x_t is the noise", (x, noise, torch.zeros(3)), flow_matching_pair(x, noise, torch.zeros(3))),
             ("t = 1 for every clip: x_t is the data, and the velocity points from noise to data (x − noise)",
              (x, noise, torch.ones(3)), flow_matching_pair(x, noise, torch.ones(3))),
             ("a different t for each of 3 clips (B, T, C, H, W): t must be reshaped to (B, 1, 1, 1, 1)",
              (x, noise, t), flow_matching_pair(x, noise, t))]
    run_cases("flow_matching_pair", student_fn, cases, compare=_compare_path_point)


def check_euler_step(student_fn):
    """euler_step(x_t, velocity, t, t_next) → x_t + (t_next − t) · velocity."""
    from utils.diffusion import euler_step

    x, v = torch.randn(2, 3, 4, generator=_generator(72)), torch.randn(2, 3, 4, generator=_generator(73))
    cases = [("a zero velocity: x does not move", (x, torch.zeros_like(v), 0.0, 0.5), x),
             ("one step from t = 0 to t = 1: x + v", (x, v, 0.0, 1.0), euler_step(x, v, 0.0, 1.0)),
             ("a step of Δt = 0.25 from t = 0.5: x + 0.25 · v (the step is t_next − t, not t_next)",
              (x, v, 0.5, 0.75), euler_step(x, v, 0.5, 0.75)),
             ("times given as 0-dimensional tensors", (x, v, torch.tensor(0.2), torch.tensor(0.3)), euler_step(x, v, 0.2, 0.3))]
    run_cases("euler_step", student_fn, cases)


def check_classifier_free_guidance(student_fn):
    """classifier_free_guidance(v_unconditional, v_conditional, scale) → v_u + scale · (v_c − v_u)."""
    from utils.diffusion import classifier_free_guidance

    v_u, v_c = torch.randn(2, 5, generator=_generator(74)), torch.randn(2, 5, generator=_generator(75))
    cases = [("scale 1: exactly the conditional velocity", (v_u, v_c, 1.0), v_c),
             ("scale 0: exactly the unconditional velocity", (v_u, v_c, 0.0), v_u),
             ("scale 3: three times as far from the unconditional velocity as the conditional one is",
              (v_u, v_c, 3.0), classifier_free_guidance(v_u, v_c, 3.0))]
    run_cases("classifier_free_guidance", student_fn, cases)
