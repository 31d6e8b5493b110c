"""The checkers pass the reference implementations and explain, never crash on, wrong ones."""
import numpy as np
import pytest
import torch

from utils import flow, metrics, video
from utils.course import lesson01, lesson02, lesson03, lesson04, lesson07
from utils.course.checker import ExerciseFailed
from utils.models import convlstm, cyclegan, flow_matching, svg, vgan, videogpt, vqvae

REFERENCES = [
    (lesson01.check_to_course_video, video.from_numpy),
    (lesson01.check_resample_fps, video.resample_fps),
    (lesson01.check_frame_differences, video.frame_differences),
    (lesson02.check_backward_warp, flow.backward_warp),
    (lesson02.check_lucas_kanade_step, flow.lucas_kanade_step),
    (lesson02.check_psnr, metrics.psnr),
    (lesson03.check_convlstm_step, convlstm.convlstm_step),
    (lesson03.check_discriminator_loss, vgan.discriminator_loss),
    (lesson04.check_vector_quantize, vqvae.vector_quantize),
    (lesson04.check_reparameterize, svg.reparameterize),
    (lesson04.check_cycle_loss, cyclegan.cycle_loss),
    (lesson04.check_causal_mask, videogpt.causal_mask),
    (lesson07.check_flow_matching_pair, flow_matching.flow_matching_pair),
    (lesson07.check_euler_step, flow_matching.euler_step),
    (lesson07.check_classifier_free_guidance, flow_matching.classifier_free_guidance),
]


def _not_done(*args):
    raise NotImplementedError()


def _crashes(*args):
    return args[0].reshape(-1, 7, 13)


def _returns_none(*args):
    return None


def _off_by_a_bit(reference):
    def wrong(*args):
        result = reference(*args)
        if isinstance(result, tuple):
            return tuple(r + 0.01 for r in result)
        return result + 0.01 if isinstance(result, torch.Tensor) else result + 0.5  # PSNR tolerance is 0.05 dB
    return wrong


@pytest.mark.parametrize("checker, reference", REFERENCES, ids=lambda f: f.__name__)
def test_reference_passes(checker, reference, capsys):
    checker(reference)
    assert "✅" in capsys.readouterr().out


@pytest.mark.parametrize("checker, reference", REFERENCES, ids=lambda f: f.__name__)
@pytest.mark.parametrize("student, words", [
    (_not_done, "not implemented yet"),
    (_crashes, "your function raised"),
    (_returns_none, "expected"),
    ("not a function", "expected a function"),
])
def test_wrong_code_is_explained(checker, reference, student, words):
    with pytest.raises(ExerciseFailed, match=words):
        checker(student)


@pytest.mark.parametrize("checker, reference", REFERENCES, ids=lambda f: f.__name__)
def test_slightly_wrong_values_are_caught_with_the_case(checker, reference):
    with pytest.raises(ExerciseFailed, match=r"case 1 of \d+ failed"):
        checker(_off_by_a_bit(reference))


def test_failure_renders_without_a_traceback():
    try:
        lesson02.check_psnr(lambda a, b: 10 * torch.log10(1 / ((a - b) ** 2).mean()))
    except ExerciseFailed as failure:
        lines = failure._render_traceback_()
    assert lines[0].startswith("❌ psnr: case 2 of 2 failed") and any("expected" in line for line in lines)
    assert not any("Traceback" in line for line in lines)


def test_wrong_shape_is_named():
    with pytest.raises(ExerciseFailed, match=r"expected shape \(3, 3, 4, 5\), got shape \(3, 4, 5, 3\)"):
        lesson01.check_to_course_video(lambda frames: torch.from_numpy(frames.astype(np.float32) / 255))


SOLVED_BUG_HUNT = {8: "mermaid", 16: "generator shrinks", 45: "kernel larger than map",
                   59: "downloads MNIST", 69: "num_epochs undefined", 80: "noise undefined", 73: "hard-coded cuda"}


def test_bug_hunt_passes_when_every_bug_is_found(capsys):
    lesson03.check_bug_hunt(SOLVED_BUG_HUNT)
    assert "found 7 of 7" in capsys.readouterr().out


def test_bug_hunt_says_how_many_are_missing_and_which_lines_are_fine():
    partial = {8: "mermaid", 69: "num_epochs undefined", 2: "torch.nn is fine really"}
    with pytest.raises(ExerciseFailed) as failure:
        lesson03.check_bug_hunt(partial)
    message = str(failure.value)
    assert "you found 2 of 7" in message and "look fine to us: 2 (import torch.nn as nn)" in message
    assert message.count("still hidden") == 5


@pytest.mark.parametrize("answer, words", [
    ([5, 8], "expected a dict"), ({}, "expected a dict"), ({"5": "torchvision"}, "line numbers"),
    ({500: "far away"}, "line numbers"), ({5: ""}, "say in a few words"),
])
def test_bug_hunt_explains_malformed_answers(answer, words):
    with pytest.raises(ExerciseFailed, match=words):
        lesson03.check_bug_hunt(answer)


@pytest.mark.parametrize("checker, mistake, words", [
    (lesson07.check_flow_matching_pair, lambda x, noise, t: (t * x + (1 - t) * noise, x - noise), "case 1 of 3 failed"),
    (lesson07.check_flow_matching_pair,
     lambda x, noise, t: flow_matching.flow_matching_pair(x, noise, t)[:1] + (noise - x,), "(?s)case 1 of 3 failed.*velocity: values differ"),
    (lesson07.check_euler_step, lambda x, v, t, t_next: x + t_next * v, "case 3 of 4 failed"),
    (lesson07.check_classifier_free_guidance, lambda v_u, v_c, w: v_c + w * (v_c - v_u), "case 1 of 3 failed"),
])
def test_lesson07_mistakes_are_named(checker, mistake, words):
    with pytest.raises(ExerciseFailed, match=words):
        checker(mistake)
