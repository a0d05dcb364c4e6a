"""Sequence models of symbolic music: LSTM and small Transformer language models.

Two representations of the chorales (see :mod:`musynth_lab.data`):

* **melody tokens** ``(batch, time)`` ints: a categorical distribution over the next token
  (:class:`TokenLSTM`, :class:`TokenTransformer`), scored in nats per token;
* **piano rolls** ``(batch, time, 88)`` binary quarter-note frames: 88 independent Bernoulli
  outputs per frame given all earlier frames (:class:`RollLSTM`, :class:`RollTransformer`),
  scored in nats per frame, as the polyphonic-music literature reports JSB Chorales
  (Boulanger-Lewandowski et al., ICML 2012).

The Transformers are built on chapter 2's :class:`musynth_lab.attention.MultiHeadAttention`
with a causal mask and sinusoidal positions. Train with :func:`musynth_lab.models.fit`
and :func:`token_loss` / :func:`frame_loss`; generate with :mod:`musynth_lab.generate`
through :func:`next_step`.

Chapter: notebooks/05_synthesis.ipynb
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from ..attention import MultiHeadAttention, sinusoidal_encoding
from ..audio import get_device
from ..errors import ParameterError, check

__all__ = [
    "TokenLSTM",
    "TokenTransformer",
    "RollLSTM",
    "RollTransformer",
    "token_windows",
    "roll_windows",
    "token_loss",
    "frame_loss",
    "token_nll",
    "frame_nll",
    "token_log_probs",
    "continuation_nll",
    "next_step",
    "IGNORE",
]

IGNORE = -100  # target value that token_loss skips (padding)


def _pos_int(value, name):
    check(isinstance(value, (int, np.integer)) and value > 0, name, value, "a positive integer")
    return int(value)


# ---------------------------------------------------------------------------- data windows


def token_windows(sequences, *, length: int, stride: int | None = None) -> torch.Tensor:
    """Cut token sequences into overlapping windows of ``length + 1`` tokens (input + next).

    Parameters
    ----------
    sequences : list of 1-D int arrays
    length : int
        Tokens a model sees per window.
    stride : int, optional
        Step between windows (default ``length // 2``).

    Returns
    -------
    torch.LongTensor [shape=(n_windows, length + 1)]
        Sequences shorter than ``length + 1`` tokens are left out.

    Examples
    --------
    >>> token_windows([np.arange(10)], length=4, stride=4).tolist()
    [[0, 1, 2, 3, 4], [4, 5, 6, 7, 8]]

    Chapter: notebooks/05_synthesis.ipynb
    """
    length = _pos_int(length, "length")
    stride = _pos_int(stride or max(1, length // 2), "stride")
    rows = []
    for s in sequences:
        s = np.asarray(s, dtype=np.int64).ravel()
        for start in range(0, len(s) - length, stride):
            rows.append(s[start : start + length + 1])
    if not rows:
        raise ParameterError(f"sequences: expected at least one sequence longer than length={length} tokens")
    return torch.from_numpy(np.stack(rows))


def roll_windows(rolls, *, length: int, stride: int | None = None) -> torch.Tensor:
    """Cut piano rolls ``(n_keys, n_frames)`` into windows ``(n, length + 1, n_keys)`` float32.

    Examples
    --------
    >>> W = roll_windows([np.zeros((88, 20))], length=8)                 # stride length // 2
    >>> W.shape, W.dtype
    (torch.Size([3, 9, 88]), torch.float32)

    Chapter: notebooks/05_synthesis.ipynb
    """
    length = _pos_int(length, "length")
    stride = _pos_int(stride or max(1, length // 2), "stride")
    rows = []
    for r in rolls:
        r = np.asarray(r, dtype=np.float32).T  # (frames, keys)
        for start in range(0, max(1, len(r) - length), stride):
            w = r[start : start + length + 1]
            if len(w) == length + 1:
                rows.append(w)
    if not rows:
        raise ParameterError(f"rolls: expected at least one roll longer than length={length} frames")
    return torch.from_numpy(np.stack(rows))


# ---------------------------------------------------------------------------- losses


def token_loss(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Cross-entropy (nats per token) of ``logits (B, T, V)`` against ``targets (B, T)``, skipping IGNORE.

    Examples
    --------
    >>> logits = torch.zeros(1, 3, 5)                                  # uniform over 5 tokens
    >>> round(float(token_loss(logits, torch.tensor([[1, 2, IGNORE]]))), 4)     # ln 5
    1.6094

    Chapter: notebooks/05_synthesis.ipynb
    """
    return nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1), ignore_index=IGNORE)


