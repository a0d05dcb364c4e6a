"""Attention scores and soft attention: the source's ReLU form, Bahdanau, dot product, multi-head.

The source (3.1.1, 3.2.1) writes the score of an encoder position for a decoder step as

    e = f(alpha_enc . x^enc + beta_dec . v^dec),   f a non-linearity such as ReLU.

Read literally, ``alpha`` and ``beta`` are vectors and each dot product a number, so the
decoder term only shifts every position's score by the same amount: before the ReLU it
cannot change which position scores highest. Bahdanau et al. (2015) put the non-linearity
*inside* and a learned vector outside, ``e = w^T tanh(W q + U k)``, so query and key
interact. Luong et al. (2015) score ``q . k`` ("dot", unscaled) or ``q^T W k`` ("general");
Vaswani et al. (2017) scale the dot product, ``q . k / sqrt(d)``, which is what this module's
dot-product score computes.

Shapes: queries ``(..., m, d_q)``, keys ``(..., n, d_k)``, values ``(..., n, d_v)``;
scores and weights ``(..., m, n)`` (one row per query, summing to one over the keys).

:func:`activation_fn` (public, not in ``__all__``) looks up an ``activation=`` name in
:data:`ACTIVATIONS`; the location scores use it too.

Chapter: notebooks/02_attention.ipynb
"""

from __future__ import annotations

import math

import torch
from torch import nn

from ..errors import ParameterError, as_int, check
from ._util import as_float, as_mask, back, check_dim, check_tensor
from .selection import masked_softmax

__all__ = [
    "source_scores",
    "additive_scores",
    "dot_product_scores",
    "attend",
    "scaled_dot_product_attention",
    "SourceScore",
    "AdditiveScore",
    "DotProductScore",
    "MultiHeadAttention",
    "ACTIVATIONS",
]

#: Non-linearities ``f`` the source's form accepts.
ACTIVATIONS = {"relu": torch.relu, "tanh": torch.tanh, "sigmoid": torch.sigmoid, "identity": lambda x: x}


def activation_fn(name: str):
    """The non-linearity named ``name`` in :data:`ACTIVATIONS`; :class:`ParameterError` for another name."""
    if name not in ACTIVATIONS:
        raise ParameterError(f"activation={name!r}: expected one of {sorted(ACTIVATIONS)}")
    return ACTIVATIONS[name]


def source_scores(x_enc, v_dec, *, alpha, beta, activation: str = "relu"):
    """The source's score ``e[m, n] = f(alpha . x_enc[n] + beta . v_dec[m])``.

    Parameters
    ----------
    x_enc : np.ndarray or torch.Tensor [shape=(..., n, d_enc)]
        Encoder features, one row per position (word, pixel, spectrogram cell).
    v_dec : np.ndarray or torch.Tensor [shape=(..., m, d_dec)]
        Decoder hidden states, one row per decoder step.
    alpha : array_like [shape=(d_enc,)]
        The source's ``alpha_enc`` ("编码器的参数").
    beta : array_like [shape=(d_dec,)]
        The source's ``beta_dec`` ("解码器的参数").
    activation : {'relu', 'tanh', 'sigmoid', 'identity'}
        The non-linearity ``f``; the source names ReLU.

    Returns
    -------
    e : same kind as ``x_enc`` [shape=(..., m, n)]
        Raw (unnormalised) scores.

    Raises
    ------
    ParameterError
        ``alpha`` or ``beta`` not matching the feature sizes, leading shapes that do not
        broadcast, an unknown activation.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([[2.0, 1.0], [0.0, 3.0]])            # two encoder positions
    >>> v = np.array([[1.0]])                           # one decoder step
    >>> source_scores(x, v, alpha=[0.5, -1.0], beta=[0.3]).round(3).tolist()
    [[0.3, 0.0]]

    Chapter: notebooks/02_attention.ipynb
    """
    f = activation_fn(activation)
    x = as_float(x_enc, "x_enc", min_ndim=2)
    v = as_float(v_dec, "v_dec", min_ndim=2).to(x.device)
    a = as_float(alpha, "alpha").to(x.device)
    b = as_float(beta, "beta").to(x.device)
    check(a.ndim == 1, "alpha", alpha, "a vector (d_enc,)")
    check(b.ndim == 1, "beta", beta, "a vector (d_dec,)")
    check_dim(x.shape[-1], a.shape[0], "x_enc", f"alpha has {a.shape[0]} entries")
    check_dim(v.shape[-1], b.shape[0], "v_dec", f"beta has {b.shape[0]} entries")
    enc = x @ a  # (..., n)
    dec = v @ b  # (..., m)
    try:
        e = f(dec[..., :, None] + enc[..., None, :])
    except RuntimeError:
        raise ParameterError(
            f"x_enc {tuple(x.shape)} and v_dec {tuple(v.shape)}: expected leading (batch) dimensions that broadcast"
        ) from None
    return back(x_enc, e)


