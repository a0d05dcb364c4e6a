"""Transfer learning and meta-learning (the source's "元学习"), on a few notes of an unheard instrument.

Source section 2(2)(d): "元学习：使用预训练模型作为参数初始化…再使用少量数据进行fine-tuning" (meta-learning:
initialise from a pretrained model, then fine-tune on a little data). What it describes is
**transfer learning** (迁移学习): train one model on plenty of data from related tasks, then
fine-tune it on the few examples of the new task. **Meta-learning** (元学习, "learning to
learn") is something else: it optimises the starting point itself *for how well it adapts*,
across many small tasks (MAML, Finn et al. 2017; its first-order cousin Reptile, Nichol et
al. 2018). This module does both on the same problem, so they can be compared:

* the task: name the pitch class (C, C#, ..., B) of a note played by one instrument, from
  its time-averaged constant-Q spectrum (:func:`pitch_class_features`);
* the new task: an instrument held out from everything, with ``shots`` labelled notes per
  pitch class (:func:`few_shot_split`); its notes of the *other* octave of each class are the
  test set (no test note shares a pitch with a labelled one);
* **scratch**: a fresh :class:`PitchClassNet` trained only on those few notes;
* **transfer**: :func:`pretrain` on the other nine instruments, then :func:`adapt` (fine-tune);
* **meta-learning**: :func:`reptile` over the other nine instruments (one task per
  instrument), then the same :func:`adapt`.

Chapter: notebooks/01b_deep_learning.ipynb
"""

from __future__ import annotations

import copy
import functools
import warnings
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from ..audio import get_device, seed_everything, to_numpy
from ..data import INSTRUMENT_FAMILIES, load_notes
from ..errors import ParameterError, check
from .cnn import librosa_feature
from .training import fit, predict, single_thread

__all__ = [
    "pitch_class_features",
    "few_shot_split",
    "PitchClassNet",
    "pretrain",
    "adapt",
    "reptile",
    "train_from_scratch",
    "evaluate",
    "TransferResult",
    "compare_transfer",
    "METHODS",
    "TransferSummary",
    "compare_transfer_seeds",
]

N_BINS = 84


def pitch_class_features(audio, *, sr: int, seconds: float = 0.5) -> np.ndarray:
    """Time-averaged log constant-Q spectrum of each note: a semitone per bin from C1.

    Parameters
    ----------
    audio : np.ndarray [shape=(n_notes, n_samples)]
    sr : int
    seconds : float
        Length analysed from the onset.

    Returns
    -------
    np.ndarray [shape=(n_notes, 84)], float32
        dB relative to each note's peak bin, mapped from [-80, 0] dB to [0, 1]. Bin ``k``
        is MIDI pitch ``24 + k``.

    Examples
    --------
    >>> from musynth_lab.data import load_notes
    >>> n = load_notes(instrument="flute", pitch=69, velocity=110)
    >>> int(pitch_class_features(n.audio, sr=n.sr)[0].argmax()) + 24   # the strongest bin is A4
    69

    Chapter: notebooks/01b_deep_learning.ipynb
    """
    # librosa and tqdm are imported where used: importing this module (and `import musynth_lab`) stays light
    import librosa

    a = np.asarray(to_numpy(audio), dtype=np.float32)
    if a.ndim == 1:
        a = a[None]
    n = int(round(seconds * sr))
    check(a.ndim == 2 and len(a) > 0 and a.shape[1] >= n > 0, "audio", a, f"a non-empty (n_notes, n_samples >= {n}) array")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # librosa: short signals in the lowest octaves
        C = np.abs(
            librosa_feature(
                "cqt", a[:, :n], sr=sr, hop_length=512, fmin=float(librosa.note_to_hz("C1")), n_bins=N_BINS, bins_per_octave=12
            )
        ).mean(-1)  # (n_notes, 84)
    db = 20 * np.log10(np.maximum(C, 1e-10))
    return (np.maximum(db - db.max(-1, keepdims=True), -80.0) / 80.0 + 1.0).astype(np.float32)


