"""The checkers pass the reference implementations and explain, never crash on, wrong ones."""
import functools
import importlib
import math
import sys
import types

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from utils import checkpoints, edit, flow, leaderboard, metrics, video
from utils.applications import anonymise, parallax, provenance, slowmotion, variations, watermark
from utils.course import (checker, quiz, references, lesson01, lesson02, lesson03, lesson04, lesson05, lesson06, lesson07, lesson08,
                          lesson09, lesson10, lesson11)
from utils.course.checker import ExerciseFailed
from utils.models import convlstm, cyclegan, flow_matching, space_time_transformer, svg, vgan, videogpt, vqvae

REFERENCES = [
    (lesson01.check_to_course_video, video.from_numpy),
    (lesson01.check_resample_fps, video.resample_fps),
    (lesson01.check_frame_differences, video.frame_differences),
    (lesson01.check_detect_cuts, video.detect_cuts),
    (lesson02.check_backward_warp, flow.backward_warp),
    (lesson02.check_lucas_kanade_step, flow.lucas_kanade_step),
    (lesson02.check_horn_schunck_step, flow.horn_schunck_step),
    (lesson02.check_psnr, metrics.psnr),
    (lesson03.check_convlstm_step, convlstm.convlstm_step),
    (lesson03.check_convlstm_predict, lambda model, context, future, step: model(context, future)),
    (lesson03.check_discriminator_loss, vgan.discriminator_loss),
    (lesson04.check_vector_quantize, vqvae.vector_quantize),
    (lesson04.check_reparameterize, svg.reparameterize),
    (lesson04.check_gaussian_kl, svg.gaussian_kl),
    (lesson04.check_cycle_loss, cyclegan.cycle_loss),
    (lesson04.check_causal_mask, videogpt.causal_mask),
    (lesson05.check_crossfade, edit.crossfade),
    (lesson05.check_speed_ramp_indices, edit.speed_ramp_indices),
    (lesson05.check_title_safe_position, edit.title_safe_position),
    (lesson06.check_read_bits, watermark.read_bits),
    (lesson06.check_gaussian_blur_box, anonymise.gaussian_blur_box),
    (lesson06.check_verify_manifest, provenance.verify_manifest),
    (lesson08.check_hold_across_cut, slowmotion.hold_across_cut),
    (lesson08.check_there_and_back, parallax.there_and_back),
    (lesson08.check_motion_inside, variations.motion_inside),
    (lesson09.check_pareto_front, leaderboard.pareto_front),
    (lesson09.check_kendall_tau, leaderboard.kendall_tau),
    (lesson09.check_mean_rank, leaderboard.mean_rank),
    (lesson10.check_arxiv_year, references.arxiv_year),
    (lesson10.check_resolve, references.resolve),
    (lesson10.check_can_mean, references.can_mean),
    (lesson11.check_sha256_matches, checkpoints.sha256_matches),
    (lesson11.check_mark_number, quiz.is_close),
    (lesson11.check_constant_motion, flow.constant_motion),
    (lesson07.check_flow_matching_pair, flow_matching.flow_matching_pair),
    (lesson07.check_euler_step, flow_matching.euler_step),
    (lesson07.check_classifier_free_guidance, flow_matching.classifier_free_guidance),
    (lesson07.check_sample, lambda model, noise, first, labels, steps, guidance: flow_matching.sample_latents(
        model, first, labels, steps=steps, guidance=guidance, noise=noise)),
]


def _not_done(*args):
    raise NotImplementedError()


def _crashes(*args):
    return args[0].reshape(-1, 7, 13)


def _returns_none(*args):
    return None


def _hits_a_library_gap(*args):   # as F.pad(mode="replicate") does on a 2-D tensor: not the stub
    raise NotImplementedError("Only 3D, 4D, 5D padding with non-constant padding are supported for now")


def _exits(*args):
    raise SystemExit("stop here")


class _Unprintable(Exception):
    def __str__(self):
        return f"bad clip of {len(self.frame)} frames"   # a typo in the student's own exception


def _raises_an_unprintable_error(*args):
    raise _Unprintable()


def _off_by_a_bit(reference):
    return lambda *args: _changed(reference(*args))


