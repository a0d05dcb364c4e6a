"""Automatic feature extraction (自动特征抽取): a small CNN that names the instrument of a note.

Source section 2(2)(a): "借助于卷积神经网络（CNN），可以在不手工设计特征的情况下，自动提取…有效特征"
(with a CNN, useful features are extracted without designing them by hand). This module
makes that claim testable on the bundled notes:

* :func:`note_features` turns notes into log-mel spectrograms ``(n, n_mels, n_frames)``;
* :func:`split_notes` holds out every third pitch of every instrument, so the test notes
  are pitches the model never heard from that instrument;
* :class:`InstrumentCNN` learns its own filters from the spectrograms (:func:`train_instrument_cnn`);
* :func:`mfcc_statistics` + :func:`train_feature_baseline` are the hand-made-feature
  classifier it is compared with (MFCC means and deviations, scikit-learn logistic regression);
* :meth:`InstrumentCNN.activations` and :func:`channel_class_response` show what the
  learned filters respond to.

Chapter: notebooks/01b_deep_learning.ipynb
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from ..audio import get_device, to_numpy
from ..data import NoteSet, load_notes
from ..errors import ParameterError, check
from ..features import note_logmel
from .training import fit, predict, single_thread

__all__ = [
    "librosa_feature",
    "note_features",
    "split_notes",
    "split_octaves",
    "SPLITS",
    "InstrumentCNN",
    "CNNResult",
    "train_instrument_cnn",
    "mfcc_statistics",
    "train_feature_baseline",
    "BaselineResult",
    "channel_class_response",
]

# ----------------------------------------------------------------------------------------
# Features: librosa's spectrogram functions behind one door (also used by crnn and transfer).
# ----------------------------------------------------------------------------------------


def librosa_feature(name: str, y: np.ndarray, **kw) -> np.ndarray:
    """librosa's ``name`` (``cqt``/``stft`` from ``librosa``, the rest from ``librosa.feature``) of ``y``, as an array.

    Examples
    --------
    >>> librosa_feature("rms", np.ones(2048, np.float32)).shape
    (1, 5)

    Chapter: notebooks/01b_deep_learning.ipynb
    """
    # librosa and sklearn are imported where used: importing this module (and `import musynth_lab`) stays light
    import librosa  # function-local: keeps ``import musynth_lab`` light

    fn = getattr(librosa, name) if name in ("cqt", "stft") else getattr(librosa.feature, name)
    return np.asarray(fn(y=y, **kw))


def _notes_audio(audio, n_fft: int) -> np.ndarray:
    """Notes as a float32 ``(n_notes, n_samples)`` array (one 1-D note becomes one row), checked."""
    a = np.asarray(to_numpy(audio), dtype=np.float32)
    if a.ndim == 1:
        a = a[None]
    check(
        a.ndim == 2 and a.shape[0] > 0 and a.shape[1] >= n_fft // 2,
        "audio",
        a,
        f"notes as a non-empty (n_notes, n_samples) array with n_samples >= {n_fft // 2}",
    )
    return a


def note_features(
    audio, *, sr: int, n_mels: int = 48, n_fft: int = 1024, hop_length: int = 512, fmin: float = 30.0, fmax: float | None = 8000.0
) -> np.ndarray:
    """Log-mel spectrograms of notes, scaled to [0, 1] per note (loudness removed).

    Parameters
    ----------
    audio : np.ndarray [shape=(n_notes, n_samples) or (n_samples,)]
        Notes, e.g. ``load_notes().audio``.
    sr : int
        Sample rate in Hz.
    n_mels, n_fft, hop_length : int
        Mel bands, FFT size and hop (samples).
    fmin, fmax : float
        Lowest and highest mel-band edge in Hz.

    Returns
    -------
    np.ndarray [shape=(n_notes, n_mels, n_frames)], float32
        0 is 80 dB below the note's own peak, 1 is its peak.

    Raises
    ------
    ParameterError
        Empty audio, or audio that is not 1-D or 2-D.

    Examples
    --------
    >>> from musynth_lab.data import load_notes
    >>> X = note_features(load_notes(instrument="flute", velocity=110).audio[:2], sr=16000)
    >>> X.shape, float(X.max())
    ((2, 48, 32), 1.0)

    Chapter: notebooks/01b_deep_learning.ipynb
    """
    a = _notes_audio(audio, n_fft)
    check(int(n_mels) > 0, "n_mels", n_mels, "a positive integer")
    db = note_logmel(a, sr=sr, n_mels=int(n_mels), n_fft=int(n_fft), hop_length=int(hop_length), fmin=fmin, fmax=fmax)
    return (db / 80.0 + 1.0).astype(np.float32)


def split_notes(notes, *, every: int = 3, offset: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """Train/test indices that hold out every ``every``-th pitch of every instrument.

    Pitches are counted from each instrument's lowest bundled pitch; the notes whose rank
    ``% every == offset`` are the test set, so every test note is a pitch that the model
    never heard from that instrument (both velocities of it are held out).

    Parameters
    ----------
    notes : NoteSet
    every, offset : int
        Hold out ranks ``r`` with ``r % every == offset``.

    Returns
    -------
    train_idx, test_idx : np.ndarray of int
        Disjoint indices into ``notes``.

    Examples
    --------
    >>> from musynth_lab.data import load_notes
    >>> tr, te = split_notes(load_notes())
    >>> len(tr), len(te)
    (320, 160)

    Chapter: notebooks/01b_deep_learning.ipynb
    """
    check(isinstance(notes, NoteSet), "notes", notes, "a NoteSet from musynth_lab.data.load_notes()")
    check(len(notes) > 0, "notes", notes, "at least one note")
    check(int(every) >= 2 and 0 <= int(offset) < int(every), "every", every, "an integer >= 2 with 0 <= offset < every")
    lowest = {i: notes.pitch[notes.instrument == i].min() for i in set(notes.instrument.tolist())}
    rank = np.array([p - lowest[i] for p, i in zip(notes.pitch.tolist(), notes.instrument.tolist())])
    test = rank % int(every) == int(offset)
    return np.flatnonzero(~test), np.flatnonzero(test)


def split_octaves(notes, *, test: str = "upper") -> tuple[np.ndarray, np.ndarray]:
    """Train/test indices that hold out a whole octave of every instrument: a harder test than :func:`split_notes`.

    The bundled notes span two octaves per instrument (24 pitches from its lowest). With
    ``test='upper'`` the model trains on each instrument's lower 12 pitches and is tested on
    its upper 12: it must *extrapolate* to a register it never heard, where the timbre
    changes (a flute's upper octave is purer, a bass's harmonics move up), instead of
    interpolating between neighbouring heard pitches.

    Parameters
    ----------
    notes : NoteSet
    test : {'upper', 'lower'}
        Which octave of each instrument is the test set.

    Returns
    -------
    train_idx, test_idx : np.ndarray of int
        Disjoint indices into ``notes``.

    Examples
    --------
    >>> from musynth_lab.data import load_notes
    >>> notes = load_notes()
    >>> tr, te = split_octaves(notes)
    >>> len(tr), len(te), int(notes.pitch[te][notes.instrument[te] == "flute"].min())
    (240, 240, 72)

    Chapter: notebooks/01b_deep_learning.ipynb
    """

    check(isinstance(notes, NoteSet), "notes", notes, "a NoteSet from musynth_lab.data.load_notes()")
    check(len(notes) > 0, "notes", notes, "at least one note")
    check(test in ("upper", "lower"), "test", test, "'upper' or 'lower'")
    lowest = {i: notes.pitch[notes.instrument == i].min() for i in set(notes.instrument.tolist())}
    rank = np.array([p - lowest[i] for p, i in zip(notes.pitch.tolist(), notes.instrument.tolist())])
    held = rank >= 12 if test == "upper" else rank < 12
    return np.flatnonzero(~held), np.flatnonzero(held)


#: The train/test splits :func:`train_instrument_cnn` and :func:`train_feature_baseline` know.
SPLITS = {"pitches": split_notes, "octave": split_octaves}


def _split(notes, split: str):
    check(split in SPLITS, "split", split, f"one of {sorted(SPLITS)}")
    return SPLITS[split](notes)


class InstrumentCNN(nn.Module):
    """Three convolution blocks over a log-mel spectrogram, then a linear classifier.

    ``(batch, n_mels, n_frames) -> (batch, n_classes)`` logits. The blocks are
    conv 3x3 -> batch norm -> ReLU (-> 2x2 max-pool after the first two); the last map is
    averaged over time and pooled to ``freq_bands`` frequency bands, so the classifier sees
    *where in frequency* the learned patterns occur but not *when*.

    Parameters
    ----------
    n_classes : int
    channels : tuple of 3 int
        Filters per block.
    freq_bands : int
        Frequency bands kept after pooling.
    dropout : float

    Examples
    --------
    >>> net = InstrumentCNN(10)
    >>> net(torch.zeros(2, 48, 32)).shape
    torch.Size([2, 10])

    Chapter: notebooks/01b_deep_learning.ipynb
    """

    def __init__(self, n_classes: int, *, channels=(8, 16, 32), freq_bands: int = 4, dropout: float = 0.3):
        super().__init__()
        check(int(n_classes) >= 2, "n_classes", n_classes, "an integer >= 2")
        check(len(channels) == 3 and all(int(c) > 0 for c in channels), "channels", channels, "three positive integers")
        c1, c2, c3 = (int(c) for c in channels)

        def block(cin, cout):
            return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1), nn.BatchNorm2d(cout), nn.ReLU())

        self.blocks = nn.ModuleList([block(1, c1), block(c1, c2), block(c2, c3)])
        self.pool = nn.MaxPool2d(2)
        self.head_pool = nn.AdaptiveAvgPool2d((int(freq_bands), 1))
        self.classifier = nn.Sequential(nn.Flatten(), nn.Dropout(dropout), nn.Linear(c3 * int(freq_bands), int(n_classes)))

    def _check(self, x):
        if x.ndim != 3 or x.shape[-1] < 4 or x.shape[-2] < 4:
            raise ParameterError(f"x has shape {tuple(x.shape)}: expected (batch, n_mels >= 4, n_frames >= 4)")

    def activations(self, x: torch.Tensor) -> list[torch.Tensor]:
        """The feature maps after each block: ``[(batch, c1, F, T), (batch, c2, F/2, T/2), (batch, c3, F/4, T/4)]``."""
        self._check(x)
        maps, z = [], x.unsqueeze(1)  # (batch, 1, n_mels, n_frames)
        for i, blk in enumerate(self.blocks):
            z = blk(z)
            maps.append(z)
            if i < 2:
                z = self.pool(z)
        return maps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        z = self.activations(x)[-1]  # (batch, c3, n_mels/4, n_frames/4)
        return self.classifier(self.head_pool(z))  # (batch, n_classes)

    @property
    def first_filters(self) -> np.ndarray:
        """The first layer's learned 3x3 kernels, ``(c1, 3, 3)`` (rows: frequency, columns: time)."""
        return to_numpy(self.blocks[0][0].weight[:, 0])


