"""The three trained attention demos of chapter 2, with their data preparation.

1. :func:`train_instrument_classifier`: which of the 10 bundled instruments plays a note,
   from its log-mel spectrogram, by a small CNN whose feature map is pooled with location
   attention (:class:`musynth_lab.attention.LocationAttention`); the attention map can be
   drawn over the spectrogram and listened to. Test notes are *unseen pitches*: every
   fourth pitch of each instrument (both velocities) is held out.
2. :func:`train_mode_classifier`: major or minor, for a whole chorale, from its four voices
   as pitch-class frames on a quarter-note grid, pooled with token attention (the source's
   通道注意力, :class:`musynth_lab.attention.TokenAttention`); the weights are drawn over
   the score. Trained on the "train" pieces, measured on the "val" and "test" pieces.
3. :func:`train_soprano_to_bass`: a small encoder-decoder (GRU) with attention (a scaled dot
   product of learned projections by default) that writes a bass line under a soprano line,
   eighth-note tokens, 4-bar windows; its alignment matrix and the result can be seen and heard.

:func:`compare_with_baseline` trains a demo and its attention-free baseline over several
seeds and computes the verdict from the paired differences (:class:`SeedComparison`);
:func:`release_probe` measures where the instrument model attends around the key-up and,
by silencing parts of the input, what it needs there (:class:`ReleaseProbe`).

Every trainer uses the shared loop :func:`musynth_lab.models.fit`, is seeded and small, and
returns a :class:`DemoResult` with held-out figures measured on the spot. A ``attention=False``
switch builds the same network without attention, the baseline each demo is compared to.

Chapter: notebooks/02_attention.ipynb
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from ..attention import LocationAttention, TokenAttention, resize_map
from ..audio import get_device, seed_everything
from ..data import MELODY_LOW, N_MELODY_TOKENS, load_chorales, load_notes, piano_roll
from ..errors import ParameterError, check
from ..features import note_logmel
from ..models.lm import token_loss
from ..models.seq2seq import Seq2SeqAttention, greedy_bass, shift_right
from ..models.training import accuracy, fit, predict, single_thread

__all__ = [
    "DemoResult",
    "NoteData",
    "instrument_data",
    "InstrumentNet",
    "train_instrument_classifier",
    "ModeData",
    "mode_data",
    "ModeNet",
    "train_mode_classifier",
    "BassData",
    "bass_data",
    "train_soprano_to_bass",
    "MEL",
    "AttentionExample",
    "instrument_examples",
    "mode_examples",
    "demo_metric",
    "SeedComparison",
    "compare_with_baseline",
    "ReleaseProbe",
    "SILENT_INPUT",
    "release_probe",
]

#: The mel front end of the instrument demo (16 kHz notes).
MEL = {"n_fft": 1024, "hop_length": 512, "n_mels": 32}


@dataclass
class DemoResult:
    """A trained demo: the model, its history and held-out figures.

    Attributes
    ----------
    model : torch.nn.Module
        Trained, in eval mode, on the device it was trained on.
    history : History
    test_accuracy : float
        Accuracy on the held-out data.
    chance : float
        The accuracy of always answering the most common training class on that data.
    data : object
        The prepared data (``NoteData``, ``ModeData`` or ``BassData``).
    extra : dict
        Other measured figures.

    Examples
    --------
    >>> r = DemoResult(torch.nn.Linear(2, 2), None, test_accuracy=0.75, chance=0.5, data=None)
    >>> r.test_accuracy > r.chance, r.extra
    (True, {})

    Chapter: notebooks/02_attention.ipynb
    """

    model: nn.Module
    history: object
    test_accuracy: float
    chance: float
    data: object
    extra: dict = field(default_factory=dict)


# ----------------------------------------------------------------------------------------
# 1. Instruments, location attention
# ----------------------------------------------------------------------------------------


@dataclass
class NoteData:
    """Log-mel inputs of the instrument demo.

    ``x_*`` are ``(n, 1, n_mels, n_frames)`` float32 (dB, scaled to about unit range),
    ``y_*`` instrument indices into ``names``; ``audio_test``/``pitch_test`` belong to the
    test notes; ``sr`` is 16000.

    Examples
    --------
    >>> x = np.zeros((2, 1, 32, 32), np.float32)                       # instrument_data() gives the real one
    >>> d = NoteData(x, np.array([0, 1]), x, np.array([1, 0]), ["flute", "bass"],
    ...              np.zeros((2, 16000), np.float32), np.array([60, 62]), sr=16000)
    >>> d.x_test.shape, d.names[d.y_test[0]], d.audio_test.shape[1] / d.sr
    ((2, 1, 32, 32), 'bass', 1.0)

    Chapter: notebooks/02_attention.ipynb
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    names: list
    audio_test: np.ndarray
    pitch_test: np.ndarray
    sr: int


