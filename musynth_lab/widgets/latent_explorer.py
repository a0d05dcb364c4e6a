"""LatentExplorer: sliders over a melody VAE's latent dimensions -> decoded melody, heard and seen.

Chapter: notebooks/04b_deep.ipynb
"""

from __future__ import annotations

import numpy as np

from ..errors import check
from ..models.vae import render_tokens
from ..plot.encoding import latent_path
from ..stats.base import require_fitted
from ._base import Frame, Panel, dropdown, slider


def latent_dims(model, reference, n: int = 4) -> tuple:
    """The ``n`` latent dimensions whose encodings vary most over ``reference``, and their std.

    Dimensions a VAE does not use stay near the prior mean for every input (posterior
    collapse); sliding them changes nothing, so the panel offers the busiest ones.

    Examples
    --------
    >>> import torch
    >>> from musynth_lab.models.vae import MelodyVAE
    >>> windows = torch.randint(0, 51, (32, 16), generator=torch.Generator().manual_seed(0))   # (n, n_steps) tokens
    >>> vae = MelodyVAE(latent_dim=4, hidden=32).fit(windows, epochs=1)
    >>> dims, spread = latent_dims(vae, windows, n=2)
    >>> len(dims), all(s > 0 for s in spread)
    (2, True)

    Chapter: notebooks/04b_deep.ipynb
    """
    Z = model.encode(reference)
    std = Z.std(axis=0)
    dims = np.argsort(-std)[: int(n)]
    return tuple(int(d) for d in dims), tuple(float(max(std[d], 1e-3)) for d in dims)


def render_latent(model, base_z, dims, *, sr: int = 16000, bpm: float = 120.0, instrument: str = "sine", **values) -> dict:
    """Decode ``base_z`` with ``values['z<d>']`` replacing latent dimension ``d``; render the melody.

    Returns a dict with ``z`` (the code), ``tokens`` ``(n_steps,)``, ``audio``, ``sr``.

    Examples
    --------
    >>> import torch
    >>> from musynth_lab.models.vae import MelodyVAE
    >>> windows = torch.randint(0, 51, (32, 16), generator=torch.Generator().manual_seed(0))
    >>> vae = MelodyVAE(latent_dim=4, hidden=32).fit(windows, epochs=1)
    >>> out = render_latent(vae, np.zeros(4), (0, 2), sr=8000, z0=1.5, z2=-1.0)
    >>> out["z"].tolist(), out["tokens"].shape, out["audio"].ndim
    ([1.5, 0.0, -1.0, 0.0], (16,), 1)

    Chapter: notebooks/04b_deep.ipynb
    """
    # torch is imported where used: this module is otherwise NumPy-only
    import torch

    z = np.array(base_z, dtype=np.float64).ravel().copy()
    for d in dims:
        key = f"z{d}"
        check(key in values, "values", sorted(values), f"a value for {key}")
        z[d] = float(values[key])
    tokens = model.decode_tokens(torch.tensor(z[None], dtype=torch.float32))[0].numpy()
    audio = render_tokens(tokens, sr=sr, bpm=bpm, instrument=instrument)
    return {"z": z, "tokens": tokens, "audio": audio, "sr": sr}


class LatentExplorer(Panel):
    """Move through a trained melody VAE's latent space and hear the decoded melody.

    Parameters
    ----------
    model : MelodyVAE or HierarchicalVAE
        A fitted model with ``encode`` and ``decode_tokens``.
    reference : array [shape=(n, n_steps)]
        Melody windows: the first is the starting point; all of them choose the sliders
        (the ``n_sliders`` busiest latent dimensions, each spanning +-3 of its spread).
    n_sliders : int
    sr : int
    instrument : str
        Initial voice: ``'sine'`` or a :func:`musynth_lab.synth.render_notes` instrument.

    Examples
    --------
    >>> panel = LatentExplorer(vae, windows)                      # doctest: +SKIP
    >>> panel.controls["z3"].value = 1.5                            # doctest: +SKIP
    >>> panel.result["tokens"]                                      # doctest: +SKIP

    Chapter: notebooks/04b_deep.ipynb
    """

    def __init__(self, model, reference, *, n_sliders: int = 4, sr: int = 16000, instrument: str = "sine"):
        require_fitted(model, getattr(model, "fitted", False))
        check(int(n_sliders) >= 1, "n_sliders", n_sliders, "at least one slider")
        ref = np.asarray(reference)
        base = model.encode(ref[:1])[0]
        dims, spread = latent_dims(model, ref, min(int(n_sliders), len(base)))
        self.model, self.base_z, self.dims = model, base, dims
        controls = {
            f"z{d}": slider(
                f"z[{d}]",
                min=round(base[d] - 3 * s, 2),
                max=round(base[d] + 3 * s, 2),
                value=round(float(base[d]), 2),
                step=round(s / 10, 3) or 0.01,
            )
            for d, s in zip(dims, spread)
        }
        controls["instrument"] = dropdown("voice", ["sine", "piano", "choir", "flute", "organ"], instrument)

        def render(instrument, **values):
            return render_latent(model, base, dims, sr=sr, instrument=instrument, **values)

        super().__init__(controls, render, self._draw, title="Latent space of the melody VAE", figsize=(6, 2.6))

    @staticmethod
    def _draw(result, fig):
        latent_path(result["tokens"][None], ax=fig.add_subplot(), title="decoded melody")
        return Frame(result["audio"], result["sr"])
