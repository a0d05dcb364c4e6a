"""Checks for notebooks/04_encoding.ipynb (encoding music as fixed-length vectors)."""

from __future__ import annotations

import numpy as np

from ._core import CheckResult, is_int, is_near, verdict

__all__ = ["check_chord_states", "check_minor_triad", "check_kl_shift", "check_discriminative",
           "check_chance_precision", "check_chord_after_dominant"]


def check_chord_states(answer) -> CheckResult:
    """Exercise 4.1: how many hidden states does the chord HMM have (24 triads + no chord)?

    Examples
    --------
    >>> bool(check_chord_states(24))        # the triads alone
    False
    """
    ok = is_int(answer, 25)
    return verdict(ok, "25: 12 major + 12 minor triads + 'N' (no chord).",
                   "Not quite: count the major triads, the minor triads, and the 'no chord' state.")


def check_minor_triad(answer) -> CheckResult:
    """Exercise 4.2: the pitch classes (0 = C) of the A minor triad, in any order.

    Examples
    --------
    >>> bool(check_minor_triad([0, 4, 7]))  # that is C major
    False
    """
    try:
        ok = sorted(int(x) % 12 for x in answer) == [0, 4, 9] and len(list(answer)) == 3
    except (TypeError, ValueError):
        ok = False
    return verdict(ok, "A, C, E = {9, 0, 4}: root, minor third (+3), fifth (+7).",
                   "Not quite: a minor triad is root, root + 3 and root + 7 semitones, modulo 12 (A = 9).")


def check_kl_shift(answer) -> CheckResult:
    """Exercise 4.3: KL( N(1, 1) || N(0, 1) ) in nats (one latent dimension moved by one std).

    Examples
    --------
    >>> bool(check_kl_shift(0.0))           # KL is 0 only for identical distributions
    False
    """
    ok = is_near(answer, 0.5, 1e-3)
    return verdict(ok, "0.5 nats: KL = (sigma^2 + mu^2 - 1 - log sigma^2) / 2 = 1/2.",
                   "Not quite: use KL = (sigma^2 + mu^2 - 1 - log sigma^2) / 2, or musynth_lab.models.vae.gaussian_kl.")


def check_discriminative(answer) -> CheckResult:
    """Exercise 4.4: which model of this chapter models P(labels | observations) directly: 'hmm', 'crf' or 'vae'?

    Examples
    --------
    >>> bool(check_discriminative("svm"))   # answer one of 'hmm', 'crf', 'vae'
    False
    """
    ok = str(answer).strip().lower() == "crf"
    return verdict(ok, "The CRF: a discriminative labeller. The HMM and the VAE are generative models of the data.",
                   "Not that one: which model can label a sequence but cannot generate the observations?")


def check_chance_precision(answer) -> CheckResult:
    """Exercise 4.5: precision@5 of random retrieval over 10 equally common instruments.

    Examples
    --------
    >>> bool(check_chance_precision(0.5))
    False
    """
    ok = is_near(answer, 0.1, 0.005)
    return verdict(ok, "0.1: a random neighbour shares the query's instrument one time in ten, whatever k is.",
                   "Not quite: what share of the database has the query's instrument?")


def check_chord_after_dominant(answer) -> CheckResult:
    """Exercise 4.6: in the training chorales (transposed to every key), the most likely chord on the
    beat after G major when the chord changes (leave out G major itself), as a name like 'C:maj'.

    Examples
    --------
    >>> bool(check_chord_after_dominant("G:maj"))   # staying on G major is left out
    False
    """
    from ..data import CHORD_NAMES
    from ..stats.hmm import chord_transitions

    row = chord_transitions().copy()[7]
    row[7] = -1
    best = CHORD_NAMES[int(np.argmax(row))]
    return verdict(str(answer).strip() == best, f"{best}: the dominant resolves to its tonic.",
                   "Not that one: take row 7 (G:maj) of stats.chord_transitions(), ignore staying, take the arg-max.")
