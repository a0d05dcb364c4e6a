"""Figures for notebooks/05_synthesis.ipynb: DDSP's controls, annealing traces, the decoders compared.

Functions take ``ax=None`` (or ``axes=None`` for a multi-panel figure) and return the axes.

Chapter: notebooks/05_synthesis.ipynb
"""

from __future__ import annotations

import numpy as np

from ..audio import check_sr, to_numpy
from ..errors import as_array, as_int, as_sequence, check
from .core import axes_or_new

__all__ = ["ddsp_controls", "anneal_trace", "decoder_comparison"]


def ddsp_controls(f0_hz, loudness_db, controls: dict, *, sr: int, hop_length: int, axes=None, title: str | None = None):
    """What a DDSP decoder reads and what it predicts, for one note, frame by frame.

    Five rows: the inputs f0 (Hz) and loudness (dB), then the outputs: the overall harmonic
    amplitude ``A(t)``, the harmonic distribution ``c_k(t)`` (harmonic number against time, as
    an image) and the filtered-noise band magnitudes (band against time).

    Parameters
    ----------
    f0_hz, loudness_db : array or Tensor [shape=(n_frames,)]
    controls : dict
        One note's entries of :meth:`musynth_lab.models.ddsp.DDSPDecoder.controls`:
        ``amplitude (n_frames,)``, ``harmonic_distribution (n_frames, n_harmonics)``,
        ``noise_magnitudes (n_frames, n_bands)``.
    sr, hop_length : int
        For the time axis (seconds).
    axes : sequence of 5 Axes, optional
        A new pyplot figure when ``None``.

    Returns
    -------
    list of Axes

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> from matplotlib.figure import Figure
    >>> c = {"amplitude": np.ones(20), "harmonic_distribution": np.ones((20, 8)) / 8, "noise_magnitudes": np.ones((20, 4))}
    >>> axs = Figure().subplots(5, 1)
    >>> out = ddsp_controls(np.full(20, 220.0), np.full(20, -20.0), c, sr=16000, hop_length=64, axes=axs)
    >>> [a.get_ylabel() for a in out][:2]
    ['f0 (Hz)', 'loudness (dB)']

    Chapter: notebooks/05_synthesis.ipynb
    """
    sr, hop_length = check_sr(sr), as_int(hop_length, "hop_length", low=1)
    f0 = as_array(f0_hz, "f0_hz", ndim=(1, 2)).ravel()
    loud = as_array(loudness_db, "loudness_db", ndim=(1, 2)).ravel()
    keys = ("amplitude", "harmonic_distribution", "noise_magnitudes")
    check(isinstance(controls, dict) and all(k in controls for k in keys), "controls", controls, f"a dict with {keys}")
    amp = as_array(controls["amplitude"], "amplitude", ndim=(1, 2)).ravel()
    harm = as_array(to_numpy(controls["harmonic_distribution"]), "harmonic_distribution", ndim=2)
    noise = as_array(to_numpy(controls["noise_magnitudes"]), "noise_magnitudes", ndim=2)
    n = len(f0)
    check(
        len(loud) == n and len(amp) == n and harm.shape[0] == n and noise.shape[0] == n,
        "controls",
        {k: getattr(v, "shape", None) for k, v in controls.items()},
        f"{n} frames in every control, like f0_hz",
    )
    if axes is None:
        import matplotlib.pyplot as plt

        _, axes = plt.subplots(5, 1, figsize=(9, 7), sharex=True, gridspec_kw={"height_ratios": [1, 1, 1, 1.6, 1.6]})
    axes = list(np.ravel(axes))
    check(len(axes) == 5, "axes", axes, "5 axes")
    t = np.arange(n) * hop_length / sr
    axes[0].plot(t, f0, color="tab:blue")
    axes[0].set_ylabel("f0 (Hz)")
    axes[1].plot(t, loud, color="tab:blue")
    axes[1].set_ylabel("loudness (dB)")
    axes[2].plot(t, amp, color="tab:orange")
    axes[2].set_ylabel("amplitude A")
    extent = (t[0], t[-1] if n > 1 else hop_length / sr, 0.5, harm.shape[1] + 0.5)
    axes[3].imshow(harm.T, origin="lower", aspect="auto", extent=extent, cmap="magma")
    axes[3].set_ylabel("harmonic k\n(c_k)")
    extent = (extent[0], extent[1], -0.5, noise.shape[1] - 0.5)
    axes[4].imshow(20 * np.log10(np.maximum(noise.T, 1e-7)), origin="lower", aspect="auto", extent=extent, cmap="magma")
    axes[4].set_ylabel("noise band\n(dB)")
    axes[4].set_xlabel("time (s)")
    axes[0].set_title(title or "DDSP: controls in (blue), synthesiser parameters out (orange, images)")
    return axes


