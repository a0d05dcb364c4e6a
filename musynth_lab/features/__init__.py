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
* mixed / cepstral (混合特征): :func:`melspectrogram`, :func:`mfcc`, :func:`gfcc`,
  :func:`real_cepstrum`, :func:`cqt`, :func:`vqt`, :func:`chroma_stft`, :func:`chroma_cqt`, :func:`delta`
* pitch and rhythm: :func:`yin`, :func:`piptrack`, :func:`estimate_tuning`,
  :func:`onset_strength`, :func:`tempo`, :func:`beat_track`
* trajectories: :func:`global_variance`, :func:`to_sequence`

Chapter: notebooks/03_features.ipynb
"""

from . import filterbanks
from .transforms import (
    get_window, frame, stft, istft, fft_spectrum, magnitude, power, power_to_db, amplitude_to_db,
    db_to_power, db_to_amplitude, fft_frequencies,
)
from .spectral import (
    melspectrogram, chroma_stft, spectral_centroid, spectral_bandwidth, spectral_rolloff, spectral_flatness,
    spectral_contrast, spectral_entropy, spectral_flux, peak_density, snr_estimate, normalize,
)
from .cepstral import mfcc, gfcc, real_cepstrum, delta
from .constantq import cqt, vqt, chroma_cqt, cqt_frequencies
from .pitch import piptrack, estimate_tuning, pitch_tuning, yin
from .time import (
    rms, zero_crossing_rate, short_time_variance, dynamic_range, crest_factor, kurtosis, skewness,
    autocorrelation, amplitude_envelope,
)
from .rhythm import onset_strength, tempo, beat_track
from .gv import global_variance, gv_ratio, match_global_variance, smooth_trajectory
from .sequence import to_sequence

__all__ = [n for n in dir() if not n.startswith("_") and n not in ("annotations",)]

from ._util import translate_librosa_errors as _translate  # noqa: E402

for _n in __all__:                       # one boundary: librosa's ParameterError becomes ours
    if callable(globals()[_n]) and not isinstance(globals()[_n], type) and _n != "filterbanks":
        globals()[_n] = _translate(globals()[_n])
