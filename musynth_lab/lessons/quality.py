"""Quality loss (音质缺失): over-fitting, its remedies, and discriminative vs generative models.

The source blames poor quality on three things: a lack of generative models (缺乏生成模型), too
many parameters (模型参数过多) and small data sets (数据集小). This module measures the last two
on chapter 5's melody LSTM (:class:`musynth_lab.models.lm.TokenLSTM`) with learning curves
over training-set size and parameter count, measures the usual remedies (transposition
augmentation, dropout, early stopping, weight decay), and contrasts a discriminative and a
generative classifier on the same chorales (Ng & Jordan, NIPS 2001).

Every figure is a held-out negative log-likelihood in nats per token (chapter 5's
:func:`musynth_lab.models.lm.token_nll`): ``train_nll`` on the melodies a model was trained
on, ``test_nll`` on the test split, and ``gap = test_nll - train_nll``, the generalisation gap.
The validation split is kept for early stopping only.

Chapter: notebooks/06b_quality.ipynb
"""

from __future__ import annotations

import math
import time

import numpy as np
import torch

from ..data import MELODY_HIGH, MELODY_LOW, N_MELODY_TOKENS, load_chorales, melody_notes, melody_tokens
from ..errors import ParameterError, check
from ..evaluate import copied_fraction
from ..generate import sample as sample_tokens
from ..models import lm
from ..models.training import fit
from ..stats.ngram import NGramModel

__all__ = [
    "AUGMENT_SHIFTS",
    "REMEDIES",
    "choose_pieces",
    "melodies",
    "param_count",
    "steps_per_epoch",
    "train_melody_lm",
    "learning_curve",
    "ngram_curve",
    "copying_vs_reference",
    "remedies",
    "tonic_melodies",
    "ngram_counts",
    "ClassConditionalNGram",
    "mode_samples",
    "third_counts",
    "fit_discriminative",
    "discriminative_vs_generative",
]

#: Transpositions used for augmentation: every key from a fourth down to a tritone up.
AUGMENT_SHIFTS = tuple(range(-5, 7))

#: Remedies :func:`remedies` knows, and the settings each one changes.
REMEDIES = {
    "none": {},
    "transpose": {"transpose": AUGMENT_SHIFTS},
    "dropout": {"dropout": 0.5},
    "weight decay": {"weight_decay": 1e-3},
    "early stopping": {"patience": 5},
    "all": {"transpose": AUGMENT_SHIFTS, "dropout": 0.5, "patience": 5},
}


# ---------------------------------------------------------------------------- data


def choose_pieces(n: int, *, split: str = "train", seed: int = 0) -> list:
    """``n`` chorales of ``split`` in a seeded random order; smaller ``n`` gives a prefix of larger.

    Parameters
    ----------
    n : int
        Number of pieces, 1 .. the size of the split.
    split : str
        As :func:`musynth_lab.data.load_chorales`.
    seed : int
        The same seed gives nested subsets: ``choose_pieces(8)`` is the first 8 of ``choose_pieces(32)``.

    Returns
    -------
    list of Chorale

    Examples
    --------
    >>> a, b = choose_pieces(4), choose_pieces(16)
    >>> [p.id for p in a] == [p.id for p in b[:4]]
    True

    Chapter: notebooks/06b_quality.ipynb
    """
    pool = load_chorales(split)
    check(
        isinstance(n, (int, np.integer)) and 1 <= n <= len(pool),
        "n",
        n,
        f"a number of pieces between 1 and {len(pool)} (the size of the {split!r} split)",
    )
    order = np.random.default_rng(seed).permutation(len(pool))
    return [pool[i] for i in order[: int(n)]]


