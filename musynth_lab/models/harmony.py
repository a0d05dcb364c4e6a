"""A Seq2seq harmonizer with attention (melody -> harmony), and a shared encoder.

Given the soprano of a chorale, write its alto, tenor and bass. The soprano and the three
lower voices are chapter 4/5's melody tokens (:func:`musynth_lab.data.melody_tokens`:
0 = rest, 1 = hold, ``2 + midi - 36`` = a note starts) on an eighth-note grid.

* :func:`musynth_lab.lessons.coherence.harmony_data`: aligned windows (4 bars of eighth notes by default) of soprano
  tokens and alto/tenor/bass tokens, cut at bar lines.
* :class:`Harmonizer`: chapter 2's soprano -> bass encoder-decoder
  (:class:`musynth_lab.models.seq2seq.Seq2SeqAttention`) grown to three voices: a
  bidirectional GRU reads the soprano; a GRU decoder reads the three voices written so far
  (one embedding table per voice, summed) and, at each step, its state (with a sinusoidal
  encoding of the step) queries the encoder states (with theirs) through attention; three
  heads give the alto, tenor and bass token of the step. The three voices of one step are
  drawn independently given everything before (one network, three softmaxes).
  ``attention=False`` is the fixed-vector baseline: the encoder's final state is the
  context at every step.
* The **shared encoder** (the source's "models share nothing", answered): chapter 4's
  :class:`musynth_lab.models.vae.MelodyVAE`, trained on its own on two-bar soprano windows
  (:func:`musynth_lab.lessons.coherence.pretrain_melody_encoder`), is plugged into the harmonizer: its token embedding
  replaces the harmonizer's soprano embedding, and its latent mean of each two-bar chunk
  of the soprano is appended to every step of that chunk before the GRU encoder. Frozen
  (``freeze=True``, default: the VAE's weights stay exactly as chapter 4 left them) or
  fine-tuned with the harmonizer (``freeze=False``).
* :func:`musynth_lab.lessons.coherence.train_harmonizer` (through the shared loop :func:`musynth_lab.models.fit`, early
  stopping on the validation pieces), :func:`harmonize` (greedy or sampled decoding of a
  whole piece), :func:`voices_to_roll`, :func:`chorale_voices`, and the per-step
  :func:`musynth_lab.lessons.coherence.unigram_nll` baseline.

Chapter: notebooks/06c_coherence.ipynb
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from ..audio import to_numpy
from ..data import HOLD, MELODY_LOW, N_MELODY_TOKENS, REST, Chorale, load_chorales  # noqa: F401  (doctest)
from ..errors import ParameterError, check
from ..evaluate import step_violations
from .lm import token_loss
from .seq2seq import PositionalAttention
from .vae import MelodyVAE, render_tokens

__all__ = [
    "Harmonizer",
    "harmonize",
    "bar_offset",
    "voices_to_roll",
    "chorale_voices",
    "tokens_to_pitches",
    "harmony_loss",
    "render_harmony",
    "LOWER_VOICES",
    "BOS",
    "VAE_CHUNK",
]

#: The voices the harmonizer writes, in output order.
LOWER_VOICES = ("A", "T", "B")
#: Start token of the decoder (the three voices "before" a piece starts).
BOS = N_MELODY_TOKENS
#: The MelodyVAE window the shared encoder reads (two 4/4 bars of eighth notes).
VAE_CHUNK = 16  # the MelodyVAE's window: two 4/4 bars of eighth notes


# ----------------------------------------------------------------------------------------
# Data
# ----------------------------------------------------------------------------------------


def bar_offset(piece: Chorale, step: float) -> int:
    """First step of the first full bar (after the pick-up)."""
    return int(round(piece.pickup_q / step))


def _check_soprano(tokens, name: str = "soprano") -> np.ndarray:
    arr = np.asarray(to_numpy(tokens))
    check(arr.ndim == 1 and arr.size > 0, name, tokens, "a 1-D array of melody tokens (n_steps,)")
    check(
        np.issubdtype(arr.dtype, np.integer) or (np.issubdtype(arr.dtype, np.floating) and np.all(arr == np.round(arr))),
        name,
        tokens,
        "integer melody tokens",
    )
    arr = arr.astype(np.int64)
    check(
        arr.min() >= 0 and arr.max() < N_MELODY_TOKENS,
        name,
        f"tokens {arr.min()}..{arr.max()}",
        f"melody tokens in 0..{N_MELODY_TOKENS - 1}",
    )
    return arr


def tokens_to_pitches(tokens) -> np.ndarray:
    """The MIDI pitch sounding at each step of melody tokens, -1 where silent.

    A hold continues the note before it (a hold after a rest, or first, is silent).

    Parameters
    ----------
    tokens : array of int [shape=(..., n_steps)]

    Returns
    -------
    np.ndarray [shape=(..., n_steps)], int64

    Examples
    --------
    >>> tokens_to_pitches([2 + 60 - 36, HOLD, REST, HOLD, 2 + 64 - 36]).tolist()
    [60, 60, -1, -1, 64]

    Chapter: notebooks/06c_coherence.ipynb
    """
    toks = np.asarray(to_numpy(tokens)).astype(np.int64)
    check(toks.ndim >= 1, "tokens", tokens, "an array of melody tokens (..., n_steps)")
    out = np.full(toks.shape, -1, dtype=np.int64)
    cur = np.full(toks.shape[:-1], -1, dtype=np.int64)
    for j in range(toks.shape[-1]):
        t = toks[..., j]
        cur = np.where(t >= 2, t - 2 + MELODY_LOW, np.where(t == REST, -1, cur))
        out[..., j] = cur
    return out


def chorale_voices(piece: Chorale, *, step: float = 0.5) -> np.ndarray:
    """The four voices of a chorale as sounding MIDI pitches per step, ``(n_steps, 4)`` S, A, T, B, -1 = rest.

    The reference a harmonization is compared with (same grid as :func:`harmonize`).

    Examples
    --------
    >>> v = chorale_voices(load_chorales("test")[0]); v.shape[1], bool((v[:, 0] >= v[:, 3]).mean() > 0.9)
    (4, True)

    Chapter: notebooks/06c_coherence.ipynb
    """
    check(isinstance(piece, Chorale), "piece", piece, "a Chorale from load_chorales()")
    toks = [piece.melody_tokens(part=v, step=step) for v in ("S",) + LOWER_VOICES]
    n = min(len(t) for t in toks)
    return tokens_to_pitches(np.stack([t[:n] for t in toks], 1).T).T


def voices_to_roll(voices, *, low: int = 21, n_keys: int = 88) -> np.ndarray:
    """A binary piano roll ``(n_keys, n_steps)`` from voices ``(n_steps, n_voices)`` of MIDI pitches (-1 = rest).

    Pitches outside ``low .. low + n_keys - 1`` are dropped, as in
    :func:`musynth_lab.data.piano_roll`.

    Examples
    --------
    >>> roll = voices_to_roll([[72, 60], [72, -1], [74, 55]], low=50, n_keys=30)
    >>> roll.shape, np.argwhere(roll).tolist()
    ((30, 3), [[5, 2], [10, 0], [22, 0], [22, 1], [24, 2]])

    Chapter: notebooks/06c_coherence.ipynb
    """
    v = np.asarray(to_numpy(voices))
    check(v.ndim == 2, "voices", getattr(v, "shape", v), "an array (n_steps, n_voices) of MIDI pitches")
    check(
        np.issubdtype(v.dtype, np.number) and np.all(v == np.round(v)),
        "voices",
        "non-integer values",
        "integer MIDI pitches, -1 for a rest",
    )
    check(int(n_keys) > 0, "n_keys", n_keys, "a positive number of keys")
    v = v.astype(np.int64)
    roll = np.zeros((int(n_keys), v.shape[0]), dtype=bool)
    steps, _ = np.nonzero(v >= 0)
    rows = v[v >= 0] - int(low)
    ok = (rows >= 0) & (rows < n_keys)
    roll[rows[ok], steps[ok]] = True
    return roll


# ----------------------------------------------------------------------------------------
# Model
# ----------------------------------------------------------------------------------------


class Harmonizer(PositionalAttention, nn.Module):
    """Soprano tokens -> alto, tenor and bass tokens: a GRU encoder-decoder with attention.

    Parameters
    ----------
    d : int
        Embedding and GRU size (the encoder is bidirectional: states of ``2 d``).
    attention : bool
        Attention over the encoder states (True) or the fixed-vector baseline (False).
    score : {'dot', 'additive'}
        A scaled dot product of learned query/key projections (Vaswani's form; Luong's
        unscaled "general" score is ``score="general"`` in :mod:`musynth_lab.models.seq2seq`) or Bahdanau's
        (:class:`musynth_lab.attention.AdditiveScore`); both see sinusoidal encodings of
        the decoder's step and of the soprano positions.
    melody_encoder : MelodyVAE, optional
        A fitted chapter 4 :class:`~musynth_lab.models.vae.MelodyVAE` to share: its
        embedding becomes the soprano embedding (its size sets ``d_embed``) and its latent
        mean of each 16-step chunk is appended to the chunk's steps.
    freeze : bool
        Keep the shared encoder's weights fixed while training the harmonizer.
    d_pos, max_len : int
        Positional encoding size and the longest window.

    Forward
    -------
    src (B, n) soprano tokens, tgt_in (B, n, 3) decoder inputs -> logits (B, n, 3, 51).
    ``n`` must be a multiple of 16 with a melody encoder. ``self.last_weights`` holds the
    attention (B, n, n) of the last call (None without attention).

    Examples
    --------
    >>> net = Harmonizer()
    >>> net(torch.zeros(2, 16, dtype=torch.long), torch.zeros(2, 16, 3, dtype=torch.long)).shape
    torch.Size([2, 16, 3, 51])

    Chapter: notebooks/06c_coherence.ipynb
    """

    def __init__(
        self,
        *,
        d: int = 48,
        attention: bool = True,
        score: str = "dot",
        melody_encoder=None,
        freeze: bool = True,
        d_pos: int = 16,
        max_len: int = 512,
    ):
        super().__init__()
        check(score in ("dot", "additive"), "score", score, "'dot' or 'additive'")
        check(int(d) > 0, "d", d, "a positive size")
        if melody_encoder is not None:
            check(
                isinstance(melody_encoder, MelodyVAE) and melody_encoder.n_steps == VAE_CHUNK,
                "melody_encoder",
                melody_encoder,
                f"a chapter 4 MelodyVAE over {VAE_CHUNK}-step windows",
            )
        self.vocab, self.kind, self.attention, self.freeze = N_MELODY_TOKENS, score, bool(attention), bool(freeze)
        self.melody_encoder = melody_encoder
        if melody_encoder is not None:
            if not freeze:  # frozen: no gradient reaches it (see _soprano_features)
                for p in melody_encoder.parameters():
                    p.requires_grad_(True)
            d_in = melody_encoder.embed.embedding_dim + melody_encoder.latent_dim
        else:
            self.src_embed = nn.Embedding(self.vocab, d)
            d_in = d
        self.encoder = nn.GRU(d_in, d, batch_first=True, bidirectional=True)
        self.bridge = nn.Linear(2 * d, d)
        self.tgt_embed = nn.ModuleList([nn.Embedding(self.vocab + 1, d) for _ in LOWER_VOICES])  # + BOS
        self.decoder = nn.GRU(d, d, batch_first=True)
        self._init_attention(d, d_pos, max_len)
        self.out = nn.Sequential(nn.Linear(3 * d, 2 * d), nn.Tanh(), nn.Linear(2 * d, 3 * self.vocab))
        self.last_weights = None

    def train(self, mode: bool = True):
        super().train(mode)
        if self.melody_encoder is not None and self.freeze:
            self.melody_encoder.eval()
        return self

    def _soprano_features(self, src):
        if self.melody_encoder is None:
            return self.src_embed(src)
        B, n = src.shape
        if n % VAE_CHUNK:
            raise ParameterError(f"src: {n} steps: expected a multiple of {VAE_CHUNK} with a shared melody encoder")
        vae = self.melody_encoder
        with torch.set_grad_enabled(torch.is_grad_enabled() and not self.freeze):
            mu = vae.encode_stats(src.reshape(B * n // VAE_CHUNK, VAE_CHUNK))[0]  # (B * chunks, latent)
            emb = vae.embed(src)
        ctx = mu.reshape(B, n // VAE_CHUNK, 1, -1).expand(-1, -1, VAE_CHUNK, -1).reshape(B, n, -1)
        return torch.cat([emb, ctx], -1)

    def encode(self, src):
        """Encoder states (B, n, 2d), final state (B, 2d), the decoder's first state (1, B, d), the keys."""
        enc, h = self.encoder(self._soprano_features(src))
        final = torch.cat([h[0], h[1]], -1)
        return enc, final, torch.tanh(self.bridge(final))[None], self._keys(enc)

    def embed_targets(self, tgt_in):
        """Sum of the three voices' embeddings: (B, m, 3) -> (B, m, d)."""
        return sum(emb(tgt_in[..., i]) for i, emb in enumerate(self.tgt_embed))

    def step(self, enc, final, keys, dec_states, start: int = 0):
        """Logits (B, m, 3, vocab) and attention weights (B, m, n) for decoder states (B, m, d)."""
        B, m, _ = dec_states.shape
        ctx, w = self._context(enc, final, keys, dec_states, start)
        return self.out(torch.cat([dec_states, ctx], -1)).view(B, m, 3, self.vocab), w

    def forward(self, src, tgt_in):
        enc, final, h0, keys = self.encode(src)
        states, _ = self.decoder(self.embed_targets(tgt_in), h0)
        logits, w = self.step(enc, final, keys, states)
        self.last_weights = None if w is None else w.detach()
        return logits


