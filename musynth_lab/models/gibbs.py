"""Annealed Gibbs resampling of chorale voices given the others (a small Coconet).

Huang et al., *Counterpoint by Convolution* (ISMIR 2017) trains a network to fill in masked
notes of a four-voice chorale and generates by repeatedly erasing and resampling notes
while lowering a temperature: annealed Gibbs sampling, i.e. simulated annealing (模拟退火)
with Gibbs (heat-bath) moves, and one reading of the source's 采样退火 ("sampling
annealing") applied to harmony. Each move draws a note from
``p(x_{v,t} | everything else) ** (1 / T)``, renormalised. This module keeps it small: a voice's pitch at one
quarter-note step is predicted from all four voices at the step before, the step itself
and the step after (the predicted note masked), by an MLP.

Chapter: notebooks/05_synthesis.ipynb
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from ..errors import ParameterError, check
from ..generate import temperature_schedule

__all__ = ["LOW", "N_PITCH", "voices_grid", "VoiceInfiller", "infill_examples", "pseudo_nll", "annealed_gibbs"]

LOW, HIGH = 36, 84  # the pitch range modelled (C2..C6); -1 marks a rest
N_PITCH = HIGH - LOW + 1
_N_IN = N_PITCH + 2  # pitch one-hot + rest + masked


def voices_grid(piece, *, step: float = 1.0) -> np.ndarray:
    """The four voices of a chorale on a regular grid: ``(4, n_steps)`` MIDI pitches, -1 for rests.

    Examples
    --------
    >>> from musynth_lab.data import load_chorales
    >>> g = voices_grid(load_chorales("train")[0]); g.shape[0], bool((g[0] >= g[3]).all())
    (4, True)

    Chapter: notebooks/05_synthesis.ipynb
    """
    n = int(np.ceil(piece.length_q / step - 1e-9))
    grid = np.full((4, n), -1, dtype=np.int64)
    for v, key in enumerate("SATB"):
        for on, dur, midi in piece.parts[key]:
            first, last = int(np.ceil(on / step - 1e-9)), int(np.ceil((on + dur) / step - 1e-9))
            grid[v, first:last] = int(np.clip(midi, LOW, HIGH))
    return grid


def _encode(grid: np.ndarray, t: int, v: int) -> np.ndarray:
    """Context of voice v at step t: 3 steps x 4 voices x (pitch one-hot, rest, masked) + voice id."""
    n = grid.shape[1]
    x = np.zeros((3, 4, _N_IN), dtype=np.float32)
    for j, tt in enumerate((t - 1, t, t + 1)):
        for u in range(4):
            if tt < 0 or tt >= n:
                x[j, u, N_PITCH] = 1.0  # outside the piece reads as a rest
            elif j == 1 and u == v:
                x[j, u, N_PITCH + 1] = 1.0  # the note to predict is masked
            elif grid[u, tt] < 0:
                x[j, u, N_PITCH] = 1.0
            else:
                x[j, u, grid[u, tt] - LOW] = 1.0
    voice = np.zeros(4, dtype=np.float32)
    voice[v] = 1.0
    return np.concatenate([x.ravel(), voice])


def infill_examples(pieces, *, n: int, seed: int = 0, step: float = 1.0):
    """Random (context, pitch) training pairs from chorales: ``X (n, dim)`` float32, ``y (n,)`` pitch index.

    Examples
    --------
    >>> from musynth_lab.data import load_chorales
    >>> X, y = infill_examples(load_chorales("train")[:3], n=10)
    >>> X.shape == (10, 3 * 4 * (N_PITCH + 2) + 4), X.dtype, y.shape, bool((0 <= y).all() and (y < N_PITCH).all())
    (True, dtype('float32'), (10,), True)

    Chapter: notebooks/05_synthesis.ipynb
    """
    rng = np.random.default_rng(seed)
    grids = [voices_grid(p, step=step) for p in pieces]
    X, y = [], []
    while len(y) < n:
        g = grids[rng.integers(len(grids))]
        t, v = int(rng.integers(g.shape[1])), int(rng.integers(4))
        if g[v, t] < 0:
            continue
        X.append(_encode(g, t, v))
        y.append(g[v, t] - LOW)
    return np.stack(X), np.array(y, dtype=np.int64)


class VoiceInfiller(nn.Module):
    """An MLP: masked context -> logits over the ``N_PITCH`` pitches of the masked note.

    Examples
    --------
    >>> VoiceInfiller(hidden=32)(torch.zeros(5, 3 * 4 * (N_PITCH + 2) + 4)).shape
    torch.Size([5, 49])

    Chapter: notebooks/05_synthesis.ipynb
    """

    def __init__(self, *, hidden: int = 256, dropout: float = 0.2):
        super().__init__()
        dim = 3 * 4 * _N_IN + 4
        self.net = nn.Sequential(
            nn.Linear(dim, hidden),
            nn.ReLU(),
            nn.Dropout(dropout),
            nn.Linear(hidden, hidden),
            nn.ReLU(),
            nn.Linear(hidden, N_PITCH),
        )

    def forward(self, x):
        return self.net(x)

    @torch.no_grad()
    def log_probs(self, grid: np.ndarray, t: int, v: int) -> np.ndarray:
        """Log-probabilities ``(N_PITCH,)`` of voice ``v`` at step ``t`` given everything else in ``grid``."""
        self.eval()
        x = torch.from_numpy(_encode(grid, t, v))[None].to(next(self.parameters()).device)
        return self(x)[0].log_softmax(-1).cpu().numpy()


def pseudo_nll(model: VoiceInfiller, grid: np.ndarray, *, voices=(0, 1, 2, 3)) -> float:
    """Mean negative log pseudo-likelihood (nats per note) of the sounding notes of ``voices``: the energy.

    Examples
    --------
    >>> from musynth_lab.data import load_chorales
    >>> g = voices_grid(load_chorales("train")[0])[:, :8]
    >>> _ = torch.manual_seed(0)
    >>> bool(pseudo_nll(VoiceInfiller(hidden=32), g) > 0)                # nats per note
    True

    Chapter: notebooks/05_synthesis.ipynb
    """
    total, n = 0.0, 0
    for v in voices:
        for t in range(grid.shape[1]):
            if grid[v, t] >= 0:
                total -= model.log_probs(grid, t, v)[grid[v, t] - LOW]
                n += 1
    check(n > 0, "grid", grid, "at least one sounding note in the chosen voices")
    return total / n


def annealed_gibbs(
    model: VoiceInfiller,
    grid,
    *,
    resample=(1, 2, 3),
    sweeps: int = 6,
    t_start: float = 1.0,
    t_end: float = 0.05,
    seed: int | None = 0,
    record: bool = True,
):
    """Resample the notes of the ``resample`` voices given all others, lowering the temperature each sweep.

    Each sweep visits every (voice, step) of the resampled voices in random order and draws a
    new pitch from ``p(pitch | context) ** (1 / T)``. Hot sweeps explore; cold sweeps settle
    into likely harmony. Rests stay rests; the voices not in ``resample`` (e.g. the soprano
    melody) are never changed.

    Parameters
    ----------
    model : VoiceInfiller
        Trained on chorales (:func:`infill_examples` + :func:`musynth_lab.models.fit`).
    grid : np.ndarray [shape=(4, n_steps)]
        MIDI pitches (-1 rests) from :func:`voices_grid`; the resampled voices' current notes
        are only the starting point (random or copied).
    resample : sequence of int
        Voices to rewrite: 0 soprano, 1 alto, 2 tenor, 3 bass.
    sweeps : int
    t_start, t_end : float
        The geometric temperature schedule.
    seed : int, optional

    Returns
    -------
    grid : np.ndarray [shape=(4, n_steps)]
    energies : list of float
        :func:`pseudo_nll` of the resampled voices after each sweep (if ``record``).

    Examples
    --------
    >>> from musynth_lab.data import load_chorales
    >>> g = voices_grid(load_chorales("train")[0])[:, :8]
    >>> _ = torch.manual_seed(0)
    >>> new, energies = annealed_gibbs(VoiceInfiller(hidden=32), g, sweeps=2)
    >>> new.shape, len(energies), bool((new[0] == g[0]).all())          # the soprano is kept
    ((4, 8), 2, True)

    Chapter: notebooks/05_synthesis.ipynb
    """
    g = np.array(grid, dtype=np.int64, copy=True)
    check(g.ndim == 2 and g.shape[0] == 4, "grid", grid, "a (4, n_steps) array of MIDI pitches")
    resample = [int(v) for v in resample]
    check(len(resample) > 0 and all(0 <= v < 4 for v in resample), "resample", resample, "voice indices in 0..3")
    check(isinstance(sweeps, int) and sweeps >= 1, "sweeps", sweeps, "a positive integer")
    temps = temperature_schedule("geometric", t_start=t_start, t_end=t_end, steps=sweeps)
    rng = np.random.default_rng(seed)
    sites = [(v, t) for v in resample for t in range(g.shape[1]) if g[v, t] >= 0]
    if not sites:
        raise ParameterError("grid: the voices to resample have no notes: expected sounding notes to rewrite")
    energies = []
    for temp in temps:
        for i in rng.permutation(len(sites)):
            v, t = sites[i]
            lp = model.log_probs(g, t, v) / temp
            p = np.exp(lp - lp.max())
            g[v, t] = LOW + int(rng.choice(N_PITCH, p=p / p.sum()))
        if record:
            energies.append(pseudo_nll(model, g, voices=resample))
    return g, energies