def melodies(pieces, *, transpose=(0,), part: str = "S") -> list:
    """Melody token sequences of ``pieces``, once per transposition that stays in the token range.

    Parameters
    ----------
    pieces : list of Chorale
    transpose : sequence of int
        Semitone shifts; ``(0,)`` is no augmentation. A shift that would push a piece's voice out
        of ``MELODY_LOW .. MELODY_HIGH`` is skipped for that piece.
    part : {'S', 'A', 'T', 'B'}

    Returns
    -------
    list of np.ndarray [shape=(n_steps,)], int64

    Examples
    --------
    >>> p = choose_pieces(2)
    >>> len(melodies(p)), len(melodies(p, transpose=(-1, 0, 1)))
    (2, 6)

    Chapter: notebooks/06b_quality.ipynb
    """
    shifts = [int(k) for k in np.atleast_1d(np.asarray(transpose))]
    check(len(shifts) > 0, "transpose", transpose, "at least one semitone shift")
    out = []
    for p in pieces:
        pitches = melody_notes(p, part=part)[:, 2]
        for k in shifts:
            if len(pitches) and MELODY_LOW <= pitches.min() + k and pitches.max() + k <= MELODY_HIGH:
                out.append(melody_tokens(p, part=part, transpose=k))
    check(len(out) > 0, "pieces", pieces, "at least one piece whose voice fits the token range")
    return out


def param_count(model: torch.nn.Module) -> int:
    """Number of trainable parameters.

    Examples
    --------
    >>> param_count(torch.nn.Linear(3, 2))
    8

    Chapter: notebooks/06b_quality.ipynb
    """
    return int(sum(p.numel() for p in model.parameters() if p.requires_grad))


def steps_per_epoch(train_seqs, *, batch_size: int = 32, length: int = 32, stride: int = 8) -> int:
    """Gradient steps in one epoch of :func:`train_melody_lm`: batches of windows of ``length + 1`` tokens.

    Examples
    --------
    >>> steps_per_epoch(melodies(choose_pieces(8))), steps_per_epoch(melodies(choose_pieces(32)))
    (3, 11)

    Chapter: notebooks/06b_quality.ipynb
    """
    check(isinstance(batch_size, (int, np.integer)) and batch_size > 0, "batch_size", batch_size, "a positive integer")
    return math.ceil(len(lm.token_windows(train_seqs, length=length, stride=stride)) / int(batch_size))


# ---------------------------------------------------------------------------- one model


def train_melody_lm(
    train_seqs,
    *,
    hidden: int = 64,
    emb_dim: int = 32,
    dropout: float = 0.0,
    steps: int | None = 400,
    epochs: int | None = None,
    batch_size: int = 32,
    lr: float = 3e-3,
    length: int = 32,
    stride: int = 8,
    val_seqs=None,
    patience: int | None = None,
    weight_decay: float = 0.0,
    seed: int = 0,
    device=None,
    progress: bool = False,
):
    """Train a :class:`~musynth_lab.models.lm.TokenLSTM` for a budget of gradient steps or of epochs.

    The two budgets answer different questions. A fixed step budget makes runs on different
    amounts of data cost the same, so a small set is seen for many epochs (that is how it gets
    memorised); a fixed number of epochs shows every melody equally often, so a small set gets
    few gradient steps. Chapter 6b reports both, because each confounds data size with the other.

    Parameters
    ----------
    train_seqs : list of 1-D int arrays
        Melody tokens, cut into windows of ``length + 1`` tokens every ``stride`` tokens.
    hidden, emb_dim : int
        LSTM width and token-embedding size (they set the parameter count).
    dropout : float
        Dropout on the embeddings and LSTM outputs, in [0, 1).
    steps : int, optional
        Gradient steps; epochs = ``ceil(steps / batches per epoch)`` (whole epochs, so at least
        ``steps`` are taken). Give ``steps`` or ``epochs``, not both.
    epochs : int, optional
        A fixed number of passes over the training windows instead (``steps=None``).
    val_seqs : list of 1-D int arrays, optional
        Monitored every epoch; with ``patience``, early stopping restores the best epoch.
    patience, weight_decay, lr, batch_size, seed, device, progress
        As :func:`musynth_lab.models.fit`.

    Returns
    -------
    model : TokenLSTM
        In eval mode.
    history : History
        Per-epoch train (and validation) window loss in nats per token.

    Examples
    --------
    >>> seqs = melodies(choose_pieces(4))
    >>> m, h = train_melody_lm(seqs, hidden=8, steps=4, device="cpu")
    >>> m.rnn.hidden_size, len(h.train_loss) >= 1
    (8, True)
    >>> len(train_melody_lm(seqs, hidden=8, steps=None, epochs=2, device="cpu")[1].train_loss)
    2

    Chapter: notebooks/06b_quality.ipynb
    """
    check((steps is None) != (epochs is None), "steps", steps, f"a step budget or an epoch budget (epochs={epochs!r}), not both")
    if steps is not None:
        check(isinstance(steps, (int, np.integer)) and steps > 0, "steps", steps, "a positive number of gradient steps")
    else:
        check(isinstance(epochs, (int, np.integer)) and epochs > 0, "epochs", epochs, "a positive number of epochs")
    check(0.0 <= float(dropout) < 1.0, "dropout", dropout, "a probability in [0, 1)")
    windows = lm.token_windows(train_seqs, length=length, stride=stride)  # (n, length + 1)
    if epochs is None:
        epochs = max(1, math.ceil(int(steps) / steps_per_epoch(train_seqs, batch_size=batch_size, length=length, stride=stride)))
    val = None
    if val_seqs is not None:
        vw = lm.token_windows(val_seqs, length=length, stride=length)
        val = (vw[:, :-1], vw[:, 1:])
    torch.manual_seed(seed)
    model = lm.TokenLSTM(N_MELODY_TOKENS, emb_dim=emb_dim, hidden=hidden, dropout=float(dropout))
    hist = fit(
        model,
        (windows[:, :-1], windows[:, 1:]),
        loss_fn=lm.token_loss,
        epochs=int(epochs),
        lr=lr,
        batch_size=batch_size,
        val_data=val,
        patience=patience,
        weight_decay=weight_decay,
        seed=seed,
        device=device,
        progress=progress,
        desc=f"LSTM h={hidden}",
    )
    return model, hist


