"""A Bernoulli restricted Boltzmann machine (RBM) over chorale piano-roll frames.

An RBM is an energy model of a binary vector ``v`` (one piano-roll frame: which keys sound) with
binary hidden units ``h``::

    E(v, h) = -b·v - c·h - vᵀ W h,       p(v, h) = exp(-E(v, h)) / Z

Visible units are independent given the hidden ones and vice versa, so block Gibbs sampling is two
matrix products, and summing ``h`` out gives the **free energy** ``F(v) = -b·v - Σ_j softplus(c_j +
(vᵀW)_j)`` with ``p(v) = exp(-F(v)) / Z``. The likelihood gradient is ``<v hᵀ>_data - <v hᵀ>_model``;
**contrastive divergence** (CD-k, Hinton 2002) replaces the model expectation with the state reached
after ``k`` Gibbs steps started at the data, and **persistent CD** (PCD, Tieleman 2008) keeps one chain
running across updates instead. ``Z`` sums over every configuration; with at most ~20 hidden units it
is exact by enumerating the ``2^n_hidden`` hidden states, which gives an exact held-out likelihood.

The RBM models one frame at a time. A sequence drawn by running a Gibbs chain and reading off its
state every few steps is **not coherent in time**: the model has no notion of "before", so the
frame-to-frame resemblance comes from how slowly the chain mixes, not from anything learned about how
music moves. (The RNN-RBM of Boulanger-Lewandowski et al. 2012 conditions the biases on the past to fix
this.)

Chapter: notebooks/06c_coherence.ipynb
"""

from __future__ import annotations

import itertools
import math
import time
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn
from torch.nn.functional import softplus

from ..audio import get_device, seed_everything
from ..errors import check
from ..evaluate import as_roll_set
from .training import fit

__all__ = [
    "LOW",
    "N_KEYS",
    "crop_rolls",
    "pad_roll",
    "BernoulliRBM",
    "RBMHistory",
    "train_rbm",
    "RNNRBM",
    "cd_loss",
    "train_rnnrbm",
]

LOW, HIGH = 36, 81  # the chorales' pitch range (C2..A5), every voice of every piece
N_KEYS = HIGH - LOW + 1  # 46 visible units


def crop_rolls(rolls, *, low: int = LOW, n_keys: int = N_KEYS, roll_low: int = 21) -> np.ndarray:
    """Frames of 88-key rolls restricted to the chorale range, stacked: ``(n_frames, n_keys)`` float32.

    Parameters
    ----------
    rolls : list of np.ndarray [shape=(88, n_frames_i)], binary
        Piano rolls whose row 0 is MIDI ``roll_low``.
    low, n_keys : int
        The kept range: MIDI ``low`` .. ``low + n_keys - 1`` (notes outside it are dropped).

    Returns
    -------
    np.ndarray [shape=(sum n_frames_i, n_keys)], float32 of 0/1

    Examples
    --------
    >>> roll = np.zeros((88, 3), bool); roll[60 - 21, 1] = True
    >>> x = crop_rolls([roll]); x.shape, np.flatnonzero(x[1]).tolist()
    ((3, 46), [24])

    Chapter: notebooks/06c_coherence.ipynb
    """
    rs = as_roll_set(rolls, n_keys=None)
    a = low - roll_low
    check(a >= 0 and all(a + n_keys <= r.shape[0] for r in rs), "low", low, "a range inside the rolls' keys")
    return np.concatenate([r[a : a + n_keys].T for r in rs]).astype(np.float32)


def pad_roll(frames, *, low: int = LOW, roll_low: int = 21, n_roll_keys: int = 88) -> np.ndarray:
    """Back to the common representation: ``(n_frames, n_keys)`` 0/1 frames -> bool roll ``(88, n_frames)``.

    Examples
    --------
    >>> pad_roll(np.eye(46)[[24]]).shape, int(np.flatnonzero(pad_roll(np.eye(46)[[24]])[:, 0])[0]) + 21
    ((88, 1), 60)

    Chapter: notebooks/06c_coherence.ipynb
    """
    f = np.asarray(frames.detach().cpu() if hasattr(frames, "detach") else frames)
    check(f.ndim == 2, "frames", f, "a 2-D array (n_frames, n_keys)")
    roll = np.zeros((n_roll_keys, f.shape[0]), bool)
    roll[low - roll_low : low - roll_low + f.shape[1]] = f.T > 0.5
    return roll