def harmony_loss(logits, target):
    """Mean cross-entropy (nats per step per voice) of logits (B, n, 3, V) against tokens (B, n, 3).

    Examples
    --------
    >>> logits = torch.zeros(2, 4, 3, 10)                             # uniform over 10 tokens
    >>> round(float(harmony_loss(logits, torch.zeros(2, 4, 3, dtype=torch.long))), 4)   # ln 10
    2.3026

    Chapter: notebooks/06c_coherence.ipynb
    """
    return token_loss(logits, target)


# ----------------------------------------------------------------------------------------
# Training
# ----------------------------------------------------------------------------------------

# ----------------------------------------------------------------------------------------
# Generation
# ----------------------------------------------------------------------------------------


@torch.no_grad()
def harmonize(
    model: Harmonizer,
    soprano,
    *,
    temperature: float = 0.0,
    seed: int = 0,
    window: int = 32,
    pickup_steps: int | None = None,
    return_tokens: bool = False,
    rules: float = 0.0,
    top_k: int = 4,
):
    """Write alto, tenor and bass under a soprano, one eighth-note step at a time.

    The soprano is cut into windows of ``window`` steps from its first bar line (the
    pick-up, if any, is padded with rests in front so the windows are bar-aligned as in
    training), each window encoded on its own; the decoder carries the last tokens it
    wrote from one window into the next.

    Parameters
    ----------
    model : Harmonizer
    soprano : Chorale or array of int [shape=(n_steps,)], or a list of them
        A chorale (its soprano is used) or soprano melody tokens. A list is harmonised in
        one batch (the pieces are decoded side by side, each exactly as on its own, with its
        own seeded generator): one list of results comes back.
    temperature : float
        0 (default): the most likely token of each voice (greedy); above 0: sample from the
        softmax at this temperature (seeded by ``seed``).
    seed : int
    window : int
        Steps per encoded window; a multiple of 16 (32, as in training).
    pickup_steps : int, optional
        Length of the pick-up in steps; taken from the chorale, 0 for a token array (with a
        list, it applies to every token array in it).
    return_tokens : bool
        Also return the lower voices' tokens ``(n_steps, 3)``.
    rules : float
        0 (default): each voice's token is chosen on its own. Above 0: the textbook rules
        become a penalty at decoding time. At each step the ``top_k`` most likely tokens of
        each voice are combined (``top_k ** 3`` candidate chords), each candidate is scored
        by its summed log-probability minus ``rules`` nats per voice-leading fault of the
        move into it (:func:`step_violations`), and the best (or, with a temperature, a
        draw from the softmax of the scores) is written. The model is unchanged: this is
        a constraint on the search, as beam search is in chapter 5.
    top_k : int
        Tokens per voice considered when ``rules > 0``.

    Returns
    -------
    voices : np.ndarray [shape=(n_steps, 4)], int64
        Sounding MIDI pitch of S, A, T, B per eighth-note step, -1 for a rest.
    tokens : np.ndarray [shape=(n_steps, 3)], int64
        Only with ``return_tokens``.

    With a list: a list of ``voices`` (or of ``(voices, tokens)`` pairs), one per piece.

    Examples
    --------
    >>> net = Harmonizer()
    >>> v = harmonize(net, [2 + 72 - 36] + [HOLD] * 7)
    >>> v.shape, int(v[0, 0])
    ((8, 4), 72)
    >>> both = harmonize(net, [[2 + 72 - 36] + [HOLD] * 7, [2 + 67 - 36] * 40])    # a batch: each as on its own
    >>> [b.shape for b in both], bool((both[0] == v).all()), bool((both[1] == harmonize(net, [2 + 67 - 36] * 40)).all())
    ([(8, 4), (40, 4)], True, True)

    Chapter: notebooks/06c_coherence.ipynb
    """
    check(isinstance(model, Harmonizer), "model", model, "a Harmonizer")
    check(
        isinstance(temperature, (int, float)) and temperature >= 0, "temperature", temperature, "a temperature >= 0 (0 = greedy)"
    )
    check(
        isinstance(window, (int, np.integer)) and window > 0 and window % VAE_CHUNK == 0,
        "window",
        window,
        f"a positive multiple of {VAE_CHUNK} steps",
    )
    check(
        isinstance(rules, (int, float)) and not isinstance(rules, bool) and rules >= 0 and math.isfinite(rules),
        "rules",
        rules,
        "a penalty >= 0 in nats per voice-leading fault (0 = off)",
    )
    check(
        isinstance(top_k, (int, np.integer)) and not isinstance(top_k, bool) and 1 <= top_k <= N_MELODY_TOKENS,
        "top_k",
        top_k,
        f"an integer in [1, {N_MELODY_TOKENS}]",
    )
    many = isinstance(soprano, (list, tuple)) and len(soprano) > 0 and not np.isscalar(soprano[0])
    pieces = list(soprano) if many else [soprano]
    srcs, pads, padded = [], [], []
    bar = 8
    for piece in pieces:
        pick = pickup_steps
        if isinstance(piece, Chorale):
            if pick is None:
                pick = bar_offset(piece, 0.5)
            piece = piece.melody_tokens(part="S")
        src = _check_soprano(piece)
        pick = 0 if pick is None else int(pick)
        check(pick >= 0, "pickup_steps", pick, "a number of steps >= 0")
        pad_front = (bar - pick % bar) % bar
        srcs.append(src)
        pads.append(pad_front)
        padded.append(np.concatenate([np.full(pad_front, REST, np.int64), src]))
    P = len(pieces)
    n_win = max(math.ceil(len(x) / window) for x in padded)  # every piece padded with rests to the longest
    padded = np.stack([np.concatenate([x, np.full(n_win * window - len(x), REST, np.int64)]) for x in padded])
    model.eval()
    dev = next(model.parameters()).device
    gens = [torch.Generator(device="cpu").manual_seed(int(seed)) for _ in range(P)]  # each piece as if on its own
    wins = torch.as_tensor(padded.reshape(P * n_win, window), device=dev)  # piece-major: row p * n_win + w
    enc_all = model.encode(wins)
    tok = torch.full((P, 1, 3), BOS, dtype=torch.long, device=dev)
    out = []
    if rules > 0:
        sop = tokens_to_pitches(padded)  # (P, n_win * window): the soprano's sounding pitch
        kk = int(top_k)
        grid = np.stack(np.meshgrid(*[np.arange(kk)] * 3, indexing="ij"), -1).reshape(-1, 3)  # (kk**3, 3)
        held = np.full((P, 3), -1, dtype=np.int64)  # lower voices' sounding pitches
        prev_frame = np.full((P, 4), -1, dtype=np.int64)
    for w in range(n_win):
        rows = torch.arange(P, device=dev) * n_win + w
        enc, final = enc_all[0][rows], enc_all[1][rows]
        keys = None if enc_all[3] is None else enc_all[3][rows]
        h = enc_all[2][:, rows]
        for t in range(window):
            state, h = model.decoder(model.embed_targets(tok), h)
            logits, _ = model.step(enc, final, keys, state, start=t)  # (P, 1, 3, V)
            if rules > 0:
                logp = torch.log_softmax(logits[:, 0].detach().float(), -1).cpu()  # (P, 3, V)
                top_lp, top_id = logp.topk(kk, dim=-1)  # (P, 3, kk)
                cand = top_id.numpy()[:, np.arange(3), grid]  # (P, kk**3, 3) tokens
                score = top_lp.numpy()[:, np.arange(3), grid].sum(-1)  # (P, kk**3)
                pitch = np.where(cand >= 2, cand - 2 + MELODY_LOW, np.where(cand == REST, -1, held[:, None, :]))
                frames = np.concatenate([np.broadcast_to(sop[:, w * window + t, None, None], (P, len(grid), 1)), pitch], -1)
                score = score - rules * step_violations(prev_frame, frames)  # for every piece at once
                if temperature == 0:
                    pick = score.argmax(1)
                else:
                    pz = torch.softmax(torch.as_tensor(score / temperature), -1)  # (P, kk**3)
                    pick = np.array([int(torch.multinomial(pz[i], 1, generator=gens[i])) for i in range(P)])
                at = np.arange(P)
                held, prev_frame = pitch[at, pick], frames[at, pick]
                tok = torch.as_tensor(cand[at, pick], device=dev).view(P, 1, 3)
            elif temperature == 0:
                tok = logits.argmax(-1)
            else:
                probs = torch.softmax(logits[:, 0].float().cpu() / temperature, -1)  # (P, 3, V)
                tok = torch.stack([torch.multinomial(probs[i], 1, generator=gens[i]).view(1, 3) for i in range(P)]).to(dev)
            out.append(tok[:, 0].cpu().numpy())
    steps = np.stack(out, 1)  # (P, n_win * window, 3)
    results = []
    for i, src in enumerate(srcs):
        tokens = steps[i, pads[i] : pads[i] + len(src)].astype(np.int64)  # (n, 3)
        voices = np.concatenate([tokens_to_pitches(src)[:, None], tokens_to_pitches(tokens.T).T], 1)
        results.append((voices, tokens) if return_tokens else voices)
    return results if many else results[0]


