"""One small training loop, shared by every chapter.

Seeded and reproducible, device-aware, with a progress bar and a loss history to plot.
A model is any ``torch.nn.Module``; a data set is a tuple of equally long tensors/arrays
``(inputs, targets)`` (or ``(x1, x2, ..., targets)``), or a ready ``DataLoader``.

Chapter: notebooks/01b_deep_learning.ipynb
"""

from __future__ import annotations

import copy
import math
import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import torch
from torch.utils.data import DataLoader, TensorDataset

from ..audio import get_device, seed_everything, to_tensor
from ..errors import ParameterError, as_array, check

__all__ = ["History", "accuracy", "fit", "evaluate_loss", "predict", "make_loader"]


@dataclass
class History:
    """What :func:`fit` saw: one entry per epoch.

    Attributes
    ----------
    train_loss, val_loss : list of float
        Mean loss per epoch (``val_loss`` is empty without validation data).
    val_metric : list of float
        The optional ``metric`` on the validation data per epoch.
    best_epoch : int
        The epoch whose weights were kept (the last one without early stopping).
    seconds : float
        Wall time of the whole fit.

    Examples
    --------
    >>> h = History(train_loss=[0.9, 0.5], val_loss=[1.0, 0.7], best_epoch=1)
    >>> h.train_loss[-1], h.val_metric, h.best_epoch
    (0.5, [], 1)

    Chapter: notebooks/01b_deep_learning.ipynb
    """

    train_loss: list = field(default_factory=list)
    val_loss: list = field(default_factory=list)
    val_metric: list = field(default_factory=list)
    best_epoch: int = -1
    seconds: float = 0.0

    def plot(self, ax=None, *, title: str | None = None):
        """Draw the loss curves with matplotlib; returns the axes."""
        # matplotlib and tqdm are imported where used: importing this module (and `import musynth_lab`) stays light
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(5, 3))
        ax.plot(range(1, len(self.train_loss) + 1), self.train_loss, label="train")
        if self.val_loss:
            ax.plot(range(1, len(self.val_loss) + 1), self.val_loss, label="validation")
            if self.best_epoch >= 0:
                ax.axvline(self.best_epoch + 1, color="grey", ls=":", lw=1, label="kept")
        ax.set_xlabel("epoch")
        ax.set_ylabel("loss")
        if title:
            ax.set_title(title)
        ax.legend()
        return ax


class single_thread:
    """Run tiny-tensor loops (RL rollouts, meta-learning inner steps) on one CPU thread.

    Intra-op threads only add synchronisation cost to ops on a few hundred numbers, and on a
    busy machine that cost dominates; the previous thread count is restored on exit. With a
    ``device`` that is not the CPU (a GPU run) the thread count is left alone.
    """

    def __init__(self, device=None):
        self.cpu = device is None or torch.device(device).type == "cpu"

    def __enter__(self):
        self._n = torch.get_num_threads()
        if self.cpu:
            torch.set_num_threads(1)
        return self

    def __exit__(self, *exc):
        torch.set_num_threads(self._n)
        return False


def _as_tensors(data, name: str) -> tuple[torch.Tensor, ...]:
    if not isinstance(data, (tuple, list)) or len(data) < 1:
        raise ParameterError(f"{name}: expected a tuple (inputs, targets) of equally long arrays or tensors")
    tensors = []
    for item in data:
        t = to_tensor(item)
        if t.dtype == torch.float64:
            t = t.float()
        tensors.append(t)
    n = len(tensors[0])
    if n == 0:
        raise ParameterError(f"{name} is empty: expected at least one example")
    for t in tensors[1:]:
        if len(t) != n:
            raise ParameterError(f"{name}: its arrays have different lengths {[len(t) for t in tensors]}: expected equal lengths")
    return tuple(tensors)