@dataclass
class CNNResult:
    """What :func:`train_instrument_cnn` returns.

    Attributes
    ----------
    model : InstrumentCNN
        Trained, in eval mode, on ``device``.
    history : musynth_lab.models.History
    test_accuracy : float
        Accuracy on the held-out pitches.
    chance : float
        Accuracy of always guessing the most frequent training class.
    class_names : list of str
    train_idx, test_idx : np.ndarray
        Indices into the NoteSet.
    y_test, pred_test : np.ndarray
        True and predicted class per test note.
    X_test : np.ndarray [shape=(n_test, n_mels, n_frames)]

    Examples
    --------
    >>> z = np.zeros(2, dtype=np.int64)
    >>> r = CNNResult(InstrumentCNN(2), None, 0.9, 0.5, ["flute", "bass"], z, z, z, z, np.zeros((2, 48, 32)))
    >>> r.class_names, r.test_accuracy > r.chance
    (['flute', 'bass'], True)

    Chapter: notebooks/01b_deep_learning.ipynb
    """

    model: InstrumentCNN
    history: object
    test_accuracy: float
    chance: float
    class_names: list
    train_idx: np.ndarray = field(repr=False)
    test_idx: np.ndarray = field(repr=False)
    y_test: np.ndarray = field(repr=False)
    pred_test: np.ndarray = field(repr=False)
    X_test: np.ndarray = field(repr=False)