def _changed(result):
    """`result` made a little wrong, keeping its type, as a near miss by a student would."""
    if isinstance(result, torch.Tensor):
        return ~result if result.dtype == torch.bool else result + (0.01 if result.is_floating_point() else 1)
    if isinstance(result, bool):
        return not result
    if isinstance(result, (int, float)):
        return result + 0.5                                          # PSNR's tolerance is 0.05 dB
    if isinstance(result, str):
        return result + "?"
    if isinstance(result, (list, tuple)):
        return type(result)(_changed(r) for r in result) if result else [1]
    if isinstance(result, dict):
        return {key: _changed(value) for key, value in result.items()}
    if isinstance(result, types.ModuleType):
        return math if result is not math else types
    raise TypeError(f"no near miss written for a {type(result).__name__}")


@pytest.mark.parametrize("checker, reference", REFERENCES, ids=lambda f: f.__name__)
def test_reference_passes(checker, reference, capsys):
    checker(reference)
    assert capsys.readouterr().out.startswith("✓ ")


@pytest.mark.parametrize("checker, reference", REFERENCES, ids=lambda f: f.__name__)
def test_an_exercise_not_attempted_yet_is_noted_without_raising(checker, reference, capsys):
    assert checker(_not_done) is False  # so that "Run All" runs on to the end of the lesson
    assert capsys.readouterr().out.startswith("○ ")


@pytest.mark.parametrize("checker, reference", REFERENCES, ids=lambda f: f.__name__)
@pytest.mark.parametrize("student, words", [
    (_crashes, "your function raised"),
    (_hits_a_library_gap, "(?s)case 1 of .*your function raised NotImplementedError: Only 3D"),
    (_exits, "your function raised SystemExit: stop here"),
    (_raises_an_unprintable_error, "raised _Unprintable: \\(its message could not be printed: AttributeError"),
    (_returns_none, "expected"),
    ("not a function", "expected a function"),
])
def test_wrong_code_is_explained(checker, reference, student, words):
    with pytest.raises(ExerciseFailed, match=words):
        checker(student)


@pytest.mark.parametrize("checker, reference", REFERENCES, ids=lambda f: f.__name__)
def test_slightly_wrong_values_are_caught_with_the_case(checker, reference):
    with pytest.raises(ExerciseFailed, match=r"case 1 of \d+ failed") as failure:
        checker(_off_by_a_bit(reference))
    assert "your function raised" not in str(failure.value)   # caught by comparing values, not by a crash


def _map_result(transform):
    """A wrong student function: the reference's result with every tensor (or number) transformed."""
    def wrong_version(reference):
        def wrong(*args):
            result = reference(*args)
            change = lambda r: transform(r) if isinstance(r, torch.Tensor) else transform(torch.tensor(float(r)))
            return tuple(change(r) for r in result) if isinstance(result, tuple) else change(result)
        return wrong
    return wrong_version


GENERIC_MISTAKES = {
    "returns NaN": _map_result(lambda r: torch.full_like(r.float(), float("nan"))),
    "returns Inf": _map_result(lambda r: torch.full_like(r.float(), float("inf"))),
    "returns a NumPy array": _map_result(lambda r: r.detach().numpy()),
    "returns the wrong shape": _map_result(lambda r: r.reshape(-1)[:-1] if r.numel() > 1 else r.reshape(1, 1) + 1),
    "returns the wrong dtype": _map_result(lambda r: r.double() if r.is_floating_point() else r.float()),
    "raises ValueError": lambda reference: lambda *args: (_ for _ in ()).throw(ValueError("student bug")),
    "returns a string": lambda reference: lambda *args: "done",
}


# Exercises that return a number accept it as a 0-d NumPy array or a float64 tensor too.
NUMBER_EXERCISES = {lesson02.check_psnr, lesson03.check_discriminator_loss, lesson04.check_cycle_loss,
                    lesson05.check_title_safe_position}
FINE_FOR_NUMBERS = {"returns a NumPy array", "returns the wrong dtype"}
# Exercises whose answer is a list, a dict or a module: a tensor's mistakes (NaN, a shape, a dtype) do not apply.
NOT_TENSOR_EXERCISES = {lesson01.check_detect_cuts, lesson06.check_verify_manifest, lesson09.check_pareto_front,
                        lesson09.check_mean_rank, lesson10.check_resolve}
TENSOR_MISTAKES = {"returns NaN", "returns Inf", "returns a NumPy array", "returns the wrong shape", "returns the wrong dtype"}


@pytest.mark.parametrize("checker, reference, mistake", [
    pytest.param(checker, reference, mistake, id=f"{checker.__name__}-{mistake}")
    for checker, reference in REFERENCES for mistake in GENERIC_MISTAKES
    if not (checker in NUMBER_EXERCISES and mistake in FINE_FOR_NUMBERS)
    and not (checker in NOT_TENSOR_EXERCISES and mistake in TENSOR_MISTAKES)])
