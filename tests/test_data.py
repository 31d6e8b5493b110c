import torch

from utils import data


def test_moving_digits_shapes_labels_and_determinism():
    dataset = data.MovingDigits(num_frames=10, num_digits=(1, 3), seed=3)
    item = dataset[5]
    assert item["video"].shape == (10, 1, 64, 64)
    assert item["video"].min() >= 0 and item["video"].max() <= 1
    count = int((item["labels"] >= 0).sum())
    assert 1 <= count <= 3 and item["labels"][count:].eq(-1).all()
    assert torch.equal(item["video"], data.MovingDigits(num_frames=10, num_digits=(1, 3), seed=3)[5]["video"])
    assert not torch.equal(item["video"], data.MovingDigits(num_frames=10, num_digits=(1, 3), seed=4)[5]["video"])


def test_moving_digits_move_and_stay_on_the_canvas():
    dataset = data.MovingDigits(num_frames=30, num_digits=1, speed=3.0)
    for i in range(5):
        item = dataset[i]
        position = item["position"][:, 0]
        assert (position >= 0).all() and (position <= 64 - 24).all()
        assert (position[1:] - position[:-1]).norm(dim=1).mean() > 1.0  # it moves
        assert item["video"].sum(dim=(1, 2, 3)).min() > 5  # the digit is visible in every frame


def test_moving_digits_train_and_test_use_different_images():
    train_images, _ = data._digit_images("train", 24)
    test_images, _ = data._digit_images("test", 24)
    assert len(train_images) == 1500 and len(test_images) == 297
    distances = torch.cdist(test_images.flatten(1), train_images.flatten(1))
    assert distances.min() > 0  # no held-out digit appears in training


def test_moving_digits_batch():
    batch = data.MovingDigits(num_frames=5).batch(4, start=10)
    assert batch["video"].shape == (4, 5, 1, 64, 64) and batch["labels"].shape == (4, 3)


def test_bouncing_shapes_caption_matches_the_pixels():
    dataset = data.BouncingShapes(num_frames=12)
    for i in range(20):
        item = dataset[i]
        clip = item["video"]
        assert clip.shape == (12, 3, 64, 64)
        words = item["caption"].split()  # "a red circle moves left"
        mass = clip.sum(1)  # (T, H, W)
        ys, xs = torch.meshgrid(torch.arange(64.0), torch.arange(64.0), indexing="ij")
        cx = (mass * xs).sum((1, 2)) / mass.sum((1, 2))
        cy = (mass * ys).sum((1, 2)) / mass.sum((1, 2))
        dx, dy = (cx[-1] - cx[0]).item(), (cy[-1] - cy[0]).item()
        moved = max(("left", -dx), ("right", dx), ("up", -dy), ("down", dy), key=lambda p: p[1])[0]
        assert words[-1] == moved, (item["caption"], dx, dy)
        assert abs(mass[0].sum() - mass[-1].sum()) / mass[0].sum() < 0.05  # fully in view throughout
        rgb = clip[0].flatten(1)[:, mass[0].flatten() >= mass[0].max() - 1e-6].mean(1)  # fully covered pixels
        assert torch.allclose(rgb, torch.tensor(data.COLORS[words[1]]), atol=0.05)


def test_real_clips_and_stills():
    clip, fps = data.load_clip("carphone", end=5)
    assert clip.shape == (5, 3, 144, 176) and abs(fps - 29.97) < 0.01
    clip, _ = data.load_clip("bikes", end=2, size=(68, 160))
    assert clip.shape == (2, 3, 68, 160)
    assert data.clip_path("bigbuckbunny").exists()
    assert data.load_still("astronaut").shape == (3, 512, 512)
    assert data.load_still("camera", size=(32, 32)).shape == (3, 32, 32)
