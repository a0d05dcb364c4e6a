"""A small, honest timer: one process, warm-up, median of several runs, fixed threads.

Usage in a benchmark script::

    from harness import compare, set_threads
    set_threads(1)
    compare("mel spectrogram", ours=lambda: f(x), peer=lambda: librosa_f(x), runs=7)

``compare`` prints one line ``name: ours X ms, peer Y ms, speed-up Z x`` and returns the
figures as a dict (speed-up = peer time / our time; above 1 means we are faster).
"""

from __future__ import annotations

import os
import statistics
import time
from typing import Callable


def set_threads(n: int | None) -> int:
    """Use ``n`` threads in torch and in the BLAS/FFT libraries (None: all cores)."""
    import torch

    n = n or os.cpu_count() or 1
    torch.set_num_threads(n)
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(n)
    except ImportError:  # threadpoolctl comes with scikit-learn; without it BLAS keeps its default
        pass
    return n


def time_it(fn: Callable[[], object], *, runs: int = 7, warmup: int = 2, sync: Callable | None = None) -> float:
    """Median wall time of ``fn()`` in seconds over ``runs`` runs after ``warmup`` runs."""
    for _ in range(warmup):
        fn()
        if sync:
            sync()
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        if sync:
            sync()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def compare(
    name: str,
    *,
    ours: Callable,
    peer: Callable | None = None,
    runs: int = 7,
    warmup: int = 2,
    peer_name: str = "peer",
    sync: Callable | None = None,
    audio_seconds: float | None = None,
) -> dict:
    """Time ``ours`` and ``peer`` the same way and print the ratio (and real-time factors).

    ``sync`` (e.g. ``torch.cuda.synchronize``) is called after every run of both sides, so a
    GPU peer is timed like a GPU ``ours``.
    """
    t_ours = time_it(ours, runs=runs, warmup=warmup, sync=sync)
    row = {"name": name, "ours_s": t_ours}
    line = f"{name}: ours {t_ours * 1e3:.1f} ms"
    if peer is not None:
        t_peer = time_it(peer, runs=runs, warmup=warmup, sync=sync)
        row.update(peer_s=t_peer, speedup=t_peer / t_ours)
        line += f", {peer_name} {t_peer * 1e3:.1f} ms, speed-up {t_peer / t_ours:.2f}x"
    if audio_seconds:
        row["rtf"] = t_ours / audio_seconds
        line += f", real-time factor {t_ours / audio_seconds:.4f}"
    print(line, flush=True)
    return row