def instrument_data(*, test_every: int = 4) -> NoteData:
    """Log-mel spectrograms of the bundled notes, split by pitch.

    For each instrument, its 24 pitches are sorted and every ``test_every``-th one (the
    4th, 8th, ...) goes to the test set with both velocities, so test notes are at pitches
    the model never heard from that instrument.

    Parameters
    ----------
    test_every : int
        At least 2.

    Returns
    -------
    NoteData

    Examples
    --------
    >>> d = instrument_data()
    >>> d.x_train.shape, d.x_test.shape, len(d.names)
    ((360, 1, 32, 32), (120, 1, 32, 32), 10)

    Chapter: notebooks/02_attention.ipynb
    """
    check(isinstance(test_every, int) and test_every >= 2, "test_every", test_every, "an integer >= 2")
    notes = load_notes()
    y, names = notes.labels("instrument")
    test = np.zeros(len(notes), dtype=bool)
    for inst in names:
        sel = notes.instrument == inst
        pitches = np.unique(notes.pitch[sel])
        held = pitches[test_every - 1 :: test_every]
        test |= sel & np.isin(notes.pitch, held)
    # dB against full-scale power (the level is kept: it tells instruments apart), floored at -100
    db = note_logmel(np.asarray(notes.audio, dtype=np.float32), sr=notes.sr, **MEL, per_note=False, top_db=100.0)
    x = ((db + 50.0) / 25.0)[:, None].astype(np.float32)
    return NoteData(x[~test], y[~test], x[test], y[test], names, np.asarray(notes.audio[test]), notes.pitch[test], int(notes.sr))


