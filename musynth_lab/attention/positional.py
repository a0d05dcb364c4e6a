"""Positional encodings: how an attention layer can know *where* a token or a cell is.

Attention by itself is blind to order: permute the keys and their values together and
the result does not change. Adding a positional encoding to the inputs breaks that
symmetry, which is what "location" needs.

Chapter: notebooks/02_attention.ipynb
"""

from __future__ import annotations

import math

import torch

from ..errors import check

__all__ = ["sinusoidal_encoding", "grid_encoding"]


def _positive_int(value, name: str) -> int:
    check(isinstance(value, int) and not isinstance(value, bool) and value > 0, name, value, "a positive integer")
    return int(value)


def sinusoidal_encoding(n_positions: int, dim: int, *, base: float = 10000.0, device=None) -> torch.Tensor:
    """The Transformer's sine/cosine encoding (Vaswani et al. 2017).

    ``P[p, 2i] = sin(p / base**(2i/dim))`` and ``P[p, 2i+1] = cos(p / base**(2i/dim))``, so
    the dot product ``P[p] . P[p+k]`` depends only on the offset ``k``.

    Parameters
    ----------
    n_positions : int
        Number of positions (sequence length).
    dim : int
        Encoding size; an even number.
    base : float
        The longest wavelength is ``2 pi base``.
    device : torch.device, optional

    Returns
    -------
    torch.Tensor [shape=(n_positions, dim)], float32

    Examples
    --------
    >>> P = sinusoidal_encoding(50, 8)
    >>> P.shape, float(P[0, 1])
    (torch.Size([50, 8]), 1.0)

    Chapter: notebooks/02_attention.ipynb
    """
    n_positions = _positive_int(n_positions, "n_positions")
    dim = _positive_int(dim, "dim")
    check(dim % 2 == 0, "dim", dim, "an even encoding size")
    check(base > 1, "base", base, "a number above 1")
    pos = torch.arange(n_positions, dtype=torch.float64, device=device)[:, None]
    freq = torch.exp(-math.log(base) * torch.arange(0, dim, 2, dtype=torch.float64, device=device) / dim)
    out = torch.empty(n_positions, dim, dtype=torch.float64, device=device)
    out[:, 0::2] = torch.sin(pos * freq)
    out[:, 1::2] = torch.cos(pos * freq)
    return out.float()


def grid_encoding(height: int, width: int, dim: int, *, base: float = 10000.0, device=None) -> torch.Tensor:
    """A 2-D encoding of the cells of a ``height x width`` grid (e.g. mel bands x frames).

    The first half of the channels encode the row (frequency) with :func:`sinusoidal_encoding`,
    the second half the column (time).

    Parameters
    ----------
    height, width : int
        Grid size.
    dim : int
        Channels; a multiple of 4.

    Returns
    -------
    torch.Tensor [shape=(dim, height, width)], float32

    Examples
    --------
    >>> G = grid_encoding(4, 6, 8)
    >>> G.shape, bool((G[:4, 2, 0] == G[:4, 2, 5]).all())
    (torch.Size([8, 4, 6]), True)

    Chapter: notebooks/02_attention.ipynb
    """
    height = _positive_int(height, "height")
    width = _positive_int(width, "width")
    dim = _positive_int(dim, "dim")
    check(dim % 4 == 0, "dim", dim, "a multiple of 4 (half for rows, half for columns, each even)")
    rows = sinusoidal_encoding(height, dim // 2, base=base, device=device)  # (H, dim/2)
    cols = sinusoidal_encoding(width, dim // 2, base=base, device=device)  # (W, dim/2)
    out = torch.cat([rows.T[:, :, None].expand(-1, -1, width), cols.T[:, None, :].expand(-1, height, -1)])
    return out.contiguous()