def additive_scores(query, keys, *, w_query, w_key, v):
    """Bahdanau's additive score ``e[m, n] = v . tanh(W_q q[m] + W_k k[n])``.

    Parameters
    ----------
    query : array or tensor [shape=(..., m, d_q)]
    keys : array or tensor [shape=(..., n, d_k)]
    w_query : [shape=(d_h, d_q)]
    w_key : [shape=(d_h, d_k)]
    v : [shape=(d_h,)]

    Returns
    -------
    e : same kind as ``query`` [shape=(..., m, n)]

    Examples
    --------
    >>> import numpy as np
    >>> e = additive_scores(np.ones((1, 2)), np.eye(3, 2), w_query=np.eye(2), w_key=np.eye(2), v=[1.0, 1.0])
    >>> e.shape
    (1, 3)

    Chapter: notebooks/02_attention.ipynb
    """
    q = as_float(query, "query", min_ndim=2)
    k = as_float(keys, "keys", min_ndim=2).to(q.device)
    wq = as_float(w_query, "w_query", min_ndim=2).to(q.device)
    wk = as_float(w_key, "w_key", min_ndim=2).to(q.device)
    vv = as_float(v, "v").to(q.device)
    check_dim(q.shape[-1], wq.shape[1], "query", f"w_query has {wq.shape[1]} columns")
    check_dim(k.shape[-1], wk.shape[1], "keys", f"w_key has {wk.shape[1]} columns")
    check(wq.shape[0] == wk.shape[0] == vv.shape[0], "v", v, f"a vector of {wq.shape[0]} entries (the rows of w_query and w_key)")
    h = torch.tanh((q @ wq.T)[..., :, None, :] + (k @ wk.T)[..., None, :, :])
    return back(query, h @ vv)


def dot_product_scores(query, keys, *, scaled: bool = True):
    """``e[m, n] = q[m] . k[n]``, divided by ``sqrt(d)`` when ``scaled``.

    Parameters
    ----------
    query : [shape=(..., m, d)]
    keys : [shape=(..., n, d)]
    scaled : bool

    Returns
    -------
    e : same kind as ``query`` [shape=(..., m, n)]

    Examples
    --------
    >>> import numpy as np
    >>> dot_product_scores(np.array([[1.0, 1.0]]), np.array([[2.0, 0.0], [1.0, 1.0]]), scaled=False).tolist()
    [[2.0, 2.0]]

    Chapter: notebooks/02_attention.ipynb
    """
    q = as_float(query, "query", min_ndim=2)
    k = as_float(keys, "keys", min_ndim=2).to(q.device)
    check_dim(k.shape[-1], q.shape[-1], "keys", "the query's feature size")
    e = q @ k.transpose(-1, -2)
    if scaled:
        e = e / math.sqrt(q.shape[-1])
    return back(query, e)


def attend(scores, values, *, mask=None):
    """Soft attention: weights ``softmax(scores)`` (masked) and the context ``weights @ values``.

    Parameters
    ----------
    scores : [shape=(..., m, n)]
    values : [shape=(..., n, d_v)]
    mask : bool, broadcastable to ``scores``

    Returns
    -------
    context : same kind as ``values`` [shape=(..., m, d_v)]
    weights : [shape=(..., m, n)]

    Examples
    --------
    >>> import numpy as np
    >>> ctx, w = attend(np.zeros((1, 2)), np.array([[0.0], [2.0]]))
    >>> ctx.tolist(), w.tolist()
    ([[1.0]], [[0.5, 0.5]])

    Chapter: notebooks/02_attention.ipynb
    """
    s = as_float(scores, "scores", min_ndim=2)
    val = as_float(values, "values", min_ndim=2).to(s.device)
    check(
        val.shape[-2] == s.shape[-1],
        "values",
        f"<shape {tuple(val.shape)}>",
        f"{s.shape[-1]} rows, one per key (scores have shape {tuple(s.shape)})",
    )
    w = masked_softmax(s, mask)
    return back(values, w @ val), back(values, w)


