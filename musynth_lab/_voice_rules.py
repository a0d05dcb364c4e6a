"""The voice-leading rules as array kernels (NumPy only), shared by two layers.

:func:`musynth_lab.evaluate.voice_leading` sums them over a piece's transitions and frames;
:func:`musynth_lab.evaluate.step_violations` applies them to one move and many
candidate frames at once while decoding. Both call these, so the rules live in one place
(both in ``evaluate``, which does not pull in torch; ``models.harmony`` imports ``step_violations`` from there).

Pitches are MIDI numbers in ``(..., n_voices)`` int arrays, voices high to low, -1 for rest;
rests take part in nothing.

Chapter: notebooks/06c_coherence.ipynb
"""

from __future__ import annotations

import numpy as np


def transition_faults(a, b):
    """Per-move ``(parallel_fifths, parallel_octaves, leaps)`` of frames ``a -> b`` (broadcast), each ``(...)``.

    Parallels: for any two voices the interval is a fifth (7 mod 12) / octave or unison (0 mod
    12) in both frames and both voices move the same way; a leap: a voice moves by more than
    an octave.
    """
    a, b = np.broadcast_arrays(np.asarray(a, dtype=np.int64), np.asarray(b, dtype=np.int64))
    both = (a >= 0) & (b >= 0)
    move = np.where(both, np.sign(b - a), 0)
    k = a.shape[-1]
    fifths = np.zeros(a.shape[:-1], dtype=np.int64)
    octaves = np.zeros(a.shape[:-1], dtype=np.int64)
    for i in range(k):
        for j in range(i + 1, k):
            ok = both[..., i] & both[..., j] & (move[..., i] == move[..., j]) & (move[..., i] != 0)
            iv0, iv1 = np.abs(a[..., i] - a[..., j]) % 12, np.abs(b[..., i] - b[..., j]) % 12
            fifths += ok & (iv0 == 7) & (iv1 == 7)
            octaves += ok & (iv0 == 0) & (iv1 == 0)
    leaps = np.sum(both & (np.abs(b - a) > 12), axis=-1)
    return fifths, octaves, leaps


def frame_faults(v):
    """Per-frame ``(crossing, spacing)`` of frames ``v (..., n_voices)``, each ``(...)``.

    Crossing: a voice below the next lower voice; spacing: more than an octave between
    soprano and alto or alto and tenor (the bass may be further from the tenor).
    """
    v = np.asarray(v, dtype=np.int64)
    k = v.shape[-1]
    crossing = np.zeros(v.shape[:-1], dtype=np.int64)
    spacing = np.zeros(v.shape[:-1], dtype=np.int64)
    for i in range(k - 1):
        pair = (v[..., i] >= 0) & (v[..., i + 1] >= 0)
        crossing += pair & (v[..., i] < v[..., i + 1])
        if i + 1 < max(k - 1, 2):  # S-A, A-T; not T-B
            spacing += pair & (v[..., i] - v[..., i + 1] > 12)
    return crossing, spacing
