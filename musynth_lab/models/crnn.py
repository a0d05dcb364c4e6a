"""End-to-end learning (端到端学习): a CNN + RNN from spectrogram frames to the notes sounding.

Source section 2(2)(b): "将CNN和循环神经网络（RNN）结合使用" (combine a CNN with an RNN). Here a
convolutional front end reads a constant-Q spectrogram of a rendered chorale, a
bidirectional GRU carries context along time, and a linear layer says, for every frame,
which pitch classes sound (or which chord is in force). The whole chain is trained at once,
from the spectrogram to the labels: that is what "end to end" means. The baseline is the
same network with its time context removed (1-frame kernels, no RNN), so the comparison
isolates what the recurrence adds.

Chapter: notebooks/01b_deep_learning.ipynb
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from ..audio import get_device, to_numpy
from ..data import Excerpt, list_excerpts, load_excerpt
from ..errors import ParameterError, check
from .cnn import librosa_feature
from .training import fit, predict, single_thread

__all__ = [
    "TARGETS",
    "excerpt_frames",
    "load_frames",
    "make_chunks",
    "CRNN",
    "CRNNResult",
    "train_crnn",
    "frame_score",
    "predict_frames",
]

#: Frame-wise targets: 12 active pitch classes (multi-label) or one of 25 chords.
TARGETS = ("pitch_class", "chord")
N_BINS = 84  # CQT bins: 7 octaves from C1, one per semitone
HOP = 1024  # samples at 22.05 kHz: about 46 ms per frame


def _check_target(target):
    if target not in TARGETS:
        raise ParameterError(f"target={target!r}: expected one of {TARGETS}")


def excerpt_frames(excerpt, *, target: str = "pitch_class", hop_length: int = HOP) -> tuple[np.ndarray, np.ndarray]:
    """Log-CQT frames of one rendered excerpt and its frame-wise labels.

    Parameters
    ----------
    excerpt : str or Excerpt
        A name from :func:`musynth_lab.data.list_excerpts`, or a loaded excerpt.
    target : {'pitch_class', 'chord'}
    hop_length : int
        Samples between frames.

    Returns
    -------
    X : np.ndarray [shape=(n_frames, 84)], float32
        Constant-Q magnitude (C1 upward, a semitone per bin) in dB relative to the
        excerpt's peak, mapped from [-80, 0] dB to [0, 1].
    Y : np.ndarray
        ``(n_frames, 12)`` float32 0/1 (pitch classes C..B sounding) or ``(n_frames,)``
        int64 chord indices (:data:`musynth_lab.data.CHORD_NAMES`).

    Examples
    --------
    >>> from musynth_lab.data import list_excerpts
    >>> X, Y = excerpt_frames(list_excerpts("test")[0])
    >>> X.shape[1], Y.shape[1], X.shape[0] == Y.shape[0]
    (84, 12, True)

    Chapter: notebooks/01b_deep_learning.ipynb
    """
    _check_target(target)
    check(int(hop_length) > 0, "hop_length", hop_length, "a positive number of samples")
    ex = excerpt if isinstance(excerpt, Excerpt) else load_excerpt(excerpt)
    return (
        _excerpt_frames(ex.name, target, int(hop_length))
        if not isinstance(excerpt, Excerpt)
        else _compute_frames(ex, target, int(hop_length))
    )


@functools.lru_cache(maxsize=64)
def _excerpt_frames(name, target, hop_length):
    X, Y = _compute_frames(load_excerpt(name), target, hop_length)
    return X, Y


def _compute_frames(ex, target, hop_length):
    # librosa is imported where used: importing this module (and `import musynth_lab`) stays light
    import librosa

    C = np.abs(
        librosa_feature(
            "cqt",
            ex.audio,
            sr=ex.sr,
            hop_length=hop_length,
            fmin=float(librosa.note_to_hz("C1")),
            n_bins=N_BINS,
            bins_per_octave=12,
        )
    )  # (84, n_frames)
    db = 20 * np.log10(np.maximum(C, 1e-10))
    X = (np.maximum(db - db.max(), -80.0) / 80.0 + 1.0).T.astype(np.float32)  # (n_frames, 84)
    n = len(X)
    if target == "chord":
        return X, ex.chord_frames(hop_length=hop_length, n_frames=n)
    roll = ex.pitch_frames(hop_length=hop_length, n_frames=n)  # (88, n_frames), MIDI 21..108
    pc = np.zeros((12, n), dtype=bool)
    for k in range(88):
        pc[(k + 21) % 12] |= roll[k]
    return X, pc.T.astype(np.float32)


def load_frames(split: str, *, target: str = "pitch_class", hop_length: int = HOP) -> list:
    """:func:`excerpt_frames` of every excerpt of a split: a list of ``(name, X, Y)``.

    Examples
    --------
    >>> [name for name, X, Y in load_frames("test")][:1]
    ['bwv258_choir']

    Chapter: notebooks/01b_deep_learning.ipynb
    """
    _check_target(target)
    return [(name, *excerpt_frames(name, target=target, hop_length=hop_length)) for name in list_excerpts(split)]


def make_chunks(sequences, *, length: int = 64, step: int = 16) -> tuple[np.ndarray, np.ndarray]:
    """Cut ``(X, Y)`` sequences into overlapping training windows.

    Parameters
    ----------
    sequences : list of (X, Y) or (name, X, Y)
        ``X`` is ``(n_frames, n_bins)``; ``Y`` is ``(n_frames, ...)``.
    length, step : int
        Window length and hop in frames.

    Returns
    -------
    Xc : np.ndarray [shape=(n_windows, length, n_bins)]
    Yc : np.ndarray [shape=(n_windows, length, ...)]

    Examples
    --------
    >>> Xc, Yc = make_chunks([(np.zeros((100, 84)), np.zeros((100, 12)))], length=64, step=16)
    >>> Xc.shape, Yc.shape
    ((3, 64, 84), (3, 64, 12))

    Chapter: notebooks/01b_deep_learning.ipynb
    """
    check(int(length) > 0 and int(step) > 0, "length", length, "positive window length and step")
    check(isinstance(sequences, (list, tuple)) and len(sequences) > 0, "sequences", sequences, "a non-empty list of (X, Y) pairs")
    xs, ys = [], []
    for item in sequences:
        X, Y = item[-2], item[-1]
        X, Y = np.asarray(X), np.asarray(Y)
        check(X.ndim == 2 and len(X) == len(Y), "sequences", X, "pairs X (n_frames, n_bins), Y (n_frames, ...)")
        if len(X) < length:
            continue
        for s in range(0, len(X) - int(length) + 1, int(step)):
            xs.append(X[s : s + length])
            ys.append(Y[s : s + length])
    if not xs:
        raise ParameterError(f"length={length}: longer than every sequence; expected a shorter window")
    return np.stack(xs).astype(np.float32), np.stack(ys)


class CRNN(nn.Module):
    """Convolutional front end + bidirectional GRU + a linear layer per frame.

    ``(batch, time, n_bins) -> (batch, time, n_out)`` logits.

    Two conv layers (``channels`` maps, kernels ``time_kernel x 5`` then ``time_kernel x 3``
    over time x frequency, each with batch norm, ReLU and frequency max-pooling by 2) turn
    each frame into a feature vector, a linear layer projects it to ``hidden``, a bidirectional GRU (``hidden/2``
    per direction) mixes in the past and the future, and a linear layer gives the outputs.

    With ``recurrent=False, time_kernel=1`` no information crosses frames: this is the
    frame-by-frame baseline, otherwise the same network.

    Parameters
    ----------
    n_bins, n_out : int
    channels, hidden : int
    recurrent : bool
    time_kernel : int (odd)

    Examples
    --------
    >>> CRNN(84, 12)(torch.zeros(2, 50, 84)).shape
    torch.Size([2, 50, 12])

    Chapter: notebooks/01b_deep_learning.ipynb
    """

    def __init__(
        self,
        n_bins: int = N_BINS,
        n_out: int = 12,
        *,
        channels: int = 8,
        hidden: int = 64,
        recurrent: bool = True,
        time_kernel: int = 3,
    ):
        super().__init__()
        check(int(n_bins) >= 4, "n_bins", n_bins, "an integer >= 4")
        check(int(n_out) >= 1, "n_out", n_out, "a positive integer")
        check(int(time_kernel) >= 1 and int(time_kernel) % 2 == 1, "time_kernel", time_kernel, "an odd positive integer")
        check(int(hidden) >= 2 and int(hidden) % 2 == 0, "hidden", hidden, "an even integer >= 2")
        self.n_bins, self.n_out, self.recurrent = int(n_bins), int(n_out), bool(recurrent)
        k, c = int(time_kernel), int(channels)
        self.conv = nn.Sequential(
            nn.Conv2d(1, c, (k, 5), padding=(k // 2, 2)),
            nn.BatchNorm2d(c),
            nn.ReLU(),
            nn.MaxPool2d((1, 2)),
            nn.Conv2d(c, c, (k, 3), padding=(k // 2, 1)),
            nn.BatchNorm2d(c),
            nn.ReLU(),
            nn.MaxPool2d((1, 2)),
        )
        self.proj = nn.Linear(c * (self.n_bins // 4), int(hidden))
        self.rnn = nn.GRU(int(hidden), int(hidden) // 2, batch_first=True, bidirectional=True) if recurrent else None
        self.out = nn.Linear(int(hidden), self.n_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.ndim != 3 or x.shape[-1] != self.n_bins:
            raise ParameterError(f"x has shape {tuple(x.shape)}: expected (batch, time, {self.n_bins})")
        z = self.conv(x.unsqueeze(1))  # (batch, channels, time, n_bins/4)
        b, c, t, f = z.shape
        z = torch.relu(self.proj(z.permute(0, 2, 1, 3).reshape(b, t, c * f)))  # (batch, time, hidden)
        if self.rnn is not None:
            z, _ = self.rnn(z)  # (batch, time, hidden)
        return self.out(z)  # (batch, time, n_out)


def _loss(target):
    if target == "pitch_class":
        return lambda out, y: nn.functional.binary_cross_entropy_with_logits(out, y.float())
    return lambda out, y: nn.functional.cross_entropy(out.reshape(-1, out.shape[-1]), y.reshape(-1))


@torch.no_grad()
def predict_frames(model: CRNN, X, *, device=None) -> np.ndarray:
    """Frame-wise decisions for one sequence ``X (n_frames, n_bins)``.

    Returns ``(n_frames, 12)`` bool (logit > 0) for a 12-output model, else ``(n_frames,)``
    chord indices (arg-max).

    Examples
    --------
    >>> net = CRNN(84, 12)
    >>> P = predict_frames(net, np.zeros((50, 84), np.float32), device="cpu")
    >>> P.shape, P.dtype
    ((50, 12), dtype('bool'))
    >>> predict_frames(CRNN(84, 25), np.zeros((50, 84), np.float32), device="cpu").shape   # chord indices
    (50,)

    Chapter: notebooks/01b_deep_learning.ipynb
    """
    X = np.asarray(to_numpy(X), dtype=np.float32)
    check(X.ndim == 2 and X.shape[0] > 0, "X", X, "a non-empty (n_frames, n_bins) array")
    out = predict(model, X[None], device=device)[0].numpy()  # (n_frames, n_out)
    return out > 0 if model.n_out == 12 else out.argmax(-1)


def frame_score(model: CRNN, sequences, *, target: str = "pitch_class", device=None) -> float:
    """Held-out score over whole sequences: micro-averaged F1 of the pitch classes, or chord accuracy.

    F1 = 2 TP / (2 TP + FP + FN) over every (frame, pitch class) cell of every sequence.

    Examples
    --------
    >>> X = np.random.rand(40, 84).astype(np.float32); Y = np.zeros((40, 12), np.float32); Y[:, 0] = 1
    >>> 0.0 <= frame_score(CRNN(84, 12), [(X, Y)], device="cpu") <= 1.0
    True
    >>> 0.0 <= frame_score(CRNN(84, 25), [(X, np.zeros(40, int))], target="chord", device="cpu") <= 1.0
    True

    Chapter: notebooks/01b_deep_learning.ipynb
    """
    _check_target(target)
    check(
        isinstance(sequences, (list, tuple)) and len(sequences) > 0,
        "sequences",
        sequences,
        "a non-empty list of (X, Y) or (name, X, Y)",
    )
    tp = fp = fn = correct = total = 0
    for item in sequences:
        X, Y = item[-2], np.asarray(item[-1])
        P = predict_frames(model, X, device=device)
        if target == "pitch_class":
            T = Y > 0.5
            tp += int((P & T).sum())
            fp += int((P & ~T).sum())
            fn += int((~P & T).sum())
        else:
            correct += int((P == Y).sum())
            total += len(Y)
    if target == "pitch_class":
        return 2 * tp / max(2 * tp + fp + fn, 1)
    return correct / max(total, 1)


@dataclass
class CRNNResult:
    """What :func:`train_crnn` returns.

    Attributes
    ----------
    model : CRNN
    history : History
    val_score, test_score : float
        :func:`frame_score` on the validation and test excerpts (pieces and renderings
        never seen in training).
    target : str
    test : list of (name, X, Y)

    Examples
    --------
    >>> r = CRNNResult(CRNN(84, 12), None, val_score=0.6, test_score=0.55, target="pitch_class", test=[])
    >>> r.target, r.test_score
    ('pitch_class', 0.55)

    Chapter: notebooks/01b_deep_learning.ipynb
    """

    model: CRNN
    history: object
    val_score: float
    test_score: float
    target: str
    test: list = field(repr=False)


def train_crnn(
    *,
    target: str = "pitch_class",
    recurrent: bool = True,
    epochs: int = 30,
    lr: float = 3e-3,
    batch_size: int = 32,
    length: int = 64,
    step: int = 16,
    hidden: int = 64,
    channels: int = 8,
    seed: int = 0,
    device=None,
    progress: bool = True,
    train=None,
    val=None,
    test=None,
) -> CRNNResult:
    """Train a :class:`CRNN` (or, with ``recurrent=False``, its frame-wise baseline) end to end.

    Trains on windows of the 8 training excerpts, scores the whole validation and test
    excerpts (:func:`frame_score`).

    Parameters
    ----------
    target : {'pitch_class', 'chord'}
    recurrent : bool
        ``True``: the CRNN (3-frame kernels + GRU). ``False``: the frame-by-frame baseline
        (1-frame kernels, no GRU), otherwise identical.
    epochs, lr, batch_size : settings for :func:`musynth_lab.models.fit`.
    length, step : int
        Training windows (frames).
    hidden, channels : int
    train, val, test : list of (name, X, Y), optional
        Defaults to :func:`load_frames` of each split.

    Returns
    -------
    CRNNResult

    Examples
    --------
    >>> seqs = [("a", np.random.rand(80, 84).astype("float32"), (np.random.rand(80, 12) > .7).astype("float32"))]
    >>> res = train_crnn(epochs=1, train=seqs, val=seqs, test=seqs, progress=False)
    >>> 0.0 <= res.test_score <= 1.0
    True

    Chapter: notebooks/01b_deep_learning.ipynb
    """
    _check_target(target)
    train = load_frames("train", target=target) if train is None else train
    val = load_frames("val", target=target) if val is None else val
    test = load_frames("test", target=target) if test is None else test
    Xc, Yc = make_chunks(train, length=length, step=step)
    device = get_device(device)
    torch.manual_seed(seed)
    n_out = 12 if target == "pitch_class" else 25
    model = CRNN(Xc.shape[-1], n_out, channels=channels, hidden=hidden, recurrent=recurrent, time_kernel=3 if recurrent else 1)
    with single_thread():  # a small GRU: per-op overhead, not arithmetic, sets the pace on a CPU
        hist = fit(
            model,
            (Xc, Yc),
            loss_fn=_loss(target),
            epochs=epochs,
            lr=lr,
            batch_size=batch_size,
            seed=seed,
            device=device,
            progress=progress,
            desc="CRNN" if recurrent else "frame-wise",
        )
    return CRNNResult(
        model,
        hist,
        frame_score(model, val, target=target, device=device),
        frame_score(model, test, target=target, device=device),
        target,
        test,
    )
