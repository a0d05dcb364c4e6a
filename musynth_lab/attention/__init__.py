"""Attention, as the source writes it (3.1 位置注意力, 3.2 通道注意力) and as the field uses it.

* scores: the source's ReLU form, Bahdanau's additive form, (scaled) dot product, multi-head;
* selection: masked softmax, sigmoid gates, normalisation, the source's threshold selection
  (0.5 by default) and top-k;
* location: the source's ``T x H x W x C`` formula and attention over time-frequency cells;
* channel: attention over tokens (the source's meaning), SE-Net and CBAM (the field's);
* positional encodings; listening to what was kept.

Chapter: notebooks/02_attention.ipynb
"""

from ..errors import rule as _rule, validate_names as _validate_names  # private aliases: not the package API
from .channel import CBAM, SqueezeExcitation, TokenAttention
from .listen import kept_notes, listen_to_kept, mel_mask_to_stft, render_notes, resize_map
from .location import LocationAttention, VideoLocationAttention, video_location_scores
from .positional import grid_encoding, sinusoidal_encoding
from .scores import (
    ACTIVATIONS,
    AdditiveScore,
    DotProductScore,
    MultiHeadAttention,
    SourceScore,
    additive_scores,
    attend,
    dot_product_scores,
    scaled_dot_product_attention,
    source_scores,
)
from .selection import (
    NORMALISATIONS,
    apply_selection,
    hard_select,
    masked_softmax,
    normalise_scores,
    sigmoid_gate,
    top_k_select,
)

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
    "masked_softmax",
    "sigmoid_gate",
    "normalise_scores",
    "hard_select",
    "top_k_select",
    "apply_selection",
    "NORMALISATIONS",
    "video_location_scores",
    "VideoLocationAttention",
    "LocationAttention",
    "TokenAttention",
    "SqueezeExcitation",
    "CBAM",
    "sinusoidal_encoding",
    "grid_encoding",
    "resize_map",
    "mel_mask_to_stft",
    "listen_to_kept",
    "kept_notes",
    "render_notes",
]


def _validate_package():
    """This package's conventional argument names, each rule written once, checked at its boundary."""
    r = _rule

    size = r("int", high=1 << 20)
    rules = {
        n: size
        for n in (
            "d_enc",
            "d_dec",
            "d_key",
            "d_hidden",
            "d_model",
            "n_heads",
            "channels",
            "reduction",
            "kernel_size",
            "n_positions",
            "height",
            "width",
            "k",
        )
    }  # "dim" is an axis in selection
    rules.update(
        {
            "d_query": r("int", high=1 << 20, none=True),
            "dropout": r("float", low=0, high=1, high_open=True),
            "base": r("float", low=1),
            "temperature": r("float", low=0, low_open=True),
            "step": r("float", low=0, low_open=True),
            "bpm": r("float", low=0, low_open=True),
            "gain": r("float", low=0),
            "threshold": r("float", none=True),
        }
    )
    _validate_names(globals(), __all__, rules)


_validate_package()
