"""musynth_lab.models.training: the one loop every chapter shares."""

import numpy as np
import pytest
import torch

from musynth_lab import ParameterError
from musynth_lab.models import History, accuracy, evaluate_loss, fit, make_loader, predict


def _blobs(n=200, seed=0):
    g = np.random.default_rng(seed)
    y = g.integers(0, 3, n)
    centres = np.array([[2, 0], [-2, 0], [0, 2.5]])
    x = centres[y] + g.normal(0, 0.7, (n, 2))
    return x.astype(np.float32), y


def _net():
    return torch.nn.Sequential(torch.nn.Linear(2, 16), torch.nn.ReLU(), torch.nn.Dropout(0.1), torch.nn.Linear(16, 3))


def test_fit_learns_held_out_data(device):
    xtr, ytr = _blobs(300, 0)
    xte, yte = _blobs(200, 1)
    net = _net()
    hist = fit(net, (xtr, ytr), val_data=(xte, yte), metric=accuracy, epochs=15, lr=0.02, device=device, progress=False)
    assert isinstance(hist, History) and len(hist.train_loss) == 15
    assert hist.train_loss[-1] < 0.5 * hist.train_loss[0]
    acc = float((predict(net, xte, device=device).argmax(-1).numpy() == yte).mean())
    assert acc > 0.85  # chance is 1/3
    assert hist.val_metric[-1] == pytest.approx(acc, abs=1e-6)


def test_same_seed_same_run():
    xtr, ytr = _blobs()
    runs = []
    for _ in range(2):
        torch.manual_seed(123)  # the loop must not depend on the caller's global state
        net = _net()
        runs.append(fit(net, (xtr, ytr), epochs=3, seed=7, progress=False, device="cpu").train_loss)
    assert runs[0] == runs[1]
    other = fit(_net(), (xtr, ytr), epochs=3, seed=8, progress=False, device="cpu").train_loss
    assert other != runs[0]


def test_early_stopping_restores_the_best_weights():
    g = np.random.default_rng(0)
    x = g.normal(size=(40, 20)).astype(np.float32)
    y = g.integers(0, 2, 40)  # pure noise: validation loss rises as the net memorises
    xv = g.normal(size=(200, 20)).astype(np.float32)
    yv = g.integers(0, 2, 200)
    net = torch.nn.Sequential(torch.nn.Linear(20, 256), torch.nn.ReLU(), torch.nn.Linear(256, 2))
    hist = fit(net, (x, y), val_data=(xv, yv), epochs=200, lr=0.01, patience=5, progress=False, device="cpu")
    assert len(hist.train_loss) < 200
    best = min(hist.val_loss)
    assert hist.val_loss[hist.best_epoch] == best
    assert evaluate_loss(net, (xv, yv), device="cpu")[0] == pytest.approx(best, rel=1e-5)


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"epochs": 0}, "epochs=0"),
        ({"lr": -1.0}, "lr=-1.0"),
        ({"patience": 3}, "val_data"),
    ],
)
def test_bad_arguments(kwargs, match):
    with pytest.raises(ParameterError, match=match):
        fit(_net(), _blobs(), progress=False, **kwargs)


def test_bad_data():
    with pytest.raises(ParameterError, match="different lengths"):
        fit(_net(), (np.zeros((5, 2), np.float32), np.zeros(4, np.int64)), progress=False)
    with pytest.raises(ParameterError, match="empty"):
        make_loader((np.zeros((0, 2)), np.zeros(0)))
    with pytest.raises(ParameterError, match="model"):
        fit("not a model", _blobs(), progress=False)


def test_non_finite_loss_is_reported():
    x, y = _blobs()
    x[0, 0] = np.nan
    with pytest.raises(ParameterError, match="finite loss"):
        fit(_net(), (x, y), batch_size=400, progress=False, device="cpu")


def test_history_plot():
    import matplotlib

    matplotlib.use("Agg")
    h = History(train_loss=[3, 2, 1], val_loss=[3, 2.5, 2.6], best_epoch=1)
    ax = h.plot()
    assert len(ax.lines) == 3
