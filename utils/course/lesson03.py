"""Exercise checkers of lesson 03 (Image-to-video methods): see utils.course.checker for how they report."""
import numbers
import re
from collections import Counter
from typing import NamedTuple

import torch

from utils import data
from utils.course.checker import (PASSED, ExerciseFailed, compare_numbers, compare_tensors, describe, not_attempted, rng,
                                  run_cases)
from utils.models.convlstm import ConvLSTMCell, ConvLSTMPredictor, convlstm_step
from utils.models.vgan import discriminator_loss


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
    torch.manual_seed(0)
    cell = ConvLSTMCell(3, 4).eval()
    x, h, c = (torch.randn(2, channels, 5, 6, generator=rng(seed)) for channels, seed in ((3, 9), (4, 10), (4, 11)))
    zeros = torch.zeros(2, 4, 5, 6)
    with torch.no_grad():
        cell.gates.bias[4:8] = 5.0  # forget gate wide open: c carries over, f must multiply c
        cases = [("zero state (the first time step)", (cell.gates, x, zeros, zeros), cell(x, (zeros, zeros))),
                 ("a random state; the forget gate is almost 1, so c_t ≈ c_{t-1} + i ∘ g", (cell.gates, x, h, c), cell(x, (h, c))),
                 ("x = 0: only the hidden state drives the gates", (cell.gates, torch.zeros_like(x), h, c), cell(torch.zeros_like(x), (h, c)))]
        return run_cases("convlstm_step", student_fn, cases, compare=_compare_state)


def check_convlstm_predict(student_fn):
    """convlstm_predict(model, context, future, step) → model(context, future): the predictor's rollout
    written out, with `step` (a convlstm_step) as each cell's update. Runs on a small random
    predictor, with the reference step, so that only the loop is checked."""
    torch.manual_seed(0)
    model = ConvLSTMPredictor(hidden=(6, 5), kernel_size=3).eval()
    with torch.no_grad():
        model.readout.weight.mul_(20)   # predictions spread over [0.2, 1.7]: one in six is clamped to 1
        model.readout.bias.fill_(0.8)
        clips = torch.rand(2, 6, 1, 16, 16, generator=rng(31))

        def case(description, k, future):
            return description, (model, clips[:, :k], future, convlstm_step), model(clips[:, :k], future)

        cases = [case("one given frame, one predicted: read out from the last given frame, clamped to [0, 1]", 1, 1),
                 case("three given frames, two predicted: the state carries over and the second prediction is fed back", 3, 2),
                 case("five given frames, four predicted, two cells: each cell's h is the next cell's input", 5, 4)]
        return run_cases("convlstm_predict", student_fn, cases,
                         compare=lambda got, expected: compare_tensors(got.detach() if isinstance(got, torch.Tensor) else got,
                                                                       expected, atol=1e-5))


def check_discriminator_loss(student_fn):
    """discriminator_loss(real_logits, fake_logits) → −mean log σ(real) − mean log(1 − σ(fake))."""
    real, fake = torch.randn(8, generator=rng(11)), torch.randn(8, generator=rng(12))
    sure = torch.tensor([-200.0, 3.0])
    cases = [("random logits for 8 real and 8 generated clips", (real, fake), discriminator_loss(real, fake)),
             ("a perfect discriminator (real logits +20, fake −20): loss near 0", (torch.full((4,), 20.0), torch.full((4,), -20.0)),
              discriminator_loss(torch.full((4,), 20.0), torch.full((4,), -20.0))),
             ("a discriminator sure that a real clip is fake (logit −200): the loss is about 200, but σ(−200) "
              "underflows to 0 and log(0) = −inf — compute from logits (F.binary_cross_entropy_with_logits)", (sure, -sure),
              discriminator_loss(sure, -sure))]
    return run_cases("discriminator_loss", student_fn, cases, compare=lambda g, e: compare_numbers(g, e.item(), atol=1e-3))


ARTICLE_GAN_SNIPPET = data.DATA / "article_gan_snippet.txt"


class Bug(NamedTuple):
    what: str           # what is wrong, shown once it is found
    lines: set          # the lines that show it: naming any one of them finds it
    where: str          # the part of the code it hides in, for the "still hidden" hint
    words: tuple        # a reason that says why mentions one of these (lower case)


# whole phrases: "defin" alone would accept "definitely a bug"
UNDEFINED = ("undefined", "not defined", "never defined", "isn't defined", "no definition", "missing", "nameerror",
             "undeclared", "not declared", "never declared", "not set", "never set", "doesn't exist", "does not exist")
MOST_INNOCENT_LINES = 3   # more than this, and the answer is flagging lines at random
# a reason that calls its line fine is no reason: "download is fine", "num_epochs is not missing"
SAYS_IT_IS_FINE = re.compile(r"\bfine\b|\bok(ay)?\b|is correct|looks correct|not a bug|no bug|isn't a bug|not missing|nothing wrong")