class BernoulliRBM(nn.Module):
    """Binary visible and hidden units; parameters ``W (n_visible, n_hidden)``, ``b (n_visible,)``, ``c (n_hidden,)``.

    Parameters
    ----------
    n_visible : int
        Keys per frame (46 for the chorale range).
    n_hidden : int
        Hidden units. At most 20 keeps :meth:`log_partition` exact and fast (2^20 states).

    Examples
    --------
    >>> rbm = BernoulliRBM(3, 2)
    >>> v = torch.tensor([[1.0, 0.0, 1.0]])
    >>> rbm.free_energy(v).shape, round(float(rbm.nll(v)), 4) > 0      # tiny model, exact likelihood
    (torch.Size([1]), True)

    Chapter: notebooks/06c_coherence.ipynb
    """

    def __init__(self, n_visible: int = N_KEYS, n_hidden: int = 16):
        super().__init__()
        check(isinstance(n_visible, (int, np.integer)) and n_visible > 0, "n_visible", n_visible, "a positive integer")
        check(isinstance(n_hidden, (int, np.integer)) and n_hidden > 0, "n_hidden", n_hidden, "a positive integer")
        self.W = nn.Parameter(0.01 * torch.randn(n_visible, n_hidden))
        self.b = nn.Parameter(torch.zeros(n_visible))
        self.c = nn.Parameter(torch.zeros(n_hidden))
        self.requires_grad_(False)  # trained by the CD update in train_rbm, not by autograd

    @property
    def n_visible(self) -> int:
        return self.W.shape[0]

    @property
    def n_hidden(self) -> int:
        return self.W.shape[1]

    @classmethod
    def from_sklearn(cls, model) -> "BernoulliRBM":
        """Copy a fitted ``sklearn.neural_network.BernoulliRBM`` (its ``components_`` are ``Wᵀ``)."""
        rbm = cls(model.components_.shape[1], model.components_.shape[0])
        with torch.no_grad():
            rbm.W.copy_(torch.as_tensor(model.components_.T, dtype=torch.float32))
            rbm.b.copy_(torch.as_tensor(model.intercept_visible_, dtype=torch.float32))
            rbm.c.copy_(torch.as_tensor(model.intercept_hidden_, dtype=torch.float32))
        return rbm

    def _v(self, v) -> torch.Tensor:
        v = torch.as_tensor(v, dtype=torch.float32, device=self.W.device)
        check(v.ndim == 2 and v.shape[1] == self.n_visible, "v", v, f"frames (batch, {self.n_visible})")
        return v

    def p_h(self, v: torch.Tensor) -> torch.Tensor:
        """``p(h_j = 1 | v)``, ``(batch, n_hidden)``."""
        return torch.sigmoid(v @ self.W + self.c)

    def p_v(self, h: torch.Tensor) -> torch.Tensor:
        """``p(v_i = 1 | h)``, ``(batch, n_visible)``."""
        return torch.sigmoid(h @ self.W.T + self.b)

    def free_energy(self, v) -> torch.Tensor:
        """``F(v) = -b·v - Σ_j softplus(c_j + (vW)_j)`` in nats, ``(batch,)``; ``p(v) = exp(-F(v)) / Z``."""
        v = self._v(v)
        return -(v @ self.b) - softplus(v @ self.W + self.c).sum(dim=1)

    def gibbs_step(self, v: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """One block Gibbs step ``v -> h ~ p(h|v) -> v' ~ p(v|h)``, ``(batch, n_visible)`` of 0/1."""
        h = torch.bernoulli(self.p_h(v), generator=generator)
        return torch.bernoulli(self.p_v(h), generator=generator)

    @torch.no_grad()
    def reconstruction_error(self, v) -> float:
        """Mean squared error per key between ``v`` and its mean-field reconstruction ``p(v | p(h|v))``."""
        v = self._v(v)
        return float(((self.p_v(self.p_h(v)) - v) ** 2).mean())

    @torch.no_grad()
    def log_partition(self, *, chunk: int = 1 << 15) -> float:
        """Exact ``log Z`` by enumerating the ``2^n_hidden`` hidden states (needs ``n_hidden <= 24``).

        ``log Z = logsumexp_h [ c·h + Σ_i softplus(b_i + (W h)_i) ]``: summing the visible units out
        analytically leaves one term per hidden state.
        """
        check(self.n_hidden <= 24, "n_hidden", self.n_hidden, "at most 24 hidden units for exact enumeration")
        n = self.n_hidden
        W, b, c = self.W.double(), self.b.double(), self.c.double()
        bits = 1 << torch.arange(n, device=W.device)
        terms = []
        for start in range(0, 1 << n, chunk):
            idx = torch.arange(start, min(start + chunk, 1 << n), device=W.device)
            h = ((idx[:, None] & bits) > 0).double()  # (chunk, n_hidden)
            terms.append(torch.logsumexp(h @ c + softplus(h @ W.T + b).sum(dim=1), dim=0))
        return float(torch.logsumexp(torch.stack(terms), dim=0))

    @torch.no_grad()
    def nll(self, v, *, log_z: float | None = None) -> float:
        """Exact negative log-likelihood per frame in nats: ``mean F(v) + log Z``.

        Frames are modelled independently, so this is directly comparable with chapter 5's
        "independent keys" baseline (over the same keys).
        """
        v = self._v(v)
        log_z = self.log_partition() if log_z is None else log_z
        return float(self.free_energy(v).double().mean() + log_z)

    @torch.no_grad()
    def pseudo_log_likelihood(self, v) -> float:
        """Exact pseudo-log-likelihood per frame, ``Σ_i log p(v_i | v_-i)`` (nats, <= 0).

        Needs no ``Z`` (works for any size), so it can compare RBMs too big to enumerate;
        ``sklearn``'s ``score_samples`` estimates the same sum from one random key per frame.
        """
        v = self._v(v)
        f = self.free_energy(v)
        total = torch.zeros_like(f)
        for i in range(self.n_visible):
            flipped = v.clone()
            flipped[:, i] = 1 - flipped[:, i]
            total += -softplus(f - self.free_energy(flipped))  # log σ(F(flip) - F(v))
        return float(total.mean())

    @torch.no_grad()
    def sample(
        self, n_frames: int, *, n_chains: int = 1, steps_per_frame: int = 1, burn_in: int = 200, start=None, seed: int = 0
    ) -> torch.Tensor:
        """Read a sequence off a block Gibbs chain: ``(n_chains, n_frames, n_visible)`` of 0/1.

        Each chain starts from ``start`` (frames ``(n_chains, n_visible)``) or random keys, runs
        ``burn_in`` steps, then records its state every ``steps_per_frame`` steps. Consecutive frames
        resemble each other only because the chain moves slowly; with more steps per frame they become
        independent draws from the model's ``p(v)``.

        Returns
        -------
        Tensor [shape=(n_chains, n_frames, n_visible)] of 0/1, on the model's device

        Examples
        --------
        >>> BernoulliRBM(5, 2).sample(10, n_chains=3, burn_in=5).shape
        torch.Size([3, 10, 5])
        """
        check(isinstance(n_frames, (int, np.integer)) and n_frames > 0, "n_frames", n_frames, "a positive integer")
        check(int(steps_per_frame) >= 1, "steps_per_frame", steps_per_frame, "an integer >= 1")
        check(int(burn_in) >= 0, "burn_in", burn_in, "an integer >= 0")
        g = torch.Generator(device=self.W.device).manual_seed(int(seed))
        if start is None:
            v = torch.bernoulli(torch.full((n_chains, self.n_visible), 0.1, device=self.W.device), generator=g)
        else:
            v = self._v(start)
        for _ in range(int(burn_in)):
            v = self.gibbs_step(v, g)
        out = []
        for _ in range(n_frames):
            for _ in range(int(steps_per_frame)):
                v = self.gibbs_step(v, g)
            out.append(v)
        return torch.stack(out, dim=1)


@dataclass
class RBMHistory:
    """Per epoch: ``reconstruction_error`` on the training frames (and ``val_nll`` when given); ``seconds``.

    Examples
    --------
    >>> h = RBMHistory(reconstruction_error=[0.2, 0.1])
    >>> h.reconstruction_error[-1] < h.reconstruction_error[0], h.val_nll
    (True, [])

    Chapter: notebooks/06c_coherence.ipynb
    """

    reconstruction_error: list = field(default_factory=list)
    val_nll: list = field(default_factory=list)
    seconds: float = 0.0

    def plot(self, ax=None):
        # matplotlib is imported where used: importing this module (and `import musynth_lab`) stays light
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(5, 3))
        ax.plot(range(1, len(self.reconstruction_error) + 1), self.reconstruction_error, label="reconstruction error")
        ax.set_xlabel("epoch")
        ax.set_ylabel("MSE per key")
        if self.val_nll:
            ax2 = ax.twinx()
            ax2.plot(range(1, len(self.val_nll) + 1), self.val_nll, color="tab:orange", label="held-out NLL")
            ax2.set_ylabel("nats / frame")
        ax.set_title("RBM training")
        return ax