def test_every_checker_explains_generic_mistakes_without_a_traceback(checker, reference, mistake):
    with pytest.raises(ExerciseFailed) as failure:
        checker(GENERIC_MISTAKES[mistake](reference))
    message = str(failure.value)
    assert "case 1 of" in message, message
    if mistake == "raises ValueError":
        assert "your function raised ValueError: student bug" in message, message
    else:  # caught by checking what came back, not by a crash
        assert "expected" in message and "your function raised" not in message, message
    assert failure.value._render_traceback_()[0].startswith("✗")


def test_nan_results_are_named_as_such():
    with pytest.raises(ExerciseFailed, match=r"NaN.*log\(0\)"):
        lesson03.check_discriminator_loss(lambda real, fake: -(torch.log(torch.sigmoid(real)).mean()
                                                               + torch.log(1 - torch.sigmoid(fake)).mean()))
    with pytest.raises(ExerciseFailed, match=r"\(16 NaN\)"):
        lesson04.check_causal_mask(lambda n: torch.full((n, n), float("nan")) if n > 1 else torch.ones(1, 1, dtype=torch.bool))


VQ_MISTAKES = {
    "no stop-gradients": lambda z_e, e: F.mse_loss(e, z_e) + 0.25 * F.mse_loss(z_e, e),
    "stop-gradients on the wrong sides": lambda z_e, e: F.mse_loss(e.detach(), z_e) + 0.25 * F.mse_loss(z_e.detach(), e),
    "β on the codebook term": lambda z_e, e: 0.25 * F.mse_loss(e, z_e.detach()) + F.mse_loss(z_e, e.detach()),
}


@pytest.mark.parametrize("mistake", VQ_MISTAKES)
def test_vector_quantize_checks_where_the_loss_gradients_go(mistake):
    def student(z_e, codebook):
        tokens = torch.cdist(z_e, codebook).argmin(dim=1)
        e = codebook[tokens]
        return z_e + (e - z_e).detach(), tokens, VQ_MISTAKES[mistake](z_e, e)
    with pytest.raises(ExerciseFailed, match="gradient of the loss at"):
        lesson04.check_vector_quantize(student)


def test_the_stub_on_a_later_case_is_a_failure_not_an_exercise_left_undone():
    calls = []
    def half_done(prediction, target):
        calls.append(1)
        if len(calls) > 1:
            raise NotImplementedError()
        return metrics.psnr(prediction, target)
    with pytest.raises(ExerciseFailed, match="(?s)case 2 of .*NotImplementedError"):
        lesson02.check_psnr(half_done)


def frame_differences(video):   # an earlier exercise, still its stub
    raise NotImplementedError()


def test_a_function_that_calls_another_exercise_still_a_stub_was_attempted():
    def detect_cuts(video, threshold_factor=4.0):   # written, on top of a frame_differences not yet written
        differences = frame_differences(video)
        return (torch.nonzero(differences > threshold_factor * differences.median()).flatten() + 1).tolist()
    with pytest.raises(ExerciseFailed, match="calls frame_differences, which still raises NotImplementedError: write frame_differences first"):
        lesson01.check_detect_cuts(detect_cuts)
    assert lesson01.check_detect_cuts(_not_done) is False, "its own stub: not attempted"


def test_a_number_written_as_text_is_not_a_number():
    with pytest.raises(ExerciseFailed, match="expected a number, got a str"):
        lesson02.check_psnr(lambda prediction, target: f"{metrics.psnr(prediction, target):.2f}")


def test_a_numpy_bool_is_a_bool(capsys):
    assert lesson11.check_sha256_matches(lambda path, expected: np.bool_(checkpoints.sha256_matches(path, expected)))
    assert lesson10.check_can_mean(lambda entry, surname, year: np.bool_(references.can_mean(entry, surname, year)))


