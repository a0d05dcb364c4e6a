"""FeatureExplorer: pick a recording, a feature and its parameters; see and hear it.

Chapter: notebooks/03_features.ipynb
"""

from __future__ import annotations

import numpy as np

from .. import features as F
from ..audio import note_to_midi
from ..data import list_excerpts, load_excerpt, load_notes
from ..errors import check
from ..plot import chromagram, feature_curve, spectrogram, waveform
from ._base import Frame, Panel, dropdown, slider

#: feature name -> (family, kind): 'curve' (one value per frame) or 'image' (bins x frames)
FEATURES = {
    "rms": ("time", "curve"),
    "zero_crossing_rate": ("time", "curve"),
    "short_time_variance": ("time", "curve"),
    "spectral_centroid": ("frequency", "curve"),
    "spectral_bandwidth": ("frequency", "curve"),
    "spectral_rolloff": ("frequency", "curve"),
    "spectral_flatness": ("frequency", "curve"),
    "spectral_entropy": ("frequency", "curve"),
    "spectral_flux": ("frequency", "curve"),
    "onset_strength": ("rhythm", "curve"),
    "yin": ("pitch", "curve"),
    "stft": ("transform", "image"),
    "melspectrogram": ("mixed", "image"),
    "mfcc": ("mixed", "image"),
    "gfcc": ("mixed", "image"),
    "cqt": ("mixed", "image"),
    "chroma_stft": ("mixed", "image"),
    "chroma_cqt": ("mixed", "image"),
    "spectral_contrast": ("frequency", "image"),
}


def _recordings() -> list[str]:
    return list_excerpts()[:6] + ["note: flute A4", "note: piano C4", "note: choir C4"]


def _load(recording: str):
    if recording.startswith("note: "):
        inst, name = recording[6:].split()
        notes = load_notes(instrument=inst, velocity=110)
        i = int(np.argmin(np.abs(notes.pitch - note_to_midi(name))))
        return notes.audio[i], notes.sr
    ex = load_excerpt(recording)
    return ex.audio[: 8 * ex.sr], ex.sr


def render_feature(recording: str, feature: str, n_fft: int = 2048, hop_length: int = 512, n_bins: int = 64):
    """Compute ``feature`` on ``recording``: a dict with audio, sr, values and how to draw them.

    ``n_bins`` is ``n_mels`` for the mel spectrogram, ``n_mfcc`` for MFCC/GFCC.

    Examples
    --------
    >>> r = render_feature("note: flute A4", "spectral_centroid", n_fft=1024, hop_length=256)
    >>> r["kind"], r["values"].ndim
    ('curve', 1)

    Chapter: notebooks/03_features.ipynb
    """
    check(feature in FEATURES, "feature", feature, f"one of {sorted(FEATURES)}")
    y, sr = _load(recording)
    kw = dict(n_fft=int(n_fft), hop_length=int(hop_length))
    if feature in ("rms", "zero_crossing_rate", "short_time_variance"):
        v = getattr(F, feature)(y, frame_length=int(n_fft), hop_length=int(hop_length))
    elif feature == "spectral_flatness":
        v = F.spectral_flatness(y, **kw)
    elif feature == "onset_strength":
        v = F.onset_strength(y, sr=sr, **kw)
    elif feature == "yin":
        v = F.yin(y, fmin=60.0, fmax=1500.0, sr=sr, frame_length=max(int(n_fft), 1024), hop_length=int(hop_length))
    elif feature == "stft":
        v = np.abs(F.stft(y, **kw))
    elif feature == "melspectrogram":
        v = F.melspectrogram(y, sr=sr, n_mels=int(n_bins), **kw)
    elif feature == "mfcc":
        v = F.mfcc(y, sr=sr, n_mfcc=min(int(n_bins), 40), **kw)
    elif feature == "gfcc":
        v = F.gfcc(y, sr=sr, n_gfcc=min(int(n_bins), 40), **kw)
    elif feature == "cqt":
        v = np.abs(F.cqt(y, sr=sr, hop_length=int(hop_length), fmin=32.70, n_bins=84))
    elif feature == "chroma_cqt":
        v = F.chroma_cqt(y, sr=sr, hop_length=int(hop_length))
    else:
        v = getattr(F, feature)(y, sr=sr, **kw)
    v = np.asarray(v)
    kind = FEATURES[feature][1]
    if kind == "curve":
        v = v.reshape(-1)
    return {
        "audio": y,
        "sr": sr,
        "feature": feature,
        "family": FEATURES[feature][0],
        "kind": kind,
        "values": v,
        "hop_length": int(hop_length),
    }


class FeatureExplorer(Panel):
    """Pick a recording, a feature and its parameters -> plot and audio.

    Examples
    --------
    >>> panel = FeatureExplorer()                          # doctest: +SKIP
    >>> panel.controls["feature"].value = "chroma_cqt"     # doctest: +SKIP

    Chapter: notebooks/03_features.ipynb
    """

    def __init__(self, recording: str | None = None, feature: str = "melspectrogram"):
        recs = _recordings()
        controls = {
            "recording": dropdown("recording", recs, recording or recs[0]),
            "feature": dropdown("feature", list(FEATURES), feature),
            "n_fft": dropdown("n_fft", [512, 1024, 2048, 4096], 2048),
            "hop_length": dropdown("hop_length", [128, 256, 300, 512, 1000], 512),
            "n_bins": slider("n_mels / n_mfcc", min=13, max=128, value=64, integer=True),
        }
        relevant = {
            "n_bins": lambda v: v["feature"] in ("melspectrogram", "mfcc", "gfcc"),
            "n_fft": lambda v: v["feature"] not in ("cqt", "chroma_cqt"),
        }
        super().__init__(controls, render_feature, self._draw, title="Feature explorer", figsize=(8, 4.6), relevant=relevant)

    @staticmethod
    def _draw(result, fig):
        a, b = fig.subplots(2, 1, gridspec_kw={"height_ratios": [1, 2]})
        sr, hop = result["sr"], result["hop_length"]
        waveform(result["audio"], sr=sr, ax=a, title=f"{result['feature']} ({result['family']} family)")
        v = result["values"]
        if result["kind"] == "curve":
            feature_curve(v, sr=sr, hop_length=hop, ax=b)
        elif result["feature"].startswith("chroma"):
            chromagram(v, sr=sr, hop_length=hop, ax=b)
        elif result["feature"] in ("mfcc", "gfcc", "spectral_contrast"):
            img = b.imshow(v, aspect="auto", origin="lower", cmap="coolwarm", extent=(0, v.shape[1] * hop / sr, 0, v.shape[0]))
            b.set_xlabel("time (s)")
            fig.colorbar(img, ax=b)
        else:
            y_axis = {"melspectrogram": "mel", "cqt": "cqt_note"}.get(result["feature"], "linear")
            spectrogram(np.sqrt(v) if result["feature"] == "melspectrogram" else v, sr=sr, hop_length=hop, ax=b, y_axis=y_axis)
        return Frame(result["audio"], sr)