def _row(model, hist, train_seqs, test_seqs, device, **info):
    t0 = time.perf_counter()
    train_nll = lm.token_nll(model, train_seqs, device=device)
    test_nll = lm.token_nll(model, test_seqs, device=device)
    row = dict(
        info,
        params=param_count(model),
        epochs=len(hist.train_loss),
        best_epoch=hist.best_epoch,
        train_nll=train_nll,
        test_nll=test_nll,
        gap=test_nll - train_nll,
        seconds=hist.seconds + time.perf_counter() - t0,
    )
    return row


def _as_list(value, name):
    vals = [int(v) for v in np.atleast_1d(np.asarray(value))]
    check(len(vals) > 0, name, value, "at least one value")
    return vals


# ---------------------------------------------------------------------------- curves


def learning_curve(
    sizes=(8, 32, 128, 299),
    hidden=64,
    *,
    steps: int | None = 400,
    epochs: int | None = None,
    seed: int = 0,
    device=None,
    keep_models: bool = False,
    progress: bool = False,
    **train_kw,
) -> list:
    """Train one LSTM per (training-set size, hidden size) and score it: a learning-curve table.

    Parameters
    ----------
    sizes : int or sequence of int
        Numbers of training chorales (nested seeded subsets, :func:`choose_pieces`).
    hidden : int or sequence of int
        LSTM widths: the parameter-count axis.
    steps : int, optional
        Gradient steps per model (the same for every size): small sets are seen for more epochs.
    epochs : int, optional
        Instead of ``steps`` (pass ``steps=None``): the same number of passes for every size, so
        small sets get fewer gradient steps. See :func:`train_melody_lm`.
    keep_models : bool
        Put the trained model in each row under ``"model"``.
    **train_kw
        Passed to :func:`train_melody_lm` (``dropout``, ``transpose`` is not accepted here: use
        :func:`remedies`).

    Returns
    -------
    list of dict
        One row per model with ``size``, ``hidden``, ``params``, ``epochs``, ``steps`` (gradient
        steps taken), ``budget`` (``'steps'`` or ``'epochs'``), ``train_nll``, ``test_nll``,
        ``gap`` (nats per token), ``seconds``, ``history``, and the ``seed`` and extra
        ``settings`` (``train_kw``) it was trained with.

    Examples
    --------
    >>> rows = learning_curve(sizes=(2,), hidden=8, steps=3, device="cpu")
    >>> rows[0]["size"], rows[0]["budget"], rows[0]["steps"] >= 3
    (2, 'steps', True)
    >>> learning_curve(sizes=(2,), hidden=8, steps=None, epochs=2, device="cpu")[0]["epochs"]
    2

    Chapter: notebooks/06b_quality.ipynb
    """
    sizes, widths = _as_list(sizes, "sizes"), _as_list(hidden, "hidden")
    pieces = choose_pieces(max(sizes), seed=seed)
    for n in sizes:
        check(n >= 1, "sizes", sizes, "positive numbers of pieces")
    test_seqs = melodies(load_chorales("test"))
    rows = []
    for n in sizes:
        train_seqs = melodies(pieces[:n])
        for h in widths:
            model, hist = train_melody_lm(
                train_seqs, hidden=h, steps=steps, epochs=epochs, seed=seed, device=device, progress=progress, **train_kw
            )
            row = _row(model, hist, train_seqs, test_seqs, device, size=n, hidden=h)
            shape = {k: train_kw[k] for k in ("batch_size", "length", "stride") if k in train_kw}
            row["steps"] = row["epochs"] * steps_per_epoch(train_seqs, **shape)
            row["budget"] = "steps" if epochs is None else "epochs"
            row.update(seed=seed, settings=dict(train_kw), history=hist)  # lets remedies() reuse a plain run
            if keep_models:
                row["model"] = model
            rows.append(row)
    return rows