def test_checkers_catch_answers_right_only_where_the_old_cases_looked():
    def cuts_over_a_multiple_of_the_median(clip, sensitivity):   # no median absolute deviation
        differences = video.frame_differences(clip)
        return ((differences > sensitivity * differences.median()).nonzero().flatten() + 1).tolist()
    with pytest.raises(ExerciseFailed, match="case 6 of 6"):
        lesson01.check_detect_cuts(cuts_over_a_multiple_of_the_median)
    with pytest.raises(ExerciseFailed, match="as ints"):
        lesson01.check_detect_cuts(lambda clip, sensitivity: [float(i) for i in video.detect_cuts(clip, sensitivity)])

    def margin_on_one_side(frame_size, text_size, margin=0.08):
        (height, width), (text_height, text_width) = frame_size, text_size
        if text_width > width * (1 - margin):
            raise ValueError("too wide")
        return (width - text_width) / 2, height * (1 - margin) - text_height
    with pytest.raises(ExerciseFailed, match="a 22 px tall, 560 px wide caption"):
        lesson05.check_title_safe_position(margin_on_one_side)
    def no_height_check(frame_size, text_size, margin=0.08):
        (height, width), (text_height, text_width) = frame_size, text_size
        if text_width > width * (1 - 2 * margin):
            raise ValueError("too wide")
        return (width - text_width) / 2, height * (1 - margin) - text_height
    with pytest.raises(ExerciseFailed, match="a 240 px tall, 100 px wide caption"):
        lesson05.check_title_safe_position(no_height_check)
    with pytest.raises(ExerciseFailed, match="the venue's year"):
        lesson10.check_can_mean(lambda entry, surname, year: surname in entry["surnames"] and year == (
            references.arxiv_year(entry["eprint"]) if entry["eprint"] else entry["year"]))

    def reads_bools_as_numbers(answer, expected, tolerance):
        try:
            return abs(float(answer) - expected) <= tolerance
        except (TypeError, ValueError):
            return False
    with pytest.raises(ExerciseFailed, match="a bool is not a number"):
        lesson11.check_mark_number(reads_bools_as_numbers)


def test_the_vector_quantize_hint_comes_only_with_wrong_values():
    def loss_as_a_float(z_e, codebook):
        z_q, tokens, loss = vqvae.vector_quantize(z_e, codebook)
        return z_q, tokens, loss.item()
    with pytest.raises(ExerciseFailed) as failure:
        lesson04.check_vector_quantize(loss_as_a_float)
    assert "loss: expected a tensor" in str(failure.value) and "hint" not in str(failure.value)


def test_vector_quantize_reports_show_the_student_what_they_gave_and_returned():
    def no_straight_through(z_e, codebook):
        z_q, tokens, loss = vqvae.vector_quantize(z_e, codebook)
        return z_q.detach(), tokens, loss
    with pytest.raises(ExerciseFailed) as failure:
        lesson04.check_vector_quantize(no_straight_through)
    lines = str(failure.value).splitlines()
    assert lines[1].startswith("input: ") and lines[1].count("tensor of shape") == 2, "z_e and the codebook, nothing else"
    assert lines[2].startswith("expected: tuple of 3") and lines[3].startswith("got: tuple of 3"), lines
    assert "w: fixed random weights" in lines[4], lines[4]


def test_a_model_or_function_is_described_by_its_name_not_its_repr():
    assert checker.describe(torch.nn.Linear(3, 2)) == "Linear model (8 parameters)"
    assert checker.describe(torch.square) == "function square" and checker.describe(lambda x: x) == "function <lambda>"


def test_describe_never_doubles_its_article():
    class Unshowable:
        def __repr__(self):
            raise RuntimeError("no")
    assert checker.describe(Unshowable()) == "Unshowable"


def test_vector_quantize_says_the_loss_terms_are_means():
    def summed(z_e, codebook):   # ‖·‖² read as a sum of squares
        tokens = torch.cdist(z_e, codebook).argmin(dim=1)
        e = codebook[tokens]
        loss = ((e - z_e.detach()) ** 2).sum() + 0.25 * ((z_e - e.detach()) ** 2).sum()
        return z_e + (e - z_e).detach(), tokens, loss
    with pytest.raises(ExerciseFailed, match=r"(?s)loss: .*hint: each term is a mean .*F\.mse_loss"):
        lesson04.check_vector_quantize(summed)


def test_cycle_loss_tells_the_order_of_the_two_generators():
    swapped = lambda a, b, g, f: (g(f(a)) - a).abs().mean() + (f(g(b)) - b).abs().mean()
    with pytest.raises(ExerciseFailed, match="case 3 of 3 failed"):
        lesson04.check_cycle_loss(swapped)


@pytest.mark.parametrize("mistake, hint", [
    (lambda reference: lambda *args: -reference(*args), "wrong sign"),
    (lambda reference: lambda *args: reference(*args).flip(1), "u and v are swapped"),
])
def test_lucas_kanade_mistakes_are_named(mistake, hint):
    with pytest.raises(ExerciseFailed, match=hint):
        lesson02.check_lucas_kanade_step(mistake(flow.lucas_kanade_step))