def _labels(notes, label: str):
    check(label in ("instrument", "family"), "label", label, "'instrument' or 'family'")
    return notes.labels(label)


def train_instrument_cnn(
    notes=None,
    *,
    label: str = "family",
    epochs: int = 20,
    lr: float = 3e-3,
    batch_size: int = 32,
    channels=(8, 16, 32),
    seed: int = 0,
    device=None,
    progress: bool = True,
    features: np.ndarray | None = None,
    split: str = "pitches",
) -> CNNResult:
    """Train :class:`InstrumentCNN` on log-mel spectrograms and test it on held-out pitches.

    Parameters
    ----------
    notes : NoteSet, optional
        Defaults to all bundled notes (:func:`musynth_lab.data.load_notes`).
    label : {'family', 'instrument'}
        What to predict (the bundled set has one instrument per family).
    epochs, lr, batch_size : training settings for :func:`musynth_lab.models.fit`.
    channels : tuple of 3 int
    seed : int
    device : str or torch.device, optional
    progress : bool
    features : np.ndarray [shape=(n_notes, n_mels, n_frames)], optional
        Precomputed :func:`note_features` of ``notes`` (saves recomputing them).
    split : {'pitches', 'octave'}
        The held-out notes: every third pitch (:func:`split_notes`) or each instrument's
        upper octave (:func:`split_octaves`).

    Returns
    -------
    CNNResult

    Examples
    --------
    >>> from musynth_lab.data import load_notes
    >>> res = train_instrument_cnn(load_notes(instrument=["flute", "bass"]), epochs=2, progress=False)
    >>> res.class_names, res.X_test.shape[1:]
    (['bass', 'flute'], (48, 32))

    Chapter: notebooks/01b_deep_learning.ipynb
    """
    notes = load_notes() if notes is None else notes
    y, names = _labels(notes, label)
    check(len(names) >= 2, "notes", notes, "notes of at least two classes")
    X = note_features(notes.audio, sr=notes.sr) if features is None else np.asarray(features, dtype=np.float32)
    check(X.ndim == 3 and len(X) == len(notes), "features", X, f"an array (n_notes={len(notes)}, n_mels, n_frames)")
    tr, te = _split(notes, split)
    device = get_device(device)
    torch.manual_seed(seed)
    model = InstrumentCNN(len(names), channels=channels)
    with single_thread():  # small convolutions: one CPU thread avoids synchronisation overhead
        hist = fit(
            model,
            (X[tr], y[tr]),
            epochs=epochs,
            lr=lr,
            batch_size=batch_size,
            seed=seed,
            device=device,
            progress=progress,
            desc="instrument CNN",
        )
    pred = predict(model, X[te], device=device).argmax(-1).numpy()
    chance = float(np.bincount(y[tr]).max() / len(tr))
    return CNNResult(model, hist, float((pred == y[te]).mean()), chance, names, tr, te, y[te], pred, X[te])