@functools.lru_cache(maxsize=2)
def _bundle(seconds: float = 0.5):
    notes = load_notes()
    X = pitch_class_features(notes.audio, sr=notes.sr, seconds=seconds)
    return notes, X


def few_shot_split(notes, instrument: str, *, shots: int = 1, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Support and query indices for one instrument: ``shots`` notes per pitch class, and notes of *other* pitches.

    For each pitch class one of its pitches (octaves) is drawn for the support set and
    ``shots`` notes are drawn among that pitch's velocities; the query set holds every note of
    the class's remaining pitches. No query note shares a pitch with a support note: the
    same pitch at another velocity is a near-duplicate (the same spectrum, a little louder),
    so a query holding it would test memory, not generalisation (issue 16). Notes at a
    support pitch that were not drawn are in neither set.

    Parameters
    ----------
    notes : NoteSet
    instrument : str
    shots : int
        Labelled notes per pitch class. The bundled set has 2 octaves x 2 velocities per
        class, so 1 or 2 (one pitch per class, at one or both velocities); the other octave
        is the query.
    seed : int
        Which pitches and velocities are drawn.

    Returns
    -------
    support, query : np.ndarray of int
        Sorted indices into ``notes``; for the bundled set ``12 * shots`` and 24 of them.

    Examples
    --------
    >>> from musynth_lab.data import load_notes
    >>> notes = load_notes()
    >>> s, q = few_shot_split(notes, "clarinet", shots=1)
    >>> len(s), len(q), set(notes.pitch[s]) & set(notes.pitch[q])
    (12, 24, set())

    Chapter: notebooks/01b_deep_learning.ipynb
    """
    if instrument not in INSTRUMENT_FAMILIES:
        raise ParameterError(f"instrument={instrument!r}: expected one of {sorted(INSTRUMENT_FAMILIES)}")
    idx = np.flatnonzero(notes.instrument == instrument)
    check(len(idx) > 0, "instrument", instrument, "an instrument present in notes")
    pitch = np.asarray(notes.pitch)[idx]
    counts = [np.unique(pitch[pitch % 12 == c], return_counts=True)[1] for c in range(12)]
    # the most support notes any class can give, whatever order its pitches are drawn in, with a pitch left to test on
    room = min(int(k.sum() - k.max()) if len(k) else 0 for k in counts)
    check(
        isinstance(shots, (int, np.integer)) and 1 <= shots <= room,
        "shots",
        shots,
        f"an integer in 1..{room} (support notes per pitch class that leave another pitch of the class to test on)",
    )
    rng = np.random.default_rng(seed)
    support, query = [], []
    for c in range(12):
        in_class = idx[pitch % 12 == c]
        pitches = rng.permutation(np.unique(pitch[pitch % 12 == c]))
        n_chosen = 1  # support pitches: as few as hold `shots` notes (room leaves at least one over)
        while np.isin(pitch[pitch % 12 == c], pitches[:n_chosen]).sum() < shots:
            n_chosen += 1
        at_support = np.isin(pitch[pitch % 12 == c], pitches[:n_chosen])
        support.append(rng.choice(in_class[at_support], size=int(shots), replace=False))
        query.append(in_class[~at_support])
    return np.sort(np.concatenate(support)), np.sort(np.concatenate(query))


class PitchClassNet(nn.Module):
    """Two 1-D convolutions along log-frequency, then a linear layer: ``(batch, 84) -> (batch, 12)`` logits.

    The first kernel spans 25 semitones, enough to see a fundamental with its 2nd, 3rd and
    4th harmonics (+12, +19, +24 semitones). No batch norm, so Reptile's weight averaging
    is all there is to the model's state.

    Examples
    --------
    >>> PitchClassNet()(torch.zeros(3, 84)).shape
    torch.Size([3, 12])

    Chapter: notebooks/01b_deep_learning.ipynb
    """

    def __init__(self, n_bins: int = N_BINS, *, channels: int = 16, hidden: int = 64):
        super().__init__()
        check(int(n_bins) >= 25, "n_bins", n_bins, "at least 25 semitone bins")
        self.n_bins = int(n_bins)
        self.features = nn.Sequential(
            nn.Conv1d(1, channels, 25, padding=12),
            nn.ReLU(),
            nn.Conv1d(channels, channels, 5, padding=2),
            nn.ReLU(),
            nn.MaxPool1d(2),
        )
        self.head = nn.Sequential(
            nn.Flatten(), nn.Linear(channels * (self.n_bins // 2), hidden), nn.ReLU(), nn.Linear(hidden, 12)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.ndim != 2 or x.shape[-1] != self.n_bins:
            raise ParameterError(f"x has shape {tuple(x.shape)}: expected (batch, {self.n_bins})")
        return self.head(self.features(x.unsqueeze(1)))  # (batch, 12)


def _xy(notes, X, idx):
    idx = np.asarray(idx)
    check(idx.size > 0, "indices", idx, "at least one example")
    return np.asarray(X[idx], dtype=np.float32), (notes.pitch[idx] % 12).astype(np.int64)


@torch.no_grad()
def evaluate(model: nn.Module, X, y, *, device=None) -> float:
    """Accuracy of ``model`` on ``(X, y)``.

    Examples
    --------
    >>> X, y = np.random.rand(12, 84).astype("float32"), np.arange(12)
    >>> 0.0 <= evaluate(PitchClassNet(), X, y, device="cpu") <= 1.0
    True

    Chapter: notebooks/01b_deep_learning.ipynb
    """
    check(len(X) > 0 and len(X) == len(y), "X", X, "a non-empty array with one label per row")
    with single_thread(device):
        return float((predict(model, X, device=device).argmax(-1).numpy() == np.asarray(y)).mean())


def adapt(model: nn.Module, X, y, *, steps: int = 20, lr: float = 0.02, seed: int = 0, device=None) -> nn.Module:
    """A copy of ``model`` after ``steps`` full-batch SGD steps on ``(X, y)``: fine-tuning.

    Used for fine-tuning the pretrained net, for adapting Reptile's start, and as
    :func:`reptile`'s inner loop. The few SGD steps are written out here rather than run
    through :func:`musynth_lab.models.fit`, because they are the algorithm being taught and
    run thousands of times inside :func:`reptile`.

    Examples
    --------
    >>> net = PitchClassNet()
    >>> X, y = np.random.rand(12, 84).astype("float32"), np.arange(12)
    >>> evaluate(adapt(net, X, y, steps=60, lr=0.1), X, y) > evaluate(net, X, y)
    True

    Chapter: notebooks/01b_deep_learning.ipynb
    """
    check(isinstance(steps, (int, np.integer)) and steps > 0, "steps", steps, "a positive integer")
    check(lr > 0, "lr", lr, "a positive learning rate")
    check(len(X) > 0 and len(X) == len(y), "X", X, "a non-empty array with one label per row")
    device = get_device(device)
    new = copy.deepcopy(model).to(device)
    new.train()
    Xt = torch.as_tensor(np.asarray(to_numpy(X), dtype=np.float32), device=device)
    yt = torch.as_tensor(np.asarray(to_numpy(y), dtype=np.int64), device=device)
    with single_thread():
        for _ in range(int(steps)):
            loss = nn.functional.cross_entropy(new(Xt), yt)
            grads = torch.autograd.grad(loss, list(new.parameters()))
            with torch.no_grad():
                for p, g in zip(new.parameters(), grads):
                    p.sub_(lr * g)
    new.eval()
    return new


def train_from_scratch(X, y, *, steps: int = 100, lr: float = 3e-3, seed: int = 0, device=None) -> PitchClassNet:
    """A fresh :class:`PitchClassNet` trained (Adam, full batch) on the few examples only.

    Examples
    --------
    >>> X, y = np.random.default_rng(0).random((12, 84)).astype("float32"), np.arange(12)
    >>> net = train_from_scratch(X, y, steps=60, lr=0.03, device="cpu")
    >>> evaluate(net, X, y, device="cpu")                              # it fits its 12 examples
    1.0

    Chapter: notebooks/01b_deep_learning.ipynb
    """
    torch.manual_seed(seed)
    net = PitchClassNet()
    with single_thread(device):
        fit(net, (X, y), epochs=int(steps), batch_size=len(X), lr=lr, seed=seed, device=device, progress=False)
    return net


def _check_holdout(instrument):
    if instrument not in INSTRUMENT_FAMILIES:
        raise ParameterError(f"instrument={instrument!r}: expected one of {sorted(INSTRUMENT_FAMILIES)}")


def pretrain(exclude: str, *, epochs: int = 30, lr: float = 3e-3, seed: int = 0, device=None, progress: bool = True):
    """Transfer learning's first half: a :class:`PitchClassNet` trained on every instrument but ``exclude``.

    Returns
    -------
    model : PitchClassNet
    history : History

    Examples
    --------
    >>> net, hist = pretrain("flute", epochs=1, progress=False, device="cpu")
    >>> len(hist.train_loss), net(torch.zeros(1, 84)).shape
    (1, torch.Size([1, 12]))

    Chapter: notebooks/01b_deep_learning.ipynb
    """
    _check_holdout(exclude)
    notes, X = _bundle()
    idx = np.flatnonzero(notes.instrument != exclude)
    Xs, ys = _xy(notes, X, idx)
    torch.manual_seed(seed)
    net = PitchClassNet()
    with single_thread(device):  # a small net: on a busy CPU, intra-op threads cost more than they give
        hist = fit(
            net, (Xs, ys), epochs=epochs, lr=lr, batch_size=32, seed=seed, device=device, progress=progress, desc="pretraining"
        )
    return net, hist


def reptile(
    exclude: str,
    *,
    meta_iterations: int = 400,
    inner_steps: int = 5,
    inner_lr: float = 0.05,
    meta_lr: float = 0.5,
    task_size: int = 24,
    seed: int = 0,
    device=None,
    progress: bool = True,
):
    """Meta-learning with Reptile (Nichol, Achiam & Schulman 2018) over instruments.

    Each meta-iteration draws a task (one instrument other than ``exclude``) and
    ``task_size`` of its notes, adapts a copy of the weights ``phi`` with ``inner_steps``
    SGD steps (:func:`adapt`) to ``phi'``, and moves the start towards the adapted weights:
    ``phi <- phi + eps * (phi' - phi)``, ``eps`` falling linearly from ``meta_lr`` to 0.
    The start is thereby optimised for *how well a few steps adapt it*, which is what
    makes this meta-learning and not pretraining.

    Returns
    -------
    model : PitchClassNet
        The meta-learned start.
    history : list of float
        Query accuracy of the adapted copy on its own task's other notes, per iteration.

    Examples
    --------
    >>> net, hist = reptile("flute", meta_iterations=3, progress=False)
    >>> len(hist)
    3

    Chapter: notebooks/01b_deep_learning.ipynb
    """
    from tqdm.auto import tqdm

    _check_holdout(exclude)
    check(
        isinstance(meta_iterations, (int, np.integer)) and meta_iterations > 0,
        "meta_iterations",
        meta_iterations,
        "a positive integer",
    )
    check(0 < meta_lr <= 1, "meta_lr", meta_lr, "a step in (0, 1]")
    notes, X = _bundle()
    tasks = [i for i in sorted(set(notes.instrument.tolist())) if i != exclude]
    rng = np.random.default_rng(seed)
    seed_everything(seed)
    device = get_device(device)
    net = PitchClassNet().to(device)
    hist = []
    bar = tqdm(range(int(meta_iterations)), desc="Reptile", disable=not progress, leave=False)
    with single_thread(device):  # thousands of tiny steps: one thread, set once, is fastest on a CPU
        for it in bar:
            task = tasks[rng.integers(len(tasks))]
            idx = np.flatnonzero(notes.instrument == task)
            pick = rng.permutation(idx)
            Xs, ys = _xy(notes, X, pick[:task_size])
            fast = adapt(net, Xs, ys, steps=inner_steps, lr=inner_lr, seed=seed + it, device=device)
            eps = meta_lr * (1 - it / meta_iterations)
            with torch.no_grad():
                for p, q in zip(net.parameters(), fast.parameters()):
                    p.add_(eps * (q - p))
            if task_size < len(pick):
                hist.append(evaluate(fast, *_xy(notes, X, pick[task_size:]), device=device))
    net.eval()
    return net, hist


@dataclass
class TransferResult:
    """What :func:`compare_transfer` returns: query accuracy of each start after adaptation.

    Attributes
    ----------
    instrument : str
        The held-out instrument.
    shots : int
        Labelled notes per pitch class used for adaptation (``12 * shots`` in all).
    scratch, zero_shot, fine_tuned, meta_zero_shot, meta_adapted : float
        Accuracy on the held-out instrument's other notes: a net trained from scratch on the
        few notes; the pretrained net before and after fine-tuning; Reptile's start before
        and after the same adaptation.
    chance : float
        1/12.
    source_accuracy : dict of str -> float
        Accuracy of the 'pretrained' and the 'meta' start on the notes of the other nine
        instruments (what both were trained on): how well each start learned the source tasks.
    n_support, n_query : int
        Sizes of the few-shot split (:func:`few_shot_split`).
    curves : dict of str -> list of float
        Query accuracy after 0, 1, 2, ... adaptation steps for 'pretrained' and 'meta'.

    Examples
    --------
    >>> r = TransferResult("flute", 1, scratch=0.3, zero_shot=0.5, fine_tuned=0.8, meta_zero_shot=0.4, meta_adapted=0.9)
    >>> r.fine_tuned > r.zero_shot, round(r.chance, 4)
    (True, 0.0833)

    Chapter: notebooks/01b_deep_learning.ipynb
    """

    instrument: str
    shots: int
    scratch: float
    zero_shot: float
    fine_tuned: float
    meta_zero_shot: float
    meta_adapted: float
    chance: float = 1 / 12
    source_accuracy: dict = field(default_factory=dict)
    n_support: int = 0
    n_query: int = 0
    curves: dict = field(default_factory=dict, repr=False)
    models: dict = field(default_factory=dict, repr=False)


def compare_transfer(
    instrument: str = "clarinet",
    *,
    shots: int = 1,
    adapt_steps: int = 20,
    adapt_lr: float = 0.02,
    pretrain_epochs: int = 30,
    meta_iterations: int = 400,
    seed: int = 0,
    device=None,
    progress: bool = True,
    pretrained=None,
    meta=None,
) -> TransferResult:
    """Scratch vs transfer (pretrain + fine-tune) vs meta-learning (Reptile + adapt) on a held-out instrument.

    Parameters
    ----------
    instrument : str
        Held out from pretraining and meta-training; its ``12 * shots`` support notes adapt
        each start, its notes at the other pitches (:func:`few_shot_split`) test them.
    shots : int
        Labelled notes per pitch class (1..3).
    adapt_steps, adapt_lr : SGD fine-tuning of both starts (:func:`adapt`).
    pretrain_epochs, meta_iterations : the two starts' training.
    pretrained, meta : PitchClassNet, optional
        Reuse starts already trained with the same ``instrument`` held out.

    Returns
    -------
    TransferResult

    Examples
    --------
    >>> r = compare_transfer("flute", pretrain_epochs=1, meta_iterations=2, adapt_steps=2, progress=False)
    >>> r.instrument, r.shots, 0 <= r.scratch <= 1
    ('flute', 1, True)

    Chapter: notebooks/01b_deep_learning.ipynb
    """
    _check_holdout(instrument)
    notes, X = _bundle()
    support, query = few_shot_split(notes, instrument, shots=shots, seed=seed)
    Xs, ys = _xy(notes, X, support)
    Xq, yq = _xy(notes, X, query)
    device = get_device(device)
    with single_thread(device):
        if pretrained is None:
            pretrained, _ = pretrain(instrument, epochs=pretrain_epochs, seed=seed, device=device, progress=progress)
        if meta is None:
            meta, _ = reptile(instrument, meta_iterations=meta_iterations, seed=seed, device=device, progress=progress)
        scratch = train_from_scratch(Xs, ys, seed=seed, device=device)
        curves = {}
        for name, start in (("pretrained", pretrained), ("meta", meta)):
            accs, net = [evaluate(start, Xq, yq, device=device)], start
            for s in range(int(adapt_steps)):
                net = adapt(net, Xs, ys, steps=1, lr=adapt_lr, seed=seed + s, device=device)
                accs.append(evaluate(net, Xq, yq, device=device))
            curves[name] = accs
        Xo, yo = _xy(notes, X, np.flatnonzero(notes.instrument != instrument))
        source = {name: evaluate(m, Xo, yo, device=device) for name, m in (("pretrained", pretrained), ("meta", meta))}
    return TransferResult(
        instrument,
        int(shots),
        evaluate(scratch, Xq, yq, device=device),
        curves["pretrained"][0],
        curves["pretrained"][-1],
        curves["meta"][0],
        curves["meta"][-1],
        source_accuracy=source,
        n_support=len(support),
        n_query=len(query),
        curves=curves,
        models={"pretrained": pretrained, "meta": meta, "scratch": scratch},
    )


#: The accuracies a :class:`TransferSummary` summarises, with the row names of its table.
METHODS = {
    "scratch": "scratch (12 notes only)",
    "zero_shot": "pretrained, no tuning",
    "fine_tuned": "pretrained + fine-tuning",
    "meta_zero_shot": "Reptile start, no tuning",
    "meta_adapted": "Reptile start + tuning",
}


@dataclass
class TransferSummary:
    """:func:`compare_transfer` over several seeds: one :class:`TransferResult` per seed and their spread.

    Attributes
    ----------
    results : list of TransferResult
        One per seed (a seed draws the support notes and initialises every network).
    seeds : tuple of int

    Examples
    --------
    >>> rs = [TransferResult("flute", 1, scratch=v, zero_shot=0.5, fine_tuned=0.8, meta_zero_shot=0.4, meta_adapted=0.6)
    ...       for v in (0.1, 0.3)]
    >>> summary = TransferSummary(rs, (0, 1))
    >>> summary.stats("scratch")
    (0.2, 0.1, 0.3)
    >>> summary.ranking()[0]
    'fine_tuned'

    Chapter: notebooks/01b_deep_learning.ipynb
    """

    results: list
    seeds: tuple

    def values(self, method: str) -> np.ndarray:
        """The accuracy ``method`` (a key of :data:`METHODS`) reached with each seed."""
        check(method in METHODS, "method", method, f"one of {sorted(METHODS)}")
        return np.array([getattr(r, method) for r in self.results], dtype=float)

    def stats(self, method: str) -> tuple[float, float, float]:
        """Mean, min and max over seeds of ``method``'s accuracy (rounded to 4 places)."""
        v = self.values(method)
        return round(float(v.mean()), 4), round(float(v.min()), 4), round(float(v.max()), 4)

    def ranking(self) -> list[str]:
        """The methods from the highest mean accuracy to the lowest."""
        return sorted(METHODS, key=lambda m: -self.values(m).mean())

    def wins(self, a: str, b: str) -> int:
        """On how many seeds ``a`` was strictly more accurate than ``b``."""
        return int(np.sum(self.values(a) > self.values(b)))

    def findings(self) -> list[str]:
        """The lesson's conclusions as Markdown bullets, each sentence formatted from the measured values.

        Every verdict (above or below chance, up or down after tuning, who is ahead on how many
        seeds, which start fits its training instruments better) is computed here, so another
        run cannot make the text false.
        """
        n, r0 = len(self.seeds), self.results[0]
        sc, zs, ft, mz, ma = (self.stats(m) for m in ("scratch", "zero_shot", "fine_tuned", "meta_zero_shot", "meta_adapted"))

        def change(a, b):
            d = self.values(a) - self.values(b)
            return f"{d.mean():+.3f} on average (up on {int((d > 0).sum())}, down on {int((d < 0).sum())} of {n} seeds)"

        src = {k: float(np.mean([r.source_accuracy.get(k, np.nan) for r in self.results])) for k in ("pretrained", "meta")}
        below = sc[2] <= r0.chance
        out = [
            f"* **Scratch** on the {r0.n_support} support notes: {sc[0]:.3f} on the other octave "
            + (
                f"(at or below chance, {r0.chance:.3f}, on every seed): what it learned from one octave does not carry "
                "to the other."
                if below
                else f"(chance is {r0.chance:.3f}; its best seed {sc[2]:.3f})."
            ),
            f"* **Transfer**: the pretrained net, before any tuning, {zs[0]:.3f} ({zs[1]:.3f}-{zs[2]:.3f}); "
            f"fine-tuning on the support notes changes it by {change('fine_tuned', 'zero_shot')}.",
            f"* **Meta-learning**: Reptile's start {mz[0]:.3f} ({mz[1]:.3f}-{mz[2]:.3f}); "
            f"the same tuning changes it by {change('meta_adapted', 'meta_zero_shot')}.",
            f"* Fine-tuned vs Reptile + tuning: {ft[0]:.3f} vs {ma[0]:.3f}; fine-tuning is ahead on "
            f"{self.wins('fine_tuned', 'meta_adapted')} of {n} seeds, Reptile on {self.wins('meta_adapted', 'fine_tuned')}.",
        ]
        if not np.isnan(src["pretrained"] + src["meta"]):
            verdict = (
                "Reptile's start has fitted its own training tasks less well"
                if src["meta"] < src["pretrained"]
                else "Reptile's start fits its training tasks at least as well"
            )
            out.append(
                f"* On the nine instruments both starts were trained on, the pretrained net names {src['pretrained']:.3f} "
                f"of the notes, Reptile's start {src['meta']:.3f}: {verdict}."
            )
        return out

    def table(self) -> str:
        """A plain-text table: one row per method, mean and min-max over the seeds."""
        r0 = self.results[0]
        lines = [f"{'accuracy on the ' + str(r0.n_query) + ' query notes':34s}  mean   min - max   (seeds {list(self.seeds)})"]
        for m, label in METHODS.items():
            mean, lo, hi = self.stats(m)
            lines.append(f"{label:34s} {mean:.3f}  {lo:.3f} - {hi:.3f}")
        lines.append(f"{'chance':34s} {r0.chance:.3f}")
        return "\n".join(lines)


def compare_transfer_seeds(instrument: str = "clarinet", *, seeds=(0, 1, 2), progress: bool = True, **kwargs) -> TransferSummary:
    """:func:`compare_transfer` once per seed, each with its own support draw, pretraining and Reptile run.

    Parameters
    ----------
    instrument : str
    seeds : sequence of int
        At least one; three give a first idea of the spread.
    **kwargs
        Passed to :func:`compare_transfer` (``shots``, ``adapt_steps``, ``meta_iterations``, ...).

    Returns
    -------
    TransferSummary

    Examples
    --------
    >>> s = compare_transfer_seeds("flute", seeds=(0, 1), pretrain_epochs=1, meta_iterations=2, adapt_steps=1,
    ...                            progress=False, device="cpu")
    >>> len(s.results), s.stats("scratch")[1] <= s.stats("scratch")[0] <= s.stats("scratch")[2]
    (2, True)

    Chapter: notebooks/01b_deep_learning.ipynb
    """
    from tqdm.auto import tqdm

    seeds = tuple(int(x) for x in seeds)
    check(len(seeds) > 0, "seeds", seeds, "at least one seed")
    check("seed" not in kwargs, "seed", kwargs.get("seed"), "no single seed: pass seeds=(...)")
    results = [
        compare_transfer(instrument, seed=s, progress=False, **kwargs)
        for s in tqdm(seeds, desc="seeds", disable=not progress, leave=False)
    ]
    return TransferSummary(results, seeds)