def _horn_schunck_with_zero_padding(frame0, frame1, alpha=0.2, iterations=50):
    ix, iy, it = flow.image_gradients(frame0, frame1)
    uv = torch.zeros(ix.shape[0], 2, *ix.shape[-2:])
    for _ in range(iterations):
        uv_bar = (9 * torch.nn.functional.avg_pool2d(torch.nn.functional.pad(uv, (1, 1, 1, 1)), 3, stride=1) - uv) / 8
        uv = uv_bar - torch.cat([ix, iy], 1) * ((ix * uv_bar[:, :1] + iy * uv_bar[:, 1:] + it) / (alpha ** 2 + ix ** 2 + iy ** 2))
    return uv


@pytest.mark.parametrize("mistake, hint", [
    (lambda *args: -flow.horn_schunck_step(*args), "each iteration subtracts"),
    (_horn_schunck_with_zero_padding, "replicate padding, not zeros"),
])
def test_horn_schunck_mistakes_get_horn_schunck_hints(mistake, hint):
    with pytest.raises(ExerciseFailed, match=hint) as failure:
        lesson02.check_horn_schunck_step(mistake)
    assert "window" not in str(failure.value) and "ridge" not in str(failure.value), "Lucas–Kanade's hints"


def test_convlstm_report_describes_states_not_reprs():
    with pytest.raises(ExerciseFailed) as failure:
        lesson03.check_convlstm_step(lambda gates, x, h, c: (h, c))
    message = str(failure.value)
    assert "tuple of 2: (tensor of shape (2, 4, 5, 6)" in message and "tensor([" not in message


def test_failure_renders_without_a_traceback():
    try:
        lesson02.check_psnr(lambda a, b: 10 * torch.log10(1 / ((a - b) ** 2).mean()))
    except ExerciseFailed as failure:
        lines = failure._render_traceback_()
    assert lines[0].startswith("✗ psnr: case 2 of 2 failed") and any("expected" in line for line in lines)
    assert not any("Traceback" in line for line in lines)


def test_wrong_shape_is_named():
    with pytest.raises(ExerciseFailed, match=r"expected shape \(3, 3, 4, 5\), got shape \(3, 4, 5, 3\)"):
        lesson01.check_to_course_video(lambda frames: torch.from_numpy(frames.astype(np.float32) / 255))


SOLVED_BUG_HUNT = {8: "mermaid is not a Python package", 16: "the generator shrinks instead of growing noise",
                   45: "a 4×4 kernel does not fit the 3×3 map", 59: "downloads MNIST: the course is offline",
                   69: "num_epochs is never defined", 80: "noise() is undefined", 73: "needs a CUDA GPU"}


def test_bug_hunt_passes_when_every_bug_is_found_and_explained(capsys):
    lesson03.check_bug_hunt(SOLVED_BUG_HUNT)
    assert "found 7 of 7" in capsys.readouterr().out


def test_bug_hunt_says_how_many_are_missing_where_they_hide_and_which_lines_are_fine():
    partial = {8: "mermaid is unused", 69: "num_epochs undefined", 2: "torch.nn is fine really"}
    with pytest.raises(ExerciseFailed) as failure:
        lesson03.check_bug_hunt(partial)
    message = str(failure.value)
    assert "you found 2 of 7" in message and "look fine to us: 2 (import torch.nn as nn)" in message
    assert "still hidden: 5 — " in message and "2 in the training loop" in message
    assert not any(f"line {n}" in message for n in (16, 45, 59, 73, 80)), "the hint names places, not lines"


def test_bug_hunt_takes_numpy_integers_as_line_numbers(capsys):
    assert lesson03.check_bug_hunt({np.int64(line): why for line, why in SOLVED_BUG_HUNT.items()}) is True


def test_bug_hunt_not_attempted_is_noted(capsys):
    assert lesson03.check_bug_hunt({}) is False
    assert capsys.readouterr().out.startswith("○ bug hunt: not attempted yet")


@pytest.mark.parametrize("line, vague", [(69, "this line looks wrong"), (69, "definitely a bug"),
                                         (16, "this is the generator, it turns noise into an image")])
def test_bug_hunt_reads_the_reasons(line, vague):
    with pytest.raises(ExerciseFailed, match=f"line {line} is a bug, but your reason"):
        lesson03.check_bug_hunt({**SOLVED_BUG_HUNT, line: vague})