# ---------------------------------------------------------------------------- memorisation


def copying_vs_reference(
    rows, *, n: int = 8, n_samples: int = 8, steps: int = 64, start: int = 72, seed: int = 0, device=None
) -> list:
    """How much of each model's samples is copied from its training melodies, next to real unseen music.

    The copied fraction (:func:`musynth_lab.evaluate.copied_fraction`) of a melody is the share of
    its ``n``-grams that occur verbatim in the training melodies. Chorales share stock phrases, so
    even real chorales the model never saw (the test split) share some with the training set: the
    **reference**. The figure that says "memorised" is the **ratio** ``copied / reference``: above 1
    the model copies more than new real music does, near 1 as much, below 1 less.

    Parameters
    ----------
    rows : list of dict
        Rows of :func:`learning_curve` (``keep_models=True``): each has ``model`` and ``size``.
    n : int
        n-gram length in tokens (8 eighth notes = four quarter notes).
    n_samples, steps, start
        Melodies sampled per model (seeds ``0 .. n_samples - 1``), tokens each after the first note,
        and that note's MIDI pitch (72 = C5).
    seed : int
        The seed :func:`learning_curve` chose its training pieces with.

    Returns
    -------
    list of dict
        Per row: ``size``, ``copied`` (mean over the samples), ``copied_min``, ``copied_max``,
        ``reference`` (mean over the test melodies), ``ratio`` = copied / reference, and
        ``samples`` (the token arrays).

    Examples
    --------
    >>> rows = learning_curve(sizes=(2,), hidden=8, steps=3, keep_models=True, device="cpu")
    >>> c = copying_vs_reference(rows, n_samples=2, steps=16, device="cpu")[0]
    >>> c["size"], len(c["samples"]), 0.0 <= c["reference"] <= 1.0, c["ratio"] == c["copied"] / c["reference"]
    (2, 2, True, True)

    Chapter: notebooks/06b_quality.ipynb
    """
    rows = list(rows)
    check(
        len(rows) > 0 and all("model" in r and "size" in r for r in rows),
        "rows",
        rows,
        "learning_curve rows with keep_models=True",
    )
    check(MELODY_LOW <= int(start) <= MELODY_HIGH, "start", start, f"a MIDI pitch in {MELODY_LOW}..{MELODY_HIGH}")
    prompt = [2 + int(start) - MELODY_LOW]  # the token of a note onset
    test_seqs = [x for x in melodies(load_chorales("test")) if len(x) >= n]
    out = []
    for r in rows:
        step = lm.next_step(r["model"], device=device)
        samples = [sample_tokens(step, prompt, steps=steps, seed=k)[0].cpu().numpy() for k in range(int(n_samples))]
        train_seqs = melodies(choose_pieces(int(r["size"]), seed=seed))
        copied = [copied_fraction(x, train_seqs, n=n) for x in samples]
        reference = float(np.mean([copied_fraction(x, train_seqs, n=n) for x in test_seqs]))
        mean = float(np.mean(copied))
        out.append(
            dict(
                size=int(r["size"]),
                copied=mean,
                copied_min=float(np.min(copied)),
                copied_max=float(np.max(copied)),
                reference=reference,
                ratio=mean / reference if reference > 0 else float("inf"),
                samples=samples,
            )
        )
    return out