def anneal_trace(energies, schedule=None, *, ax=None, title: str | None = None, label: str | None = None):
    """The energy of simulated annealing's current state after each move, with the temperature.

    Parameters
    ----------
    energies : array_like [shape=(n_steps,)] or list of them
        One trace, or several (one line each, the first labelled).
    schedule : array_like [shape=(n_steps,)], optional
        The temperature per move, drawn on a second (right) axis.

    Returns
    -------
    Axes

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> from matplotlib.figure import Figure
    >>> ax = anneal_trace([np.linspace(30, 20, 50)], np.geomspace(1, 0.05, 50), ax=Figure().add_subplot())
    >>> ax.get_xlabel()
    'move'

    Chapter: notebooks/05_synthesis.ipynb
    """
    energies = as_sequence(energies, "energies", min_len=1, what="energy trace(s)")
    if np.ndim(energies[0]) == 0:
        traces = [as_array(energies, "energies", ndim=1)]
    else:
        traces = [as_array(e, "energies", ndim=1) for e in energies]
    if schedule is not None:
        schedule = as_array(schedule, "schedule", ndim=1)
    ax = axes_or_new(ax, figsize=(7, 2.6))
    for i, e in enumerate(traces):
        ax.plot(np.arange(1, len(e) + 1), e, lw=0.9, alpha=0.8, label=label if i == 0 else None)
    ax.set_xlabel("move")
    ax.set_ylabel("energy E = NLL (nats)")
    if schedule is not None:
        tx = ax.twinx()
        tx.plot(np.arange(1, len(schedule) + 1), schedule, color="k", ls="--", lw=1)
        tx.set_ylabel("temperature T (dashed)")
    if label:
        ax.legend(loc="upper right")
    ax.set_title(title or "simulated annealing: energy of the current melody")
    return ax


def decoder_comparison(comparison, *, x: str = "nll", y: str = "violations", ax=None, title: str | None = None):
    """Each strategy of a :class:`musynth_lab.lessons.synthesis.DecoderComparison` as a point, min-max bars over seeds.

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> from matplotlib.figure import Figure
    >>> from musynth_lab.lessons.synthesis import DecoderComparison
    >>> c = DecoderComparison(["a", "b"], (0, 1), np.ones((2, 2)), -np.ones((2, 2)), np.ones((2, 2)),
    ...                       np.array([[3.0, 5.0], [4.0, 4.0]]), {}, {})
    >>> decoder_comparison(c, ax=Figure().add_subplot()).get_ylabel()
    'rule violations per melody'

    Chapter: notebooks/05_synthesis.ipynb
    """
    labels = {
        "nll": "NLL of the new tokens (nats/token)",
        "log_prob": "log p of the new tokens (nats)",
        "distinct2": "distinct-2",
        "violations": "rule violations per melody",
    }
    check(x in labels, "x", x, f"one of {sorted(labels)}")
    check(y in labels, "y", y, f"one of {sorted(labels)}")
    check(
        all(hasattr(comparison, a) for a in ("names", "seeds", "summary")),
        "comparison",
        comparison,
        "a DecoderComparison from musynth_lab.lessons.synthesis.compare_decoders",
    )
    ax = axes_or_new(ax, figsize=(7, 3.6))
    for i, name in enumerate(comparison.names):
        mx, lx, hx = comparison.summary(name, x)
        my, ly, hy = comparison.summary(name, y)
        ax.errorbar(mx, my, xerr=[[mx - lx], [hx - mx]], yerr=[[my - ly], [hy - my]], fmt="o", color=f"C{i % 10}", capsize=3)
        ax.annotate(name, (mx, my), textcoords="offset points", xytext=(5, 4 if i % 2 == 0 else -11), fontsize=8)
    ax.set_xlabel(labels[x])
    ax.set_ylabel(labels[y])
    ax.set_title(title or f"decoders on one model (bars: min-max over seeds {list(comparison.seeds)})")
    return ax