@pytest.mark.parametrize("line, fine", [(59, "download is fine"), (69, "num_epochs is not missing"), (73, "the device is cuda, fine"),
                                        (16, "stride 2 is OK here")])
def test_bug_hunt_refuses_a_reason_that_calls_the_line_fine(line, fine):
    with pytest.raises(ExerciseFailed, match=f"line {line} is a bug, but your reason .* calls it fine"):
        lesson03.check_bug_hunt({**SOLVED_BUG_HUNT, line: fine})


def test_bug_hunt_takes_other_words_for_a_right_reason(capsys):
    assert lesson03.check_bug_hunt({**SOLVED_BUG_HUNT, 16: "it needs deconvolution layers to make an image from noise",
                                    80: "noise() is not a function from any import"}) is True


def test_bug_hunt_names_the_lines_that_look_fine_even_when_every_bug_is_found(capsys):
    assert lesson03.check_bug_hunt({**SOLVED_BUG_HUNT, 46: "Sigmoid is wrong"}) is True
    assert "look fine to us: 46 (nn.Sigmoid())" in capsys.readouterr().out


def test_bug_hunt_refuses_to_flag_every_line():
    with pytest.raises(ExerciseFailed, match="name the bugs, not every line"):
        lesson03.check_bug_hunt({n: "could be a bug: undefined, gpu, shape, download" for n in range(1, 96)})


@pytest.mark.parametrize("answer, words", [
    ([5, 8], "expected a dict"), ({"5": "torchvision"}, "line numbers"),
    ({500: "far away"}, "line numbers"), ({5: ""}, "say in a few words"),
])
def test_bug_hunt_explains_malformed_answers(answer, words):
    with pytest.raises(ExerciseFailed, match=words):
        lesson03.check_bug_hunt(answer)


LESSON07_MISTAKES = [
    (lesson07.check_flow_matching_pair, lambda x, noise, t: (t * x + (1 - t) * noise, x - noise), "case 1 of 3 failed"),
    (lesson07.check_flow_matching_pair,
     lambda x, noise, t: flow_matching.flow_matching_pair(x, noise, t)[:1] + (noise - x,), "(?s)case 1 of 3 failed.*velocity: values differ"),
    (lesson07.check_euler_step, lambda x, v, t, t_next: x + t_next * v, "case 3 of 4 failed"),
    (lesson07.check_classifier_free_guidance, lambda v_u, v_c, w: v_c + w * (v_c - v_u), "case 1 of 3 failed"),
]


def _bits_read_at_u_v(folded, pairs):   # rows and columns swapped: F[u, v] instead of F[v, u]
    magnitude = torch.fft.fft2(folded.double()).abs()
    return torch.tensor([int(magnitude[u1 % 64, v1 % 64] > magnitude[u0 % 64, v0 % 64]) for (u1, v1), (u0, v0) in pairs])


def _blur_with_zero_padding(image, box, sigma):
    padded = torch.zeros(image.shape[0], image.shape[1] + 2, image.shape[2] + 2)
    padded[:, 1:-1, 1:-1] = image
    blurred = torch.nn.functional.avg_pool2d(padded[None], 3, stride=1)[0]
    x0, y0, x1, y1 = box
    out = image.clone()
    out[:, y0:y1, x0:x1] = blurred[:, y0:y1, x0:x1]
    return out


def _trusts_the_signature_only(signed, frames_hash, public_key):
    try:
        public_key.verify(signed["signature"], provenance.canonical(signed["manifest"]))
    except Exception:
        return {"status": "edited after signing"}
    return {"status": "intact"}


LESSON06_MISTAKES = [
    (lesson06.check_read_bits, _bits_read_at_u_v, "(?s)case 1 of 5 failed.*bits are wrong"),
    (lesson06.check_gaussian_blur_box, _blur_with_zero_padding, "case 1 of 6 failed"),
    (lesson06.check_verify_manifest, _trusts_the_signature_only, "(?s)case 2 of 5 failed.*one frame changed.*'edited after signing'"),
]


def test_later_cells_use_the_students_function_only_once_it_passed(capsys):
    def to_tensor(x):
        return x
    assert checker.yours_if_it_passed(to_tensor, video.from_numpy, True) is to_tensor
    assert capsys.readouterr().out.startswith("✓ the cells below use your to_tensor")   # the name the student wrote
    assert checker.yours_if_it_passed(to_tensor, video.from_numpy, False) is video.from_numpy
    assert "use the reference utils.video.from_numpy until your to_tensor passes" in capsys.readouterr().out