class InstrumentNet(nn.Module):
    """A small CNN over log-mel spectrograms, pooled with location attention (or averaged).

    Two conv blocks (16 and 32 channels, each halving frequency and time) give a feature
    map of ``(32, n_mels / 4, n_frames / 4)`` cells; :class:`LocationAttention` weighs those
    cells (``attention=True``) or they are simply averaged (the baseline).

    Forward
    -------
    x (B, 1, n_mels, n_frames) -> logits (B, n_classes). After a forward pass
    ``self.last_weights`` holds the attention map ``(B, n_mels / 4, n_frames / 4)``.

    Examples
    --------
    >>> InstrumentNet(10)(torch.randn(2, 1, 64, 63)).shape
    torch.Size([2, 10])

    Chapter: notebooks/02_attention.ipynb
    """

    def __init__(self, n_classes: int, *, attention: bool = True, channels: int = 32):
        super().__init__()
        c1 = channels // 2
        self.features = nn.Sequential(
            nn.Conv2d(1, c1, 3, padding=1),
            nn.BatchNorm2d(c1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(c1, channels, 3, padding=1),
            nn.BatchNorm2d(channels),
            nn.ReLU(),
            nn.MaxPool2d(2),
        )
        self.attention = LocationAttention(channels, d_hidden=32) if attention else None
        self.head = nn.Linear(channels, n_classes)
        self.last_weights = None

    def forward(self, x):
        h = self.features(x)  # (B, C, F', T')
        if self.attention is not None:
            pooled, w = self.attention(h)  # (B, C), (B, F', T')
        else:
            pooled = h.mean((2, 3))
            w = torch.full(h.shape[:1] + h.shape[2:], 1.0 / (h.shape[2] * h.shape[3]), device=h.device)
        self.last_weights = w.detach()
        return self.head(pooled)

    @torch.no_grad()
    def attention_map(self, x) -> np.ndarray:
        """Attention weights resized to the input grid: ``(B, n_mels, n_frames)``, each map summing to one."""
        self.eval()
        dev = next(self.parameters()).device
        x = torch.as_tensor(np.asarray(x), dtype=torch.float32, device=dev)
        self(x)
        maps = [resize_map(w, x.shape[-2:]) for w in self.last_weights.cpu()]
        return np.stack([m / m.sum() for m in maps])


def _chance(y_train, y_test) -> float:
    values, counts = np.unique(np.asarray(y_train), return_counts=True)
    return float(np.mean(np.asarray(y_test) == values[np.argmax(counts)]))


def train_instrument_classifier(
    *, attention: bool = True, epochs: int = 12, seed: int = 0, device=None, progress: bool = False, data: NoteData | None = None
) -> DemoResult:
    """Train the instrument classifier on the notes and measure it on the unseen pitches.

    Parameters
    ----------
    attention : bool
        Location attention pooling (True) or plain averaging (the baseline).
    epochs, seed : int
    device : str or torch.device, optional
    progress : bool
    data : NoteData, optional
        Reuse prepared data.

    Returns
    -------
    DemoResult
        ``chance`` is 0.1 (ten balanced classes).

    Examples
    --------
    >>> r = train_instrument_classifier(epochs=1)      # doctest: +SKIP
    >>> r.test_accuracy > r.chance                     # doctest: +SKIP
    True

    Chapter: notebooks/02_attention.ipynb
    """
    data = data or instrument_data()
    device = get_device(device)
    seed_everything(seed)
    model = InstrumentNet(len(data.names), attention=attention)
    with single_thread(device):
        hist = fit(
            model,
            (data.x_train, data.y_train),
            epochs=epochs,
            lr=3e-3,
            batch_size=32,
            seed=seed,
            device=device,
            progress=progress,
            desc="instruments",
            weight_decay=1e-4,
        )
        out = predict(model, data.x_test, device=device)
    acc = accuracy(out, torch.as_tensor(data.y_test))
    return DemoResult(model, hist, acc, _chance(data.y_train, data.y_test), data)


# ----------------------------------------------------------------------------------------
# 2. Chorales, major or minor, token attention
# ----------------------------------------------------------------------------------------


@dataclass
class ModeData:
    """Pitch-class frames of whole chorales (quarter-note grid) and their mode.

    ``x_*`` ``(n, max_len, 24)`` float32: 12 pitch classes sounding in the frame, then the
    bass's pitch class (one-hot); ``mask_*`` ``(n, max_len)`` bool, True on real frames;
    ``y_*`` 0 = major, 1 = minor. The training set holds each piece in the
    transpositions of :func:`mode_data`; the held-out ``*_test`` arrays are the validation
    and test chorales (110 pieces, none seen in training), ``pieces_test`` those chorales in order.

    Examples
    --------
    >>> x = np.zeros((4, 6, 24), np.float32); mask = np.ones((4, 6), bool); y = np.array([0, 1, 0, 1])
    >>> d = ModeData(x, mask, y, x, mask, y, pieces_test=[])
    >>> d.x_train.shape, d.step
    ((4, 6, 24), 1.0)

    Chapter: notebooks/02_attention.ipynb
    """

    x_train: np.ndarray
    mask_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    mask_test: np.ndarray
    y_test: np.ndarray
    pieces_test: list
    step: float = 1.0


def _mode_frames(piece, step: float, shift: int = 0) -> np.ndarray:
    roll = piece.piano_roll(step=step, low=0, n_keys=128)  # (128, n_frames)
    bass = piece.piano_roll(step=step, low=0, n_keys=128, parts=("B",))
    n = roll.shape[1]
    pcs = np.zeros((n, 24), dtype=np.float32)
    for midi in np.flatnonzero(roll.any(axis=1)):
        pcs[roll[midi], (midi + shift) % 12] = 1.0
    for midi in np.flatnonzero(bass.any(axis=1)):
        pcs[bass[midi], 12 + (midi + shift) % 12] = 1.0
    return pcs


def _pad(seqs, max_len):
    x = np.zeros((len(seqs), max_len, seqs[0].shape[1]), dtype=np.float32)
    m = np.zeros((len(seqs), max_len), dtype=bool)
    for i, s in enumerate(seqs):
        n = min(len(s), max_len)
        x[i, :n], m[i, :n] = s[:n], True
    return x, m


def mode_data(*, step: float = 1.0, max_len: int = 96, n_transposes: int = 6, seed: int = 0) -> ModeData:
    """Chorales as pitch-class frames with their mode; training pieces also transposed.

    Parameters
    ----------
    step : float
        Frame length in quarter notes.
    max_len : int
        Frames kept per piece (longer pieces are cut).
    n_transposes : int
        Each training piece appears in this many distinct keys: its own and random
        (seeded) shifts, so every key is covered (augmentation; test pieces stay as written).
    seed : int
        Seeds the choice of shifts.

    Examples
    --------
    >>> d = mode_data()
    >>> d.x_train.shape[0] == 6 * 299, d.x_test.shape[0], d.x_test.shape[2]
    (True, 110, 24)

    Chapter: notebooks/02_attention.ipynb
    """
    train, test = load_chorales("train"), load_chorales("val") + load_chorales("test")
    check(isinstance(n_transposes, int) and 1 <= n_transposes <= 12, "n_transposes", n_transposes, "an integer in 1..12")
    rng = np.random.default_rng(seed)
    shifts = [[0] + list(rng.choice(np.arange(1, 12), n_transposes - 1, replace=False)) for _ in train]
    tr = [(_mode_frames(p, step, int(s)), int(p.key_mode == "minor")) for p, ss in zip(train, shifts) for s in ss]
    te = [(_mode_frames(p, step), int(p.key_mode == "minor")) for p in test]
    xtr, mtr = _pad([a for a, _ in tr], max_len)
    xte, mte = _pad([a for a, _ in te], max_len)
    return ModeData(xtr, mtr, np.array([b for _, b in tr]), xte, mte, np.array([b for _, b in te]), test, step)


class ModeNet(nn.Module):
    """Frames -> local context (two 1-D convolutions) -> token attention (or mean) -> major/minor.

    Forward
    -------
    x (B, N, 24), mask (B, N) -> logits (B, 2); ``self.last_weights`` (B, N).

    Examples
    --------
    >>> ModeNet()(torch.randn(2, 30, 24), torch.ones(2, 30, dtype=torch.bool)).shape
    torch.Size([2, 2])

    Chapter: notebooks/02_attention.ipynb
    """

    def __init__(self, *, attention: bool = True, d_model: int = 32):
        super().__init__()
        self.embed = nn.Linear(24, d_model)
        self.conv = nn.Sequential(
            nn.Conv1d(d_model, d_model, 3, padding=1), nn.ReLU(), nn.Conv1d(d_model, d_model, 3, padding=1), nn.ReLU()
        )
        self.attention = TokenAttention(d_model, d_hidden=32) if attention else None
        self.head = nn.Linear(d_model, 2)
        self.last_weights = None

    def forward(self, x, mask):
        h = self.conv(self.embed(x).transpose(1, 2)).transpose(1, 2)  # (B, N, D)
        if self.attention is not None:
            pooled, w = self.attention(h, mask)
        else:
            w = mask.float() / mask.float().sum(1, keepdim=True).clamp_min(1)
            pooled = torch.einsum("bn,bnd->bd", w, h)
        self.last_weights = w.detach()
        return self.head(pooled)


def train_mode_classifier(
    *, attention: bool = True, epochs: int = 8, seed: int = 0, device=None, progress: bool = False, data: ModeData | None = None
) -> DemoResult:
    """Train the major/minor classifier and measure it on the test chorales.

    Returns
    -------
    DemoResult
        ``chance`` is the test accuracy of always answering the training set's majority
        mode; ``extra['balanced_accuracy']`` the mean of the per-mode accuracies;
        ``extra['test_weights']`` the token attention ``(n_test, max_len)`` on the held-out pieces.

    Examples
    --------
    >>> r = train_mode_classifier()                     # doctest: +SKIP
    >>> rng = np.random.default_rng(0)                   # a tiny stand-in for mode_data()
    >>> x = rng.random((8, 6, 24)).astype(np.float32); mask = np.ones((8, 6), bool); y = np.array([0, 1] * 4)
    >>> r = train_mode_classifier(epochs=1, device="cpu", data=ModeData(x, mask, y, x, mask, y, pieces_test=[]))
    >>> r.extra["test_weights"].shape, 0.0 <= r.test_accuracy <= 1.0
    ((8, 6), True)

    Chapter: notebooks/02_attention.ipynb
    """
    data = data or mode_data()
    device = get_device(device)
    seed_everything(seed)
    model = ModeNet(attention=attention)
    with single_thread(device):
        hist = fit(
            model,
            (data.x_train, data.mask_train, data.y_train),
            epochs=epochs,
            lr=5e-3,
            batch_size=64,
            seed=seed,
            device=device,
            progress=progress,
            desc="mode",
        )
        out = predict(model, (data.x_test, data.mask_test), device=device, batch_size=len(data.x_test))
        test_weights = model.last_weights.cpu().numpy()  # (n_test, max_len), one batch
    pred = out.argmax(-1).numpy()
    acc = float(np.mean(pred == data.y_test))
    bal = float(np.mean([np.mean(pred[data.y_test == c] == c) for c in (0, 1)]))
    return DemoResult(
        model, hist, acc, _chance(data.y_train, data.y_test), data, {"balanced_accuracy": bal, "test_weights": test_weights}
    )


# ----------------------------------------------------------------------------------------
# 3. Soprano -> bass, sequence to sequence with attention
# ----------------------------------------------------------------------------------------


@dataclass
class BassData:
    """Aligned soprano/bass token windows (eighth notes; tokens of :func:`musynth_lab.data.melody_tokens`).

    ``src_*``, ``tgt_*`` ``(n, window)`` int64; the decoder input is ``tgt`` shifted right
    behind a start token ``bos`` (= the vocabulary size). ``pieces_test`` the test chorales
    whose windows are in ``src_test`` (``window_piece`` gives each window's piece index and
    start step).

    Examples
    --------
    >>> d = bass_data()
    >>> d.bos == d.vocab, d.src_train.dtype, d.src_train.shape[1] == d.window
    (True, dtype('int64'), True)

    Chapter: notebooks/02_attention.ipynb
    """

    src_train: np.ndarray
    tgt_train: np.ndarray
    src_test: np.ndarray
    tgt_test: np.ndarray
    pieces_test: list
    window_piece: np.ndarray
    window: int
    step: float
    vocab: int
    bos: int


def _windows(pieces, window, hop, transposes):
    src, tgt, where = [], [], []
    for pi, p in enumerate(pieces):
        for tr in transposes:
            try:
                s = p.melody_tokens(part="S", transpose=tr)
                b = p.melody_tokens(part="B", transpose=tr)
            except ParameterError:
                continue
            n = min(len(s), len(b))
            for start in range(0, max(1, n - window + 1), hop):
                if start + window > n:
                    break
                src.append(s[start : start + window])
                tgt.append(b[start : start + window])
                where.append((pi, start))
    return np.array(src, dtype=np.int64), np.array(tgt, dtype=np.int64), np.array(where, dtype=np.int64)


def bass_data(*, window: int = 32, transposes=(0,)) -> BassData:
    """Soprano and bass of the chorales as aligned 4-bar windows of eighth-note tokens.

    Training windows overlap by half and come from the train pieces in the given
    transpositions; test windows do not overlap and come untransposed from the test pieces.

    Examples
    --------
    >>> d = bass_data()
    >>> d.src_train.shape[1], d.src_test.shape == d.tgt_test.shape
    (32, True)

    Chapter: notebooks/02_attention.ipynb
    """
    train, test = load_chorales("train"), load_chorales("test")
    s_tr, t_tr, _ = _windows(train, window, window // 2, transposes)
    s_te, t_te, where = _windows(test, window, window, (0,))
    return BassData(s_tr, t_tr, s_te, t_te, test, where, window, 0.5, N_MELODY_TOKENS, N_MELODY_TOKENS)


def train_soprano_to_bass(
    *,
    attention: bool = True,
    epochs: int = 14,
    seed: int = 0,
    device=None,
    progress: bool = False,
    data: BassData | None = None,
    score: str = "dot",
) -> DemoResult:
    """Train the soprano -> bass model and measure it on the test chorales.

    ``score`` is the attention score of :class:`musynth_lab.models.seq2seq.Seq2SeqAttention`
    (``'dot'``, ``'general'`` or ``'additive'``); ``attention=False`` is the fixed-vector
    baseline.

    Returns
    -------
    DemoResult
        ``test_accuracy``: teacher-forced next-token accuracy on the test windows;
        ``chance``: always the training set's most common bass token;
        ``extra['onset_accuracy']``: the same, counted only where the true bass starts a
        note (the pitch choices); ``extra['greedy_pitch_class_accuracy']``: pitch class of
        the greedily generated bass against the true bass, over steps where both sound.

    Examples
    --------
    >>> r = train_soprano_to_bass(epochs=1, device="cpu")
    >>> sorted(r.extra), r.extra["generated"].shape == r.data.tgt_test.shape
    (['generated', 'greedy_pitch_class_accuracy', 'onset_accuracy'], True)

    Chapter: notebooks/02_attention.ipynb
    """
    data = data or bass_data()
    device = get_device(device)
    seed_everything(seed)
    model = Seq2SeqAttention(data.vocab, attention=attention, score=score)
    with single_thread(device):
        hist = fit(
            model,
            (data.src_train, shift_right(data.tgt_train, data.bos), data.tgt_train),
            loss_fn=token_loss,
            epochs=epochs,
            lr=6e-3,
            batch_size=64,
            seed=seed,
            device=device,
            progress=progress,
            desc="bass",
        )
        out = predict(model, (data.src_test, shift_right(data.tgt_test, data.bos)), device=device)
        gen, _ = greedy_bass(model, data.src_test, bos=data.bos)
    pred = out.argmax(-1).numpy()
    acc = float(np.mean(pred == data.tgt_test))
    onset = data.tgt_test >= 2
    onset_acc = float(np.mean(pred[onset] == data.tgt_test[onset]))
    pc_true = _sounding_pc(data.tgt_test, MELODY_LOW)
    pc_gen = _sounding_pc(gen, MELODY_LOW)
    both = (pc_true >= 0) & (pc_gen >= 0)
    pc_acc = float(np.mean(pc_true[both] == pc_gen[both])) if both.any() else 0.0
    return DemoResult(
        model,
        hist,
        acc,
        _chance(data.tgt_train.ravel(), data.tgt_test.ravel()),
        data,
        {"onset_accuracy": onset_acc, "greedy_pitch_class_accuracy": pc_acc, "generated": gen},
    )


def _sounding_pc(tokens, low):
    """Pitch class sounding at each step of token rows (-1 where silent)."""
    tokens = np.asarray(tokens)
    out = np.full(tokens.shape, -1, dtype=np.int64)
    for i, row in enumerate(tokens):
        cur = -1
        for j, t in enumerate(row):
            if t >= 2:
                cur = (int(t) - 2 + low) % 12
            elif t == 0:
                cur = -1
            out[i, j] = cur
    return out


# ---------------------------------------------------------------------------- examples for the viewer


@dataclass
class AttentionExample:
    """One thing to look at and listen to.

    Attributes
    ----------
    name : str
    kind : {'spectrogram', 'score'}
    weights : np.ndarray
        ``(n_mels, n_frames)`` for a spectrogram, ``(n_frames,)`` for a score.
    audio, sr, S_db, n_fft, hop_length, fmax :
        Spectrogram examples: mono audio, its rate, its log-mel ``(n_mels, n_frames)`` and
        the STFT it was computed with (``n_frames = 1 + len(audio) // hop_length``).
    roll, notes, step, low, bpm :
        Score examples: piano roll ``(n_keys, n_frames)``, notes (onset, duration, MIDI) in
        quarter notes, frame length in quarters, MIDI of row 0, tempo.

    Examples
    --------
    >>> ex = AttentionExample("toy", "score", np.array([0.1, 0.7, 0.2]), roll=np.ones((88, 3), bool),
    ...                       notes=np.array([[0, 1, 60], [1, 1, 64], [2, 1, 67]]))
    >>> ex.kind, ex.weights.shape, ex.step
    ('score', (3,), 1.0)

    Chapter: notebooks/02_attention.ipynb
    """

    name: str
    kind: str
    weights: np.ndarray
    audio: np.ndarray | None = None
    sr: int = 16000
    S_db: np.ndarray | None = None
    n_fft: int = 1024
    hop_length: int = 512
    fmax: float | None = None
    roll: np.ndarray | None = None
    notes: np.ndarray | None = field(default=None, repr=False)
    step: float = 1.0
    low: int = 21
    bpm: float = 100.0


def instrument_examples(result, *, n: int = 5) -> list:
    """One :class:`AttentionExample` per instrument (first ``n``) from the instrument demo's test notes.

    Chapter: notebooks/02_attention.ipynb
    """
    d = result.data
    picks = [int(np.flatnonzero(d.y_test == c)[len(np.flatnonzero(d.y_test == c)) // 2]) for c in range(min(n, len(d.names)))]
    maps = result.model.attention_map(d.x_test[picks])
    out = []
    for i, m in zip(picks, maps):
        s_db = d.x_test[i, 0] * 25.0 - 50.0
        out.append(
            AttentionExample(
                f"{d.names[d.y_test[i]]} (MIDI {int(d.pitch_test[i])})",
                "spectrogram",
                m,
                audio=np.asarray(d.audio_test[i], dtype=np.float32),
                sr=d.sr,
                S_db=s_db,
                n_fft=MEL["n_fft"],
                hop_length=MEL["hop_length"],
            )
        )
    return out


def mode_examples(result, *, n: int = 4, max_frames: int = 32, sr: int = 8000) -> list:
    """Score examples (first ``n`` test chorales) from the mode demo, with the model's frame weights.

    Only the first ``max_frames`` beats are shown and rendered (at ``sr``), which keeps the
    player light in a notebook; the weights shown are those the model gave over the whole piece.

    Examples
    --------
    >>> from musynth_lab.data import load_chorales
    >>> from musynth_lab.lessons.attention import ModeData, train_mode_classifier
    >>> x = np.zeros((2, 40, 24), np.float32); mask = np.ones((2, 40), bool); y = np.array([0, 1])
    >>> data = ModeData(x, mask, y, x, mask, y, pieces_test=load_chorales("test")[:2])   # a tiny stand-in
    >>> result = train_mode_classifier(epochs=1, device="cpu", data=data)
    >>> exs = mode_examples(result, n=2, max_frames=16)
    >>> len(exs), exs[0].kind, exs[0].weights.shape, exs[0].roll.shape
    (2, 'score', (16,), (88, 16))

    Chapter: notebooks/02_attention.ipynb
    """
    d = result.data
    w = np.asarray(result.extra["test_weights"])  # computed when the demo was measured
    out = []
    for i in range(min(n, len(d.pieces_test))):
        p = d.pieces_test[i]
        n_frames = min(int(d.mask_test[i].sum()), int(max_frames))
        notes = np.concatenate([p.parts[k] for k in ("S", "A", "T", "B")])
        notes = notes[notes[:, 0] < n_frames * d.step]
        roll = piano_roll(p, step=d.step)[:, :n_frames]
        out.append(
            AttentionExample(
                f"{p.id} ({p.key_name})", "score", w[i, :n_frames], roll=roll, notes=notes, step=d.step, sr=int(sr), bpm=100.0
            )
        )
    return out


# ---------------------------------------------------------------------------- several seeds


def demo_metric(result: DemoResult, name: str) -> float:
    """One held-out figure of a demo: ``'test_accuracy'`` or a key of ``result.extra``.

    Examples
    --------
    >>> r = DemoResult(torch.nn.Linear(2, 2), None, 0.75, 0.5, None, {"onset_accuracy": 0.4})
    >>> demo_metric(r, "test_accuracy"), demo_metric(r, "onset_accuracy")
    (0.75, 0.4)

    Chapter: notebooks/02_attention.ipynb
    """
    if name == "test_accuracy":
        return float(result.test_accuracy)
    check(
        name in result.extra and np.ndim(result.extra[name]) == 0,
        "name",
        name,
        f"'test_accuracy' or one of {sorted(result.extra)}",
    )
    return float(result.extra[name])


@dataclass
class SeedComparison:
    """A model and its baseline, each trained once per seed, measured on the same held-out data.

    Attributes
    ----------
    name, baseline_name : str
    seeds : tuple of int
    metrics : dict
        ``{metric: (model values (n_seeds,), baseline values (n_seeds,))}``.
    runs : list of (DemoResult, DemoResult)
        ``(model, baseline)`` per seed, in the order of ``seeds``.

    Examples
    --------
    >>> c = SeedComparison("attention", "mean", (0, 1, 2), {"acc": (np.array([0.8, 0.7, 0.9]), np.array([0.6, 0.7, 0.5]))})
    >>> c.summary("acc")["difference"], c.summary("acc")["better_on"]
    ((0.2, 0.0, 0.4), 2)
    >>> c.verdict("acc")
    'no consistent difference: attention is ahead on 2 of 3 seeds and level on 1 (paired difference +0.200, +0.000 to +0.400)'

    Chapter: notebooks/02_attention.ipynb
    """

    name: str
    baseline_name: str
    seeds: tuple
    metrics: dict
    runs: list = field(default_factory=list, repr=False)

    def summary(self, metric: str) -> dict:
        """Mean, min and max of the model, the baseline and their paired (same-seed) difference."""
        check(metric in self.metrics, "metric", metric, f"one of {sorted(self.metrics)}")
        a, b = (np.asarray(v, dtype=float) for v in self.metrics[metric])
        d = a - b

        def mmm(v):
            return (round(float(v.mean()), 6), round(float(v.min()), 6), round(float(v.max()), 6))

        return {
            "model": mmm(a),
            "baseline": mmm(b),
            "difference": mmm(d),
            "better_on": int(np.sum(d > 0)),
            "worse_on": int(np.sum(d < 0)),
            "n": len(d),
        }

    def verdict(self, metric: str) -> str:
        """A sentence computed from the paired differences: better or worse on every seed, or no consistent difference."""
        s = self.summary(metric)
        mean, lo, hi = s["difference"]
        spread = f"paired difference {mean:+.3f}, {lo:+.3f} to {hi:+.3f}"
        if s["better_on"] == s["n"]:
            return f"{self.name} is better than {self.baseline_name} on every seed ({spread})"
        if s["worse_on"] == s["n"]:
            return f"{self.name} is worse than {self.baseline_name} on every seed ({spread})"
        level = s["n"] - s["better_on"] - s["worse_on"]
        rest = f" and level on {level}" if level else ""
        return f"no consistent difference: {self.name} is ahead on {s['better_on']} of {s['n']} seeds{rest} ({spread})"

    def table(self, labels: dict | None = None) -> str:
        """A Markdown table: per metric, mean (min-max) of the model, the baseline and their difference, and the verdict."""
        labels = labels or {}
        n = len(self.seeds)
        rows = [
            f"| held-out figure ({n} seeds: {', '.join(map(str, self.seeds))}) | {self.name} | {self.baseline_name} "
            "| difference (same seed) | verdict |",
            "|---|---|---|---|---|",
        ]
        for metric in self.metrics:
            s = self.summary(metric)
            cell = [f"{m:.3f} ({lo:.3f}-{hi:.3f})" for m, lo, hi in (s["model"], s["baseline"])]
            dm, dlo, dhi = s["difference"]
            v = self.verdict(metric).split(" (")[0]
            rows.append(f"| {labels.get(metric, metric)} | {cell[0]} | {cell[1]} | {dm:+.3f} ({dlo:+.3f} to {dhi:+.3f}) | {v} |")
        return "\n".join(rows)


def compare_with_baseline(
    train,
    *,
    seeds=(0, 1, 2),
    metrics=("test_accuracy",),
    name: str = "attention",
    baseline_name: str = "no attention",
    data=None,
    device=None,
    **kwargs,
) -> SeedComparison:
    """Train a demo with and without attention once per seed on the same data; measure both.

    Parameters
    ----------
    train : callable
        One of the ``train_*`` functions of this module (it takes ``attention``, ``seed``,
        ``data``, ``device``).
    seeds : sequence of int
        At least 2 (3 or more for a spread worth reading).
    metrics : sequence of str
        ``'test_accuracy'`` or keys of the results' ``extra`` (see :func:`demo_metric`).
    data : optional
        Prepared data, shared by every run (prepared once from ``train``'s default otherwise).
    **kwargs
        Passed to ``train`` (``epochs``, ...).

    Returns
    -------
    SeedComparison

    Examples
    --------
    >>> rng = np.random.default_rng(0)                   # a tiny stand-in for mode_data()
    >>> x = rng.random((8, 6, 24)).astype(np.float32); mask = np.ones((8, 6), bool); y = np.array([0, 1] * 4)
    >>> c = compare_with_baseline(train_mode_classifier, seeds=(0, 1), epochs=1, device="cpu",
    ...                           data=ModeData(x, mask, y, x, mask, y, pieces_test=[]))
    >>> c.metrics["test_accuracy"][0].shape, len(c.runs), c.verdict("test_accuracy")[:2] in ("at", "no")
    ((2,), 2, True)

    Chapter: notebooks/02_attention.ipynb
    """
    seeds = tuple(int(s) for s in seeds)
    check(len(seeds) >= 2 and len(set(seeds)) == len(seeds), "seeds", seeds, "at least two distinct seeds")
    check(len(metrics) >= 1, "metrics", metrics, "at least one metric name")
    runs = []
    for s in seeds:
        model = train(attention=True, seed=s, data=data, device=device, **kwargs)
        data = model.data
        runs.append((model, train(attention=False, seed=s, data=data, device=device, **kwargs)))
    values = {
        m: (np.array([demo_metric(a, m) for a, _ in runs]), np.array([demo_metric(b, m) for _, b in runs])) for m in metrics
    }
    return SeedComparison(name, baseline_name, seeds, values, runs)


# ---------------------------------------------------------------------------- what the instrument model used


@dataclass
class ReleaseProbe:
    """Where the instrument model's attention sits, and what it needs, around the key-up.

    The bundled notes are 1 s long with the key released at ``key_up`` = 0.8 s. For each
    instrument (rows in ``names`` order), on its held-out notes:

    Attributes
    ----------
    names : list of str
    attention_on_release : np.ndarray [shape=(n_instruments,)]
        Mean share of the attention map on frames centred at or after the key-up.
    accuracy : np.ndarray
        Accuracy on the notes as they are.
    accuracy_without_release : np.ndarray
        Accuracy with the release frames set to silence (the model still sees the tone).
    accuracy_release_only : np.ndarray
        Accuracy with every frame before the key-up set to silence (only the release is left).
    release_drop_db, release_drop_sd_db : np.ndarray
        Level of the release (0.85-1 s) below the sustain (0.4-0.75 s) in dB, mean and
        standard deviation over the instrument's notes (all pitches, both velocities): a
        small spread means the same release on every sample.
    release_frames : np.ndarray [shape=(n_frames,)] bool
    called_without_release : list of str
        The instrument most often predicted for its notes once their release is silenced.
    key_up : float

    Examples
    --------
    >>> p = ReleaseProbe(["a", "b"], *np.array([[0.2, 0.6], [1.0, 0.9], [1.0, 0.3], [0.1, 0.8], [20.0, 25.0], [4.0, 0.3]]),
    ...                  release_frames=np.arange(32) >= 25, called_without_release=["a", "a"])
    >>> p.row("b")["accuracy_without_release"], int(p.release_frames.sum())
    (0.3, 7)
    >>> print(p.verdict("b"))         # doctest: +NORMALIZE_WHITESPACE
    b: 60% of the attention lies on the release. Silencing the release takes the accuracy from 0.90
    to 0.30 (its notes are then called a); silencing the rest (40% of the weight) takes it to 0.80.

    Chapter: notebooks/02_attention.ipynb
    """

    names: list
    attention_on_release: np.ndarray
    accuracy: np.ndarray
    accuracy_without_release: np.ndarray
    accuracy_release_only: np.ndarray
    release_drop_db: np.ndarray
    release_drop_sd_db: np.ndarray
    release_frames: np.ndarray
    called_without_release: list = field(default_factory=list)
    key_up: float = 0.8

    def row(self, name: str) -> dict:
        """The figures of one instrument."""
        check(name in self.names, "name", name, f"one of {self.names}")
        i = self.names.index(name)
        keys = (
            "attention_on_release",
            "accuracy",
            "accuracy_without_release",
            "accuracy_release_only",
            "release_drop_db",
            "release_drop_sd_db",
        )
        return {k: float(getattr(self, k)[i]) for k in keys}

    def verdict(self, name: str) -> str:
        """What the weights say and what the interventions measured for one instrument, from the numbers."""
        r = self.row(name)
        called = self.called_without_release[self.names.index(name)] if self.called_without_release else "?"
        return (
            f"{name}: {r['attention_on_release']:.0%} of the attention lies on the release. Silencing the release takes the "
            f"accuracy from {r['accuracy']:.2f} to {r['accuracy_without_release']:.2f} (its notes are then called {called}); "
            f"silencing the rest ({1 - r['attention_on_release']:.0%} of the weight) takes it to "
            f"{r['accuracy_release_only']:.2f}."
        )

    def table(self) -> str:
        """A Markdown table, one row per instrument."""
        rows = [
            "| instrument | attention on the release | accuracy | release silenced (mostly called) | release only "
            "| release below sustain (dB, mean ± sd over its notes) |",
            "|---|---|---|---|---|---|",
        ]
        for i, n in enumerate(self.names):
            called = f" ({self.called_without_release[i]})" if self.called_without_release else ""
            rows.append(
                f"| {n} | {self.attention_on_release[i]:.2f} | {self.accuracy[i]:.2f} "
                f"| {self.accuracy_without_release[i]:.2f}{called} | {self.accuracy_release_only[i]:.2f} "
                f"| {self.release_drop_db[i]:.1f} ± {self.release_drop_sd_db[i]:.1f} |"
            )
        return "\n".join(rows)


#: The silent level of :func:`instrument_data`'s scaled log-mel input (-100 dB).
SILENT_INPUT = (-100.0 + 50.0) / 25.0


def release_probe(result: DemoResult, *, key_up: float = 0.8) -> ReleaseProbe:
    """Measure where the instrument model attends around the key-up and what it needs there.

    Attention weights say where the pooling put its weight, not what the decision depended
    on (Jain & Wallace 2019; Wiegreffe & Pinter 2019). The probe therefore also *intervenes*:
    it silences the release frames (or everything before them) in the input and measures the
    accuracy again, and it measures how much each instrument's samples differ in their
    release, which is what a model can key on.

    Parameters
    ----------
    result : DemoResult
        From :func:`train_instrument_classifier` (with attention).
    key_up : float
        The note-off time of the bundled notes in seconds.

    Returns
    -------
    ReleaseProbe

    Examples
    --------
    >>> r = train_instrument_classifier(epochs=1, device="cpu")     # doctest: +SKIP
    >>> release_probe(r).row("trumpet")["accuracy"]                  # doctest: +SKIP
    1.0

    Chapter: notebooks/02_attention.ipynb
    """

    d = result.data
    check(isinstance(d, NoteData), "result", result, "a DemoResult of train_instrument_classifier")
    n_frames = d.x_test.shape[-1]
    centres = np.arange(n_frames) * MEL["hop_length"] / d.sr
    release = centres >= key_up
    check(0 < release.sum() < n_frames, "key_up", key_up, f"a time inside the notes (0..{centres[-1]:.2f} s)")
    maps = result.model.attention_map(d.x_test)  # (n, n_mels, n_frames), each summing to one
    on_release = maps[..., release].sum(axis=(-2, -1))

    def pred(x):
        return predict(result.model, x, device=next(result.model.parameters()).device).argmax(-1).numpy()

    x_norel, x_relonly = d.x_test.copy(), d.x_test.copy()
    x_norel[..., release] = SILENT_INPUT
    x_relonly[..., ~release] = SILENT_INPUT
    pred_norel = pred(x_norel)
    right, right_norel, right_relonly = pred(d.x_test) == d.y_test, pred_norel == d.y_test, pred(x_relonly) == d.y_test

    notes = load_notes()
    a = np.asarray(notes.audio, dtype=np.float64)
    sr = notes.sr

    def level(seg):
        return 10 * np.log10(np.mean(seg**2, axis=-1) + 1e-12)

    drop = level(a[:, int(0.4 * sr) : int(0.75 * sr)]) - level(a[:, int((key_up + 0.05) * sr) :])
    per = {k: [] for k in range(6)}
    called = []
    for k in range(len(d.names)):
        sel = d.y_test == k
        called.append(d.names[int(np.bincount(pred_norel[sel], minlength=len(d.names)).argmax())])
        per[0].append(on_release[sel].mean())
        per[1].append(right[sel].mean())
        per[2].append(right_norel[sel].mean())
        per[3].append(right_relonly[sel].mean())
        own = notes.instrument == d.names[k]
        per[4].append(drop[own].mean())
        per[5].append(drop[own].std())
    arrays = [np.array(per[i], dtype=float) for i in range(6)]
    return ReleaseProbe(list(d.names), *arrays, release_frames=release, called_without_release=called, key_up=float(key_up))
