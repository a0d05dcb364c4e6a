"""The positional-attention GRU seq2seq shared by chapters 2 (soprano -> bass) and 6c (harmoniser).

:class:`PositionalAttention` is the attention mixin (Luong's arrangement, sinusoidal position
codes on queries and keys); :class:`Seq2SeqAttention` the one-voice encoder-decoder;
:func:`greedy_bass` its greedy decoder; :func:`shift_right` the teacher-forcing input.

Chapter: notebooks/02_attention.ipynb
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from ..attention import AdditiveScore, masked_softmax, sinusoidal_encoding
from ..errors import ParameterError

__all__ = ["PositionalAttention", "Seq2SeqAttention", "greedy_bass", "shift_right"]


class PositionalAttention:
    """Luong-style attention of decoder states over encoder states, both with sinusoidal position codes.

    Shared by :class:`Seq2SeqAttention` and :class:`musynth_lab.models.harmony.Harmonizer`
    (an ``nn.Module`` mixin; the host sets ``attention`` and ``kind``, one of ``'dot'``,
    ``'general'``, ``'additive'``; encoder states are ``2 d`` wide, decoder states ``d``).
    """

    def _init_attention(self, d: int, d_pos: int, max_len: int):
        self.register_buffer("pe", sinusoidal_encoding(max_len, d_pos), persistent=False)
        if self.attention and self.kind == "dot":
            self.q_proj, self.k_proj = nn.Linear(d + d_pos, d), nn.Linear(2 * d + d_pos, d)
        elif self.attention and self.kind == "general":
            self.w_general = nn.Linear(2 * d + d_pos, d + d_pos, bias=False)  # Luong's W_a
        elif self.attention:
            self.score = AdditiveScore(d + d_pos, 2 * d + d_pos, d)

    def _keys(self, enc):
        """Keys (B, n, d) of encoder states (B, n, 2d) with their positions; None without attention."""
        if not self.attention:
            return None
        k_in = torch.cat([enc, self.pe[: enc.shape[1]].expand(enc.shape[0], -1, -1)], -1)
        if self.kind == "dot":
            return self.k_proj(k_in)
        if self.kind == "general":
            return self.w_general(k_in)  # W_a h_s, so that q . (W_a h_s) = q^T W_a h_s
        return self.score.project_keys(k_in)

    def _context(self, enc, final, keys, dec_states, start: int = 0):
        """Context (B, m, 2d) and weights (B, m, n) for decoder states (B, m, d) at steps start..start+m-1.

        Without attention the context is the encoder's final state (B, 2d) at every step and
        the weights are None.
        """
        B, m, _ = dec_states.shape
        if not self.attention:
            return final[:, None].expand(-1, m, -1), None
        q_in = torch.cat([dec_states, self.pe[start : start + m].expand(B, -1, -1)], -1)
        if self.kind == "dot":
            q = self.q_proj(q_in)
            e = q @ keys.transpose(1, 2) / q.shape[-1] ** 0.5
        elif self.kind == "general":
            e = q_in @ keys.transpose(1, 2)  # Luong's "general" score h_t^T W_a h_s: no 1/sqrt(d)
        else:
            e = self.score(q_in, None, keys_projected=keys)
        w = masked_softmax(e)  # (B, m, n)
        return w @ enc, w


class Seq2SeqAttention(PositionalAttention, nn.Module):
    """A GRU encoder-decoder with attention over the encoder states, in Luong's arrangement.

    Encoder: embedding + bidirectional GRU over the soprano. Decoder: embedding + GRU over
    the bass so far (teacher forcing in training, one step at a time in
    :func:`greedy_bass`); at each step its state, with a sinusoidal encoding of the step,
    queries the encoder states, each with an encoding of its position, and
    ``[state; context]`` predicts the next token. Scores of a query ``q`` (the decoder state
    with its position code) and a key ``k`` (an encoder state with its position code):

    * ``score='dot'`` (default): a scaled dot product of learned projections,
      ``(W_q q + b_q) . (W_k k + b_k) / sqrt(d)``, as in Vaswani et al. (2017);
    * ``score='general'``: Luong et al.'s (2015) "general" score ``q^T W_a k``, one learned
      matrix and *no* ``1 / sqrt(d)`` (the 'dot' score is a rank-``d`` factorisation of it,
      ``W_a = W_q^T W_k``, plus biases, then scaled);
    * ``score='additive'``: Bahdanau's ``v^T tanh(W_q q + W_k k)``
      (:class:`musynth_lab.attention.AdditiveScore`).

    The positional encodings let the score compare *where* the two steps are, which the
    alignment needs. With ``attention=False`` the context is the encoder's final state at
    every step (the classic fixed-vector seq2seq, the baseline).

    Forward
    -------
    src (B, n), tgt_in (B, m) -> logits (B, m, vocab); ``self.last_weights`` (B, m, n).

    Examples
    --------
    >>> net = Seq2SeqAttention(51)
    >>> net(torch.zeros(2, 8, dtype=torch.long), torch.zeros(2, 8, dtype=torch.long)).shape
    torch.Size([2, 8, 51])
    >>> tuple(Seq2SeqAttention(51, d=32, d_pos=16, score="general").w_general.weight.shape)   # W_a: (d + d_pos, 2 d + d_pos)
    (48, 80)

    Chapter: notebooks/02_attention.ipynb
    """

    def __init__(
        self, vocab: int, *, d: int = 32, attention: bool = True, score: str = "dot", d_pos: int = 16, max_len: int = 512
    ):
        super().__init__()
        if score not in ("dot", "general", "additive"):
            raise ParameterError(f"score={score!r}: expected 'dot', 'general' or 'additive'")
        self.vocab, self.kind = vocab, score
        self.src_embed = nn.Embedding(vocab, d)
        self.tgt_embed = nn.Embedding(vocab + 1, d)  # + start token
        self.encoder = nn.GRU(d, d, batch_first=True, bidirectional=True)
        self.bridge = nn.Linear(2 * d, d)
        self.decoder = nn.GRU(d, d, batch_first=True)
        self.attention = attention
        self._init_attention(d, d_pos, max_len)
        self.out = nn.Sequential(nn.Linear(3 * d, d), nn.Tanh(), nn.Linear(d, vocab))
        self.last_weights = None

    def encode(self, src):
        """Encoder states (B, n, 2d), the final state (B, 2d), the decoder's first state, and the keys."""
        enc, h = self.encoder(self.src_embed(src))  # (B, n, 2d), (2, B, d)
        final = torch.cat([h[0], h[1]], -1)  # (B, 2d)
        return enc, final, torch.tanh(self.bridge(final))[None], self._keys(enc)

    def step(self, enc, final, keys, dec_states, start: int = 0):
        """Logits and attention weights for decoder states (B, m, d) at steps start..start+m-1."""
        ctx, w = self._context(enc, final, keys, dec_states, start)
        return self.out(torch.cat([dec_states, ctx], -1)), w

    def forward(self, src, tgt_in):
        enc, final, h0, keys = self.encode(src)
        states, _ = self.decoder(self.tgt_embed(tgt_in), h0)  # (B, m, d)
        logits, w = self.step(enc, final, keys, states)
        self.last_weights = None if w is None else w.detach()
        return logits