def test_the_sampler_runs_on_the_students_step_and_guidance():
    calls = []
    step = lambda x, v, t, t_next: calls.append("step") or flow_matching.euler_step(x, v, t, t_next)
    guide = lambda u, c, w: calls.append("guide") or flow_matching.classifier_free_guidance(u, c, w)
    model = space_time_transformer.SpaceTimeTransformer(dim=32, depth=1)
    flow_matching.sample_latents(model, labels=torch.tensor([1]), steps=2, guidance=2.0, step=step, guide=guide)
    assert calls == ["guide", "step", "guide", "step"]


def _spy(calls, name, reference):
    def stand_in(*args):
        calls.append(name)
        return reference(*args)
    return stand_in


def test_lesson_04s_models_run_the_students_cycle_loss_reparameterize_and_mask():
    calls = []
    gpt = videogpt.VideoGPT(dim=32, layers=2, heads=2)
    tokens = torch.randint(vqvae.CODES, (1, videogpt.SEQUENCE))
    videogpt.next_token_loss(gpt, {"tokens": tokens}, mask_fn=_spy(calls, "mask", videogpt.causal_mask))
    assert calls == ["mask", "mask"]  # one per layer

    calls.clear()
    svg.generate(svg.StochasticPredictor(), torch.rand(2, 1, 64, 64), samples=3,
                 reparameterize_fn=_spy(calls, "z", svg.reparameterize))
    assert calls == ["z"] * 3

    calls.clear()
    gan = cyclegan.CycleGAN()
    optimizers = [torch.optim.Adam(part.parameters()) for part in (gan.generator, gan.discriminator)]
    batch = {"a": torch.rand(1, 2, 1, 64, 64), "flow": torch.zeros(1, 2, 64, 64), "b": torch.rand(2, 1, 64, 64)}
    cyclegan.train_step(gan, *optimizers, batch, cycle_loss_fn=_spy(calls, "cycle", cyclegan.cycle_loss))
    assert calls == ["cycle"]


def _crossfade_with_end_weights(first, second, frames):
    alpha = torch.linspace(0, 1, frames).view(-1, 1, 1, 1)  # includes 0 and 1: repeats a frame on each side
    return torch.cat([first[:-frames], (1 - alpha) * first[-frames:] + alpha * second[:frames], second[frames:]])


def _title_safe_without_the_check(frame_size, text_size, margin=0.08):
    (height, width), (text_height, text_width) = frame_size, text_size
    return (width - text_width) / 2, height * (1 - margin) - text_height


LESSON05_MISTAKES = [
    (lesson05.check_crossfade, lambda first, second, frames: torch.cat([first, second]), "(?s)case 1 of 4 failed.*shape"),
    (lesson05.check_crossfade, _crossfade_with_end_weights, "(?s)case 1 of 4 failed.*values differ"),
    (lesson05.check_speed_ramp_indices, lambda frames, start, end: torch.arange(0, frames, start).long(),
     "(?s)case 4 of 5 failed.*output frames"),
    (lesson05.check_title_safe_position, lambda frame_size, text_size, margin: (frame_size[1] / 2, frame_size[0] * (1 - margin)),
     "case 1 of 4 failed"),
    (lesson05.check_title_safe_position, _title_safe_without_the_check, "should raise ValueError; it returned"),
]


def _blends_the_gap(first, second, count):
    return torch.stack([(1 - k / (count + 1)) * first + k / (count + 1) * second for k in range(1, count + 1)])


def _sine_path(frames, amplitude=1.0):
    return amplitude * torch.sin(torch.pi * torch.arange(frames) / (frames - 1))


def _zero_for_still_frames(profile, lefts, width):
    inside = torch.stack([row[left:left + width].sum() for row, left in zip(profile, lefts.tolist())])
    return inside / profile.sum(dim=1).clamp(min=1e-12)


LESSON08_MISTAKES = [
    (lesson08.check_hold_across_cut, _blends_the_gap, "(?s)case 1 of 5 failed.*gap frame 1 of 3.*neither of the two frames"),
    (lesson08.check_there_and_back, _sine_path, "case 1 of 4 failed"),
    (lesson08.check_motion_inside, _zero_for_still_frames, "(?s)case 3 of 4 failed.*frame 2 without main motion"),
]


