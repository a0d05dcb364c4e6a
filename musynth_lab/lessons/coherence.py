"""Chapter 6c's harmonizer experiment: aligned soprano/lower-voice windows, the trainer and its record.

* :func:`harmony_data`: aligned windows (4 bars of eighth notes by default) of soprano tokens and
  the three lower voices from the bundled chorales (:class:`HarmonyData`).
* :func:`pretrain_melody_encoder`: chapter 4's MelodyVAE trained on the chorale voices, to share
  its encoder with the harmonizer.
* :func:`train_harmonizer` (through the shared loop :func:`musynth_lab.models.fit`) returns a
  :class:`HarmonizerResult`; :func:`unigram_nll` is the per-step baseline.

The network, its loss and the decoder are in :mod:`musynth_lab.models.harmony`.

Chapter: notebooks/06c_coherence.ipynb
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field

import numpy as np
import torch  # noqa: F401  (doctest)

from ..audio import get_device, play, seed_everything
from ..data import HOLD, N_MELODY_TOKENS, Chorale, load_chorales  # noqa: F401  (HOLD: doctest)
from ..errors import ParameterError, check
from ..evaluate import roll_to_notes
from ..models.harmony import BOS, LOWER_VOICES, VAE_CHUNK, Harmonizer, bar_offset, harmony_loss
from ..models.training import accuracy, evaluate_loss, fit, predict, single_thread
from ..models.vae import MelodyVAE, melody_windows
from ..synth import render_notes

__all__ = [
    "HarmonyData",
    "harmony_data",
    "unigram_nll",
    "pretrain_melody_encoder",
    "HarmonizerResult",
    "train_harmonizer",
    "play_roll",
]


@dataclass
class HarmonyData:
    """Aligned soprano / alto-tenor-bass windows of one split.

    Attributes
    ----------
    src : np.ndarray [shape=(n, window)], int64
        Soprano tokens.
    tgt : np.ndarray [shape=(n, window, 3)], int64
        Alto, tenor and bass tokens at the same steps.
    prev : np.ndarray [shape=(n, 3)], int64
        The three voices' tokens at the step before each window (:data:`BOS` where the
        window starts the piece): the decoder's first input.
    where : np.ndarray [shape=(n, 3)], int64
        (piece index into ``pieces``, first step, transposition) of each window.
    pieces : list of Chorale
    split : str
    step : float
        Grid step in quarter notes (0.5 = eighth notes).
    window : int
        Steps per window.

    Examples
    --------
    >>> d = harmony_data("test")
    >>> d.split, len(d) == len(d.src), d.prev.shape[1], d.window == d.src.shape[1]
    ('test', True, 3, True)

    Chapter: notebooks/06c_coherence.ipynb
    """

    src: np.ndarray
    tgt: np.ndarray
    prev: np.ndarray
    where: np.ndarray
    pieces: list
    split: str
    step: float
    window: int

    def __len__(self) -> int:
        return len(self.src)

    @property
    def tgt_in(self) -> np.ndarray:
        """Decoder inputs ``(n, window, 3)``: the targets shifted one step right, ``prev`` first."""
        return np.concatenate([self.prev[:, None], self.tgt[:, :-1]], axis=1)


def harmony_data(
    split: str, *, step: float = 0.5, window: int = 32, hop: int | None = None, transposes=(0,), pieces=None
) -> HarmonyData:
    """Soprano and alto/tenor/bass of the chorales as aligned token windows.

    Windows start at the first full bar (after the pick-up) and every ``hop`` steps after
    it; a piece shorter than one window gives none. Each piece is used in every
    transposition of ``transposes`` whose four voices stay in the token range (others are
    skipped).

    Parameters
    ----------
    split : {'train', 'val', 'test'}
    step : float
        Grid step in quarter notes; 0.5 (eighth notes) is what the models expect.
    window : int
        Steps per window: a positive multiple of 16 (the shared encoder reads 16-step chunks).
    hop : int, optional
        Steps between window starts: ``window // 2`` for 'train' (overlapping), ``window``
        otherwise.
    transposes : sequence of int
        Semitone shifts (augmentation).
    pieces : list of Chorale, optional
        Use these pieces instead of the whole split (e.g. a subset of it).

    Returns
    -------
    HarmonyData

    Raises
    ------
    ParameterError
        An unknown split, a bad window/hop/step.

    Examples
    --------
    >>> d = harmony_data("test")
    >>> d.src.shape[1], d.tgt.shape[1:], d.tgt_in.shape == d.tgt.shape
    (32, (32, 3), True)
    >>> int(d.where[0, 1]) == round(d.pieces[0].pickup_q / 0.5)     # the first window starts on the first bar line
    True

    Chapter: notebooks/06c_coherence.ipynb
    """
    check(split in ("train", "val", "test"), "split", split, "one of 'train', 'val', 'test'")
    check(isinstance(step, (int, float)) and step > 0, "step", step, "a positive grid step in quarter notes")
    check(
        isinstance(window, (int, np.integer)) and window > 0 and window % VAE_CHUNK == 0,
        "window",
        window,
        f"a positive multiple of {VAE_CHUNK} steps",
    )
    if hop is None:
        hop = window // 2 if split == "train" else window
    check(isinstance(hop, (int, np.integer)) and hop > 0, "hop", hop, "a positive number of steps")
    transposes = tuple(int(t) for t in np.atleast_1d(transposes))
    check(len(transposes) > 0, "transposes", transposes, "at least one semitone shift")
    pieces = load_chorales(split) if pieces is None else list(pieces)
    check(all(isinstance(p, Chorale) for p in pieces), "pieces", pieces, "a list of Chorale objects")
    src, tgt, prev, where = [], [], [], []
    for pi, p in enumerate(pieces):
        for tr in transposes:
            try:
                s = p.melody_tokens(part="S", step=step, transpose=tr)
                low = np.stack([p.melody_tokens(part=v, step=step, transpose=tr) for v in LOWER_VOICES], 1)
            except ParameterError:
                continue
            n = min(len(s), len(low))
            for start in range(bar_offset(p, step), n - window + 1, int(hop)):
                src.append(s[start : start + window])
                tgt.append(low[start : start + window])
                prev.append(low[start - 1] if start > 0 else np.full(3, BOS))
                where.append((pi, start, tr))
    check(len(src) > 0, "pieces", [p.id for p in pieces[:3]], f"pieces at least {window} steps long")
    return HarmonyData(
        np.array(src, np.int64),
        np.array(tgt, np.int64),
        np.array(prev, np.int64),
        np.array(where, np.int64),
        pieces,
        split,
        float(step),
        int(window),
    )


def unigram_nll(train: HarmonyData, test: HarmonyData) -> float:
    """The per-step unigram baseline: each voice's token frequencies in ``train`` (add-one smoothed).

    Scored in nats per step per voice on ``test``.

    Examples
    --------
    >>> d = harmony_data("val")
    >>> unigram_nll(d, d) < math.log(N_MELODY_TOKENS)
    True

    Chapter: notebooks/06c_coherence.ipynb
    """
    check(
        isinstance(train, HarmonyData) and isinstance(test, HarmonyData),
        "train",
        type(train).__name__,
        "HarmonyData for train and test",
    )
    nll = []
    for v in range(3):
        counts = np.bincount(train.tgt[..., v].ravel(), minlength=N_MELODY_TOKENS) + 1.0
        logp = np.log(counts / counts.sum())
        nll.append(-logp[test.tgt[..., v].ravel()])
    return float(np.mean(np.concatenate(nll)))


def pretrain_melody_encoder(
    *, epochs: int = 10, latent_dim: int = 8, seed: int = 0, device=None, pieces=None, parts=("S",), progress: bool = False
):
    """Chapter 4's MelodyVAE, fitted on its own task (two-bar soprano windows of the training chorales).

    The soprano alone is unlabelled melody: all training pieces can be used for it even
    when the harmonizer sees only a few harmonised ones.

    Parameters
    ----------
    epochs, latent_dim, seed : int
    device : str or torch.device, optional
    pieces : list of Chorale, optional
        Default: every training chorale (4/4 ones; see
        :func:`musynth_lab.models.vae.melody_windows`).
    parts : sequence of {'S', 'A', 'T', 'B'}
        Whose lines are the VAE's windows: the soprano (chapter 4's choice, default) or more
        voices (more unlabelled melody, the lower voices' ranges included).
    progress : bool

    Returns
    -------
    MelodyVAE
        Fitted, in eval mode.

    Examples
    --------
    >>> vae = pretrain_melody_encoder(epochs=1, pieces=load_chorales("train")[:10])
    >>> vae.fitted, vae.encode(torch.full((16,), HOLD)).shape
    (True, (1, 8))

    Chapter: notebooks/06c_coherence.ipynb
    """
    device = get_device(device)
    seed_everything(seed)
    parts = tuple(parts)  # "SATB" or ("S", "A", ...)
    check(len(parts) > 0 and all(p in ("S",) + LOWER_VOICES for p in parts), "parts", parts, "some of 'S', 'A', 'T', 'B'")
    pieces = load_chorales("train") if pieces is None else pieces
    windows = np.concatenate([melody_windows(pieces, part=part) for part in parts])
    vae = MelodyVAE(latent_dim=latent_dim)
    with single_thread(device):
        vae.fit(windows, epochs=epochs, device=device, seed=seed, progress=progress)
    return vae.eval()


@dataclass
class HarmonizerResult:
    """A trained harmonizer and its held-out figures.

    Attributes
    ----------
    model : Harmonizer
        In eval mode, on the device it was trained on.
    history : History
        Training and validation loss per epoch (early stopping restored the best epoch).
    test_nll : float
        Teacher-forced cross-entropy on the test windows, nats per step per voice.
    test_accuracy : float
        Teacher-forced token accuracy on the test windows (each voice's next token).
    encoder : MelodyVAE or None
        The shared encoder, when one was used.
    extra : dict
        ``val_nll``; ``unigram_nll`` (the per-step baseline on the same test windows);
        ``onset_accuracy`` (accuracy where the true token starts a note: the pitch choices);
        ``n_train_pieces``, ``n_train_windows``; ``encoder_changed`` (largest absolute
        change of a shared encoder's weights during training: 0.0 when frozen).

    Examples
    --------
    >>> r = HarmonizerResult(Harmonizer(), None, test_nll=1.2, test_accuracy=0.6)
    >>> r.test_nll, r.encoder, r.extra
    (1.2, None, {})

    Chapter: notebooks/06c_coherence.ipynb
    """

    model: Harmonizer
    history: object
    test_nll: float
    test_accuracy: float
    encoder: object = None
    extra: dict = field(default_factory=dict)


def train_harmonizer(
    *,
    shared_encoder=False,
    freeze: bool = True,
    attention: bool = True,
    n_train: int | None = None,
    epochs: int | None = None,
    patience: int = 3,
    d: int = 48,
    transposes=(0,),
    seed: int = 0,
    batch_size: int = 64,
    device=None,
    progress: bool = False,
    lr: float = 1e-2,
) -> HarmonizerResult:
    """Train a :class:`Harmonizer` on the training chorales and measure it on the test chorales.

    Parameters
    ----------
    shared_encoder : bool or MelodyVAE
        ``True``: pretrain chapter 4's MelodyVAE (:func:`pretrain_melody_encoder`, on all
        training sopranos) and share its encoder; a fitted ``MelodyVAE``: share that one
        (with ``freeze=False`` a copy of it is fine-tuned, the one passed stays as it was);
        ``False``: no sharing.
    freeze : bool
        Keep the shared encoder fixed (True) or fine-tune it with the harmonizer.
    attention : bool
        False gives the fixed-vector baseline.
    n_train : int, optional
        Train on this many training pieces (a seeded random choice); default all.
    epochs : int, optional
        At most this many epochs; default enough for about 400 gradient steps (at least 8
        epochs, at most 60). Training stops after ``patience`` epochs without a lower
        validation loss and keeps the best epoch.
    patience, d, batch_size, seed : int
    transposes : sequence of int
        Semitone shifts of the training pieces (augmentation).
    device : str or torch.device, optional
    progress : bool
    lr : float

    Returns
    -------
    HarmonizerResult

    Raises
    ------
    ParameterError
        ``n_train`` below 1 or above the number of training pieces.

    Examples
    --------
    >>> r = train_harmonizer(n_train=8, epochs=2)
    >>> r.test_nll < math.log(N_MELODY_TOKENS), 0.0 <= r.test_accuracy <= 1.0
    (True, True)

    Chapter: notebooks/06c_coherence.ipynb
    """
    train_pieces = load_chorales("train")
    if n_train is not None:
        check(
            isinstance(n_train, (int, np.integer)) and 1 <= n_train <= len(train_pieces),
            "n_train",
            n_train,
            f"an integer in 1..{len(train_pieces)}",
        )
        idx = np.sort(np.random.default_rng(seed).permutation(len(train_pieces))[: int(n_train)])
        train_pieces = [train_pieces[i] for i in idx]
    if epochs is not None:
        check(isinstance(epochs, (int, np.integer)) and epochs > 0, "epochs", epochs, "a positive integer")
    check(isinstance(shared_encoder, (bool, MelodyVAE)), "shared_encoder", shared_encoder, "True, False or a fitted MelodyVAE")
    device = get_device(device)
    tr = harmony_data("train", pieces=train_pieces, transposes=transposes)
    va, te = harmony_data("val"), harmony_data("test")
    vae = None
    if shared_encoder is True:
        vae = pretrain_melody_encoder(seed=seed, device=device)
    elif isinstance(shared_encoder, MelodyVAE):
        vae = shared_encoder if freeze else copy.deepcopy(shared_encoder)  # fine-tuning leaves the caller's VAE alone
    before = None if vae is None else [p.detach().clone() for p in vae.parameters()]
    check(isinstance(batch_size, (int, np.integer)) and batch_size > 0, "batch_size", batch_size, "a positive integer")
    if epochs is None:
        per_epoch = math.ceil(len(tr) / batch_size)
        epochs = int(min(60, max(8, math.ceil(400 / per_epoch))))
    seed_everything(seed)
    model = Harmonizer(d=d, attention=attention, melody_encoder=vae, freeze=freeze)
    with single_thread(device):
        hist = fit(
            model,
            (tr.src, tr.tgt_in, tr.tgt),
            loss_fn=harmony_loss,
            epochs=int(epochs),
            lr=lr,
            batch_size=batch_size,
            val_data=(va.src, va.tgt_in, va.tgt),
            patience=int(patience),
            seed=seed,
            device=device,
            progress=progress,
            desc="harmonizer",
        )
        test_nll, test_acc = evaluate_loss(
            model, (te.src, te.tgt_in, te.tgt), loss_fn=harmony_loss, metric=accuracy, device=device
        )
        val_nll, _ = evaluate_loss(model, (va.src, va.tgt_in, va.tgt), loss_fn=harmony_loss, device=device)
        pred = predict(model, (te.src, te.tgt_in), device=device).argmax(-1).numpy()
    onset = te.tgt >= 2
    extra = {
        "val_nll": float(val_nll),
        "unigram_nll": unigram_nll(tr, te),
        "onset_accuracy": float(np.mean(pred[onset] == te.tgt[onset])),
        "n_train_pieces": len(train_pieces),
        "n_train_windows": len(tr),
    }
    if vae is not None:
        extra["encoder_changed"] = float(max((p.detach().cpu() - b.cpu()).abs().max() for p, b in zip(vae.parameters(), before)))
    model.eval()
    return HarmonizerResult(model, hist, float(test_nll), float(test_acc), vae, extra)


def play_roll(roll, *, bars: int = 4, bpm: float = 90, instrument: str = "choir", sr: int = 16000, low: int = 21):
    """A player for the first ``bars`` 4/4 bars of a piano roll (eighth-note frames), rendered with the kit's synth.

    Parameters
    ----------
    roll : np.ndarray [shape=(n_keys, n_frames)], binary
        Row 0 is MIDI ``low``; one frame is an eighth note, so a bar is 8 frames.
    bars : int
        How many bars to play (fewer if the roll is shorter).
    bpm, instrument, sr
        As :func:`musynth_lab.synth.render_notes`.

    Returns
    -------
    IPython.display.Audio
        From :func:`musynth_lab.play` (peak-normalised: every model's sample plays at the same level).

    Examples
    --------
    >>> roll = np.zeros((88, 16), bool); roll[60 - 21, :8] = True; roll[64 - 21, 8:] = True
    >>> type(play_roll(roll, bars=2, instrument="piano")).__name__
    'Audio'

    Chapter: notebooks/06c_coherence.ipynb
    """

    check(isinstance(bars, (int, np.integer)) and bars > 0, "bars", bars, "a positive number of bars")
    notes = roll_to_notes(np.asarray(roll)[:, : 8 * int(bars)], step=0.5, low=low)
    return play(render_notes(notes, bpm=bpm, sr=sr, instrument=instrument), sr=sr)