def shift_right(tgt, bos: int) -> np.ndarray:
    """Teacher-forcing decoder input: target rows (B, m) shifted one step right behind ``bos``.

    Examples
    --------
    >>> shift_right(np.array([[5, 6, 7]]), 9)
    array([[9, 5, 6]])

    Chapter: notebooks/02_attention.ipynb
    """
    return np.concatenate([np.full((len(tgt), 1), bos, dtype=np.int64), tgt[:, :-1]], axis=1)


@torch.no_grad()
def greedy_bass(model: Seq2SeqAttention, src, *, bos: int):
    """Write a bass under soprano windows one token at a time (greedy).

    Parameters
    ----------
    model : Seq2SeqAttention
    src : array [shape=(B, n)] of soprano tokens
    bos : int
        The start token (``BassData.bos``).

    Returns
    -------
    tokens : np.ndarray [shape=(B, n)]
    alignment : np.ndarray [shape=(B, n, n)] or None
        Row ``t``: the attention over the soprano positions when bass token ``t`` was chosen.

    Examples
    --------
    >>> net = Seq2SeqAttention(51)
    >>> tokens, alignment = greedy_bass(net, np.zeros((2, 8), dtype=np.int64), bos=51)
    >>> tokens.shape, alignment.shape
    ((2, 8), (2, 8, 8))

    Chapter: notebooks/02_attention.ipynb
    """
    model.eval()
    dev = next(model.parameters()).device
    src = torch.as_tensor(np.asarray(src), dtype=torch.long, device=dev)
    enc, final, h, keys = model.encode(src)
    tok = torch.full((src.shape[0], 1), bos, dtype=torch.long, device=dev)
    out, align = [], []
    for t in range(src.shape[1]):
        state, h = model.decoder(model.tgt_embed(tok), h)
        logits, w = model.step(enc, final, keys, state, start=t)
        tok = logits.argmax(-1)
        out.append(tok)
        if w is not None:
            align.append(w)
    tokens = torch.cat(out, 1).cpu().numpy()
    return tokens, (torch.cat(align, 1).cpu().numpy() if align else None)