def ngram_curve(sizes=(8, 32, 128, 299), orders=(1, 2, 3, 5), *, seed: int = 0) -> list:
    """The same learning curve for counting models: n-gram order plays the parameter count.

    Returns
    -------
    list of dict
        Rows with ``size``, ``order``, ``params`` (distinct contexts seen x vocabulary),
        ``train_nll``, ``test_nll``, ``gap``.

    Examples
    --------
    >>> r = ngram_curve(sizes=(4,), orders=(1, 3))
    >>> r[1]["gap"] > r[0]["gap"]
    True

    Chapter: notebooks/06b_quality.ipynb
    """
    sizes, orders = _as_list(sizes, "sizes"), _as_list(orders, "orders")
    pieces = choose_pieces(max(sizes), seed=seed)
    test_seqs = melodies(load_chorales("test"))
    rows = []
    for n in sizes:
        train_seqs = melodies(pieces[:n])
        for k in orders:
            m = NGramModel(k, vocab_size=N_MELODY_TOKENS).fit(train_seqs)
            tr, te = m.nll_per_token(train_seqs), m.nll_per_token(test_seqs)
            contexts = sum(len(c) for c in m._counts)
            rows.append(dict(size=n, order=k, params=contexts * N_MELODY_TOKENS, train_nll=tr, test_nll=te, gap=te - tr))
    return rows


def remedies(
    size: int = 16,
    which=("none", "transpose", "dropout", "early stopping", "all"),
    *,
    hidden: int = 64,
    steps: int = 400,
    seed: int = 0,
    device=None,
    keep_models: bool = False,
    progress: bool = False,
    none: dict | None = None,
) -> list:
    """Measure remedies against over-fitting at one (small) training-set size.

    Parameters
    ----------
    size : int
        Number of training chorales.
    which : sequence of str
        Keys of :data:`REMEDIES`: ``'none'``, ``'transpose'`` (every key in :data:`AUGMENT_SHIFTS`),
        ``'dropout'`` (0.5), ``'weight decay'`` (1e-3), ``'early stopping'`` (patience 5 on the
        validation split), ``'all'`` (transpose + dropout + early stopping).
    hidden, steps, seed, device
        As :func:`train_melody_lm`; every remedy gets the same step budget.
    none : dict, optional
        A row of :func:`learning_curve` for the very run ``'none'`` stands for (the same
        ``size``, ``hidden``, ``seed`` and step budget, no extra settings; with
        ``keep_models``, kept with its model): it is that model, so it is reused instead of
        trained again. A row of any other run is refused.

    Returns
    -------
    list of dict
        Rows with ``remedy``, ``size``, ``params``, ``epochs``, ``best_epoch``, ``train_nll`` (on the
        untransposed training melodies), ``test_nll``, ``gap``, ``seconds`` and ``history``.

    Examples
    --------
    >>> r = remedies(2, ["none", "dropout"], hidden=8, steps=3, device="cpu")
    >>> [row["remedy"] for row in r]
    ['none', 'dropout']
    >>> plain = learning_curve(sizes=(2,), hidden=8, steps=3, device="cpu")[0]
    >>> remedies(2, ["none"], hidden=8, steps=3, device="cpu", none=plain)[0]["test_nll"] == r[0]["test_nll"]
    True

    Chapter: notebooks/06b_quality.ipynb
    """
    which = [which] if isinstance(which, str) else list(which)
    for w in which:
        check(w in REMEDIES, "which", w, f"one of {sorted(REMEDIES)}")
    pieces = choose_pieces(size, seed=seed)
    plain = melodies(pieces)
    test_seqs = melodies(load_chorales("test"))
    val_seqs = melodies(load_chorales("val"))
    if none is not None:
        budget = max(1, math.ceil(int(steps) / steps_per_epoch(plain)))  # the epochs train_melody_lm gives 'none'
        same = isinstance(none, dict) and all(
            none.get(k) == v for k, v in dict(size=size, hidden=hidden, seed=seed, budget="steps", epochs=budget).items()
        )
        check(
            same and none.get("settings") == {} and (not keep_models or "model" in none),
            "none",
            {k: none.get(k) for k in ("size", "hidden", "seed", "budget", "epochs", "settings")}
            if isinstance(none, dict)
            else none,
            f"a learning_curve row of the same run (size={size}, hidden={hidden}, seed={seed}, {steps} steps, "
            "no extra settings" + (", keep_models=True)" if keep_models else ")"),
        )
    rows = []
    for w in which:
        if w == "none" and none is not None:
            keep = ("params", "epochs", "best_epoch", "train_nll", "test_nll", "gap", "seconds", "history")
            row = dict(remedy=w, size=int(size), hidden=hidden, **{k: none[k] for k in keep})
            if keep_models:
                row["model"] = none["model"]
            rows.append(row)
            continue
        kw = dict(REMEDIES[w])
        train_seqs = melodies(pieces, transpose=kw.pop("transpose", (0,)))
        if "patience" in kw:
            kw["val_seqs"] = val_seqs
        model, hist = train_melody_lm(train_seqs, hidden=hidden, steps=steps, seed=seed, device=device, progress=progress, **kw)
        row = _row(model, hist, plain, test_seqs, device, remedy=w, size=int(size), hidden=hidden)
        row["history"] = hist
        if keep_models:
            row["model"] = model
        rows.append(row)
    return rows