def render_harmony(
    voices, *, sr: int, bpm: float = 90.0, step: float = 0.5, instrument: str = "sine", peak: float = 0.8
) -> np.ndarray:
    """Render four voices ``(n_steps, n_voices)`` of MIDI pitches (-1 = rest) as audio, ``(n_samples,)`` float32.

    A voice that keeps the same pitch over several steps is one held note (as
    :func:`tokens_to_pitches` reads tokens). Each voice goes through chapter 4's
    :func:`musynth_lab.models.vae.render_tokens`; the mix is scaled so its peak is
    ``peak`` (silence stays silence).

    Parameters
    ----------
    voices : array of int [shape=(n_steps, n_voices)]
        e.g. :func:`harmonize` or :func:`chorale_voices` output.
    sr : int
        Sample rate in Hz.
    bpm : float
        Quarter notes per minute.
    step : float
        Quarter notes per step (0.5 = eighth notes).
    instrument : str
        ``'sine'`` or a :func:`musynth_lab.synth.render_notes` instrument.
    peak : float
        Peak level of the mix, in (0, 1].

    Examples
    --------
    >>> y = render_harmony([[72, 67, 64, 48]] * 4 + [[-1, -1, -1, -1]] * 4, sr=8000, bpm=120)
    >>> y.shape, round(float(np.abs(y).max()), 3), float(np.abs(y[-2000:]).max())
    ((16000,), 0.8, 0.0)

    Chapter: notebooks/06c_coherence.ipynb
    """
    v = np.asarray(to_numpy(voices))
    check(v.ndim == 2 and v.shape[0] > 0, "voices", getattr(v, "shape", v), "an array (n_steps, n_voices) of MIDI pitches")
    check(
        np.all((v == -1) | ((v >= MELODY_LOW) & (v <= MELODY_LOW + N_MELODY_TOKENS - 3))),
        "voices",
        f"values {v.min()}..{v.max()}",
        f"MIDI pitches {MELODY_LOW}..{MELODY_LOW + N_MELODY_TOKENS - 3} or -1 for a rest",
    )
    check(0 < peak <= 1, "peak", peak, "a level in (0, 1]")
    v = v.astype(np.int64)
    mix = None
    for col in v.T:
        prev = np.concatenate([[-2], col[:-1]])
        toks = np.where(col < 0, REST, np.where(col == prev, HOLD, col - MELODY_LOW + 2))
        y = render_tokens(toks, sr=sr, bpm=bpm, step=step, instrument=instrument)
        mix = y.astype(np.float64) if mix is None else mix + y
    top = float(np.abs(mix).max())
    return (mix * (peak / top) if top > 0 else mix).astype(np.float32)
