"""Torch models of every chapter, and the one small training loop they share.

Chapter: notebooks/01b_deep_learning.ipynb (the loop); each model names its own chapter.
"""

from ..errors import rule as _rule, validate_names as _validate_names  # private aliases: not the package API
from .training import History, accuracy, evaluate_loss, fit, make_loader, predict
from .vae import FrameVAE, HierarchicalVAE, MelodyVAE  # chapter 4
from .encoders import CNNEncoder, RNNEncoder  # chapter 4

__all__ = ["History", "accuracy", "evaluate_loss", "fit", "make_loader", "predict"]
__all__ += ["FrameVAE", "HierarchicalVAE", "MelodyVAE", "CNNEncoder", "RNNEncoder"]  # chapter 4


def _validate_package():
    """This package's conventional argument names, each rule written once, checked at its boundary."""
    r = _rule

    size = r("int", high=1 << 20)
    rules = {
        n: size
        for n in (
            "hidden",
            "embed",
            "dim",
            "latent_dim",
            "n_classes",
            "n_steps",
            "n_bars",
            "beats_per_bar",
            "steps_per_beat",
            "bar_dim",
            "beat_dim",
            "n_mels",
            "channels",
            "batch_size",
            "epochs",
        )
    }
    rules.update(
        {
            "beta": r("float", low=0),
            "sigma": r("float", low=0, low_open=True, none=True),
            "lr": r("float", low=0, low_open=True),
            "weight_decay": r("float", low=0),
            "max_grad_norm": r("float", low=0, low_open=True, none=True),
            "patience": r("int", none=True),
            "seed": r("int", low=0, high=2**63 - 1),
            "model": r("callable"),
        }
    )
    _validate_names(globals(), __all__, rules)


_validate_package()