# ---------------------------------------------------------------------------- discriminative vs generative


def tonic_melodies(pieces, *, part: str = "S"):
    """Melodies transposed so that their tonic is C, with labels 0 = major, 1 = minor.

    Returns
    -------
    seqs : list of np.ndarray [shape=(n_steps,)]
    labels : np.ndarray [shape=(n_pieces,)], int64

    Examples
    --------
    >>> seqs, y = tonic_melodies(choose_pieces(3))
    >>> len(seqs), set(y.tolist()) <= {0, 1}
    (3, True)

    Chapter: notebooks/06b_quality.ipynb
    """
    seqs, labels = [], []
    for p in pieces:
        pc = p.key_tonic_pc
        for k in sorted({-pc, 12 - pc, -pc - 12, 24 - pc}, key=abs):
            try:
                seqs.append(melody_tokens(p, part=part, transpose=k))
                break
            except ParameterError:
                continue
        else:
            continue
        labels.append(1 if p.key_mode == "minor" else 0)
    check(len(seqs) > 0, "pieces", pieces, "at least one piece that fits the token range")
    return seqs, np.asarray(labels, dtype=np.int64)


def ngram_counts(seqs, *, order: int = 2) -> np.ndarray:
    """Relative frequencies of the token ``order``-grams of each sequence: ``(n_seqs, vocab ** order)``.

    Examples
    --------
    >>> X = ngram_counts([[2, 3, 3]], order=2); X.shape, float(X.sum())
    ((1, 2601), 1.0)

    Chapter: notebooks/06b_quality.ipynb
    """
    check(order in (1, 2, 3), "order", order, "1, 2 or 3")
    V = N_MELODY_TOKENS
    X = np.zeros((len(seqs), V**order), dtype=np.float64)
    for i, s in enumerate(seqs):
        s = np.asarray(s, dtype=np.int64).ravel()
        if len(s) < order:
            continue
        idx = np.zeros(len(s) - order + 1, dtype=np.int64)
        for j in range(order):
            idx = idx * V + s[j : len(s) - order + 1 + j]
        np.add.at(X[i], idx, 1.0)
        X[i] /= X[i].sum()
    return X