def _reads_the_whole_name(answer, expected, tolerance):
    return abs(float(answer) - expected) <= tolerance                       # crashes on "twenty", None


def _warps_the_wrong_way(context, frames):
    motion = flow.lucas_kanade(context[:, -2], context[:, -1])
    frame, made = context[:, -1], []
    for _ in range(frames):
        frame = flow.backward_warp(frame, motion).clamp(0, 1)
        made.append(frame)
    return torch.stack(made, dim=1)


LESSON09_MISTAKES = [
    (lesson09.check_pareto_front,   # "beaten" read as better on both counts, so a tie on one count survives
     lambda points: sorted((n for n in points if not any(q < points[n][0] and c < points[n][1] for q, c in points.values())),
                           key=lambda n: points[n][1]), "case 3 of 5 failed.*costs more"),
    (lesson09.check_kendall_tau,    # divided by the number of names, not of pairs
     lambda first, second: sum(1 if second.index(a) < second.index(b) else -1
                               for i, a in enumerate(first) for b in first[i + 1:]) / len(first), "case 1 of 5 failed.*same order"),
    (lesson09.check_mean_rank,      # positions counted from 0
     lambda rankings: sorted(((n, sum(r.index(n) for r in rankings.values() if n in r) / sum(n in r for r in rankings.values()))
                              for n in {n for r in rankings.values() for n in r}), key=lambda item: (item[1], item[0])),
     "(?s)case 1 of 4 failed.*a: expected mean position 1, got 0"),
]


def test_resolve_imports_what_nothing_imported_yet(monkeypatch):
    import email.mime
    monkeypatch.delitem(sys.modules, "email.mime.audio", raising=False)
    monkeypatch.delattr(email.mime, "audio", raising=False)
    down_the_attributes = lambda dotted: functools.reduce(lambda found, name: getattr(found, name, None), dotted.split(".")[1:],
                                                          importlib.import_module(dotted.split(".")[0]))
    with pytest.raises(ExerciseFailed, match="(?s)case 7 of 7 failed.*nothing has imported yet.*expected: the module email.mime.audio"):
        lesson10.check_resolve(down_the_attributes)
    assert lesson10.check_resolve(references.resolve)


LESSON10_MISTAKES = [
    (lesson10.check_arxiv_year, lambda eprint: 2000 + int(eprint[:2]), "(?s)case 5 of 6 failed.*old-style.*ValueError"),
    (lesson10.check_resolve,        # getattr without a default: a missing name raises instead of giving None
     lambda dotted: functools.reduce(getattr, dotted.split(".")[1:], importlib.import_module("utils")),
     "(?s)case 5 of 7 failed.*AttributeError"),
    (lesson10.check_can_mean, lambda entry, surname, year: surname in entry["surnames"] and year == entry["year"],
     "case 6 of 9 failed.*arXiv id"),
    (lesson10.check_can_mean,       # a surname as a substring of an author's
     lambda entry, surname, year: any(surname in name for name in entry["surnames"]) and (
         year == entry["year"] or entry["eprint"] is not None and references.arxiv_year(entry["eprint"]) == year),
     "case 5 of 9 failed.*Hoogeboom"),
]


def _reads_as_float(answer):
    try:
        return float(answer)
    except (TypeError, ValueError):
        return None


LESSON11_MISTAKES = [
    (lesson11.check_sha256_matches, lambda path, expected: True, "case 3 of 5 failed.*another file's sha256"),
    (lesson11.check_mark_number, _reads_the_whole_name, "(?s)case 5 of 12 failed.*'twenty'.*ValueError"),
    (lesson11.check_mark_number,    # no isfinite: infinity within an infinite tolerance
     lambda answer, expected, tolerance: not isinstance(answer, bool) and _reads_as_float(answer) is not None
     and abs(_reads_as_float(answer) - expected) <= tolerance, "case 12 of 12 failed.*infinity is never an answer"),
    (lesson11.check_constant_motion, _warps_the_wrong_way, "case 1 of 2 failed"),
]


@pytest.mark.parametrize("checker, mistake, words", [
    *LESSON05_MISTAKES, *LESSON06_MISTAKES, *LESSON07_MISTAKES, *LESSON08_MISTAKES, *LESSON09_MISTAKES, *LESSON10_MISTAKES,
    *LESSON11_MISTAKES])
def test_each_lessons_typical_mistakes_are_named(checker, mistake, words):
    with pytest.raises(ExerciseFailed, match=words):
        checker(mistake)