def make_loader(data, *, batch_size: int = 32, shuffle: bool = True, seed: int = 0, name: str = "data") -> DataLoader:
    """A ``DataLoader`` over a tuple of arrays/tensors (seeded shuffling), or ``data`` itself.

    Examples
    --------
    >>> loader = make_loader((np.zeros((10, 3)), np.zeros(10)), batch_size=4)
    >>> [len(b[0]) for b in loader]
    [4, 4, 2]

    Chapter: notebooks/01b_deep_learning.ipynb
    """
    if isinstance(data, DataLoader):
        return data
    check(int(batch_size) > 0, "batch_size", batch_size, "a positive integer")
    g = torch.Generator().manual_seed(int(seed))
    return DataLoader(TensorDataset(*_as_tensors(data, name)), batch_size=int(batch_size), shuffle=shuffle, generator=g)


def _step_batch(model, batch, loss_fn, device):
    batch = [b.to(device) for b in batch]
    *inputs, target = batch
    out = model(*inputs)
    return loss_fn(out, target), out, target


def fit(
    model: torch.nn.Module,
    train_data,
    *,
    loss_fn: Callable | None = None,
    epochs: int = 10,
    lr: float = 1e-3,
    batch_size: int = 32,
    val_data=None,
    metric: Callable | None = None,
    optimizer: torch.optim.Optimizer | None = None,
    weight_decay: float = 0.0,
    patience: int | None = None,
    max_grad_norm: float | None = 1.0,
    device=None,
    seed: int = 0,
    progress: bool = True,
    desc: str = "training",
) -> History:
    """Train ``model`` in place with Adam (or ``optimizer``) and return its :class:`History`.

    Parameters
    ----------
    model : torch.nn.Module
        Called as ``model(*inputs)``; moved to ``device``.
    train_data, val_data : tuple of arrays/tensors, or DataLoader
        ``(inputs..., targets)``, all of the same length along the first axis.
    loss_fn : callable, optional
        ``loss_fn(output, target) -> scalar tensor``; cross-entropy by default.
    epochs : int
        Passes over ``train_data``.
    lr, weight_decay : float
        Adam's learning rate and L2 weight decay.
    batch_size : int
    metric : callable, optional
        ``metric(outputs, targets) -> float`` on the whole validation set (e.g. accuracy).
    patience : int, optional
        Early stopping: stop after this many epochs without a lower validation loss and
        restore the best weights (needs ``val_data``).
    max_grad_norm : float, optional
        Gradient-norm clipping (``None`` turns it off).
    device : str or torch.device, optional
        Defaults to :func:`musynth_lab.get_device`.
    seed : int
        Seeds initialisation order, shuffling and dropout: the same seed gives the same run.
    progress : bool
        Show a tqdm progress bar (one tick per epoch).

    Returns
    -------
    History

    Examples
    --------
    >>> x = torch.randn(64, 2); y = (x[:, 0] > 0).long()
    >>> net = torch.nn.Linear(2, 2)
    >>> h = fit(net, (x, y), epochs=30, lr=0.1, progress=False, device="cpu")
    >>> h.train_loss[-1] < h.train_loss[0]
    True

    Chapter: notebooks/01b_deep_learning.ipynb
    """
    from tqdm.auto import tqdm

    check(isinstance(model, torch.nn.Module), "model", model, "a torch.nn.Module")
    check(isinstance(epochs, (int, np.integer)) and epochs > 0, "epochs", epochs, "a positive integer")
    check(lr > 0 and math.isfinite(lr), "lr", lr, "a positive learning rate")
    if patience is not None:
        check(val_data is not None, "patience", patience, "validation data (val_data) to watch")
        check(int(patience) > 0, "patience", patience, "a positive number of epochs")
    device = get_device(device)
    seed_everything(seed)
    loss_fn = loss_fn or torch.nn.functional.cross_entropy
    train_loader = make_loader(train_data, batch_size=batch_size, shuffle=True, seed=seed, name="train_data")
    val_loader = (
        None if val_data is None else make_loader(val_data, batch_size=max(batch_size, 256), shuffle=False, name="val_data")
    )
    model.to(device)
    opt = optimizer or torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    hist = History()
    best, best_state, waited = math.inf, None, 0
    t0 = time.perf_counter()
    bar = tqdm(range(epochs), desc=desc, disable=not progress, leave=False)
    for epoch in bar:
        model.train()
        total, count = 0.0, 0
        for batch in train_loader:
            loss, _, target = _step_batch(model, batch, loss_fn, device)
            if not torch.isfinite(loss):
                raise ParameterError(
                    f"loss became {loss.item()} at epoch {epoch}: expected a finite loss; lower lr or check the inputs"
                )
            opt.zero_grad(set_to_none=True)
            loss.backward()
            if max_grad_norm:
                torch.nn.utils.clip_grad_norm_(model.parameters(), max_grad_norm)
            opt.step()
            total += loss.item() * len(target)
            count += len(target)
        hist.train_loss.append(total / count)
        if val_loader is not None:
            vloss, vmetric = evaluate_loss(model, val_loader, loss_fn=loss_fn, metric=metric, device=device)
            hist.val_loss.append(vloss)
            if metric is not None:
                hist.val_metric.append(vmetric)
            if vloss < best - 1e-6:
                best, waited, hist.best_epoch = vloss, 0, epoch
                if patience is not None:
                    best_state = copy.deepcopy(model.state_dict())
            else:
                waited += 1
            bar.set_postfix(train=f"{hist.train_loss[-1]:.3f}", val=f"{vloss:.3f}")
            if patience is not None and waited >= patience:
                break
        else:
            bar.set_postfix(train=f"{hist.train_loss[-1]:.3f}")
    if best_state is not None:
        model.load_state_dict(best_state)
    if val_loader is None or patience is None:
        hist.best_epoch = len(hist.train_loss) - 1 if patience is None else hist.best_epoch
    hist.seconds = time.perf_counter() - t0
    model.eval()
    return hist


