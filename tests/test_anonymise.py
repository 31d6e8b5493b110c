"""Lesson 06's face anonymisation: the cascade finds the faces, the tracker keeps a turning face
covered, and after blurring or pixelating the detector finds none."""
import pytest
import torch
import torchvision.transforms.v2.functional as TF

from utils import data
from utils.applications import anonymise


@pytest.fixture(scope="module")
def astronaut():
    return data.load_still("astronaut")


def test_the_astronauts_face_is_found_and_then_hidden(astronaut):
    faces = anonymise.detect_faces(astronaut, min_size=60, max_size=123)
    assert faces.shape == (1, 4)
    x0, y0, x1, y1 = faces[0].tolist()
    assert 150 < (x0 + x1) / 2 < 260 and 70 < (y0 + y1) / 2 < 170             # on her face, not the suit
    for method in ("blur", "pixelate"):
        hidden = anonymise.anonymise(astronaut[None], [faces], method)[0]
        assert len(anonymise.detect_faces(hidden, min_size=60, max_size=123)) == 0, method
        outside = torch.ones(512, 512, dtype=torch.bool)
        gx0, gy0, gx1, gy1 = anonymise.grow(faces, anonymise.GROW, (512, 512))[0].round().long().tolist()
        outside[gy0:gy1, gx0:gx1] = False
        assert torch.equal(hidden[:, outside], astronaut[:, outside])


def test_the_tracker_covers_frames_the_detector_misses():
    phone, _ = data.load_clip("carphone", end=48)
    tracked = anonymise.track_faces(phone)
    detected = sum(len(d) > 0 for d in tracked["detections"])
    covered = sum(len(b) > 0 for b in tracked["boxes"])
    assert detected < len(phone) and covered == len(phone)
    assert tracked["reacquired"] and min(tracked["reacquired"]) >= 0.5          # the carried box stayed on the face
    assert max(len(boxes) for boxes in tracked["boxes"]) == 1                   # and never lost it to start a second track
    hidden = anonymise.anonymise(phone, tracked["boxes"])
    assert sum(len(anonymise.detect_faces(frame)) > 0 for frame in hidden) == 0


def test_gaussian_blur_box_matches_torchvision_inside_and_keeps_the_outside():
    image = torch.rand(3, 40, 50, generator=torch.Generator().manual_seed(0))
    sigma, box = 1.5, (10, 12, 30, 28)
    out = anonymise.gaussian_blur_box(image, box, sigma)
    radius = int(3 * sigma)
    reference = TF.gaussian_blur(image, [2 * radius + 1] * 2, [sigma] * 2)   # reflect padding: equal away from the border
    assert torch.allclose(out[:, 12:28, 10:30], reference[:, 12:28, 10:30], atol=1e-5)
    out[:, 12:28, 10:30] = image[:, 12:28, 10:30]
    assert torch.equal(out, image)


def test_pixelate_box_makes_flat_blocks():
    image = torch.rand(1, 32, 32, generator=torch.Generator().manual_seed(1))
    out = anonymise.pixelate_box(image, (0, 0, 16, 16), cells=4)
    block = out[0, :4, :4]
    assert torch.allclose(block, block.mean().expand(4, 4)) and torch.allclose(block.mean(), image[0, :4, :4].mean())
    assert torch.equal(out[:, 16:], image[:, 16:])


@pytest.mark.parametrize("call, message", [
    (lambda a: anonymise.anonymise(a[None], [torch.zeros(0, 4)], "smudge"), "'blur' or 'pixelate'"),
    (lambda a: anonymise.anonymise(a[None], [], "blur"), "one per frame"),
    (lambda a: anonymise.detect_faces(a[None]), "(C, H, W)"),
    (lambda a: anonymise.gaussian_blur_box(a, (0, 0, 4, 4), 0), "sigma"),
    (lambda a: anonymise.track_faces(a[None], max_missed=-1), "max_missed"),
])
def test_bad_input_is_a_clear_error(astronaut, call, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        call(astronaut)
