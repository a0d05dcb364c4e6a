"""Channel attention (通道注意力): the source's meaning and the field's.

* **The source's** 3.2: attention over the *tokens* of a sequence (words; here notes or
  beats) for classification: score each token, normalise, pool the sequence into one
  vector (:class:`TokenAttention`). The field calls this attention pooling.
* **The field's**: reweight the *feature channels* of a network. Squeeze-and-excitation
  (Hu et al., SE-Net, CVPR 2018) squeezes each channel to its mean and gates it with a
  sigmoid computed from all of them (:class:`SqueezeExcitation`); CBAM (Woo et al.,
  ECCV 2018) adds max pooling to that channel gate and follows it with a spatial gate over
  positions (:class:`CBAM`).

Chapter: notebooks/02_attention.ipynb
"""

from __future__ import annotations

import torch
from torch import nn

from ..errors import check
from ._util import check_dim, check_tensor
from .selection import masked_softmax

__all__ = ["TokenAttention", "SqueezeExcitation", "CBAM"]


class TokenAttention(nn.Module):
    """Attention pooling over the tokens of a sequence (the source's 通道注意力, 3.2).

    Score ``e_i = w^T tanh(W x_i + b)`` (the learned query is folded into ``w``, ``b``),
    masked softmax over the tokens, output ``sum_i a_i x_i``. Without positional
    information the output does not depend on the order of the tokens.

    Parameters
    ----------
    d_model : int
        Token feature size.
    d_hidden : int
        Size of the scoring layer.

    Forward
    -------
    x (B, N, d_model), mask (B, N) optional (True for real tokens)
    -> pooled (B, d_model), weights (B, N) summing to one over unmasked tokens.

    Examples
    --------
    >>> att = TokenAttention(6)
    >>> pooled, w = att(torch.randn(2, 5, 6), torch.tensor([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]]).bool())
    >>> pooled.shape, w[0, 3:].tolist()
    (torch.Size([2, 6]), [0.0, 0.0])

    Chapter: notebooks/02_attention.ipynb
    """

    def __init__(self, d_model: int, *, d_hidden: int = 32):
        super().__init__()
        check(isinstance(d_model, int) and d_model > 0, "d_model", d_model, "a positive integer")
        self.d_model = d_model
        self.proj = nn.Linear(d_model, d_hidden)
        self.w = nn.Linear(d_hidden, 1, bias=False)

    def scores(self, x):
        check_tensor(x, "x", ndim=3, what="(batch, n_tokens, d_model)")
        check_dim(x.shape[-1], self.d_model, "x", "d_model of this TokenAttention")
        return self.w(torch.tanh(self.proj(x))).squeeze(-1)

    def forward(self, x, mask=None):
        e = self.scores(x)
        w = masked_softmax(e, mask)  # validates the mask against the scores' shape
        return torch.einsum("bn,bnd->bd", w, x), w


class SqueezeExcitation(nn.Module):
    """Squeeze-and-excitation (SE-Net): gate each feature channel by a sigmoid of all channels' means.

    ``s = sigmoid(W2 relu(W1 mean_over_positions(x)))``, output ``x * s`` per channel.

    Parameters
    ----------
    channels : int
    reduction : int
        Bottleneck ratio (hidden size ``max(1, channels // reduction)``).

    Forward
    -------
    x (B, C, ...) -> output (B, C, ...), gates (B, C) in (0, 1)

    Examples
    --------
    >>> se = SqueezeExcitation(8)
    >>> out, g = se(torch.randn(2, 8, 5, 7))
    >>> out.shape, g.shape
    (torch.Size([2, 8, 5, 7]), torch.Size([2, 8]))

    Chapter: notebooks/02_attention.ipynb
    """

    def __init__(self, channels: int, *, reduction: int = 4):
        super().__init__()
        check(isinstance(channels, int) and channels > 0, "channels", channels, "a positive integer")
        check(isinstance(reduction, int) and reduction > 0, "reduction", reduction, "a positive integer")
        hidden = max(1, channels // reduction)
        self.channels = channels
        self.fc = nn.Sequential(nn.Linear(channels, hidden), nn.ReLU(), nn.Linear(hidden, channels))

    def forward(self, x):
        check_tensor(x, "x", min_ndim=3, what="(batch, channels, positions...)")
        check_dim(x.shape[1], self.channels, "x", "channels of this SqueezeExcitation (axis 1)")
        squeeze = x.flatten(2).mean(-1)  # (B, C)
        gates = torch.sigmoid(self.fc(squeeze))  # (B, C)
        return x * gates.reshape(gates.shape + (1,) * (x.ndim - 2)), gates


class CBAM(nn.Module):
    """Convolutional block attention module: a channel gate, then a spatial gate.

    Channel: ``sigmoid(MLP(avgpool x) + MLP(maxpool x))`` per channel. Spatial:
    ``sigmoid(conv_kxk([mean_c x; max_c x]))`` per position.

    Parameters
    ----------
    channels : int
    reduction : int
    kernel_size : int
        Odd size of the spatial convolution (7 in the paper).

    Forward
    -------
    x (B, C, H, W) -> output (B, C, H, W), channel_gates (B, C), spatial_gates (B, H, W)

    Examples
    --------
    >>> out, cg, sg = CBAM(8)(torch.randn(2, 8, 6, 10))
    >>> out.shape, cg.shape, sg.shape
    (torch.Size([2, 8, 6, 10]), torch.Size([2, 8]), torch.Size([2, 6, 10]))

    Chapter: notebooks/02_attention.ipynb
    """

    def __init__(self, channels: int, *, reduction: int = 4, kernel_size: int = 7):
        super().__init__()
        check(isinstance(channels, int) and channels > 0, "channels", channels, "a positive integer")
        check(
            isinstance(kernel_size, int) and kernel_size > 0 and kernel_size % 2 == 1,
            "kernel_size",
            kernel_size,
            "a positive odd integer",
        )
        hidden = max(1, channels // reduction)
        self.channels = channels
        self.mlp = nn.Sequential(nn.Linear(channels, hidden), nn.ReLU(), nn.Linear(hidden, channels))
        self.spatial = nn.Conv2d(2, 1, kernel_size, padding=kernel_size // 2)

    def forward(self, x):
        check_tensor(x, "x", ndim=4, what="(batch, channels, height, width)")
        check_dim(x.shape[1], self.channels, "x", "channels of this CBAM (axis 1)")
        cg = torch.sigmoid(self.mlp(x.mean((2, 3))) + self.mlp(x.amax((2, 3))))
        x = x * cg[:, :, None, None]
        sg = torch.sigmoid(self.spatial(torch.cat([x.mean(1, keepdim=True), x.amax(1, keepdim=True)], 1)))
        return x * sg, cg, sg.squeeze(1)
