"""Location attention (位置注意力): weigh the *positions* of a grid, as the source's 3.1 describes.

The source scores every pixel ``(t, h, w)`` of a video tensor ``X`` of shape
``T x H x W x C`` (its ``X \\in R^{T \\times H \\times W \\times C}``, mangled in the text as
``T    imes H``) against the decoder state of frame ``t``:

    e_{t,hw} = f(alpha_enc . X_{t,h,w} + beta_dec . V_t)

and then keeps the positions scoring above 0.5. :func:`video_location_scores` is exactly
that formula; :class:`VideoLocationAttention` learns ``alpha``, ``beta`` and normalises the
scores over the ``H x W`` cells of each frame. For music the grid is a time-frequency map:
:class:`LocationAttention` scores every (frequency, time) cell of a CNN feature map, with a
2-D positional encoding so the score can depend on *where* the cell is, and pools the map
into one vector weighted by those scores.

Chapter: notebooks/02_attention.ipynb
"""

from __future__ import annotations

import math

import torch
from torch import nn

from ..errors import ParameterError, check
from ._util import as_float, as_mask, back, check_dim, check_tensor
from .positional import grid_encoding
from .scores import ACTIVATIONS, activation_fn
from .selection import masked_softmax

__all__ = ["video_location_scores", "VideoLocationAttention", "LocationAttention"]


def video_location_scores(X, v_dec, *, alpha, beta, activation: str = "relu"):
    """The source's location score over a video-like tensor, exactly as written.

    ``e[..., t, h, w] = f(alpha . X[..., t, h, w, :] + beta . v_dec[..., t, :])``

    Parameters
    ----------
    X : np.ndarray or torch.Tensor [shape=(..., T, H, W, C)]
        Encoded frames (the source's ``X_{(t,h,w,c)}``).
    v_dec : [shape=(..., T, D)]
        Decoder hidden state per time step (the source's ``V^dec_t``).
    alpha : [shape=(C,)]
    beta : [shape=(D,)]
    activation : str
        ``f``: 'relu' (the source's example), 'tanh', 'sigmoid' or 'identity'.

    Returns
    -------
    e : same kind as ``X`` [shape=(..., T, H, W)]
        Raw scores; normalise them (:func:`musynth_lab.attention.normalise_scores`) before
        any threshold.

    Raises
    ------
    ParameterError
        ``X`` not at least 4-D, ``alpha``/``beta`` not matching ``C``/``D``, ``v_dec`` with a
        different number of frames.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.zeros((2, 1, 2, 1)); X[0, 0, 1, 0] = 3.0      # T=2, H=1, W=2, C=1
    >>> v = np.array([[0.0], [1.0]])                       # D=1
    >>> video_location_scores(X, v, alpha=[1.0], beta=[-0.5]).tolist()
    [[[0.0, 3.0]], [[0.0, 0.0]]]

    Chapter: notebooks/02_attention.ipynb
    """
    f = activation_fn(activation)
    x = as_float(X, "X", min_ndim=4)
    v = as_float(v_dec, "v_dec", min_ndim=2).to(x.device)
    a = as_float(alpha, "alpha").to(x.device)
    b = as_float(beta, "beta").to(x.device)
    check(a.ndim == 1, "alpha", alpha, "a vector (C,)")
    check(b.ndim == 1, "beta", beta, "a vector (D,)")
    check_dim(x.shape[-1], a.shape[0], "X", f"C channels to match alpha's {a.shape[0]} entries")
    check_dim(v.shape[-1], b.shape[0], "v_dec", f"D to match beta's {b.shape[0]} entries")
    check(v.shape[-2] == x.shape[-4], "v_dec", f"<shape {tuple(v.shape)}>", f"one decoder state per frame: T={x.shape[-4]} rows")
    e = f(x @ a + (v @ b)[..., :, None, None])
    return back(X, e)