class ClassConditionalNGram:
    """A generative classifier: one n-gram model per class, ``p(x | c) p(c)``, and Bayes' rule.

    Because it models the melodies themselves, it can also *sample* a new melody of a class,
    which a discriminative classifier ``p(c | x)`` cannot.

    Parameters
    ----------
    order : int
        n-gram order of each class model (2 = a Markov chain over tokens).

    Examples
    --------
    >>> seqs, y = tonic_melodies(choose_pieces(20))
    >>> clf = ClassConditionalNGram(2).fit(seqs, y)
    >>> float(clf.score(seqs, y)) > 0.8
    True

    Chapter: notebooks/06b_quality.ipynb
    """

    def __init__(self, order: int = 2):
        check(isinstance(order, (int, np.integer)) and order >= 1, "order", order, "an integer >= 1")
        self.order = int(order)
        self.models, self.log_prior = {}, {}

    def fit(self, seqs, labels) -> "ClassConditionalNGram":
        labels = np.asarray(labels).ravel()
        check(len(seqs) == len(labels) and len(labels) > 0, "labels", labels, "one label per sequence")
        classes = np.unique(labels)
        for c in classes:
            members = [s for s, lab in zip(seqs, labels) if lab == c]
            self.models[int(c)] = NGramModel(self.order, vocab_size=N_MELODY_TOKENS).fit(members)
            self.log_prior[int(c)] = math.log(len(members) / len(labels))
        return self

    def log_joint(self, seqs) -> np.ndarray:
        """``log p(x) + log p(c)`` per sequence and class: ``(n_seqs, n_classes)`` in class order."""
        check(len(self.models) > 0, "self", self, "a fitted model (call fit first)")
        return np.array([[m.sequence_log_prob(s) + self.log_prior[c] for c, m in sorted(self.models.items())] for s in seqs])

    def predict(self, seqs) -> np.ndarray:
        classes = np.array(sorted(self.models))
        return classes[self.log_joint(seqs).argmax(axis=1)]

    def score(self, seqs, labels) -> float:
        """Accuracy on ``seqs`` with true ``labels``."""
        return float(np.mean(self.predict(seqs) == np.asarray(labels)))

    def sample(self, label: int, *, steps: int = 48, prompt=None, temperature: float = 1.0, seed: int = 0):
        """A new melody ``(len(prompt) + steps,)`` from ``p(x | label)`` (the generative model's extra power)."""
        check(int(label) in self.models, "label", label, f"one of {sorted(self.models)}")
        prompt = [2 + 72 - MELODY_LOW] if prompt is None else prompt  # start on the tonic C5
        return sample_tokens(self.models[int(label)], prompt, steps=steps, temperature=temperature, seed=seed)[0].numpy()


def mode_samples(clf: "ClassConditionalNGram", *, steps: int = 48, seed: int = 0) -> dict:
    """One melody per mode from a fitted :class:`ClassConditionalNGram`: ``{'major': tokens, 'minor': tokens}``.

    Examples
    --------
    >>> seqs, y = tonic_melodies(choose_pieces(20))
    >>> m = mode_samples(ClassConditionalNGram(2).fit(seqs, y), steps=8)
    >>> sorted(m), len(m["major"])
    (['major', 'minor'], 9)

    Chapter: notebooks/06b_quality.ipynb
    """
    return {name: clf.sample(label, steps=steps, seed=seed) for label, name in [(0, "major"), (1, "minor")]}


def third_counts(tokens) -> tuple:
    """Onsets of E and of E-flat in a melody on tonic C: the major and the minor third, ``(n_E, n_Eb)``.

    Examples
    --------
    >>> e, eb = 2 + 64 - MELODY_LOW, 2 + 63 - MELODY_LOW      # the tokens of E4 and E-flat 4
    >>> third_counts([0, 1, e, 1, e, eb])
    (2, 1)

    Chapter: notebooks/06b_quality.ipynb
    """
    toks = np.asarray(tokens, dtype=np.int64).ravel()
    pcs = (toks[toks >= 2] - 2 + MELODY_LOW) % 12
    return int(np.sum(pcs == 4)), int(np.sum(pcs == 3))