def mfcc_statistics(audio, *, sr: int, n_mfcc: int = 20, n_fft: int = 1024, hop_length: int = 512) -> np.ndarray:
    """Hand-made features: the mean and standard deviation over time of each MFCC.

    Parameters
    ----------
    audio : np.ndarray [shape=(n_notes, n_samples)]
    sr : int
    n_mfcc, n_fft, hop_length : int

    Returns
    -------
    np.ndarray [shape=(n_notes, 2 * n_mfcc)]
        ``[means..., deviations...]``.

    Examples
    --------
    >>> from musynth_lab.data import load_notes
    >>> mfcc_statistics(load_notes(instrument="organ").audio[:3], sr=16000).shape
    (3, 40)

    Chapter: notebooks/01b_deep_learning.ipynb
    """
    a = _notes_audio(audio, n_fft)
    check(int(n_mfcc) > 0, "n_mfcc", n_mfcc, "a positive integer")
    M = librosa_feature("mfcc", a, sr=sr, n_mfcc=int(n_mfcc), n_fft=int(n_fft), hop_length=int(hop_length))
    return np.concatenate([M.mean(-1), M.std(-1)], axis=-1).astype(np.float32)


@dataclass
class BaselineResult:
    """What :func:`train_feature_baseline` returns: the fitted pipeline and its held-out accuracy.

    Examples
    --------
    >>> r = BaselineResult(None, 0.95, ["flute", "bass"], np.array([0, 1]), np.array([0, 1]))
    >>> r
    BaselineResult(pipeline=None, test_accuracy=0.95, class_names=['flute', 'bass'])

    Chapter: notebooks/01b_deep_learning.ipynb
    """

    pipeline: object
    test_accuracy: float
    class_names: list
    y_test: np.ndarray = field(repr=False)
    pred_test: np.ndarray = field(repr=False)


