"""Deep encoders (深度学习模型): a CNN over spectrograms, an RNN over note sequences, retrieval.

Both are trained as classifiers (the CNN names the instrument of a note, the RNN the key of
a melody window) with the shared loop; the layer before the classifier is the embedding.
Nearest-neighbour retrieval then asks whether similar things land close together, measured
as precision at ``k`` against what random retrieval would give.

Chapter: notebooks/04b_deep.ipynb
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from ..audio import to_numpy, to_tensor
from ..data import N_MELODY_TOKENS
from ..errors import ParameterError, check
from ..stats.base import require_fitted
from .training import accuracy
from .training import fit as _fit
from .vae import TorchEncoder, check_tokens, chorale_list

__all__ = ["CNNEncoder", "RNNEncoder", "key_windows", "KEY_NAMES"]

_PC = ["C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B"]
#: Key classes of :func:`key_windows`: 0-11 major on C..B, 12-23 minor.
KEY_NAMES = tuple([f"{p} major" for p in _PC] + [f"{p} minor" for p in _PC])


def key_windows(chorales, *, n_steps: int = 32, hop: int = 16, step: float = 0.5, part: str = "S"):
    """Melody-token windows with the key of their chorale: ``(windows (n, n_steps), keys (n,))``.

    Keys are indices into :data:`KEY_NAMES` (tonic + 12 for minor).

    Examples
    --------
    >>> from musynth_lab.data import load_chorales
    >>> W, k = key_windows(load_chorales("train")[:3]); W.shape[1], len(W) == len(k)
    (32, True)

    Chapter: notebooks/04b_deep.ipynb
    """
    chorales = chorale_list(chorales)
    check(int(n_steps) > 0 and int(hop) > 0, "n_steps", (n_steps, hop), "positive window and hop lengths")
    W, K = [], []
    for c in chorales:
        toks = c.melody_tokens(part=part, step=step)
        key = c.key_tonic_pc + (12 if c.key_mode == "minor" else 0)
        for s in range(0, len(toks) - n_steps + 1, hop):
            W.append(toks[s : s + n_steps])
            K.append(key)
    check(len(W) > 0, "chorales", [c.id for c in chorales[:3]], f"pieces at least {n_steps} steps long")
    return np.stack(W).astype(np.int64), np.array(K, dtype=np.int64)


class _Classifier(TorchEncoder):
    """An encoder trained as a classifier: ``forward`` gives logits, ``embed`` the embedding."""

    def forward(self, x):
        return self.head(self.embed(x))

    def loss(self, out, y):
        return nn.functional.cross_entropy(out, y)

    def fit(
        self,
        x,
        y,
        *,
        val=None,
        epochs: int = 15,
        lr: float = 2e-3,
        batch_size: int = 32,
        device=None,
        seed: int = 0,
        progress: bool = False,
        **kw,
    ):
        """Train on inputs ``x`` and integer labels ``y`` (``val=(x_val, y_val)``); returns ``self``."""
        xt = self._prepare(x)
        yt = to_tensor(np.asarray(to_numpy(y))).long()
        check(yt.ndim == 1 and len(yt) == len(xt), "y", y, f"one integer label per input ({len(xt)})")
        check(int(yt.min()) >= 0 and int(yt.max()) < self.n_classes, "y", y, f"labels in 0..{self.n_classes - 1}")
        val_data = None
        if val is not None:
            val_data = (self._prepare(val[0]), to_tensor(np.asarray(to_numpy(val[1]))).long())
        self.history_ = _fit(
            self,
            (xt, yt),
            loss_fn=self.loss,
            epochs=epochs,
            lr=lr,
            batch_size=batch_size,
            val_data=val_data,
            metric=accuracy if val is not None else None,
            device=device,
            seed=seed,
            progress=progress,
            **kw,
        )
        self.fitted = True
        return self

    @torch.no_grad()
    def classify(self, x) -> np.ndarray:
        """Predicted class per input, ``(n,)``."""
        require_fitted(self, self.fitted)
        self.eval()
        t = self._prepare(x).to(self._device())
        return to_numpy(self(t).argmax(-1)).astype(np.int64)

    def _encode_tensor(self, x):
        return self.embed(x)


class CNNEncoder(_Classifier):
    """A small 2-D CNN over log-mel spectrograms ``(batch, n_mels, n_frames)`` -> ``(batch, dim)``.

    Three conv blocks (3x3 convolutions, batch norm, ReLU, 2x2 max-pooling), global average
    pooling, and a linear layer to the embedding; a linear head on top classifies.

    Parameters
    ----------
    n_classes : int
    dim : int
        Embedding size.
    channels : int
        Channels of the first block (doubled in the next ones).

    Examples
    --------
    >>> cnn = CNNEncoder(n_classes=3, dim=8, channels=4)
    >>> cnn(torch.rand(5, 48, 32)).shape, cnn.embed(torch.rand(5, 48, 32)).shape
    (torch.Size([5, 3]), torch.Size([5, 8]))

    Chapter: notebooks/04b_deep.ipynb
    """

    def __init__(self, *, n_classes: int, dim: int = 32, channels: int = 16):
        super().__init__()
        check(int(n_classes) >= 2, "n_classes", n_classes, "at least 2 classes")
        check(int(dim) > 0 and int(channels) > 0, "dim", dim, "positive dim and channels")
        self.n_classes, self.dim = int(n_classes), int(dim)
        c = int(channels)

        def block(i, o):
            return nn.Sequential(nn.Conv2d(i, o, 3, padding=1), nn.BatchNorm2d(o), nn.ReLU(), nn.MaxPool2d(2))

        self.features = nn.Sequential(block(1, c), block(c, 2 * c), block(2 * c, 4 * c))
        self.proj = nn.Linear(4 * c, self.dim)
        self.head = nn.Linear(self.dim, self.n_classes)

    def _prepare(self, x):
        t = to_tensor(x).float()
        if t.ndim != 3 or min(t.shape[1:]) < 8 or not torch.isfinite(t).all():
            raise ParameterError(
                f"x: shape {tuple(t.shape)}: expected finite spectrograms of shape (n, n_mels >= 8, n_frames >= 8)"
            )
        return t

    def embed(self, x):
        """``(batch, n_mels, n_frames)`` -> ``(batch, dim)``."""
        h = self.features(x[:, None])  # (batch, 4c, n_mels/8, n_frames/8)
        return self.proj(h.mean(dim=(2, 3)))


class RNNEncoder(_Classifier):
    """A GRU over melody tokens ``(batch, n_steps)`` -> ``(batch, dim)``.

    Tokens are embedded, read by a one-layer GRU, and the last hidden state is projected
    to the embedding; a linear head on top classifies.

    Examples
    --------
    >>> rnn = RNNEncoder(n_classes=24, dim=8, hidden=16)
    >>> rnn(torch.randint(0, 51, (4, 32))).shape
    torch.Size([4, 24])

    Chapter: notebooks/04b_deep.ipynb
    """

    def __init__(self, *, n_classes: int, n_steps: int = 32, dim: int = 32, hidden: int = 64, embed: int = 32):
        super().__init__()
        check(int(n_classes) >= 2, "n_classes", n_classes, "at least 2 classes")
        self.n_classes, self.dim, self.n_steps = int(n_classes), int(dim), int(n_steps)
        self.tok = nn.Embedding(N_MELODY_TOKENS, embed)
        self.rnn = nn.GRU(embed, hidden, batch_first=True)
        self.proj = nn.Linear(hidden, self.dim)
        self.head = nn.Linear(self.dim, self.n_classes)

    def _prepare(self, x):
        return check_tokens(x, self.n_steps)

    def embed(self, x):
        """``(batch, n_steps)`` tokens -> ``(batch, dim)``."""
        _, h = self.rnn(self.tok(x))  # h: (1, batch, hidden)
        return self.proj(h[0])