class VideoLocationAttention(nn.Module):
    """The source's location attention with learned ``alpha``, ``beta``, normalised per frame.

    Scores each cell with :func:`video_location_scores`'s formula, turns each frame's
    ``H x W`` scores into weights with a (masked) softmax and pools the frame into one
    ``C``-vector.

    Parameters
    ----------
    channels : int
        ``C``.
    d_dec : int
        ``D``, the decoder state size.
    activation : str
        ``f`` (ReLU by default, as in the source).

    Forward
    -------
    X (..., T, H, W, C), v_dec (..., T, D), mask (..., T, H, W) optional
    -> context (..., T, C), weights (..., T, H, W) summing to one over H x W.

    Examples
    --------
    >>> att = VideoLocationAttention(3, 5)
    >>> ctx, w = att(torch.randn(2, 4, 6, 7, 3), torch.randn(2, 4, 5))
    >>> ctx.shape, w.shape, bool(torch.allclose(w.sum((-1, -2)), torch.ones(2, 4)))
    (torch.Size([2, 4, 3]), torch.Size([2, 4, 6, 7]), True)

    Chapter: notebooks/02_attention.ipynb
    """

    def __init__(self, channels: int, d_dec: int, *, activation: str = "relu"):
        super().__init__()
        activation_fn(activation)
        self.activation = activation
        self.alpha = nn.Parameter(torch.randn(channels) / math.sqrt(channels))
        self.beta = nn.Parameter(torch.randn(d_dec) / math.sqrt(d_dec))

    def scores(self, X, v_dec):
        check_tensor(X, "X", min_ndim=4, what="(..., T, H, W, C)")
        check_tensor(v_dec, "v_dec", min_ndim=2, what="(..., T, D)")
        check_dim(X.shape[-1], self.alpha.shape[0], "X", "channels of this VideoLocationAttention")
        check_dim(v_dec.shape[-1], self.beta.shape[0], "v_dec", "d_dec of this VideoLocationAttention")
        check(
            v_dec.shape[-2] == X.shape[-4],
            "v_dec",
            f"<shape {tuple(v_dec.shape)}>",
            f"one decoder state per frame: T={X.shape[-4]} rows",
        )
        return ACTIVATIONS[self.activation](X @ self.alpha + (v_dec @ self.beta)[..., :, None, None])

    def forward(self, X, v_dec, mask=None):
        e = self.scores(X, v_dec)
        *lead, h, w = e.shape
        m = as_mask(mask, e.shape, device=e.device)
        flat_m = None if m is None else m.expand(e.shape).reshape(*lead, h * w)
        weights = masked_softmax(e.reshape(*lead, h * w), flat_m).reshape(e.shape)
        context = torch.einsum("...hw,...hwc->...c", weights, X)
        return context, weights


class LocationAttention(nn.Module):
    """Attention pooling over the cells of a ``(channels, n_freq, n_time)`` feature map.

    Each cell gets the additive score ``w^T tanh(W x_cell + P_cell [+ U q])`` where ``P`` is
    a scaled 2-D sinusoidal positional encoding (so *where* a cell is can matter) and ``q``
    an optional query (e.g. a decoder state). A softmax over all cells gives the weights; the
    output is the weighted sum of the cells' features.

    Parameters
    ----------
    channels : int
        Feature channels ``C`` of the map.
    d_hidden : int
        Size of the scoring layer (a multiple of 4 when ``positional``).
    d_query : int, optional
        Size of an external query; without one the query is learned (a fixed "what to look
        for" vector, as in attention pooling for classification).
    positional : bool
        Add the positional encoding.

    Forward
    -------
    x (B, C, F, T), query (B, d_query) optional, mask (B, F, T) optional
    -> pooled (B, C), weights (B, F, T) summing to one over the F x T cells.

    Examples
    --------
    >>> att = LocationAttention(8)
    >>> pooled, w = att(torch.randn(2, 8, 5, 9))
    >>> pooled.shape, w.shape
    (torch.Size([2, 8]), torch.Size([2, 5, 9]))

    Chapter: notebooks/02_attention.ipynb
    """

    def __init__(self, channels: int, *, d_hidden: int = 32, d_query: int | None = None, positional: bool = True):
        super().__init__()
        check(isinstance(channels, int) and channels > 0, "channels", channels, "a positive integer")
        check(
            isinstance(d_hidden, int) and d_hidden > 0 and (not positional or d_hidden % 4 == 0),
            "d_hidden",
            d_hidden,
            "a positive integer (a multiple of 4 with positional=True)",
        )
        self.channels, self.d_hidden, self.positional = channels, d_hidden, positional
        self.key = nn.Conv2d(channels, d_hidden, 1)
        self.query = nn.Linear(d_query, d_hidden, bias=False) if d_query else None
        self.pos_scale = nn.Parameter(torch.tensor(0.5)) if positional else None
        self.v = nn.Conv2d(d_hidden, 1, 1, bias=False)

    def scores(self, x, query=None):
        """Raw scores ``(B, F, T)`` of every cell."""
        check_tensor(x, "x", ndim=4, what="(batch, channels, n_freq, n_time)")
        check_dim(x.shape[1], self.channels, "x", "channels of this LocationAttention (axis 1)")
        h = self.key(x)
        if self.positional:
            h = h + self.pos_scale * grid_encoding(x.shape[2], x.shape[3], self.d_hidden, device=x.device)
        if self.query is not None:
            if query is None:
                raise ParameterError("query=None: this LocationAttention was built with d_query; pass a query")
            check_tensor(query, "query", ndim=2, what="(batch, d_query)")
            check_dim(query.shape[-1], self.query.in_features, "query", "d_query of this LocationAttention")
            h = h + self.query(query)[:, :, None, None]
        return self.v(torch.tanh(h)).squeeze(1)

    def forward(self, x, query=None, mask=None):
        e = self.scores(x, query)
        b, f, t = e.shape
        m = as_mask(mask, e.shape, device=e.device)
        w = masked_softmax(e.reshape(b, f * t), None if m is None else m.expand(e.shape).reshape(b, f * t))
        w = w.reshape(b, f, t)
        pooled = torch.einsum("bft,bcft->bc", w, x)
        return pooled, w