def scaled_dot_product_attention(query, keys, values, *, mask=None):
    """``softmax(q k^T / sqrt(d)) v`` with a mask; returns the output and the weights.

    Equal to ``torch.nn.functional.scaled_dot_product_attention`` (which does not return
    the weights); a fully masked row gives a zero output instead of NaN.

    Parameters
    ----------
    query : [shape=(..., m, d)]
    keys : [shape=(..., n, d)]
    values : [shape=(..., n, d_v)]
    mask : bool [shape broadcastable to (..., m, n)]
        True where a query may attend to a key.

    Returns
    -------
    output : [shape=(..., m, d_v)]
    weights : [shape=(..., m, n)]

    Examples
    --------
    >>> q = torch.randn(2, 3, 4); out, w = scaled_dot_product_attention(q, q, q)
    >>> out.shape, torch.allclose(w.sum(-1), torch.ones(2, 3))
    (torch.Size([2, 3, 4]), True)

    Chapter: notebooks/02_attention.ipynb
    """
    return attend(dot_product_scores(query, keys, scaled=True), values, mask=mask)


# ----------------------------------------------------------------------------------------
# Modules (learned parameters)
# ----------------------------------------------------------------------------------------


class SourceScore(nn.Module):
    """The source's score ``f(alpha . x_enc + beta . v_dec)`` with learned ``alpha``, ``beta``.

    Parameters
    ----------
    d_enc, d_dec : int
        Feature sizes of encoder positions and decoder states.
    activation : str
        ``f``; ReLU as the source suggests.

    Forward
    -------
    x_enc (..., n, d_enc), v_dec (..., m, d_dec) -> scores (..., m, n)

    Examples
    --------
    >>> s = SourceScore(4, 3); s(torch.randn(2, 5, 4), torch.randn(2, 1, 3)).shape
    torch.Size([2, 1, 5])

    Chapter: notebooks/02_attention.ipynb
    """

    def __init__(self, d_enc: int, d_dec: int, *, activation: str = "relu"):
        super().__init__()
        activation_fn(activation)
        self.activation = activation
        self.alpha = nn.Parameter(torch.randn(d_enc) / math.sqrt(d_enc))
        self.beta = nn.Parameter(torch.randn(d_dec) / math.sqrt(d_dec))

    def forward(self, x_enc, v_dec):
        check_tensor(x_enc, "x_enc", min_ndim=2, what="(..., n, d_enc)")
        check_tensor(v_dec, "v_dec", min_ndim=2, what="(..., m, d_dec)")
        check_dim(x_enc.shape[-1], self.alpha.shape[0], "x_enc", "d_enc of this SourceScore")
        check_dim(v_dec.shape[-1], self.beta.shape[0], "v_dec", "d_dec of this SourceScore")
        f = ACTIVATIONS[self.activation]
        return f((v_dec @ self.beta)[..., :, None] + (x_enc @ self.alpha)[..., None, :])


class AdditiveScore(nn.Module):
    """Bahdanau's additive score ``w^T tanh(W_q q + W_k k)`` (learned ``W_q``, ``W_k``, ``w``).

    Forward
    -------
    query (..., m, d_query), keys (..., n, d_key) -> scores (..., m, n)

    Examples
    --------
    >>> s = AdditiveScore(3, 4, 8); s(torch.randn(2, 1, 3), torch.randn(2, 5, 4)).shape
    torch.Size([2, 1, 5])

    Chapter: notebooks/02_attention.ipynb
    """

    def __init__(self, d_query: int, d_key: int, d_hidden: int = 32):
        super().__init__()
        d_query = as_int(d_query, "d_query", high=1 << 20)
        d_key = as_int(d_key, "d_key", high=1 << 20)
        d_hidden = as_int(d_hidden, "d_hidden", high=1 << 20)
        self.w_query = nn.Linear(d_query, d_hidden, bias=False)
        self.w_key = nn.Linear(d_key, d_hidden, bias=True)
        self.v = nn.Linear(d_hidden, 1, bias=False)

    def forward(self, query, keys, *, keys_projected=None):
        check_tensor(query, "query", min_ndim=2, what="(..., m, d_query)")
        check_dim(query.shape[-1], self.w_query.in_features, "query", "d_query of this AdditiveScore")
        k = keys_projected if keys_projected is not None else self.project_keys(keys)
        return self.v(torch.tanh(self.w_query(query)[..., :, None, :] + k[..., None, :, :])).squeeze(-1)

    def project_keys(self, keys):
        """``W_k k``, computed once per sequence when a decoder queries it step by step."""
        check_tensor(keys, "keys", min_ndim=2, what="(..., n, d_key)")
        check_dim(keys.shape[-1], self.w_key.in_features, "keys", "d_key of this AdditiveScore")
        return self.w_key(keys)