@torch.no_grad()
def evaluate_loss(
    model, data, *, loss_fn: Callable | None = None, metric: Callable | None = None, device=None, batch_size: int = 256
) -> tuple[float, float | None]:
    """Mean loss (and ``metric`` over all outputs) of ``model`` on ``data``, in eval mode.

    Examples
    --------
    >>> net = torch.nn.Linear(2, 2); _ = torch.nn.init.zeros_(net.weight); _ = torch.nn.init.zeros_(net.bias)
    >>> x, y = torch.randn(8, 2), torch.zeros(8, dtype=torch.long)
    >>> loss, acc = evaluate_loss(net, (x, y), metric=accuracy, device="cpu")   # equal logits: ln 2; arg-max 0
    >>> round(loss, 4), acc
    (0.6931, 1.0)

    Chapter: notebooks/01b_deep_learning.ipynb
    """
    device = get_device(device)
    loss_fn = loss_fn or torch.nn.functional.cross_entropy
    loader = make_loader(data, batch_size=batch_size, shuffle=False, name="data")
    was_training = model.training
    model.eval()
    total, count, outs, targets = 0.0, 0, [], []
    for batch in loader:
        loss, out, target = _step_batch(model, batch, loss_fn, device)
        total += loss.item() * len(target)
        count += len(target)
        if metric is not None:
            outs.append(out.detach().cpu())
            targets.append(target.detach().cpu())
    model.train(was_training)
    value = None
    if metric is not None:
        value = float(metric(torch.cat(outs), torch.cat(targets)))
    return total / count, value


@torch.no_grad()
def predict(model, inputs, *, device=None, batch_size: int = 256) -> torch.Tensor:
    """Run ``model`` over ``inputs`` (an array/tensor, or a tuple of them) in eval mode, on the CPU out.

    Examples
    --------
    >>> predict(torch.nn.Linear(3, 2), np.zeros((5, 3), np.float32), device="cpu").shape
    torch.Size([5, 2])

    Chapter: notebooks/01b_deep_learning.ipynb
    """
    device = get_device(device)
    data = inputs if isinstance(inputs, (tuple, list)) else (inputs,)
    for i, item in enumerate(data):
        _check_numbers(item, "inputs" if len(data) == 1 and data is not inputs else f"inputs[{i}]")
    tensors = _as_tensors(data, "inputs")
    model.eval()
    outs = []
    for start in range(0, len(tensors[0]), batch_size):
        outs.append(model(*[t[start : start + batch_size].to(device) for t in tensors]).cpu())
    return torch.cat(outs)


