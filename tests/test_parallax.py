"""2.5-D photo animation (lesson 08, case 2) on a synthetic photo whose layers are known, and on
the shipped stereo pair."""
import pytest
import torch

from utils.applications import parallax

NEAR, FAR = 4.0, 1.0


@pytest.fixture(scope="module")
def scene():
    """A textured 40 × 60 photo with a near square (disparity 4) over a far background (disparity 1)."""
    photo = torch.rand(3, 40, 60, generator=torch.Generator().manual_seed(0))
    square = torch.zeros(40, 60, dtype=torch.bool)
    square[12:28, 20:36] = True
    disparity = torch.where(square, NEAR, FAR)
    known = torch.ones(40, 60, dtype=torch.bool)
    return photo, disparity, known, square


def _layers(scene):
    photo, disparity, known, square = scene
    return parallax.make_layers(photo, disparity, known, square)


def test_the_near_mask_is_the_near_square(scene):
    photo, disparity, known, square = scene
    assert torch.equal(parallax.near_mask(disparity, known), square)


def test_the_view_from_the_photos_own_camera_is_the_photo(scene):
    assert torch.allclose(parallax.render(_layers(scene), 0.0), scene[0], atol=1e-5)


def test_a_path_renders_frame_by_frame(scene):
    layers, path = _layers(scene), parallax.there_and_back(5, 2.0)
    clip = parallax.animate(layers, path)
    assert clip.shape == (5, 3, 40, 60)
    assert torch.equal(clip[2], parallax.render(layers, path[2])) and torch.equal(clip[2], parallax.render(layers, 2.0))


def test_a_camera_shift_moves_near_pixels_by_their_disparity_and_reveals_what_they_hid(scene):
    photo, disparity, known, square = scene
    layers = parallax.make_layers(photo, disparity, known, square)
    view = parallax.render(layers, 1.0)
    assert torch.allclose(view[:, 14:26, 18:30], photo[:, 14:26, 22:34], atol=1e-5)   # the square, 4 px to the left
    assert torch.allclose(view[:, 2:10, 5:50], photo[:, 2:10, 6:51], atol=1e-5)       # the background, 1 px
    revealed = parallax.revealed(layers, square, 1.0)
    columns = revealed.any(dim=0).nonzero().flatten().tolist()
    assert revealed.any() and min(columns) >= 30 and max(columns) <= 35, columns     # behind the square's right edge
    holes = parallax.render(parallax.make_layers(photo, disparity, known, square, fill=False), 1.0)
    assert (holes[:, revealed] == 0).all() and (view[:, revealed] > 0).any()


def test_biharmonic_inpainting_restores_a_smooth_image():
    rows, columns = torch.meshgrid(torch.linspace(0, 1, 30), torch.linspace(0, 1, 40), indexing="ij")
    image = torch.stack([rows, columns, 0.5 * (rows + columns)])
    hole = torch.zeros(30, 40, dtype=torch.bool)
    hole[10:20, 15:25] = True
    damaged = image.clone()
    damaged[:, hole] = 0
    assert (parallax.inpaint(damaged, hole) - image).abs().max() < 1e-3


def test_the_camera_path_eases_out_and_back():
    path = parallax.there_and_back(9, 2.0)
    assert path.shape == (9,) and path[0] == 0 and abs(path[-1]) < 1e-6 and path[4] == 2.0
    assert (path[1:5] > path[:4]).all()


def test_the_stereo_photo_comes_with_its_disparity():
    photo = parallax.stereo_photo(4)
    assert photo["left"].shape == photo["right"].shape == (3, 125, 185)
    assert photo["disparity"].shape == photo["known"].shape == (125, 185)
    assert photo["known"].float().mean() > 0.8 and (photo["disparity"][~photo["known"]] == 0).all()


@pytest.mark.parametrize("call, words", [
    (lambda s: parallax.make_layers(s[0], s[1], s[2], s[3][:10]), r"mask: expected a tensor of shape \(40, 60\)"),
    (lambda s: parallax.near_mask(s[1], s[2][None]), "known: expected a tensor of shape"),
    (lambda s: parallax.single_layer(s[0][0], s[1], 1.0), "photo: expected an image"),
    (lambda s: parallax.there_and_back(1), "frames: expected"),
    (lambda s: parallax.render({"left": s[0], "disparity": s[1]}, 1.0), r"layers: expected the dict that make_layers returns .* keys \['disparity', 'left'\]"),
    (lambda s: parallax.animate(_layers(s), 24), r"path: expected a sequence of shifts.* got an int"),
    (lambda s: parallax.animate(_layers(s), parallax.there_and_back), r"Call it: there_and_back\(24\)"),
    (lambda s: parallax.render(_layers(s), parallax.there_and_back(5)), r"shift: expected one number .* animate\(layers, path\)"),
    (lambda s: parallax.render(_layers(s), float("nan")), "shift: expected one number .* got nan"),
    (lambda s: parallax.make_layers({"left": s[0]}, s[1], s[2], s[3]), r"Pass photo\['left'\]"),
    (lambda s: parallax.near_mask({"disparity": s[1]}, s[2]), r"Pass photo\['disparity'\]"),
    (lambda s: parallax.revealed(_layers(s), s[3][None], 1.0), r"mask: expected a tensor of shape \(40, 60\)"),
])
def test_bad_input_is_a_clear_error(scene, call, words):
    with pytest.raises(ValueError, match=words):
        call(scene)