def _article_bugs():
    """The bugs of the article's GAN code."""
    lines = ARTICLE_GAN_SNIPPET.read_text(encoding="utf-8").splitlines()

    def lines_with(*patterns, within=None):
        first, last = within or (1, len(lines))
        return {n for n, line in enumerate(lines, start=1) if first <= n <= last and any(p in line for p in patterns)}

    generator_start = min(lines_with("class Generator"))
    generator_end = min(lines_with("class Discriminator")) - 1
    return [
        Bug("cv2 and mermaid are imported but never used, and mermaid is a diagram tool, not a Python package",
            lines_with("import cv2", "import mermaid"), "the imports",
            ("unused", "not used", "never used", "not a python", "not a package", "diagram", "no such", "exist", "not needed",
             "unnecessary", "pip")),
        Bug("the dataset is downloaded at run time (torchvision's MNIST with download=True); the course works offline",
            lines_with("download=True"), "the data loading", ("download", "offline", "internet", "network", "online")),
        # not "noise" or "image" among the words: a reason must say what goes wrong, not what any generator does
        Bug("the 'generator' is a stack of strided convolutions: it shrinks an image to a 1×1 map instead of growing "
            "a noise vector into an image (transposed convolutions do that)",
            lines_with("nn.Conv2d", "class Generator", within=(generator_start, generator_end)), "the generator",
            ("transpose", "deconv", "shrink", "downsampl", "upsampl", "stride", "1×1", "1x1", "grow", "smaller")),
        Bug("the last 4×4 convolution of the discriminator does not fit MNIST's 3×3 map (28 → 14 → 7 → 3), and its "
            "(B, 1, 1, 1) output does not match the (B, 1) labels of BCELoss",
            lines_with("nn.Conv2d(256, 1, 4, 1, 0)", within=(generator_end + 1, len(lines))) | lines_with("nn.BCELoss()"),
            "the discriminator and its loss",
            ("3×3", "3x3", "4×4", "4x4", "kernel", "size", "shape", "label", "match", "dimension", "too small", "too large")),
        Bug("num_epochs is never defined", lines_with("num_epochs"), "the training loop", UNDEFINED),
        Bug("noise() is never defined", lines_with("noise()"), "the training loop",
            UNDEFINED + ("not a function", "not imported", "never imported", "no import")),
        Bug(".cuda() everywhere: the code cannot run without an NVIDIA GPU (use a `device` variable)",
            lines_with(".cuda()"), "the training loop", ("gpu", "cuda", "nvidia", "device", "cpu")),
    ]


def check_bug_hunt(bugs):
    """bugs: {line number: "why it is a bug"} for data/article_gan_snippet.txt. A bug counts as found
    when one of its lines is named with a reason that says why; the hints name where the others
    hide, not their lines."""
    title = "bug hunt"
    if bugs == {}:
        return not_attempted(title)
    if not isinstance(bugs, dict):
        raise ExerciseFailed(f"{title}: expected a dict {{line number: 'why it is a bug'}} with at least one entry, got {describe(bugs)}")
    lines = ARTICLE_GAN_SNIPPET.read_text(encoding="utf-8").splitlines()
    for line, why in bugs.items():   # a NumPy integer is a line number too; True is not
        if not isinstance(line, numbers.Integral) or isinstance(line, bool) or not 1 <= line <= len(lines):
            raise ExerciseFailed(f"{title}: the keys are line numbers 1..{len(lines)}; got {line!r}")
        if not isinstance(why, str) or len(why.strip()) < 5:
            raise ExerciseFailed(f"{title}: line {line}: say in a few words why it is a bug (got {why!r})")
    bugs = {int(line): why for line, why in bugs.items()}
    known = _article_bugs()
    innocent = sorted(set(bugs) - set().union(*(bug.lines for bug in known)))
    if len(innocent) > MOST_INNOCENT_LINES:
        shown = ", ".join(map(str, innocent[:8])) + (", …" if len(innocent) > 8 else "")
        raise ExerciseFailed(f"{title}: {len(innocent)} of the lines you named look fine to us (lines {shown}): "
                             "name the bugs, not every line you are unsure of")
    found, unexplained, missing = [], [], []
    for bug in known:
        named = sorted(bug.lines & set(bugs))
        reasons = [bugs[n].lower() for n in named if not SAYS_IT_IS_FINE.search(bugs[n].lower())]
        if not named:
            missing.append(bug)
        elif any(word in reason for reason in reasons for word in bug.words):
            found.append(bug)
        else:
            unexplained.append((named[0], bugs[named[0]]))
    report = [f"{title}: you found {len(found)} of {len(known)} bugs"]
    if innocent:
        report.append("these lines look fine to us: " + ", ".join(f"{n} ({lines[n - 1].strip()[:40]})" for n in innocent))
    report += [f"line {n} is a bug, but your reason ({why!r}) " + ("calls it fine" if SAYS_IT_IS_FINE.search(why.lower()) else
                                                                 "does not say what goes wrong there") for n, why in unexplained]
    if missing:
        hiding = Counter(bug.where for bug in missing)
        report.append(f"still hidden: {len(missing)} — " + ", ".join(f"{count} in {where}" for where, count in hiding.items()))
    if unexplained or missing:
        raise ExerciseFailed("\n".join(report))
    print(f"{PASSED} {report[0]}:")
    for bug in found:
        print(f"   • {bug.what}")
    if innocent:
        print(f"   … and {report[1]}: read them again")
    return True
