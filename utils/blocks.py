"""Layers shared by the course's models: each model file builds from these, so a fix or a change
of normalisation reaches every model at once.

    down(c_in, c_out)           halve H and W (dims=2) or T, H and W (dims=3): conv → norm → LeakyReLU
    up(c_in, c_out)             double them back: transposed conv → norm → ReLU
    ResidualBlock(c)            x + conv(act(norm(conv(act(norm(x))))))   (He et al. 2016)
    PatchDiscriminator(c_in)    PatchGAN (Isola et al. 2017): one real/fake logit per patch
    straight_through_clamp(x)   x clamped to [0, 1], with the gradient of x itself
GroupNorm rather than BatchNorm everywhere: it does not depend on the batch, so a model behaves
the same in training and when it samples one clip.
"""
import torch.nn as nn

GROUPS = 8


def _conv(dims):
    return nn.Conv3d if dims == 3 else nn.Conv2d


def down(channels_in, channels_out, dims=2):
    """Halve the size of each axis: a 4-wide convolution of stride 2 → GroupNorm → LeakyReLU(0.2)."""
    return nn.Sequential(_conv(dims)(channels_in, channels_out, 4, stride=2, padding=1),
                         nn.GroupNorm(GROUPS, channels_out), nn.LeakyReLU(0.2))


def up(channels_in, channels_out, dims=2, time_kernel=4):
    """Double T, H and W (dims=3) or H and W (dims=2): transposed conv → GroupNorm → ReLU.
    time_kernel=2 doubles T without padding (1 → 2 frames)."""
    if dims == 3:
        conv = nn.ConvTranspose3d(channels_in, channels_out, (time_kernel, 4, 4), stride=2, padding=(time_kernel // 2 - 1, 1, 1))
    else:
        conv = nn.ConvTranspose2d(channels_in, channels_out, 4, stride=2, padding=1)
    return nn.Sequential(conv, nn.GroupNorm(GROUPS, channels_out), nn.ReLU())


class ResidualBlock(nn.Module):
    """Two 3×3 convolutions added to their input: the block can only refine, which keeps deep
    stacks trainable."""

    def __init__(self, channels, dims=2):
        super().__init__()
        conv = _conv(dims)
        self.body = nn.Sequential(nn.GroupNorm(GROUPS, channels), nn.SiLU(), conv(channels, channels, 3, padding=1),
                                  nn.GroupNorm(GROUPS, channels), nn.SiLU(), conv(channels, channels, 3, padding=1))

    def forward(self, x):
        return x + self.body(x)


class PatchDiscriminator(nn.Module):
    """PatchGAN (Isola et al. 2017): a few strided convolutions, so each output logit sees one
    patch of the image (here 26×26 pixels of a 64×64 frame) and says whether it looks real.
    Judging patches rather than the whole image penalises blur everywhere, with few parameters.
    Spectral norm (Miyato et al. 2018) instead of a normalisation layer keeps D smooth."""

    def __init__(self, in_channels, width=32):
        super().__init__()
        sn = nn.utils.parametrizations.spectral_norm
        self.layers = nn.Sequential(
            sn(nn.Conv2d(in_channels, width, 4, stride=2, padding=1)), nn.LeakyReLU(0.2),   # 64 → 32
            sn(nn.Conv2d(width, 2 * width, 4, stride=2, padding=1)), nn.LeakyReLU(0.2),     # 32 → 16
            sn(nn.Conv2d(2 * width, 4 * width, 3, padding=1)), nn.LeakyReLU(0.2),
            sn(nn.Conv2d(4 * width, 1, 3, padding=1)))                                      # (B, 1, 16, 16)

    def forward(self, images):
        """images (B, C, H, W) in [-1, 1] → logits (B, H/4, W/4), one per patch (64×64 → 16×16)."""
        return self.layers(images)[:, 0]


def straight_through_clamp(x):
    """x clamped to [0, 1] forwards, the identity backwards (Bengio et al. 2013's straight-through
    estimator). A predicted pixel can reach exact black, which a sigmoid only approaches as its
    gradient vanishes (leaving a grey floor), and a pixel pushed below 0 still learns to light up
    when a digit arrives there, which a plain clamp's zero gradient would forbid."""
    return x + (x.clamp(0, 1) - x).detach()