def train_rbm(
    frames,
    *,
    n_hidden: int = 16,
    k: int = 1,
    persistent: bool = False,
    epochs: int = 10,
    lr: float = 0.05,
    batch_size: int = 64,
    momentum: float = 0.5,
    val_frames=None,
    seed: int = 0,
    device=None,
) -> tuple[BernoulliRBM, RBMHistory]:
    """Train a :class:`BernoulliRBM` with CD-k (or PCD-k) on binary frames.

    The update is the lesson, so it is written out here rather than handed to ``models.fit``: for a
    batch ``v0`` with ``h0 = p(h|v0)`` (positive phase) and a state ``vk`` after ``k`` Gibbs steps
    (negative phase: from ``v0`` for CD, from the persistent chains for PCD)::

        ΔW = lr (v0ᵀ h0 - vkᵀ p(h|vk)) / batch,   Δb = lr mean(v0 - vk),   Δc = lr mean(h0 - p(h|vk))

    with classical momentum. The visible biases start at the log-odds of each key's frequency.

    Parameters
    ----------
    frames : array [shape=(n_frames, n_visible)] of 0/1
        E.g. :func:`crop_rolls` of the training chorales.
    n_hidden, k : int
        Hidden units; Gibbs steps per update.
    persistent : bool
        PCD: keep ``batch_size`` chains across updates instead of restarting at the data.
    epochs, lr, batch_size, momentum
        Plain SGD with momentum.
    val_frames : array, optional
        Held-out frames: the exact NLL per frame is recorded each epoch (needs ``n_hidden <= 24``).
    seed : int
    device : optional
        Defaults to :func:`musynth_lab.get_device`.

    Returns
    -------
    (BernoulliRBM, RBMHistory)

    Examples
    --------
    >>> x = np.tile(np.eye(4, dtype=np.float32)[[0, 3]], (50, 1))        # two patterns
    >>> rbm, hist = train_rbm(x, n_hidden=2, epochs=15, lr=0.1, batch_size=10, device="cpu")
    >>> hist.reconstruction_error[-1] < hist.reconstruction_error[0]
    True

    Chapter: notebooks/06c_coherence.ipynb
    """
    x = torch.as_tensor(np.asarray(frames), dtype=torch.float32)
    check(x.ndim == 2 and len(x) > 0, "frames", frames, "a non-empty (n_frames, n_visible) array")
    check(bool(((x == 0) | (x == 1)).all()), "frames", frames, "binary frames (0/1)")
    check(isinstance(k, (int, np.integer)) and k >= 1, "k", k, "an integer >= 1")
    check(isinstance(epochs, (int, np.integer)) and epochs >= 1, "epochs", epochs, "an integer >= 1")
    check(lr > 0 and math.isfinite(lr), "lr", lr, "a positive learning rate")
    check(0 <= momentum < 1, "momentum", momentum, "a value in [0, 1)")
    device = get_device(device)
    seed_everything(seed)
    rbm = BernoulliRBM(x.shape[1], n_hidden).to(device)
    x = x.to(device)
    val = None if val_frames is None else rbm._v(val_frames)
    with torch.no_grad():
        p = x.mean(0).clamp(1e-3, 1 - 1e-3)
        rbm.b.copy_(torch.log(p / (1 - p)))
    g = torch.Generator(device=device).manual_seed(int(seed))
    gcpu = torch.Generator().manual_seed(int(seed))
    chains = torch.bernoulli(p.expand(batch_size, -1).contiguous(), generator=g) if persistent else None
    vel = [torch.zeros_like(t) for t in (rbm.W, rbm.b, rbm.c)]
    hist = RBMHistory()
    t0 = time.perf_counter()
    with torch.no_grad():
        for _ in range(int(epochs)):
            order = torch.randperm(len(x), generator=gcpu).to(device)
            for s in range(0, len(x), batch_size):
                v0 = x[order[s : s + batch_size]]
                h0 = rbm.p_h(v0)
                vk = chains[: len(v0)] if persistent else v0
                for _ in range(int(k)):
                    vk = rbm.gibbs_step(vk, g)
                if persistent:
                    chains[: len(v0)] = vk
                hk = rbm.p_h(vk)
                n = len(v0)
                grads = ((v0.T @ h0 - vk.T @ hk) / n, (v0 - vk).mean(0), (h0 - hk).mean(0))
                for param, v, grad in zip((rbm.W, rbm.b, rbm.c), vel, grads):
                    v.mul_(momentum).add_(lr * grad)
                    param.add_(v)
            hist.reconstruction_error.append(rbm.reconstruction_error(x))
            if val is not None:
                hist.val_nll.append(rbm.nll(val))
    hist.seconds = time.perf_counter() - t0
    return rbm, hist