def frame_loss(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Bernoulli negative log-likelihood in nats per frame: summed over keys, averaged over frames.

    Examples
    --------
    >>> round(float(frame_loss(torch.zeros(1, 2, 4), torch.zeros(1, 2, 4))), 4)   # 4 keys at p = 0.5: 4 ln 2
    2.7726

    Chapter: notebooks/05_synthesis.ipynb
    """
    return nn.functional.binary_cross_entropy_with_logits(logits, targets, reduction="none").sum(-1).mean()


# ---------------------------------------------------------------------------- token models


class TokenLSTM(nn.Module):
    """An LSTM language model over tokens: ``(B, T) ints -> (B, T, vocab) next-token logits``.

    Examples
    --------
    >>> m = TokenLSTM(10, emb_dim=8, hidden=16)
    >>> m(torch.zeros(2, 5, dtype=torch.long)).shape
    torch.Size([2, 5, 10])

    Chapter: notebooks/05_synthesis.ipynb
    """

    def __init__(self, vocab_size: int, *, emb_dim: int = 32, hidden: int = 128, layers: int = 1, dropout: float = 0.1):
        super().__init__()
        self.vocab_size = _pos_int(vocab_size, "vocab_size")
        self.embed = nn.Embedding(vocab_size, _pos_int(emb_dim, "emb_dim"))
        self.rnn = nn.LSTM(
            emb_dim,
            _pos_int(hidden, "hidden"),
            num_layers=_pos_int(layers, "layers"),
            batch_first=True,
            dropout=dropout if layers > 1 else 0.0,
        )
        self.drop = nn.Dropout(dropout)
        self.head = nn.Linear(hidden, vocab_size)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        tokens = _check_tokens(tokens, self.vocab_size)
        h, _ = self.rnn(self.drop(self.embed(tokens)))  # (B, T, hidden)
        return self.head(self.drop(h))  # (B, T, vocab)


class _CausalBlock(nn.Module):
    def __init__(self, d_model, n_heads, dropout):
        super().__init__()
        self.attn = MultiHeadAttention(d_model, n_heads, dropout=dropout)
        self.norm1, self.norm2 = nn.LayerNorm(d_model), nn.LayerNorm(d_model)
        self.ff = nn.Sequential(nn.Linear(d_model, 4 * d_model), nn.GELU(), nn.Linear(4 * d_model, d_model))
        self.drop = nn.Dropout(dropout)
        self.last_weights = None

    def forward(self, x, mask):
        h = self.norm1(x)
        a, w = self.attn(h, h, h, mask=mask)  # (B, T, d), (B, H, T, T)
        self.last_weights = w.detach()
        x = x + self.drop(a)
        return x + self.drop(self.ff(self.norm2(x)))


class _CausalTransformer(nn.Module):
    def __init__(self, d_model, n_heads, layers, max_len, dropout):
        super().__init__()
        self.max_len = _pos_int(max_len, "max_len")
        self.register_buffer("pos", sinusoidal_encoding(self.max_len, d_model), persistent=False)
        self.blocks = nn.ModuleList(_CausalBlock(d_model, n_heads, dropout) for _ in range(_pos_int(layers, "layers")))
        self.norm = nn.LayerNorm(d_model)
        self.drop = nn.Dropout(dropout)

    def run(self, x):  # x: (B, T, d)
        t = x.shape[1]
        if t > self.max_len:
            raise ParameterError(f"sequence length {t}: expected at most max_len={self.max_len}")
        causal = torch.tril(torch.ones(t, t, dtype=torch.bool, device=x.device))[None]  # (1, T, T)
        x = self.drop(x + self.pos[:t].to(x.device))
        for blk in self.blocks:
            x = blk(x, causal)
        return self.norm(x)

    def attention_maps(self) -> list:
        """Per layer, the last forward's weights ``(B, heads, T, T)``."""
        return [b.last_weights for b in self.blocks]


class TokenTransformer(_CausalTransformer):
    """A small causal Transformer over tokens (chapter 2's attention inside).

    Examples
    --------
    >>> m = TokenTransformer(10, d_model=16, n_heads=2, layers=1)
    >>> m(torch.zeros(2, 5, dtype=torch.long)).shape
    torch.Size([2, 5, 10])

    Chapter: notebooks/05_synthesis.ipynb
    """

    def __init__(
        self, vocab_size: int, *, d_model: int = 64, n_heads: int = 4, layers: int = 2, max_len: int = 512, dropout: float = 0.1
    ):
        super().__init__(d_model, n_heads, layers, max_len, dropout)
        self.vocab_size = _pos_int(vocab_size, "vocab_size")
        self.embed = nn.Embedding(vocab_size, d_model)
        self.head = nn.Linear(d_model, vocab_size)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        tokens = _check_tokens(tokens, self.vocab_size)
        return self.head(self.run(self.embed(tokens) * math.sqrt(self.embed.embedding_dim)))


def _check_tokens(tokens, vocab):
    if not isinstance(tokens, torch.Tensor) or tokens.ndim != 2:
        raise ParameterError(f"tokens has shape {tuple(getattr(tokens, 'shape', ()))}: expected (batch, time) ints")
    if tokens.numel() and (int(tokens.min()) < 0 or int(tokens.max()) >= vocab):
        raise ParameterError(f"tokens contain ids outside 0..{vocab - 1}")
    return tokens.long()


# ---------------------------------------------------------------------------- piano-roll models


class RollLSTM(nn.Module):
    """An LSTM over piano-roll frames: ``(B, T, n_keys)`` -> logits of the NEXT frame ``(B, T, n_keys)``.

    Examples
    --------
    >>> RollLSTM(88, hidden=16)(torch.zeros(2, 6, 88)).shape
    torch.Size([2, 6, 88])

    Chapter: notebooks/05_synthesis.ipynb
    """

    def __init__(self, n_keys: int = 88, *, hidden: int = 128, layers: int = 1, dropout: float = 0.1):
        super().__init__()
        self.n_keys = _pos_int(n_keys, "n_keys")
        self.rnn = nn.LSTM(
            n_keys,
            _pos_int(hidden, "hidden"),
            num_layers=_pos_int(layers, "layers"),
            batch_first=True,
            dropout=dropout if layers > 1 else 0.0,
        )
        self.drop = nn.Dropout(dropout)
        self.head = nn.Linear(hidden, n_keys)

    def forward(self, frames: torch.Tensor) -> torch.Tensor:
        _check_frames(frames, self.n_keys)
        h, _ = self.rnn(frames)
        return self.head(self.drop(h))


class RollTransformer(_CausalTransformer):
    """A small causal Transformer over piano-roll frames (next-frame Bernoulli logits).

    Examples
    --------
    >>> m = RollTransformer(88, d_model=16, n_heads=2, layers=1)
    >>> m(torch.zeros(2, 6, 88)).shape
    torch.Size([2, 6, 88])

    Chapter: notebooks/05_synthesis.ipynb
    """

    def __init__(
        self, n_keys: int = 88, *, d_model: int = 64, n_heads: int = 4, layers: int = 2, max_len: int = 512, dropout: float = 0.1
    ):
        super().__init__(d_model, n_heads, layers, max_len, dropout)
        self.n_keys = _pos_int(n_keys, "n_keys")
        self.inp = nn.Linear(n_keys, d_model)
        self.head = nn.Linear(d_model, n_keys)

    def forward(self, frames: torch.Tensor) -> torch.Tensor:
        _check_frames(frames, self.n_keys)
        return self.head(self.run(self.inp(frames)))


def _check_frames(frames, n_keys):
    if not isinstance(frames, torch.Tensor) or frames.ndim != 3 or frames.shape[-1] != n_keys:
        raise ParameterError(f"frames has shape {tuple(getattr(frames, 'shape', ()))}: expected (batch, time, {n_keys})")


# ---------------------------------------------------------------------------- evaluation


@torch.no_grad()
def token_nll(model: nn.Module, sequences, *, device=None) -> float:
    """Held-out negative log-likelihood in nats per token: each token after the first, given all before it.

    Works for any model mapping ``(1, T)`` tokens to ``(1, T, vocab)`` logits.

    Examples
    --------
    >>> _ = torch.manual_seed(0); m = TokenLSTM(6, emb_dim=4, hidden=8)
    >>> nll = token_nll(m, [[1, 2, 3, 4], [5, 0]], device="cpu")
    >>> bool(abs(nll - math.log(6)) < 0.5)                           # untrained: about ln 6 nats
    True

    Chapter: notebooks/05_synthesis.ipynb
    """
    device = get_device(device)
    model.eval().to(device)
    total, n = 0.0, 0
    for s in sequences:
        s = torch.as_tensor(np.asarray(s), dtype=torch.long, device=device)[None]
        if s.shape[1] < 2:
            continue
        logits = model(s[:, :-1])
        total += float(nn.functional.cross_entropy(logits[0], s[0, 1:], reduction="sum"))
        n += s.shape[1] - 1
    check(n > 0, "sequences", sequences, "at least one sequence of 2 or more tokens")
    return total / n


@torch.no_grad()
def frame_nll(model: nn.Module | None, rolls, *, device=None, marginals: np.ndarray | None = None) -> float:
    """Held-out Bernoulli NLL in nats per frame over piano rolls ``(n_keys, n_frames)``.

    Frame ``t`` is predicted from frames ``0 .. t-1`` (the first frame from an all-silent frame).
    With ``model=None`` and ``marginals`` (per-key on-probabilities), scores the
    independent-Bernoulli baseline.

    Examples
    --------
    >>> roll = np.zeros((4, 10)); roll[0] = 1                         # key 0 always on
    >>> round(frame_nll(None, [roll], marginals=np.array([1.0, 0.0, 0.0, 0.5]), device="cpu"), 3)  # key 3: ln 2
    0.693
    >>> frame_nll(RollLSTM(4, hidden=8), [roll], device="cpu") > 0
    True

    Chapter: notebooks/05_synthesis.ipynb
    """
    device = get_device(device)
    total, n = 0.0, 0
    for r in rolls:
        x = torch.as_tensor(np.asarray(r, dtype=np.float32).T, device=device)  # (T, keys)
        if model is None:
            check(marginals is not None, "marginals", marginals, "per-key probabilities when model is None")
            p = torch.as_tensor(np.clip(marginals, 1e-6, 1 - 1e-6), dtype=torch.float32, device=device)
            logits = torch.log(p / (1 - p)).expand_as(x)
        else:
            model.eval().to(device)
            inp = torch.cat([torch.zeros_like(x[:1]), x[:-1]])[None]  # shifted: predicts frame t from < t
            logits = model(inp)[0]
        total += float(nn.functional.binary_cross_entropy_with_logits(logits, x, reduction="sum"))
        n += x.shape[0]
    check(n > 0, "rolls", rolls, "at least one non-empty piano roll")
    return total / n


@torch.no_grad()
def token_log_probs(model: nn.Module, tokens, *, device=None) -> np.ndarray:
    """Next-token log-probabilities at every position, in one forward pass.

    Parameters
    ----------
    model : nn.Module
        Maps ``(batch, t)`` tokens to ``(batch, t, vocab)`` logits (:class:`TokenLSTM`,
        :class:`TokenTransformer`).
    tokens : array_like of int [shape=(batch, t)] or [shape=(t,)]
        At least 2 tokens per row.

    Returns
    -------
    np.ndarray [shape=(batch, t - 1, vocab)]
        ``out[b, i, w] = log p(x_{i+1} = w | x_0 .. x_i)`` in nats.

    Examples
    --------
    >>> _ = torch.manual_seed(0); m = TokenLSTM(6, emb_dim=4, hidden=8)
    >>> lp = token_log_probs(m, [1, 2, 3, 4], device="cpu")
    >>> lp.shape, bool(np.allclose(np.exp(lp).sum(-1), 1.0, atol=1e-5))
    ((1, 3, 6), True)

    Chapter: notebooks/05_synthesis.ipynb
    """

    device = get_device(device)
    x = torch.as_tensor(np.asarray(tokens), dtype=torch.long)
    if x.ndim == 1:
        x = x[None]
    check(x.ndim == 2 and x.shape[1] >= 2, "tokens", tokens, "a (batch, t) array of token ids with t >= 2")
    model.eval().to(device)
    return model(x[:, :-1].to(device)).log_softmax(-1).cpu().double().numpy()


def continuation_nll(model: nn.Module, tokens, *, prompt_len: int, device=None) -> np.ndarray:
    """Negative log-likelihood (nats) of each row's tokens after the first ``prompt_len``.

    ``NLL = -sum_{i >= prompt_len} log p(x_i | x_<i)``: the same number as
    ``-musynth_lab.generate.sequence_log_prob(next_step(model), tokens, prompt_len=prompt_len)``,
    from one forward pass instead of one per token.

    Parameters
    ----------
    model : nn.Module
        As :func:`token_log_probs`.
    tokens : array_like of int [shape=(batch, t)] or [shape=(t,)]
    prompt_len : int
        1 .. t - 1.

    Returns
    -------
    np.ndarray [shape=(batch,)]

    Examples
    --------
    >>> _ = torch.manual_seed(0); m = TokenLSTM(6, emb_dim=4, hidden=8)
    >>> nll = continuation_nll(m, [[1, 2, 3, 4, 5]], prompt_len=2, device="cpu")
    >>> nll.shape, bool(nll[0] > 0)                                   # 3 tokens scored
    ((1,), True)

    Chapter: notebooks/05_synthesis.ipynb
    """
    x = np.asarray(tokens)
    x = x[None] if x.ndim == 1 else x
    check(
        isinstance(prompt_len, (int, np.integer)) and 1 <= prompt_len < x.shape[-1],
        "prompt_len",
        prompt_len,
        f"an integer in 1..{x.shape[-1] - 1}",
    )
    lp = token_log_probs(model, x, device=device)  # (B, t-1, V)
    rows = np.arange(x.shape[0])[:, None]
    cols = np.arange(prompt_len - 1, x.shape[1] - 1)[None, :]
    return -lp[rows, cols, x[:, prompt_len:]].sum(-1)


def next_step(model: nn.Module, *, device=None):
    """Wrap a token model as ``prefix (B, t) -> log-probs (B, vocab)`` for :mod:`musynth_lab.generate`.

    Examples
    --------
    >>> from musynth_lab.generate import greedy
    >>> m = TokenLSTM(6, emb_dim=4, hidden=8).eval()
    >>> greedy(next_step(m, device="cpu"), [1, 2], steps=3).shape
    torch.Size([1, 5])

    Chapter: notebooks/05_synthesis.ipynb
    """
    device = get_device(device)
    model.eval().to(device)

    @torch.no_grad()
    def step(prefix):
        return model(torch.as_tensor(prefix, device=device).long())[:, -1].log_softmax(-1)

    return step
