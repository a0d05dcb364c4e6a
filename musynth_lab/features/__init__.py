"""Audio features in PyTorch (特征提取, source section 3.3): batched, GPU-capable, librosa's names.

Every function takes the signal first, ``sr`` as a required keyword where the rate
matters, and librosa's keyword names, so ``librosa.feature.mfcc(y=y, sr=sr, n_mfcc=13)``
and ``musynth_lab.features.mfcc(y, sr=sr, n_mfcc=13)`` agree. A NumPy array in gives a
NumPy array out; a tensor in gives a tensor out on its device. Audio is
``(..., n_samples)`` float32 and any leading dimensions are a batch; features are
``(..., n_bins, n_frames)``.

By family (the source's three, 时域 / 频域 / 混合, with its mislabels corrected):

* transforms: :func:`stft`, :func:`istft`, :func:`fft_spectrum`, :func:`power_to_db`, ...
* time domain (时域特征, on the waveform): :func:`rms`, :func:`zero_crossing_rate`,
  :func:`short_time_variance`, :func:`dynamic_range`, :func:`crest_factor`, :func:`kurtosis`,
  :func:`skewness`, :func:`autocorrelation`, :func:`amplitude_envelope`
* frequency domain (频率域特征): :func:`spectral_centroid`, :func:`spectral_bandwidth`,
  :func:`spectral_rolloff`, :func:`spectral_flatness`, :func:`spectral_entropy`,
  :func:`spectral_flux`, :func:`spectral_contrast`, :func:`peak_density`, :func:`snr_estimate`
* mixed / cepstral (混合特征): :func:`melspectrogram`, :func:`note_logmel`, :func:`mfcc`, :func:`gfcc`,
  :func:`real_cepstrum`, :func:`cqt`, :func:`vqt`, :func:`chroma_stft`, :func:`chroma_cqt`, :func:`delta`
* pitch and rhythm: :func:`yin`, :func:`piptrack`, :func:`estimate_tuning`,
  :func:`onset_strength`, :func:`tempo`, :func:`beat_track`
* trajectories: :func:`global_variance`, :func:`to_sequence`

Chapter: notebooks/03_features.ipynb
"""

from . import filterbanks
from .transforms import (
    get_window,
    frame,
    stft,
    istft,
    fft_spectrum,
    magnitude,
    power,
    power_to_db,
    amplitude_to_db,
    db_to_power,
    db_to_amplitude,
    fft_frequencies,
)
from .spectral import (
    melspectrogram,
    note_logmel,
    chroma_stft,
    spectral_centroid,
    spectral_bandwidth,
    spectral_rolloff,
    spectral_flatness,
    spectral_contrast,
    spectral_entropy,
    spectral_flux,
    peak_density,
    snr_estimate,
    normalize,
)
from .cepstral import mfcc, gfcc, real_cepstrum, delta
from .constantq import cqt, vqt, chroma_cqt, cqt_frequencies
from .pitch import piptrack, estimate_tuning, pitch_tuning, yin
from .time import (
    rms,
    zero_crossing_rate,
    short_time_variance,
    dynamic_range,
    crest_factor,
    kurtosis,
    skewness,
    autocorrelation,
    amplitude_envelope,
)
from .rhythm import onset_strength, tempo, beat_track
from .gv import global_variance, gv_ratio, match_global_variance, smooth_trajectory
from .sequence import to_sequence

__all__ = [n for n in dir() if not n.startswith("_") and n not in ("annotations",)]

import inspect as _inspect  # noqa: E402

from ..errors import rule as _r, validated as _validated  # noqa: E402
from ._util import translate_librosa_errors as _translate  # noqa: E402

# The features' conventional (librosa's) argument names, each rule written once, checked at the
# package boundary; librosa's ParameterError becomes ours at the same place.
_POS = _r("float", low=0, low_open=True)
_FRAC = _r("float", low=0, high=1, low_open=True, high_open=True)
_RULES = {
    "amin": _POS,
    "eps": _POS,
    "filter_scale": _POS,
    "power": _POS,
    "p": _POS,
    "std_bpm": _POS,
    "ac_size": _POS,
    "start_bpm": _POS,
    "ref": _r("callable_or_float", low=0, low_open=True),
    "top_db": _r("float", low=0, none=True),
    "fmin": _r("float", low=0, none=True),
    "fmax": _r("float", low=0, low_open=True, none=True),
    "max_tempo": _r("float", low=0, low_open=True, none=True),
    "tuning": _r("float", low=-0.5, high=0.5, none=True),
    "gamma": _r("float", low=0, none=True),
    "lifter": _r("float", low=0),
    "trough_threshold": _r("float", low=0),
    "threshold": _r("float", low=0, none=True),
    "threshold_db": _r("float"),
    "sparsity": _r("float", low=0, high=1, high_open=True),
    "resolution": _FRAC,
    "quantile": _FRAC,
    "roll_percent": _FRAC,
    "noise_quantile": _FRAC,
    "ctroct": _r("float"),
    "octwidth": _r("float", low=0, none=True),
    "window": _r("window"),
    "axis": _r("int", low=None),
    "lag": _r("int"),
    "order": _r("int"),
    "width": _r("int", low=3),
    "bins_per_octave": _r("int"),
    "n_chroma": _r("int"),
    "n_octaves": _r("int"),
    "n_bins": _r("int"),
    "n_mels": _r("int"),
    "n_mfcc": _r("int"),
    "n_gfcc": _r("int"),
    "n_bands": _r("int"),
    "dct_type": _r("int", high=4),
    "n_fft": _r("int", none=True),
    "hop_length": _r("int", none=True),
    "win_length": _r("int", none=True),
    "frame_length": _r("int", none=True),
    "max_size": _r("int", none=True),
    "length": _r("int", low=0, none=True),
    "percentiles": _r("seq", ndim=1),
}
# None is a documented value of these only where the function's own default is None (librosa's
# "estimate it" / "C1"); elsewhere (fmin=150.0, threshold=0.1, ...) None is refused like any non-number.
_STRICT = {"fmin": _r("float", low=0), "threshold": _r("float", low=0)}


def _rules_for(fn):
    try:
        params = _inspect.signature(fn).parameters
    except (TypeError, ValueError):  # pragma: no cover
        return _RULES
    strict = {n: r for n, r in _STRICT.items() if n in params and params[n].default is not None}
    return {**_RULES, **strict} if strict else _RULES


for _n in __all__:
    if callable(globals()[_n]) and not isinstance(globals()[_n], type) and _n != "filterbanks":
        globals()[_n] = _translate(_validated(globals()[_n], _rules_for(globals()[_n])))