# ---------------------------------------------------------------------------------------------
# RNN-RBM: an RBM per frame whose biases a recurrent network sets from the frames before.
# ---------------------------------------------------------------------------------------------


def _hidden_states(n_hidden: int, device, dtype=torch.float64) -> torch.Tensor:
    bits = 1 << torch.arange(n_hidden, device=device)
    return ((torch.arange(1 << n_hidden, device=device)[:, None] & bits) > 0).to(dtype)  # (2^n, n_hidden)


class RNNRBM(nn.Module):
    """The RNN-RBM (Boulanger-Lewandowski, Bengio & Vincent 2012): a frame RBM conditioned on the past.

    A GRU reads frames ``v_1 .. v_{t-1}``; its state ``u_{t-1}`` sets the biases of the RBM of frame
    ``t``: ``b_t = b + B u_{t-1}``, ``c_t = c + C u_{t-1}`` (``W`` is shared by all frames). So
    ``p(v_t | past)`` is an RBM, time is modelled, and ``-log p`` of a sequence is the sum of per-frame
    RBM terms, each exact by enumerating ``2^n_hidden`` hidden states. Trained with CD-k per frame through
    the surrogate :func:`cd_loss`, whose gradient is the CD estimate for ``W, b, c`` and back-propagates
    into the GRU through the biases.

    Parameters
    ----------
    n_visible, n_hidden, n_recurrent : int

    Examples
    --------
    >>> m = RNNRBM(6, 3, 8)
    >>> v = torch.bernoulli(torch.full((2, 5, 6), 0.3))
    >>> m(v).shape, m.sample(4, n_chains=2).shape
    (torch.Size([2]), torch.Size([2, 4, 6]))

    Chapter: notebooks/06c_coherence.ipynb
    """

    def __init__(self, n_visible: int = N_KEYS, n_hidden: int = 12, n_recurrent: int = 64, *, k: int = 1):
        super().__init__()
        for name, value in (("n_visible", n_visible), ("n_hidden", n_hidden), ("n_recurrent", n_recurrent), ("k", k)):
            check(isinstance(value, (int, np.integer)) and value > 0, name, value, "a positive integer")
        self.k = int(k)
        self.W = nn.Parameter(0.01 * torch.randn(n_visible, n_hidden))
        self.b = nn.Parameter(torch.zeros(n_visible))
        self.c = nn.Parameter(torch.zeros(n_hidden))
        self.rnn = nn.GRU(n_visible, n_recurrent, batch_first=True)
        self.to_b = nn.Linear(n_recurrent, n_visible)
        self.to_c = nn.Linear(n_recurrent, n_hidden)
        self.u0 = nn.Parameter(torch.zeros(n_recurrent))

    @property
    def n_visible(self) -> int:
        return self.W.shape[0]

    @property
    def n_hidden(self) -> int:
        return self.W.shape[1]

    def biases(self, v: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Per-frame biases from the frames before: ``(B, T, n_visible)``, ``(B, T, n_hidden)``."""
        u, _ = self.rnn(v)  # (B, T, R): state after frame t
        u_prev = torch.cat([self.u0.expand(len(v), 1, -1), u[:, :-1]], dim=1)  # state before frame t
        return self.b + self.to_b(u_prev), self.c + self.to_c(u_prev)

    def _free_energy(self, v, bt, ct):
        return -(v * bt).sum(-1) - softplus(v @ self.W.to(v.dtype) + ct).sum(-1)  # (B, T)

    def _gibbs(self, v, bt, ct, steps, generator=None):
        for _ in range(steps):
            h = torch.bernoulli(torch.sigmoid(v @ self.W + ct), generator=generator)
            v = torch.bernoulli(torch.sigmoid(h @ self.W.T + bt), generator=generator)
        return v

    def forward(self, v: torch.Tensor) -> torch.Tensor:
        """The CD-k surrogate per sequence, ``(B,)``: mean over frames of ``F_t(v_t) - F_t(v_t^k)``."""
        check(
            isinstance(v, torch.Tensor) and v.ndim == 3 and v.shape[-1] == self.n_visible,
            "v",
            v,
            f"frames (batch, time, {self.n_visible})",
        )
        bt, ct = self.biases(v)
        with torch.no_grad():
            vk = self._gibbs(v, bt, ct, self.k)  # negative phase, frames in parallel
        return (self._free_energy(v, bt, ct) - self._free_energy(vk, bt, ct)).mean(dim=1)

    @torch.no_grad()
    def nll(self, rolls, *, chunk: int = 16) -> float:
        """Exact negative log-likelihood per frame (nats) of whole pieces, each frame given the ones before.

        Parameters
        ----------
        rolls : list of arrays [shape=(n_frames_i, n_visible)] of 0/1
            E.g. :func:`crop_rolls` of one piece at a time.
        """
        check(self.n_hidden <= 16, "n_hidden", self.n_hidden, "at most 16 hidden units for exact per-frame log Z")
        dev = self.W.device
        H = _hidden_states(self.n_hidden, dev)  # (S, n_hidden)
        HW = H @ self.W.double().T  # (S, n_visible)
        total, count = 0.0, 0
        for r in rolls:
            v = torch.as_tensor(np.asarray(r), dtype=torch.float32, device=dev)[None]
            check(v.ndim == 3 and v.shape[-1] == self.n_visible, "rolls", r, f"frames (n_frames, {self.n_visible})")
            bt, ct = (x[0].double() for x in self.biases(v))
            f = self._free_energy(v[0].double(), bt, ct).sum()
            log_z = 0.0
            for s in range(0, len(bt), chunk):
                b_, c_ = bt[s : s + chunk], ct[s : s + chunk]  # (t, n_visible), (t, n_hidden)
                terms = c_ @ H.T + softplus(b_[:, None, :] + HW[None]).sum(-1)  # (t, S)
                log_z += float(torch.logsumexp(terms, dim=1).sum())
            total += float(f) + log_z
            count += v.shape[1]
        return total / count

    @torch.no_grad()
    def sample(self, n_frames: int, *, n_chains: int = 1, gibbs_steps: int = 25, seed: int = 0) -> torch.Tensor:
        """Generate frame by frame: ``(n_chains, n_frames, n_visible)`` of 0/1.

        Each frame is a ``gibbs_steps`` chain of the RBM whose biases the GRU set from the frames
        already generated; the frame is then fed to the GRU.
        """
        check(isinstance(n_frames, (int, np.integer)) and n_frames > 0, "n_frames", n_frames, "a positive integer")
        dev = self.W.device
        g = torch.Generator(device=dev).manual_seed(int(seed))
        u = self.u0.expand(n_chains, -1)
        state = None
        out = []
        for _ in range(int(n_frames)):
            bt, ct = self.b + self.to_b(u), self.c + self.to_c(u)
            v = torch.bernoulli(torch.sigmoid(bt), generator=g)
            v = self._gibbs(v, bt, ct, int(gibbs_steps), g)
            out.append(v)
            y, state = self.rnn(v[:, None], state)
            u = y[:, 0]
        return torch.stack(out, dim=1)


def cd_loss(cost: torch.Tensor, target=None) -> torch.Tensor:
    """For :func:`musynth_lab.models.fit`: the mean CD surrogate (the target is a dummy).

    Examples
    --------
    >>> float(cd_loss(torch.tensor([1.0, 3.0]), None))
    2.0

    Chapter: notebooks/06c_coherence.ipynb
    """
    return cost.mean()


def train_rnnrbm(
    rolls,
    *,
    n_hidden: int = 12,
    n_recurrent: int = 64,
    k: int = 1,
    length: int = 32,
    epochs: int = 5,
    lr: float = 3e-3,
    batch_size: int = 32,
    seed: int = 0,
    device=None,
    progress: bool = False,
):
    """Train an :class:`RNNRBM` on windows of binary frames with the shared loop ``models.fit``.

    Parameters
    ----------
    rolls : list of arrays [shape=(n_frames_i, n_visible)] of 0/1
        One per piece (e.g. ``crop_rolls([roll])`` of each); cut into windows of ``length`` frames,
        half overlapping.

    Returns
    -------
    (RNNRBM, History)

    Examples
    --------
    >>> seq = np.tile(np.eye(3, dtype=np.float32), (12, 1))                # C D E C D E ...
    >>> m, _ = train_rnnrbm([seq], n_hidden=2, n_recurrent=8, length=6, epochs=30, lr=2e-2, device="cpu")
    >>> m.nll([seq]) < BernoulliRBM(3, 2).nll(torch.as_tensor(seq))   # beats an untrained frame model
    True

    Chapter: notebooks/06c_coherence.ipynb
    """
    check(isinstance(length, (int, np.integer)) and length >= 2, "length", length, "an integer >= 2")
    wins = []
    for r in rolls:
        r = np.asarray(r, dtype=np.float32)
        check(r.ndim == 2 and np.isin(r, (0, 1)).all(), "rolls", r, "binary frames (n_frames, n_visible)")
        wins += [r[s : s + length] for s in range(0, len(r) - length + 1, max(1, length // 2))]
    check(len(wins) > 0, "rolls", rolls, f"at least one roll of {length} frames or more")
    x = torch.as_tensor(np.stack(wins))
    seed_everything(seed)
    model = RNNRBM(x.shape[-1], n_hidden, n_recurrent, k=k)
    hist = fit(
        model,
        (x, torch.zeros(len(x))),
        loss_fn=cd_loss,
        epochs=epochs,
        lr=lr,
        batch_size=batch_size,
        device=device,
        seed=seed,
        progress=progress,
        desc="RNN-RBM",
    )
    return model, hist


def _brute_force_nll(rbm: BernoulliRBM, v) -> float:
    """``-mean log p(v)`` by enumerating every (v, h) pair: only for tiny models (tests check against it)."""
    W, b, c = rbm.W.double().detach().cpu(), rbm.b.double().detach().cpu(), rbm.c.double().detach().cpu()
    states_v = torch.tensor(list(itertools.product((0.0, 1.0), repeat=rbm.n_visible)), dtype=torch.float64)
    states_h = torch.tensor(list(itertools.product((0.0, 1.0), repeat=rbm.n_hidden)), dtype=torch.float64)
    neg_e = (states_v @ b)[:, None] + (states_h @ c)[None, :] + states_v @ W @ states_h.T
    log_z = torch.logsumexp(neg_e.reshape(-1), dim=0)
    v = torch.as_tensor(np.asarray(v), dtype=torch.float64)
    neg_e_v = (v @ b)[:, None] + (states_h @ c)[None, :] + v @ W @ states_h.T
    return float(-(torch.logsumexp(neg_e_v, dim=1) - log_z).mean())
