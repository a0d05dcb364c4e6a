"""Torch models of every chapter, and the one small training loop they share.

Chapter: notebooks/01b_deep_learning.ipynb (the loop); each model names its own chapter.
"""

from .training import History, accuracy, evaluate_loss, fit, make_loader, predict
from .vae import FrameVAE, HierarchicalVAE, MelodyVAE  # chapter 4
from .encoders import CNNEncoder, RNNEncoder  # chapter 4

__all__ = ["History", "accuracy", "evaluate_loss", "fit", "make_loader", "predict"]
__all__ += ["FrameVAE", "HierarchicalVAE", "MelodyVAE", "CNNEncoder", "RNNEncoder"]  # chapter 4
