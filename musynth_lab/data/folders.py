"""The student's own recordings: a folder of audio files, read for chapters 3 and 4.

Chapter: notebooks/03_features.ipynb
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..audio import load
from ..errors import ParameterError, as_float, check
from .midi import FolderReport, music_files

__all__ = ["AudioFolder", "load_audio_folder", "AUDIO_SUFFIXES"]

#: File endings :func:`load_audio_folder` reads (what soundfile/libsndfile decodes).
AUDIO_SUFFIXES = (".wav", ".flac", ".ogg", ".aiff", ".aif", ".mp3")


@dataclass
class AudioFolder:
    """The recordings of a folder, resampled to one rate.

    Attributes
    ----------
    names : list of str
        File names relative to the folder, sorted.
    audio : list of np.ndarray [shape=(n_samples,)], float32
        Mono signals at ``sr`` (lengths differ).
    sr : int
    durations : np.ndarray [shape=(n_files,)]
        Seconds.
    report : FolderReport
        What was read and what was skipped, and why.

    Examples
    --------
    >>> import tempfile, pathlib, numpy as np
    >>> from musynth_lab import save
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> save(folder / "tone.wav", np.zeros(8000, dtype=np.float32), sr=8000)
    >>> rec = load_audio_folder(folder, sr=16000, progress=False)
    >>> rec
    AudioFolder(1 files, sr=16000, 1.0 s in all, 0 skipped)
    >>> rec.names, rec.audio[0].shape
    (['tone.wav'], (16000,))

    Chapter: notebooks/03_features.ipynb
    """

    names: list
    audio: list = field(repr=False)
    sr: int
    durations: np.ndarray = field(repr=False)
    report: FolderReport = field(repr=False)

    def __len__(self) -> int:
        return len(self.names)

    def __repr__(self) -> str:
        return (
            f"AudioFolder({len(self)} files, sr={self.sr}, {float(self.durations.sum()):.1f} s in all, "
            f"{len(self.report.skipped)} skipped)"
        )


def load_audio_folder(
    folder, *, sr: int = 22050, mono: bool = True, max_duration: float | None = None, progress: bool = True
) -> AudioFolder:
    """Read every audio file in a folder (and subfolders), resampled to ``sr``; skip and report the bad ones.

    Parameters
    ----------
    folder : str or Path
        Files ending in one of :data:`AUDIO_SUFFIXES` are read, in sorted order.
    sr : int
        Target sample rate in Hz (each file is resampled with :func:`musynth_lab.resample`).
    mono : bool
        Mix to mono (the chapters' features expect it).
    max_duration : float, optional
        Read at most this many seconds of each file.
    progress : bool
        Show a tqdm progress bar.

    Returns
    -------
    AudioFolder

    Raises
    ------
    ParameterError
        No such folder, no audio files in it, none readable, or a bad ``sr``.

    Examples
    --------
    >>> import tempfile, pathlib, numpy as np
    >>> from musynth_lab import save
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> save(folder / "a.wav", np.zeros(4410, dtype=np.float32), sr=44100)
    >>> _ = (folder / "b.wav").write_bytes(b"RIFF nonsense")
    >>> rec = load_audio_folder(folder, sr=22050, progress=False)
    >>> rec.names, rec.durations.tolist(), rec.report.skipped[0][0]
    (['a.wav'], [0.1], 'b.wav')

    Chapter: notebooks/03_features.ipynb
    """
    # tqdm is imported where used: importing this module (and `import musynth_lab`) stays light
    from tqdm.auto import tqdm

    check(isinstance(sr, (int, np.integer)) and 1000 <= sr <= 384000, "sr", sr, "a sample rate in Hz, 1000..384000")
    max_duration = as_float(max_duration, "max_duration", low=0, low_open=True, allow_none=True)
    folder, files = music_files(folder, AUDIO_SUFFIXES, "audio")
    names, audio, durations, report = [], [], [], FolderReport()
    for f in tqdm(files, desc="audio files", disable=not progress):
        name = str(f.relative_to(folder))
        try:
            y, _ = load(f, sr=int(sr), mono=mono, duration=max_duration)
            if y.shape[-1] == 0:
                raise ParameterError("the file has no samples")
            if not np.all(np.isfinite(y)):
                raise ParameterError("the file holds NaN or inf samples")
        except (ParameterError, RuntimeError, OSError) as err:
            report.skipped.append((name, str(err)))
            continue
        names.append(name)
        audio.append(y)
        durations.append(y.shape[-1] / float(sr))
        report.loaded.append(name)
    if not audio:
        raise ParameterError(
            f"folder={str(folder)!r}: none of its {len(files)} audio files could be read: {report.skipped[0][1]}"
        )
    return AudioFolder(names=names, audio=audio, sr=int(sr), durations=np.array(durations), report=report)