IGNORE = -100  # padding in token targets (models.lm.IGNORE): counted as a miss, never an error


def accuracy(outputs: torch.Tensor, targets: torch.Tensor) -> float:
    """Fraction of rows whose arg-max equals the target (a ``metric`` for :func:`fit`).

    ``outputs`` are finite scores ``(..., n_classes)``; ``targets`` the class indices
    ``(...)`` (in ``0..n_classes - 1``, or the padding value -100, which counts as a miss).

    Examples
    --------
    >>> accuracy(torch.tensor([[0.1, 0.9], [0.8, 0.2]]), torch.tensor([1, 1]))
    0.5

    Chapter: notebooks/01b_deep_learning.ipynb
    """
    out = _check_numbers(outputs, "outputs", bool_ok=False)
    if not isinstance(out, torch.Tensor):
        out = torch.from_numpy(np.ascontiguousarray(out))
    n_classes = out.shape[-1]
    if isinstance(targets, torch.Tensor) and not targets.is_complex() and targets.dtype != torch.bool:
        tgt = targets
        if tgt.is_floating_point():
            check(
                bool(torch.isfinite(tgt).all()) and bool((tgt == tgt.round()).all()),
                "targets",
                f"<tensor shape {tuple(tgt.shape)}>",
                "whole class indices (no NaN, inf or fractions)",
            )
    else:
        check(
            targets is not None and not isinstance(targets, (str, bytes)),
            "targets",
            targets,
            "class indices (an integer array or tensor)",
        )
        tgt = torch.from_numpy(as_array(targets, "targets", integer=True, allow_empty=True))
    check(
        tuple(tgt.shape) == tuple(out.shape[:-1]),
        "targets",
        f"<shape {tuple(tgt.shape)}>",
        f"one class index per row of outputs: shape {tuple(out.shape[:-1])}",
    )
    if tgt.numel():
        ok = bool(((tgt == IGNORE) | ((tgt >= 0) & (tgt < n_classes))).all())
        if not ok:
            check(
                False,
                "targets",
                f"<values in [{tgt.min().item()}, {tgt.max().item()}]>",
                f"class indices in 0..{n_classes - 1} (or the padding value {IGNORE})",
            )
    return float((out.argmax(-1) == tgt.to(out.device)).float().mean())


def _check_numbers(x, name: str, *, bool_ok: bool = True):
    """Refuse (ParameterError naming ``name``) None, strings, non-numeric, complex, 0-d, empty or NaN/inf input.

    A tensor is checked in place and returned; anything else is returned as a NumPy array
    (an array keeps its dtype and is not copied).
    """
    if not isinstance(x, torch.Tensor):
        keep = np.asarray(x).dtype if isinstance(x, np.ndarray) and x.dtype.kind in "biuf" else None
        arr = as_array(x, name, min_ndim=1, dtype=keep)  # None, strings, complex, NaN/inf, empty, 0-d refused
        check(bool_ok or arr.dtype.kind != "b", name, f"<{arr.dtype} array>", "numbers (not booleans)")
        return arr
    check(not x.is_complex(), name, f"<{x.dtype} tensor>", "real numbers")
    check(bool_ok or x.dtype != torch.bool, name, f"<{x.dtype} tensor>", "numbers (not booleans)")
    check(x.ndim >= 1, name, "<0-d tensor>", "an array with a batch axis (at least 1-D)")
    check(x.numel() > 0, name, f"<empty tensor shape {tuple(x.shape)}>", "at least one value")
    if x.is_floating_point():
        check(bool(torch.isfinite(x).all()), name, f"<tensor shape {tuple(x.shape)}>", "finite numbers (no NaN or inf)")
    return x