class DotProductScore(nn.Module):
    """``q . k`` (divided by ``sqrt(d)`` when ``scaled``); no parameters.

    Examples
    --------
    >>> score = DotProductScore()
    >>> q, k = torch.ones(2, 1, 4), torch.ones(2, 5, 4)       # (batch, m, d), (batch, n, d)
    >>> s = score(q, k)
    >>> s.shape, round(float(s[0, 0, 0]), 3)                  # 4 / sqrt(4)
    (torch.Size([2, 1, 5]), 2.0)

    Chapter: notebooks/02_attention.ipynb
    """

    def __init__(self, *, scaled: bool = True):
        super().__init__()
        self.scaled = scaled

    def forward(self, query, keys):
        return dot_product_scores(query, keys, scaled=self.scaled)


class MultiHeadAttention(nn.Module):
    """Multi-head scaled dot-product attention (Vaswani et al. 2017), returning its weights.

    Numerically the same as ``torch.nn.MultiheadAttention(batch_first=True)`` given the same
    projection weights (see :meth:`load_from_torch`); ours takes a mask that is True where
    attention is *allowed* and returns the per-head weights.

    Parameters
    ----------
    d_model : int
        Feature size of queries, keys and values.
    n_heads : int
        Must divide ``d_model``.
    dropout : float
        Dropout on the attention weights while training.

    Forward
    -------
    query (B, m, d_model), key (B, n, d_model), value (B, n, d_model), mask (B or 1, m or 1, n)
    -> output (B, m, d_model), weights (B, n_heads, m, n)

    Examples
    --------
    >>> mha = MultiHeadAttention(16, 4)
    >>> x = torch.randn(2, 7, 16); out, w = mha(x, x, x)
    >>> out.shape, w.shape
    (torch.Size([2, 7, 16]), torch.Size([2, 4, 7, 7]))

    Chapter: notebooks/02_attention.ipynb
    """

    def __init__(self, d_model: int, n_heads: int, *, dropout: float = 0.0):
        super().__init__()
        check(isinstance(d_model, int) and d_model > 0, "d_model", d_model, "a positive integer")
        check(
            isinstance(n_heads, int) and n_heads > 0 and d_model % n_heads == 0,
            "n_heads",
            n_heads,
            f"a positive divisor of d_model={d_model}",
        )
        self.d_model, self.n_heads = d_model, n_heads
        self.q_proj = nn.Linear(d_model, d_model)
        self.k_proj = nn.Linear(d_model, d_model)
        self.v_proj = nn.Linear(d_model, d_model)
        self.out_proj = nn.Linear(d_model, d_model)
        self.dropout = nn.Dropout(dropout)

    def _split(self, x):  # (B, L, D) -> (B, H, L, D/H)
        b, n, _ = x.shape
        return x.view(b, n, self.n_heads, -1).transpose(1, 2)

    def forward(self, query, key, value, mask=None):
        seen = []
        for name, t in (("query", query), ("key", key), ("value", value)):
            if not any(t is u for u in seen):  # self-attention: one tensor checked once
                check_tensor(t, name, ndim=3, what="(batch, length, d_model)")
                seen.append(t)
            check_dim(t.shape[-1], self.d_model, name, "d_model of this MultiHeadAttention")
        check(
            key.shape[:2] == value.shape[:2],
            "value",
            f"<shape {tuple(value.shape)}>",
            f"the batch and length of key {tuple(key.shape[:2])}",
        )
        b, m, n = query.shape[0], query.shape[1], key.shape[1]
        q, k, v = self._split(self.q_proj(query)), self._split(self.k_proj(key)), self._split(self.v_proj(value))
        scores = q @ k.transpose(-1, -2) / math.sqrt(q.shape[-1])  # (B, H, m, n)
        msk = as_mask(mask, (b, m, n), device=query.device)
        w = masked_softmax(scores, None if msk is None else msk[:, None])
        out = self.dropout(w) @ v  # (B, H, m, d/H)
        out = out.transpose(1, 2).reshape(b, m, self.d_model)
        return self.out_proj(out), w

    @torch.no_grad()
    def load_from_torch(self, ref: nn.MultiheadAttention) -> "MultiHeadAttention":
        """Copy the projections of a ``torch.nn.MultiheadAttention`` of the same size."""
        d = self.d_model
        check(ref.embed_dim == d and ref.num_heads == self.n_heads, "ref", ref, f"an nn.MultiheadAttention({d}, {self.n_heads})")
        for i, lin in enumerate((self.q_proj, self.k_proj, self.v_proj)):
            lin.weight.copy_(ref.in_proj_weight[i * d : (i + 1) * d])
            lin.bias.copy_(ref.in_proj_bias[i * d : (i + 1) * d])
        self.out_proj.weight.copy_(ref.out_proj.weight)
        self.out_proj.bias.copy_(ref.out_proj.bias)
        return self
