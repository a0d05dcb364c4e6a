"""Variational autoencoders (变分自编码器): spectrogram frames, melody windows, and a bar/beat hierarchy.

A VAE learns an encoder ``q(z | x)`` and a decoder ``p(x | z)`` together by maximising the
evidence lower bound ``ELBO = E_q[log p(x | z)] - KL(q(z | x) || p(z))``. The encoder's
mean is a fixed-length vector for any input; the decoder turns any point of the latent
space back into music, so one can move between two melodies and hear the path.

* :class:`FrameVAE`: log-mel frames of the bundled notes (Gaussian likelihood);
* :class:`MelodyVAE`: two-bar soprano windows of the chorales as melody tokens
  (categorical likelihood per eighth note);
* :class:`HierarchicalVAE`: one latent per bar that conditions one latent per beat
  (a learnt conditional prior ``p(z_beat | z_bar)``), in the spirit of MusicVAE's
  hierarchical decoder.

Every model follows the chapter's encoder interface: ``fit(train, ...)`` (through the
shared loop :func:`musynth_lab.models.fit`) then ``encode(x) -> (n, dim)``.

Chapter: notebooks/04b_deep.ipynb
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from ..audio import midi_to_hz, to_numpy, to_tensor
from ..data import HOLD, MELODY_LOW, N_MELODY_TOKENS, REST, Chorale, NoteSet, load_chorales, tokens_to_notes  # noqa: F401  (doctests use them)
from ..errors import ParameterError, check
from ..features import note_logmel
from ..stats.base import Encoder, require_fitted
from ..synth import render_notes
from .training import fit as _fit

__all__ = [
    "TorchEncoder",
    "gaussian_kl",
    "FrameVAE",
    "MelodyVAE",
    "HierarchicalVAE",
    "note_frames",
    "melody_windows",
    "interpolate",
    "render_tokens",
    "elbo_report",
    "LOG_MEL_FLOOR_DB",
    "note_spectrograms",
    "chorale_list",
    "check_tokens",
]

#: Log-mel frames are scaled from [LOG_MEL_FLOOR_DB, 0] dB to [0, 1].
LOG_MEL_FLOOR_DB = 80.0


def gaussian_kl(mu_q, logvar_q, mu_p=None, logvar_p=None) -> torch.Tensor:
    """``KL(N(mu_q, e^logvar_q) || N(mu_p, e^logvar_p))`` summed over the last axis (nats).

    Without ``mu_p``/``logvar_p`` the prior is the standard normal.

    Examples
    --------
    >>> round(float(gaussian_kl(torch.tensor([1.0]), torch.tensor([0.0]))), 4)
    0.5

    Chapter: notebooks/04b_deep.ipynb
    """
    if mu_p is None:
        mu_p, logvar_p = torch.zeros_like(mu_q), torch.zeros_like(logvar_q)
    return 0.5 * (logvar_p - logvar_q + (logvar_q.exp() + (mu_q - mu_p) ** 2) / logvar_p.exp() - 1).sum(-1)


def _reparameterise(mu, logvar, training: bool):
    if not training:
        return mu
    return mu + torch.randn_like(mu) * (0.5 * logvar).exp()


class TorchEncoder(nn.Module, Encoder):
    """A torch model with the chapter's encoder interface.

    Subclasses define ``forward``, ``loss(output, target)``, ``_prepare(x)`` (inputs as a
    tensor) and ``_encode_tensor(x)`` (the encoding); :meth:`fit` trains with
    :func:`musynth_lab.models.fit` and :meth:`encode` returns NumPy ``(n, dim)``.

    Examples
    --------
    >>> class Linear2(TorchEncoder):                  # the smallest subclass: a 2-d linear autoencoder
    ...     dim = 2
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.lin = nn.Linear(2, 2)
    ...     def forward(self, x):
    ...         return self.lin(x)
    ...     def loss(self, output, target):
    ...         return ((output - target) ** 2).mean()
    ...     def _prepare(self, x):
    ...         return torch.as_tensor(np.asarray(x), dtype=torch.float32)
    ...     def _encode_tensor(self, x):
    ...         return self.lin(x)
    >>> enc = Linear2().fit(np.random.rand(16, 2), epochs=2, device="cpu")
    >>> enc.fitted, len(enc.history_.train_loss), enc.encode(np.zeros((3, 2))).shape
    (True, 2, (3, 2))

    Chapter: notebooks/04b_deep.ipynb
    """

    def __init__(self):
        nn.Module.__init__(self)
        self.fitted = False
        self.history_ = None

    def _targets(self, x):
        return x

    def fit(
        self,
        train,
        *,
        val=None,
        epochs: int = 20,
        lr: float = 2e-3,
        batch_size: int = 64,
        device=None,
        seed: int = 0,
        progress: bool = False,
        **kw,
    ):
        """Train on ``train`` (and report loss on ``val``) with the shared loop; returns ``self``.

        ``self.history_`` keeps the :class:`~musynth_lab.models.History`.
        """
        x = self._prepare(train)
        data = (x, self._targets(x))
        val_data = None
        if val is not None:
            v = self._prepare(val)
            val_data = (v, self._targets(v))
        self.history_ = _fit(
            self,
            data,
            loss_fn=self.loss,
            epochs=epochs,
            lr=lr,
            batch_size=batch_size,
            val_data=val_data,
            device=device,
            seed=seed,
            progress=progress,
            **kw,
        )
        self.fitted = True
        return self

    def _device(self):
        return next(self.parameters()).device

    def _encode(self, x) -> np.ndarray:
        self.eval()
        t = self._prepare(x).to(self._device())
        with torch.no_grad():
            out = [self._encode_tensor(t[i : i + 512]) for i in range(0, len(t), 512)]
        return to_numpy(torch.cat(out)).astype(np.float64)


# ---------------------------------------------------------------------------------------
# Data: log-mel frames of notes, melody windows of chorales
# ---------------------------------------------------------------------------------------


def note_spectrograms(notes: NoteSet, *, n_mels: int = 48, n_fft: int = 1024, hop_length: int = 512) -> np.ndarray:
    """Log-mel spectrograms of bundled notes scaled to [0, 1], ``(n_notes, n_mels, n_frames)`` float32.

    Examples
    --------
    >>> from musynth_lab.data import load_notes
    >>> note_spectrograms(load_notes(instrument="organ", pitch=60)).shape
    (2, 48, 32)

    Chapter: notebooks/04b_deep.ipynb
    """
    check(isinstance(notes, NoteSet), "notes", notes, "a NoteSet from musynth_lab.data.load_notes()")
    db = note_logmel(notes.audio, sr=notes.sr, n_mels=n_mels, n_fft=n_fft, hop_length=hop_length, top_db=LOG_MEL_FLOOR_DB)
    return (db / LOG_MEL_FLOOR_DB + 1.0).astype(np.float32)


def note_frames(
    notes, *, n_mels: int = 48, n_fft: int = 1024, hop_length: int = 512, every: int = 1, max_seconds: float = 0.8
) -> np.ndarray:
    """Log-mel frames of bundled notes scaled to [0, 1], ``(n_frames_total, n_mels)`` float32.

    Frames are taken every ``every`` hops while the note is held (the first
    ``max_seconds``); ``0`` is -80 dB or below relative to each note's loudest bin, ``1``
    that bin. ``notes`` is a :class:`~musynth_lab.data.NoteSet` or the output of
    :func:`note_spectrograms` (same scaling), which saves
    computing the spectrograms twice.

    Examples
    --------
    >>> from musynth_lab.data import load_notes
    >>> F = note_frames(load_notes(instrument="flute", pitch=72))
    >>> F.shape, bool(F.min() >= 0 and F.max() <= 1)
    ((50, 48), True)

    Chapter: notebooks/04b_deep.ipynb
    """
    check(int(every) >= 1, "every", every, "a positive integer")
    if isinstance(notes, NoteSet):
        S, sr = note_spectrograms(notes, n_mels=n_mels, n_fft=n_fft, hop_length=hop_length), notes.sr
    else:
        S, sr = np.asarray(to_numpy(notes), dtype=np.float32), 16000
        if S.ndim != 3 or not np.all(np.isfinite(S)):
            raise ParameterError(
                f"notes: array of shape {S.shape}: expected a NoteSet or log-mel spectrograms (n_notes, n_mels, n_frames)"
            )
    n_keep = max(1, int(max_seconds * sr / hop_length))
    S = S[..., : n_keep : int(every)]  # (n_notes, n_mels, frames)
    return np.ascontiguousarray(S.transpose(0, 2, 1).reshape(-1, S.shape[1])).astype(np.float32)


def chorale_list(chorales) -> list:
    """One Chorale or an iterable of them -> a checked non-empty list."""
    if isinstance(chorales, Chorale):
        chorales = [chorales]
    chorales = list(chorales)
    check(
        len(chorales) > 0 and all(isinstance(c, Chorale) for c in chorales),
        "chorales",
        chorales,
        "a non-empty list of Chorale objects",
    )
    return chorales


def melody_windows(chorales, *, n_bars: int = 2, step: float = 0.5, part: str = "S") -> np.ndarray:
    """Bar-aligned melody-token windows of ``n_bars`` bars from 4/4 chorales, ``(n, n_bars * 4 / step)``.

    Windows start at each bar line (after the pick-up) and hop by one bar; a window that
    starts on a hold token gets its note back (the held pitch becomes an onset), so every
    window is playable on its own.

    Examples
    --------
    >>> W = melody_windows(load_chorales("train")[:5])
    >>> W.shape[1], bool(W.min() >= 0 and W.max() < N_MELODY_TOKENS)
    (16, True)

    Chapter: notebooks/04b_deep.ipynb
    """
    chorales = chorale_list(chorales)
    check(int(n_bars) >= 1, "n_bars", n_bars, "a positive number of bars")
    per_bar = int(round(4 / step))
    width = int(n_bars) * per_bar
    out = []
    for c in chorales:
        if tuple(c.meter) != (4, 4):
            continue
        toks = c.melody_tokens(part=part, step=step)
        start = int(round(c.pickup_q / step))
        for s in range(start, len(toks) - width + 1, per_bar):
            w = toks[s : s + width].copy()
            if w[0] == HOLD:
                back = s
                while back > 0 and toks[back] == HOLD:
                    back -= 1
                w[0] = toks[back] if toks[back] >= 2 else REST
            out.append(w)
    check(len(out) > 0, "chorales", [c.id for c in chorales[:3]], f"4/4 pieces at least {n_bars} bars long")
    return np.stack(out).astype(np.int64)


def check_tokens(x, n_steps, name="x"):
    """Integer melody tokens ``(n, n_steps)`` as a long tensor (one row may be 1-D); ParameterError otherwise."""
    t = to_tensor(x)
    if t.ndim == 1:
        t = t[None]
    if t.ndim != 2 or t.shape[1] != n_steps or t.is_floating_point() and not torch.all(t == t.round()):
        raise ParameterError(f"{name}: shape {tuple(t.shape)}: expected integer melody tokens of shape (n, {n_steps})")
    t = t.long()
    if t.numel() and (t.min() < 0 or t.max() >= N_MELODY_TOKENS):
        raise ParameterError(f"{name}: token ids {int(t.min())}..{int(t.max())}: expected 0..{N_MELODY_TOKENS - 1}")
    return t


# ---------------------------------------------------------------------------------------
# Frame VAE
# ---------------------------------------------------------------------------------------


class FrameVAE(TorchEncoder):
    """A VAE over log-mel frames ``(batch, n_mels)`` in [0, 1] with a Gaussian likelihood.

    Parameters
    ----------
    n_mels : int
        Frame size.
    latent_dim : int
    hidden : int
    sigma : float or None
        Standard deviation of the decoder's Gaussian (in the [0, 1] units; 0.1 = 8 dB);
        ``None`` (default) learns one per mel band with the rest of the model.
    beta : float
        Weight of the KL term (1 is the ELBO).

    Examples
    --------
    >>> vae = FrameVAE(n_mels=8, latent_dim=2)
    >>> x = torch.rand(16, 8)
    >>> recon, mu, logvar = vae(x); recon.shape, mu.shape
    (torch.Size([16, 8]), torch.Size([16, 2]))
    >>> vae.fit(x, epochs=2).encode(x).shape
    (16, 2)

    Chapter: notebooks/04b_deep.ipynb
    """

    def __init__(
        self, *, n_mels: int = 48, latent_dim: int = 8, hidden: int = 128, sigma: float | None = None, beta: float = 1.0
    ):
        super().__init__()
        check(int(n_mels) > 0, "n_mels", n_mels, "a positive integer")
        check(int(latent_dim) > 0, "latent_dim", latent_dim, "a positive integer")
        check(sigma is None or sigma > 0, "sigma", sigma, "a positive standard deviation, or None to learn it")
        self.n_mels, self.latent_dim, self.dim = int(n_mels), int(latent_dim), int(latent_dim)
        self.beta = float(beta)
        init = math.log(0.1 if sigma is None else float(sigma))
        self.log_sigma = nn.Parameter(torch.full((int(n_mels),), init), requires_grad=sigma is None)
        self.enc = nn.Sequential(nn.Linear(n_mels, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU())
        self.to_stats = nn.Linear(hidden, 2 * latent_dim)
        self.dec = nn.Sequential(
            nn.Linear(latent_dim, hidden),
            nn.ReLU(),
            nn.Linear(hidden, hidden),
            nn.ReLU(),
            nn.Linear(hidden, n_mels),
            nn.Sigmoid(),
        )

    def _prepare(self, x):
        t = to_tensor(x).float()
        if t.ndim != 2 or t.shape[1] != self.n_mels or not torch.isfinite(t).all():
            raise ParameterError(f"x: shape {tuple(t.shape)}: expected finite frames of shape (n, {self.n_mels})")
        return t

    def encode_stats(self, x):
        mu, logvar = self.to_stats(self.enc(x)).chunk(2, dim=-1)
        return mu, logvar.clamp(-10, 6)

    def decode(self, z) -> torch.Tensor:
        """Mean log-mel frame(s) ``(batch, n_mels)`` for latent codes ``(batch, latent_dim)``."""
        return self.dec(z)

    def forward(self, x):
        """``x (batch, n_mels)`` -> ``(reconstruction (batch, n_mels), mu, logvar (batch, latent_dim))``."""
        mu, logvar = self.encode_stats(x)
        return self.decode(_reparameterise(mu, logvar, self.training)), mu, logvar

    def nll(self, recon, x) -> torch.Tensor:
        """``-log p(x | z)`` per frame (nats) under the Gaussian decoder."""
        log_sigma = self.log_sigma.clamp(min=math.log(0.01))
        return (0.5 * ((x - recon) / log_sigma.exp()) ** 2 + log_sigma + 0.5 * math.log(2 * math.pi)).sum(-1)

    def loss(self, out, x):
        recon, mu, logvar = out
        return (self.nll(recon, x) + self.beta * gaussian_kl(mu, logvar)).mean() / x.shape[-1]

    def _encode_tensor(self, x):
        return self.encode_stats(x)[0]


# ---------------------------------------------------------------------------------------
# Melody VAE
# ---------------------------------------------------------------------------------------


class MelodyVAE(TorchEncoder):
    """A VAE over melody-token windows ``(batch, n_steps)`` with a categorical likelihood per step.

    The encoder embeds the tokens and reads the whole window with an MLP; the decoder maps
    ``z`` through an MLP to one distribution over the 51 tokens per step. (The recurrent
    reader of note sequences is :class:`musynth_lab.models.encoders.RNNEncoder`.)

    Parameters
    ----------
    n_steps : int
        Window length in tokens (16 = two 4/4 bars of eighth notes).
    latent_dim, hidden, embed : int
    beta : float
        Weight of the KL term during training. Below 1 the latent carries more of the melody
        (better reconstructions, a livelier latent space) at a small cost in ELBO.

    Examples
    --------
    >>> vae = MelodyVAE(latent_dim=4, hidden=32)
    >>> x = torch.randint(0, N_MELODY_TOKENS, (8, 16))
    >>> logits, mu, logvar = vae(x); logits.shape
    torch.Size([8, 16, 51])
    >>> vae.fit(x, epochs=1).decode_tokens(torch.zeros(2, 4)).shape
    torch.Size([2, 16])

    Chapter: notebooks/04b_deep.ipynb
    """

    def __init__(self, *, n_steps: int = 16, latent_dim: int = 8, hidden: int = 128, embed: int = 32, beta: float = 0.5):
        super().__init__()
        check(int(n_steps) > 0, "n_steps", n_steps, "a positive integer")
        check(int(latent_dim) > 0, "latent_dim", latent_dim, "a positive integer")
        self.n_steps, self.latent_dim, self.dim, self.beta = int(n_steps), int(latent_dim), int(latent_dim), float(beta)
        self.embed = nn.Embedding(N_MELODY_TOKENS, embed)
        self.enc = nn.Sequential(nn.Linear(n_steps * embed, 2 * hidden), nn.ReLU(), nn.Linear(2 * hidden, hidden), nn.ReLU())
        self.to_stats = nn.Linear(hidden, 2 * latent_dim)
        self.dec = nn.Sequential(
            nn.Linear(latent_dim, 2 * hidden),
            nn.ReLU(),
            nn.Linear(2 * hidden, 2 * hidden),
            nn.ReLU(),
            nn.Linear(2 * hidden, n_steps * N_MELODY_TOKENS),
        )

    def _prepare(self, x):
        return check_tokens(x, self.n_steps)

    def encode_stats(self, x):
        h = self.enc(self.embed(x).flatten(1))  # (batch, hidden)
        mu, logvar = self.to_stats(h).chunk(2, dim=-1)
        return mu, logvar.clamp(-10, 6)

    def decode(self, z) -> torch.Tensor:
        """Logits ``(batch, n_steps, 51)`` for latent codes ``(batch, latent_dim)``."""
        return self.dec(z).view(len(z), self.n_steps, N_MELODY_TOKENS)

    @torch.no_grad()
    def decode_tokens(self, z) -> torch.Tensor:
        """The most likely token per step for latent codes ``(batch, latent_dim)``: ``(batch, n_steps)``."""
        self.eval()
        z = to_tensor(z).float().to(self._device())
        return self.decode(z.reshape(-1, self.latent_dim)).argmax(-1).cpu()

    def forward(self, x):
        """``x (batch, n_steps)`` tokens -> ``(logits (batch, n_steps, 51), mu, logvar)``."""
        mu, logvar = self.encode_stats(x)
        return self.decode(_reparameterise(mu, logvar, self.training)), mu, logvar

    def nll(self, logits, x) -> torch.Tensor:
        """``-log p(x | z)`` per window (nats)."""
        return nn.functional.cross_entropy(logits.transpose(1, 2), x, reduction="none").sum(-1)

    def loss(self, out, x):
        logits, mu, logvar = out
        return (self.nll(logits, x) + self.beta * gaussian_kl(mu, logvar)).mean() / self.n_steps

    def _encode_tensor(self, x):
        return self.encode_stats(x)[0]


# ---------------------------------------------------------------------------------------
# Hierarchical VAE: bar latents condition beat latents
# ---------------------------------------------------------------------------------------


class HierarchicalVAE(TorchEncoder):
    """A two-level VAE over melody windows: a latent per bar conditions a latent per beat.

    For each bar ``b`` of a window, ``z_bar[b] ~ N(0, I)``; for each beat ``i`` of that bar
    a learnt conditional prior ``p(z_beat[b, i] | z_bar[b], i)`` gives the beat latent, and
    the decoder draws the beat's tokens from ``p(x_beat | z_beat, z_bar, i)``. The encoder
    mirrors it: ``q(z_bar | bar)`` from the bar's beat summaries, ``q(z_beat | beat, z_bar)``.
    The ELBO's KL has two parts: bar latents against ``N(0, I)``, beat latents against
    their conditional prior.

    Parameters
    ----------
    n_bars, beats_per_bar, steps_per_beat : int
        Window layout: 2 bars x 4 beats x 2 eighth notes = 16 tokens.
    bar_dim, beat_dim : int
        Sizes of the two latents.
    hidden : int
    beta : float

    Examples
    --------
    >>> hv = HierarchicalVAE(bar_dim=4, beat_dim=2, hidden=32)
    >>> x = torch.randint(0, N_MELODY_TOKENS, (8, 16))
    >>> logits, kl = hv(x); logits.shape, kl.shape
    (torch.Size([8, 16, 51]), torch.Size([8]))
    >>> hv.fit(x, epochs=1).encode(x).shape                        # one bar latent per bar
    (8, 8)

    Chapter: notebooks/04b_deep.ipynb
    """

    def __init__(
        self,
        *,
        n_bars: int = 2,
        beats_per_bar: int = 4,
        steps_per_beat: int = 2,
        bar_dim: int = 6,
        beat_dim: int = 3,
        hidden: int = 96,
        embed: int = 24,
        beta: float = 1.0,
    ):
        super().__init__()
        for name, v in (
            ("n_bars", n_bars),
            ("beats_per_bar", beats_per_bar),
            ("steps_per_beat", steps_per_beat),
            ("bar_dim", bar_dim),
            ("beat_dim", beat_dim),
        ):
            check(int(v) > 0, name, v, "a positive integer")
        self.n_bars, self.bpb, self.spb = int(n_bars), int(beats_per_bar), int(steps_per_beat)
        self.n_steps = self.n_bars * self.bpb * self.spb
        self.bar_dim, self.beat_dim, self.beta = int(bar_dim), int(beat_dim), float(beta)
        self.dim = self.n_bars * self.bar_dim
        self.latent_dim = self.dim
        self.embed = nn.Embedding(N_MELODY_TOKENS, embed)
        self.beat_enc = nn.Sequential(nn.Linear(self.spb * embed, hidden), nn.ReLU())
        self.bar_enc = nn.Sequential(nn.Linear(self.bpb * hidden, hidden), nn.ReLU(), nn.Linear(hidden, 2 * bar_dim))
        self.beat_post = nn.Sequential(nn.Linear(hidden + bar_dim + self.bpb, hidden), nn.ReLU(), nn.Linear(hidden, 2 * beat_dim))
        self.beat_prior = nn.Sequential(nn.Linear(bar_dim + self.bpb, hidden), nn.ReLU(), nn.Linear(hidden, 2 * beat_dim))
        self.beat_dec = nn.Sequential(
            nn.Linear(beat_dim + bar_dim + self.bpb, hidden),
            nn.ReLU(),
            nn.Linear(hidden, hidden),
            nn.ReLU(),
            nn.Linear(hidden, self.spb * N_MELODY_TOKENS),
        )
        self.register_buffer("pos", torch.eye(self.bpb))

    def _prepare(self, x):
        return check_tokens(x, self.n_steps)

    def _beats(self, x):
        B = len(x)
        e = self.embed(x).view(B, self.n_bars, self.bpb, self.spb * self.embed.embedding_dim)
        return self.beat_enc(e)  # (B, bars, beats, hidden)

    def _bar_stats(self, h):
        mu, lv = self.bar_enc(h.flatten(2)).chunk(2, -1)  # (B, bars, bar_dim)
        return mu, lv.clamp(-10, 6)

    def _pos(self, B):
        return self.pos.expand(B, self.n_bars, self.bpb, self.bpb)

    def prior_beats(self, z_bar):
        """Conditional prior of the beat latents: ``(mu, logvar)`` of shape (B, bars, beats, beat_dim)."""
        B = len(z_bar)
        zb = z_bar[:, :, None, :].expand(B, self.n_bars, self.bpb, self.bar_dim)
        mu, lv = self.beat_prior(torch.cat([zb, self._pos(B)], -1)).chunk(2, -1)
        return mu, lv.clamp(-10, 6)

    def decode(self, z_bar, z_beat=None) -> torch.Tensor:
        """Logits ``(B, n_steps, 51)`` from bar latents ``(B, n_bars, bar_dim)``.

        Without ``z_beat`` the beat latents are the conditional prior's means.
        """
        B = len(z_bar)
        if z_beat is None:
            z_beat = self.prior_beats(z_bar)[0]
        zb = z_bar[:, :, None, :].expand(B, self.n_bars, self.bpb, self.bar_dim)
        logits = self.beat_dec(torch.cat([z_beat, zb, self._pos(B)], -1))
        return logits.view(B, self.n_steps, N_MELODY_TOKENS)

    @torch.no_grad()
    def decode_tokens(self, z) -> torch.Tensor:
        """Most likely tokens ``(B, n_steps)`` from flat bar latents ``(B, n_bars * bar_dim)``."""
        self.eval()
        z = to_tensor(z).float().to(self._device()).reshape(-1, self.n_bars, self.bar_dim)
        return self.decode(z).argmax(-1).cpu()

    def forward(self, x):
        """``x (B, n_steps)`` -> ``(logits (B, n_steps, 51), kl (B,))``: KL of both levels, in nats."""
        B = len(x)
        h = self._beats(x)
        mu_bar, lv_bar = self._bar_stats(h)
        z_bar = _reparameterise(mu_bar, lv_bar, self.training)
        zb = z_bar[:, :, None, :].expand(B, self.n_bars, self.bpb, self.bar_dim)
        mu_q, lv_q = self.beat_post(torch.cat([h, zb, self._pos(B)], -1)).chunk(2, -1)
        lv_q = lv_q.clamp(-10, 6)
        z_beat = _reparameterise(mu_q, lv_q, self.training)
        mu_p, lv_p = self.prior_beats(z_bar)
        kl = gaussian_kl(mu_bar, lv_bar).sum(-1) + gaussian_kl(mu_q, lv_q, mu_p, lv_p).sum((-1, -2))
        return self.decode(z_bar, z_beat), kl

    def nll(self, logits, x) -> torch.Tensor:
        """``-log p(x | z)`` per window (nats)."""
        return nn.functional.cross_entropy(logits.transpose(1, 2), x, reduction="none").sum(-1)

    def loss(self, out, x):
        logits, kl = out
        return (self.nll(logits, x) + self.beta * kl).mean() / self.n_steps

    def _encode_tensor(self, x):
        return self._bar_stats(self._beats(x))[0].flatten(1)


# ---------------------------------------------------------------------------------------
# Evaluation, interpolation, rendering
# ---------------------------------------------------------------------------------------


@torch.no_grad()
def elbo_report(model: TorchEncoder, x, *, n_samples: int = 1, seed: int = 0) -> dict:
    """Held-out reconstruction and ELBO of a fitted VAE, averaged per item.

    Returns a dict with ``elbo`` (nats per item, one sample of ``z`` per item),
    ``nll`` (reconstruction term), ``kl`` (nats), and for melodies ``token_accuracy`` (the
    decoded mean's most likely token equals the input) or for frames ``rmse_db``
    (reconstruction error of the decoded mean, in dB).

    Examples
    --------
    >>> vae = FrameVAE(n_mels=8, latent_dim=2).fit(torch.rand(32, 8), epochs=1)
    >>> sorted(elbo_report(vae, torch.rand(8, 8)))
    ['elbo', 'kl', 'nll', 'rmse_db']

    Chapter: notebooks/04b_deep.ipynb
    """
    require_fitted(model, model.fitted)
    check(isinstance(model, (FrameVAE, MelodyVAE, HierarchicalVAE)), "model", model, "a fitted VAE of this module")
    t = model._prepare(x).to(model._device())
    torch.manual_seed(seed)
    nll, kl = [], []
    for _ in range(int(n_samples)):
        model.train()  # sample z from q(z | x)
        out = model(t)
        model.eval()
        if isinstance(model, HierarchicalVAE):
            nll.append(model.nll(out[0], t))
            kl.append(out[1])
        else:
            nll.append(model.nll(out[0], t))
            kl.append(gaussian_kl(out[1], out[2]))
    nll_m, kl_m = torch.stack(nll).mean(0), torch.stack(kl).mean(0)
    rep = {"elbo": float(-(nll_m + kl_m).mean()), "nll": float(nll_m.mean()), "kl": float(kl_m.mean())}
    model.eval()
    mean_out = model(t)[0]
    if isinstance(model, FrameVAE):
        rep["rmse_db"] = float(torch.sqrt(((mean_out - t) ** 2).mean()) * LOG_MEL_FLOOR_DB)
    else:
        rep["token_accuracy"] = float((mean_out.argmax(-1) == t).float().mean())
    return rep


def interpolate(model: TorchEncoder, a, b, *, n_steps: int = 5) -> np.ndarray:
    """Latent codes on the straight line from ``encode(a)`` to ``encode(b)``, ``(n_steps, dim)``.

    Decode them with the model's ``decode_tokens`` (melody VAEs) or ``decode`` (frames).

    Examples
    --------
    >>> vae = MelodyVAE(latent_dim=3, hidden=16).fit(torch.randint(0, 51, (8, 16)), epochs=1)
    >>> interpolate(vae, torch.full((16,), 26), torch.full((16,), 30), n_steps=4).shape
    (4, 3)

    Chapter: notebooks/04b_deep.ipynb
    """
    check(int(n_steps) >= 2, "n_steps", n_steps, "at least 2 points")
    za, zb = model.encode(a)[:1], model.encode(b)[:1]
    w = np.linspace(0, 1, int(n_steps))[:, None]
    return (1 - w) * za + w * zb


def render_tokens(
    tokens, *, sr: int, bpm: float = 120.0, step: float = 0.5, instrument: str = "sine", gain: float = 0.3
) -> np.ndarray:
    """Render melody tokens as audio, ``(n_samples,)`` float32.

    Parameters
    ----------
    tokens : array of int [shape=(n_steps,)]
        Melody tokens (:func:`musynth_lab.data.melody_tokens`).
    sr : int
    bpm : float
        Quarter notes per minute.
    step : float
        Length of one token in quarter notes (0.5 = eighth notes).
    instrument : str
        ``'sine'``: a plain sine voice with two weak overtones and short attack/release
        ramps (fast, no dependencies); any other name goes to chapter 1's
        :func:`musynth_lab.synth.render_notes` (e.g. ``'piano'``, ``'choir'``, ``'fm_bell'``).
    gain : float
        Peak level of the sine voice.

    Examples
    --------
    >>> y = render_tokens([2 + 69 - MELODY_LOW, HOLD, REST, 2 + 60 - MELODY_LOW], sr=8000)
    >>> y.shape, bool(np.abs(y[int(0.55 * 8000):int(0.7 * 8000)]).max() < 1e-6)      # the rest is silent
    ((8000,), True)

    Chapter: notebooks/04b_deep.ipynb
    """
    check(int(sr) > 0, "sr", sr, "a positive sample rate in Hz")
    check(bpm > 0 and step > 0, "bpm", bpm, "a positive tempo (and a positive step)")
    toks = np.asarray(to_numpy(tokens)).astype(np.int64).ravel()
    notes = tokens_to_notes(toks, step=step)  # rows (onset_q, dur_q, midi)
    q = 60.0 / float(bpm)  # seconds per quarter note
    n = int(round(len(toks) * step * q * sr))
    if instrument != "sine":
        y = np.zeros(n, dtype=np.float32)
        if len(notes):
            out = to_numpy(render_notes(notes, bpm=float(bpm), sr=int(sr), instrument=instrument, tail_s=0.0))
            y[: min(n, len(out))] = out[:n]
        return y
    y = np.zeros(n, dtype=np.float64)
    for on, dur, midi in notes:
        s, e = int(round(on * q * sr)), min(n, int(round((on + dur) * q * sr)))
        t = np.arange(e - s) / sr
        f = midi_to_hz(float(midi))
        tone = sum(a * np.sin(2 * np.pi * k * f * t) for k, a in ((1, 1.0), (2, 0.3), (3, 0.1)) if k * f < sr / 2)
        ramp = np.minimum(1.0, np.minimum(t / 0.01, (t[-1] - t + 1 / sr) / 0.03)) if len(t) else t
        y[s:e] += gain * tone * ramp
    return y.astype(np.float32)
