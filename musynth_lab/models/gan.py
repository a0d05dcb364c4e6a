"""A small generative adversarial network (GAN) over one-bar chorale piano rolls.

A generator ``G`` turns noise ``z`` into a bar (8 eighth-note frames × the 46 keys of the chorale
range, each a probability that the key sounds); a discriminator ``D`` tells real bars from generated
ones. They are trained against each other (Goodfellow et al. 2014) with the **non-saturating** loss:
``D`` minimises ``-log D(x) - log(1 - D(G(z)))`` and ``G`` minimises ``-log D(G(z))``, which gives
``G`` strong gradients early, when ``D`` easily rejects its bars. Both are MLPs, small enough to train
in seconds on one CPU thread (MuseGAN, Dong et al. 2018, does the same at scale with convolutions and
several tracks).

Generated bars are probabilities; a key sounds when its probability is above ``threshold`` (0.5 by
default, the Bernoulli mode). Bars are generated independently, so a sequence of them has no
coherence across bar lines: nothing links bar ``n`` to bar ``n + 1``.

Chapter: notebooks/06c_coherence.ipynb
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn
from torch.nn.functional import binary_cross_entropy_with_logits as bce

from ..audio import get_device, seed_everything
from ..data import piano_roll
from ..errors import check
from .rbm import LOW, N_KEYS, pad_roll

__all__ = [
    "FRAMES_PER_BAR",
    "chorale_bars",
    "BarGenerator",
    "BarDiscriminator",
    "GANResult",
    "train_gan",
    "sample_bars",
    "bars_to_roll",
]

FRAMES_PER_BAR = 8  # one 4/4 bar in eighth notes


def chorale_bars(pieces, *, step: float = 0.5, low: int = LOW, n_keys: int = N_KEYS) -> np.ndarray:
    """Every full 4/4 bar of the given chorales: ``(n_bars, n_keys, 8)`` float32 of 0/1.

    Bars follow the score's bar lines (after the pick-up); pieces in other metres are skipped.

    Parameters
    ----------
    pieces : list of Chorale
    step : float
        Frame length in quarter notes (0.5: eight frames per 4/4 bar).
    low, n_keys : int
        The kept pitch range (MIDI ``low`` .. ``low + n_keys - 1``).

    Returns
    -------
    np.ndarray [shape=(n_bars, n_keys, 4 / step)]

    Examples
    --------
    >>> from musynth_lab import data
    >>> bars = chorale_bars(data.load_chorales("test")[:3]); bars.shape[1:], set(np.unique(bars)) <= {0.0, 1.0}
    ((46, 8), True)

    Chapter: notebooks/06c_coherence.ipynb
    """
    check(step > 0, "step", step, "a positive frame length in quarter notes")
    fpb = int(round(4 / step))
    out = []
    for p in pieces:
        if tuple(p.meter) != (4, 4):
            continue
        roll = piano_roll(p, step=step)[low - 21 : low - 21 + n_keys]
        first = int(round(p.pickup_q / step))
        for s in range(first, roll.shape[1] - fpb + 1, fpb):
            out.append(roll[:, s : s + fpb])
    check(len(out) > 0, "pieces", pieces, "at least one 4/4 chorale with a full bar")
    return np.stack(out).astype(np.float32)


class BarGenerator(nn.Module):
    """``z (batch, z_dim)`` -> key logits ``(batch, n_keys, n_frames)``; ``sigmoid`` gives probabilities.

    Examples
    --------
    >>> BarGenerator(z_dim=4, hidden=8)(torch.zeros(2, 4)).shape
    torch.Size([2, 46, 8])

    Chapter: notebooks/06c_coherence.ipynb
    """

    def __init__(self, z_dim: int = 32, hidden: int = 256, n_keys: int = N_KEYS, n_frames: int = FRAMES_PER_BAR):
        super().__init__()
        self.z_dim, self.n_keys, self.n_frames = z_dim, n_keys, n_frames
        self.net = nn.Sequential(
            nn.Linear(z_dim, hidden),
            nn.LeakyReLU(0.2),
            nn.Linear(hidden, hidden),
            nn.LeakyReLU(0.2),
            nn.Linear(hidden, n_keys * n_frames),
        )

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z).view(-1, self.n_keys, self.n_frames)  # (batch, n_keys, n_frames) logits


class BarDiscriminator(nn.Module):
    """A bar ``(batch, n_keys, n_frames)`` in [0, 1] -> a logit ``(batch,)``: high means "real".

    The last layer also sees the **minibatch standard deviation** of the hidden features (Karras et al.
    2018): a batch of near-identical generated bars has a tell-tale low spread, so collapsing onto a few
    bars (mode collapse) stops fooling ``D``.

    Examples
    --------
    >>> BarDiscriminator(hidden=16)(torch.rand(3, 46, 8)).shape
    torch.Size([3])

    Chapter: notebooks/06c_coherence.ipynb
    """

    def __init__(self, hidden: int = 256, n_keys: int = N_KEYS, n_frames: int = FRAMES_PER_BAR):
        super().__init__()
        self.body = nn.Sequential(
            nn.Flatten(),
            nn.Linear(n_keys * n_frames, hidden),
            nn.LeakyReLU(0.2),
            nn.Dropout(0.3),
            nn.Linear(hidden, hidden // 2),
            nn.LeakyReLU(0.2),
        )
        self.head = nn.Linear(hidden // 2 + 1, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        f = self.body(x)  # (batch, hidden // 2)
        spread = f.std(dim=0).mean() if len(f) > 1 else f.new_zeros(())
        return self.head(torch.cat([f, spread.expand(len(f), 1)], dim=1)).squeeze(-1)


@dataclass
class GANResult:
    """A trained pair and its losses per step (``d_loss``, ``g_loss`` in nats), ``seconds`` of training.

    Examples
    --------
    >>> res = GANResult(BarGenerator(z_dim=4, hidden=8), BarDiscriminator(hidden=16),
    ...                 d_loss=[1.4, 1.3], g_loss=[0.7, 0.8])
    >>> len(res.d_loss), res.seconds
    (2, 0.0)

    Chapter: notebooks/06c_coherence.ipynb
    """

    generator: BarGenerator
    discriminator: BarDiscriminator
    d_loss: list = field(default_factory=list)
    g_loss: list = field(default_factory=list)
    seconds: float = 0.0

    def plot(self, ax=None, *, smooth: int = 25):
        """The two losses (a running mean over ``smooth`` steps); returns the axes."""
        # matplotlib is imported where used: importing this module (and `import musynth_lab`) stays light
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(5, 3))
        kernel = np.ones(smooth) / smooth
        for name, values in (("discriminator", self.d_loss), ("generator", self.g_loss)):
            ax.plot(np.convolve(values, kernel, mode="valid"), label=name)
        ax.axhline(2 * math.log(2), color="grey", ls=":", lw=1)
        ax.axhline(math.log(2), color="grey", ls=":", lw=1)
        ax.set_xlabel("step")
        ax.set_ylabel("loss (nats)")
        ax.set_title("GAN training (dotted: 2 ln 2 and ln 2, D's and G's loss at equilibrium)")
        ax.legend()
        return ax


def train_gan(
    bars,
    *,
    z_dim: int = 32,
    hidden: int = 128,
    steps: int = 1000,
    batch_size: int = 64,
    lr: float = 1e-3,
    straight_through: bool = True,
    seed: int = 0,
    device=None,
) -> GANResult:
    """Train a :class:`BarGenerator` against a :class:`BarDiscriminator` with the non-saturating loss.

    Two optimisers take turns, one ``D`` step then one ``G`` step per batch, which is why this is not
    ``models.fit`` (one model, one loss). Adam with ``betas=(0.5, 0.999)`` as in DCGAN.

    Parameters
    ----------
    bars : array [shape=(n_bars, n_keys, n_frames)] of 0/1
        Real bars, e.g. :func:`chorale_bars` of the training chorales.
    z_dim, hidden : int
        Noise size and hidden width of both networks.
    steps, batch_size : int
        Alternating updates, each on a random batch of real bars.
    lr : float
    straight_through : bool
        Show ``D`` a 0/1 Bernoulli draw of each generated bar, passing gradients straight through to
        the probabilities. Without it ``D`` separates real (binary) from generated (soft) bars at once
        and ``G`` collapses.
    seed : int
    device : optional

    Returns
    -------
    GANResult

    Examples
    --------
    >>> bars = np.zeros((32, 4, 2), np.float32); bars[:, 1] = 1        # always key 1, both frames
    >>> res = train_gan(bars, z_dim=4, hidden=16, steps=150, batch_size=16, lr=1e-2, device="cpu")
    >>> bool(sample_bars(res.generator, 8)[:, 1].mean() > 0.9), bool(sample_bars(res.generator, 8)[:, [0, 2, 3]].any())
    (True, False)

    Chapter: notebooks/06c_coherence.ipynb
    """
    x = torch.as_tensor(np.asarray(bars), dtype=torch.float32)
    check(x.ndim == 3 and len(x) > 0, "bars", bars, "a non-empty array (n_bars, n_keys, n_frames)")
    check(bool(((x == 0) | (x == 1)).all()), "bars", bars, "binary bars (0/1)")
    check(isinstance(steps, (int, np.integer)) and steps >= 1, "steps", steps, "an integer >= 1")
    check(lr > 0 and math.isfinite(lr), "lr", lr, "a positive learning rate")
    device = get_device(device)
    seed_everything(seed)
    n_keys, n_frames = x.shape[1:]
    G = BarGenerator(z_dim, hidden, n_keys, n_frames).to(device)
    D = BarDiscriminator(hidden, n_keys, n_frames).to(device)
    opt_g = torch.optim.Adam(G.parameters(), lr=lr, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(D.parameters(), lr=lr, betas=(0.5, 0.999))
    x = x.to(device)
    gen = torch.Generator().manual_seed(int(seed))
    res = GANResult(G, D)
    t0 = time.perf_counter()
    G.train(), D.train()
    for _ in range(int(steps)):
        real = x[torch.randint(len(x), (batch_size,), generator=gen).to(device)]
        z = torch.randn(batch_size, z_dim, generator=gen).to(device)
        probs = torch.sigmoid(G(z))
        # D sees binary bars on both sides: a Bernoulli draw with a straight-through gradient (forward:
        # the 0/1 draw; backward: as if it were the probability), else D wins by spotting soft values.
        fake = probs + (torch.bernoulli(probs.detach(), generator=None) - probs).detach() if straight_through else probs
        ones = torch.ones(batch_size, device=device)
        d_loss = bce(D(real), ones) + bce(D(fake.detach()), torch.zeros_like(ones))
        opt_d.zero_grad(set_to_none=True)
        d_loss.backward()
        opt_d.step()
        g_loss = bce(D(fake), ones)  # non-saturating: -log D(G(z))
        opt_g.zero_grad(set_to_none=True)
        g_loss.backward()
        opt_g.step()
        res.d_loss.append(float(d_loss.detach()))
        res.g_loss.append(float(g_loss.detach()))
    G.eval(), D.eval()
    res.seconds = time.perf_counter() - t0
    return res


@torch.no_grad()
def sample_bars(generator: BarGenerator, n: int, *, threshold: float = 0.5, seed: int = 0, draw: bool = False) -> np.ndarray:
    """``n`` generated bars, binarised: a key sounds where ``sigmoid(G(z)) > threshold``.

    With ``draw=True`` each key is instead a Bernoulli draw with its probability, which is what
    the discriminator saw during training (:func:`train_gan`'s straight-through draws).
    Thresholding keeps only the confident keys, so its bars are thinner than the data's; drawing
    matches the data's density, at the price of more stray notes.

    Parameters
    ----------
    generator : BarGenerator
    n : int
    threshold : float
        The probability above which a key sounds (``draw=False``).
    seed : int
        Seeds the noise ``z`` and the draws.
    draw : bool

    Returns
    -------
    np.ndarray [shape=(n, n_keys, n_frames)], bool

    Examples
    --------
    >>> _ = torch.manual_seed(0); g = BarGenerator(z_dim=4, hidden=8)
    >>> b = sample_bars(g, 3, seed=1); b.shape, b.dtype, bool((b == sample_bars(g, 3, seed=1)).all())
    ((3, 46, 8), dtype('bool'), True)

    Chapter: notebooks/06c_coherence.ipynb
    """
    check(isinstance(n, (int, np.integer)) and n >= 1, "n", n, "a positive integer")
    check(0 < threshold < 1, "threshold", threshold, "a probability in (0, 1)")
    dev = next(generator.parameters()).device
    gen = torch.Generator().manual_seed(int(seed))
    z = torch.randn(int(n), generator.z_dim, generator=gen).to(dev)
    probs = torch.sigmoid(generator(z)).cpu()
    if draw:
        return torch.bernoulli(probs, generator=gen).bool().numpy()
    return (probs > threshold).numpy()


def bars_to_roll(bars, *, low: int = LOW) -> np.ndarray:
    """Bars ``(n_bars, n_keys, n_frames)`` laid end to end as an 88-key roll ``(88, n_bars * n_frames)``.

    Examples
    --------
    >>> b = np.zeros((2, 46, 8), bool); b[:, 24, :] = True            # two bars of middle C
    >>> r = bars_to_roll(b); r.shape, int(r[60 - 21].sum())
    ((88, 16), 16)

    Chapter: notebooks/06c_coherence.ipynb
    """
    b = np.asarray(bars)
    check(b.ndim == 3 and len(b) > 0, "bars", b, "an array (n_bars, n_keys, n_frames)")
    frames = b.transpose(0, 2, 1).reshape(-1, b.shape[1])  # (n_bars * n_frames, n_keys)
    return pad_roll(frames, low=low)