def train_feature_baseline(
    notes=None, *, label: str = "family", n_mfcc: int = 20, split: str = "pitches", features: np.ndarray | None = None
) -> BaselineResult:
    """Hand-made features + a linear classifier: MFCC statistics, standardised, logistic regression.

    Uses the same splits as :func:`train_instrument_cnn` (``split='pitches'`` or
    ``'octave'``); ``features`` are precomputed :func:`mfcc_statistics` of ``notes``.

    Examples
    --------
    >>> from musynth_lab.data import load_notes
    >>> res = train_feature_baseline(load_notes(instrument=["flute", "bass"]))
    >>> res.test_accuracy > 0.9
    True

    Chapter: notebooks/01b_deep_learning.ipynb
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    notes = load_notes() if notes is None else notes
    y, names = _labels(notes, label)
    check(len(names) >= 2, "notes", notes, "notes of at least two classes")
    F = mfcc_statistics(notes.audio, sr=notes.sr, n_mfcc=n_mfcc) if features is None else np.asarray(features)
    check(F.ndim == 2 and len(F) == len(notes), "features", F, f"an array (n_notes={len(notes)}, n_features)")
    tr, te = _split(notes, split)
    pipe = make_pipeline(StandardScaler(), LogisticRegression(max_iter=3000))
    pipe.fit(F[tr], y[tr])
    pred = pipe.predict(F[te])
    return BaselineResult(pipe, float((pred == y[te]).mean()), names, y[te], pred)


@torch.no_grad()
def channel_class_response(model: InstrumentCNN, X, y, *, layer: int = -1, n_classes: int | None = None) -> np.ndarray:
    """Mean activation of each channel of one layer, per class: what each learned filter "likes".

    Parameters
    ----------
    model : InstrumentCNN
    X : np.ndarray [shape=(n, n_mels, n_frames)]
    y : np.ndarray [shape=(n,)] of int
    layer : int
        Which block (0, 1, 2 or -1 for the last).

    Returns
    -------
    np.ndarray [shape=(n_channels, n_classes)]
        Each row divided by its largest entry (1 = the class that drives this channel most).

    Examples
    --------
    >>> net = InstrumentCNN(2).eval()
    >>> channel_class_response(net, np.random.rand(4, 48, 32), np.array([0, 0, 1, 1])).shape
    (32, 2)

    Chapter: notebooks/01b_deep_learning.ipynb
    """
    check(isinstance(model, InstrumentCNN), "model", model, "an InstrumentCNN")
    X = torch.as_tensor(np.asarray(to_numpy(X), dtype=np.float32))
    y = np.asarray(to_numpy(y)).astype(np.int64).ravel()
    check(
        X.ndim == 3 and len(X) == len(y) and len(y) > 0, "X", X, "a non-empty (n, n_mels, n_frames) array with one label per row"
    )
    check(-3 <= int(layer) < 3, "layer", layer, "0, 1, 2 or a negative index")
    n_classes = int(n_classes or y.max() + 1)
    device = next(model.parameters()).device
    was = model.training
    model.eval()
    maps = model.activations(X.to(device))[int(layer)].mean(dim=(-2, -1)).cpu().numpy()  # (n, channels)
    model.train(was)
    resp = np.stack([maps[y == c].mean(0) if np.any(y == c) else np.zeros(maps.shape[1]) for c in range(n_classes)], 1)
    return resp / np.maximum(resp.max(axis=1, keepdims=True), 1e-12)
