"""Checks for notebooks/01b_deep_learning.ipynb (source 2(2) a-d: CNN, CRNN, RL, transfer vs meta-learning)."""

from __future__ import annotations

import numpy as np

from ._core import CheckResult, is_int, verdict

__all__ = ["check_first_layer_parameters", "check_crnn_output_shape", "check_returns_to_go",
           "check_melody_violations", "check_transfer_or_meta"]

#: The melody of exercise 1b.4.
EXERCISE_MELODY = (60, 66, 67, 59, 60, 60, 64, 65, 64, 65)


def check_first_layer_parameters(answer) -> CheckResult:
    """Exercise 1b.1: learnable parameters of the first convolution of ``InstrumentCNN(10)`` (weights + biases).

    Examples
    --------
    >>> bool(check_first_layer_parameters(8))   # the biases alone
    False
    """
    from ..models.cnn import InstrumentCNN

    conv = InstrumentCNN(10).blocks[0][0]
    right = sum(p.numel() for p in conv.parameters())
    ok = is_int(answer, right)
    return verdict(ok, f"{right}: 8 filters x (1 input channel x 3 x 3 weights) + 8 biases.",
                   "Not quite: count out_channels x in_channels x kernel height x kernel width, then the biases.")


def check_crnn_output_shape(answer) -> CheckResult:
    """Exercise 1b.2: the output shape of ``CRNN(84, 12)`` for an input of shape (2, 50, 84).

    Examples
    --------
    >>> bool(check_crnn_output_shape((2, 50, 84)))   # that is the input's shape
    False
    """
    try:
        ok = tuple(int(a) for a in answer) == (2, 50, 12)
    except (TypeError, ValueError):
        ok = False
    return verdict(ok, "(2, 50, 12): one set of 12 pitch-class logits for every frame of every sequence.",
                   "Not quite: the CRNN keeps the batch and time axes and outputs n_out values per frame.")


def check_returns_to_go(answer) -> CheckResult:
    """Exercise 1b.3: the returns to go ``G_t = sum_{k >= t} r_k`` of the rewards ``[-1, 0, -2, 1]``.

    Examples
    --------
    >>> bool(check_returns_to_go([-1, 0, -2, 1]))    # the rewards themselves, not the returns
    False
    """
    rewards = np.array([-1.0, 0.0, -2.0, 1.0])
    right = np.cumsum(rewards[::-1])[::-1]
    try:
        a = np.asarray(answer, dtype=float).ravel()
        ok = a.shape == right.shape and np.allclose(a, right)
    except (TypeError, ValueError):
        ok = False
    return verdict(ok, f"{right.tolist()}: each step is credited with everything that follows it.",
                   "Not quite: G_t adds the reward at t and all later rewards (no discount here).")


def check_melody_violations(answer) -> CheckResult:
    """Exercise 1b.4: total rule violations of :data:`EXERCISE_MELODY` in C major (``MelodyRules()``).

    Examples
    --------
    >>> bool(check_melody_violations(0))
    False
    """
    from ..models.rl import MelodyRules

    right = sum(MelodyRules().violations(list(EXERCISE_MELODY)).values())
    ok = is_int(answer, right)
    return verdict(ok, f"{right}: F# is out of key, the leap 60->66 goes on upwards instead of stepping back, 60 60 repeats, "
                   "64 65 64 65 trills, and the melody ends on F, not C.",
                   "Not quite: go rule by rule (key, leap, repeat, trill, tonic) or use MelodyRules().violations.")


def check_transfer_or_meta(answer) -> CheckResult:
    """Exercise 1b.5: which method optimises the starting weights for how well a few gradient steps adapt them
    across many tasks: 'transfer' (pretrain + fine-tune) or 'meta' (meta-learning)?

    Examples
    --------
    >>> bool(check_transfer_or_meta("neither"))      # answer 'transfer' or 'meta'
    False
    """
    a = str(answer).strip().lower()
    ok = a in ("meta", "meta-learning", "meta learning", "metalearning", "reptile", "maml", "元学习")
    return verdict(ok, "Meta-learning: Reptile and MAML train the start *through* adaptation on many tasks; "
                   "pretraining just fits one model to pooled data and fine-tuning comes afterwards.",
                   "Not that one: which of the two ever looks at how the weights do *after* a few adaptation steps?")