def fit_discriminative(seqs, labels, *, order: int = 2, C: float = 1000.0):
    """A discriminative classifier ``p(c | x)``: scikit-learn logistic regression on n-gram frequencies.

    The features are relative frequencies (each row sums to 1), so the weights must be large:
    ``C`` (inverse L2 strength) = 1000 was the best of 10, 100, 1000, 10 000 on the validation
    split. Returns the fitted ``sklearn.pipeline.Pipeline`` (it takes the raw ``seqs``).

    Examples
    --------
    >>> seqs, y = tonic_melodies(choose_pieces(20))
    >>> fit_discriminative(seqs, y).score(seqs, y) > 0.8
    True

    Chapter: notebooks/06b_quality.ipynb
    """
    # sklearn is imported where used: importing this module (and `import musynth_lab`) stays light
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer

    labels = np.asarray(labels).ravel()
    check(len(np.unique(labels)) >= 2, "labels", labels, "at least two classes among the training examples")
    pipe = make_pipeline(FunctionTransformer(lambda s: ngram_counts(s, order=order)), LogisticRegression(C=C, max_iter=2000))
    return pipe.fit(list(seqs), labels)


def _stratified(labels, n, rng):
    idx = [np.flatnonzero(labels == c) for c in (0, 1)]
    n1 = int(round(n * len(idx[1]) / len(labels)))
    n1 = min(max(n1, 1), n - 1)
    pick = np.concatenate([rng.choice(idx[0], n - n1, replace=False), rng.choice(idx[1], n1, replace=False)])
    return rng.permutation(pick)


def discriminative_vs_generative(
    sizes=(4, 8, 16, 32, 64, 128, 299), *, repeats: int = 5, order: int = 2, C: float = 1000.0, seed: int = 0
) -> list:
    """Major/minor accuracy of a discriminative and a generative classifier across training sizes.

    Task: given a soprano melody transposed to tonic C (:func:`tonic_melodies`), is the chorale in
    major or minor? Both classifiers see the same n-gram statistics: logistic regression on
    n-gram frequencies (``p(c | x)``, :func:`fit_discriminative`) and one n-gram model per class
    (``p(x | c) p(c)``, :class:`ClassConditionalNGram`). Training sets are seeded stratified
    subsets of the train split; accuracy is on the test split (``C`` was chosen on the validation split).

    Returns
    -------
    list of dict
        Per size: ``size``, ``discriminative`` and ``generative`` (mean accuracy over repeats),
        ``discriminative_sd``, ``generative_sd`` and ``chance`` (the majority-class rate held out).

    Examples
    --------
    >>> r = discriminative_vs_generative(sizes=(8,), repeats=1)
    >>> 0.0 <= r[0]["generative"] <= 1.0
    True

    Chapter: notebooks/06b_quality.ipynb
    """
    sizes = _as_list(sizes, "sizes")
    seqs, y = tonic_melodies(load_chorales("train"))
    for n in sizes:
        check(2 <= n <= len(seqs), "sizes", sizes, f"sizes between 2 and {len(seqs)} pieces")
    check(isinstance(repeats, (int, np.integer)) and repeats > 0, "repeats", repeats, "a positive integer")
    hs, hy = tonic_melodies(load_chorales("test"))
    chance = max(np.mean(hy), 1 - np.mean(hy))
    rng = np.random.default_rng(seed)
    rows = []
    for n in sizes:
        acc = {"discriminative": [], "generative": []}
        for _ in range(repeats if n < len(seqs) else 1):
            pick = _stratified(y, n, rng)
            tr, ty = [seqs[i] for i in pick], y[pick]
            acc["discriminative"].append(fit_discriminative(tr, ty, order=order, C=C).score(hs, hy))
            acc["generative"].append(ClassConditionalNGram(order).fit(tr, ty).score(hs, hy))
        rows.append(
            dict(
                size=n,
                **{k: float(np.mean(v)) for k, v in acc.items()},
                **{f"{k}_sd": float(np.std(v)) for k, v in acc.items()},
                chance=float(chance),
            )
        )
    return rows
