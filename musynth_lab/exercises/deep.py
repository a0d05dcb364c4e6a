"""Checks for notebooks/01b_deep_learning.ipynb (source 2(2) a-d: CNN, CRNN, RL, transfer vs meta-learning)."""

from __future__ import annotations

import numpy as np

from ..models.cnn import InstrumentCNN
from ..models.crnn import CRNN
from ..models.rl import MelodyRules
from ._core import CheckResult, exercise, floats, is_int, prediction, run_student, verdict

__all__ = [
    "check_first_layer_parameters",
    "check_crnn_output_shape",
    "check_returns_to_go",
    "check_melody_violations",
    "check_transfer_or_meta",
    "check_reinforce_loss",
    "check_crnn_first_frame",
    "check_reptile_step",
]

#: The melody of exercise 1b.4.
EXERCISE_MELODY = (60, 66, 67, 59, 60, 60, 64, 65, 64, 65)


@exercise(
    "1b.1",
    hint="A convolution's weight tensor has one kernel per (output channel, input channel) pair, "
    "plus one bias per output channel; print the layer to see its sizes.",
    solution="The first layer is Conv2d(1, 8, 3 x 3): 8 x 1 x 3 x 3 = 72 weights and 8 biases, 80 parameters. "
    "Counting with PyTorch: add up p.numel() over the layer's parameters().",
    code=("conv = cnn.InstrumentCNN(10).blocks[0][0]\nanswer_1 = sum(p.numel() for p in conv.parameters())"),
)
def check_first_layer_parameters(answer) -> CheckResult:
    """Exercise 1b.1: learnable parameters of the first convolution of ``InstrumentCNN(10)`` (weights + biases).

    Examples
    --------
    >>> bool(check_first_layer_parameters(8))   # the biases alone
    False
    """
    conv = InstrumentCNN(10).blocks[0][0]
    right = sum(p.numel() for p in conv.parameters())
    ok = is_int(answer, right)
    return verdict(
        ok,
        f"{right}: 8 filters x (1 input channel x 3 x 3 weights) + 8 biases.",
        "Not quite: count out_channels x in_channels x kernel height x kernel width, then the biases.",
    )


@exercise(
    "1b.2",
    hint="Read the CRNN's docstring (crnn.CRNN?): which axes does it keep, and how many values does "
    "it give per frame? Or run it on a tensor of zeros.",
    solution="The CRNN maps (batch, time, n_bins) to (batch, time, n_out): the conv front end pools only "
    "along frequency and the GRU keeps every frame, so the output is (2, 50, 12).",
    code="answer_2 = tuple(crnn.CRNN(84, 12)(torch.zeros(2, 50, 84)).shape)",
)
def check_crnn_output_shape(answer) -> CheckResult:
    """Exercise 1b.2: the output shape of ``CRNN(84, 12)`` for an input of shape (2, 50, 84).

    Examples
    --------
    >>> bool(check_crnn_output_shape((2, 50, 84)))   # that is the input's shape
    False
    """
    try:
        ok = tuple(int(a) for a in answer) == (2, 50, 12)
    except (TypeError, ValueError):
        ok = False
    return verdict(
        ok,
        "(2, 50, 12): one set of 12 pitch-class logits for every frame of every sequence.",
        "Not quite: the CRNN keeps the batch and time axes and outputs n_out values per frame.",
    )


@exercise(
    "1b.3",
    hint="Start at the last step, whose return is its own reward, and walk backwards adding each earlier reward.",
    solution="G_3 = 1, G_2 = -2 + 1 = -1, G_1 = 0 - 1 = -1, G_0 = -1 - 1 = -2: [-2, -1, -1, 1]. In NumPy: a "
    "cumulative sum of the reversed rewards, reversed back.",
    code=("rewards = np.array([-1, 0, -2, 1])\nanswer_3 = np.cumsum(rewards[::-1])[::-1]"),
)
def check_returns_to_go(answer) -> CheckResult:
    """Exercise 1b.3: the returns to go ``G_t = sum_{k >= t} r_k`` of the rewards ``[-1, 0, -2, 1]``.

    Examples
    --------
    >>> bool(check_returns_to_go([-1, 0, -2, 1]))    # the rewards themselves, not the returns
    False
    """
    rewards = np.array([-1.0, 0.0, -2.0, 1.0])
    right = np.cumsum(rewards[::-1])[::-1]
    try:
        a = np.asarray(answer, dtype=float).ravel()
        ok = a.shape == right.shape and np.allclose(a, right)
    except (TypeError, ValueError):
        ok = False
    return verdict(
        ok,
        f"{right.tolist()}: each step is credited with everything that follows it.",
        "Not quite: G_t adds the reward at t and all later rewards (no discount here).",
    )


@exercise(
    "1b.4",
    hint="Go rule by rule as section (c) lists them: notes out of C major, leaps of more than 4 "
    "semitones not answered by a step back, repeated notes, trills (a b a b), and the last note.",
    solution="One violation per rule: F# (66) is out of key; the leap 60 -> 66 is followed by a step up, not "
    "back; 60 60 repeats; 64 65 64 65 is a trill; the melody ends on F, not C: 5 in all. "
    "MelodyRules().violations counts them per rule.",
    code="answer_4 = sum(rl.MelodyRules().violations(list(EXERCISE_MELODY)).values())",
)
def check_melody_violations(answer) -> CheckResult:
    """Exercise 1b.4: total rule violations of :data:`EXERCISE_MELODY` in C major (``MelodyRules()``).

    Examples
    --------
    >>> bool(check_melody_violations(0))
    False
    """
    right = sum(MelodyRules().violations(list(EXERCISE_MELODY)).values())
    ok = is_int(answer, right)
    return verdict(
        ok,
        f"{right}: F# is out of key, the leap 60->66 goes on upwards instead of stepping back, 60 60 repeats, "
        "64 65 64 65 trills, and the melody ends on F, not C.",
        "Not quite: go rule by rule (key, leap, repeat, trill, tonic) along the melody; count each rule that a note breaks.",
    )


@exercise(
    "1b.5",
    hint="Compare the two objectives in section (d)'s table: which one is a loss measured after adaptation?",
    solution="Meta-learning: Reptile and MAML train the start through adaptation on many tasks, so the "
    "objective is the loss after a few steps; pretraining fits one model to pooled data, and "
    "fine-tuning comes only afterwards.",
    code='answer_5 = "meta"',
)
def check_transfer_or_meta(answer) -> CheckResult:
    """Exercise 1b.5: which method optimises the starting weights for how well a few gradient steps adapt them
    across many tasks: 'transfer' (pretrain + fine-tune) or 'meta' (meta-learning)?

    Examples
    --------
    >>> bool(check_transfer_or_meta("neither"))      # answer 'transfer' or 'meta'
    False
    """
    a = str(answer).strip().lower()
    ok = a in ("meta", "meta-learning", "meta learning", "metalearning", "reptile", "maml", "元学习")
    return verdict(
        ok,
        "Meta-learning: Reptile and MAML train the start *through* adaptation on many tasks; "
        "pretraining just fits one model to pooled data and fine-tuning comes afterwards.",
        "Not that one: which of the two ever looks at how the weights do *after* a few adaptation steps?",
    )


#: (batch, steps, seed) of the cases the student's REINFORCE loss is tested on.
_REINFORCE_CASES = ((2, 3, 0), (4, 5, 1), (1, 7, 2))


@exercise(
    "1b.6",
    kind="implement",
    hint="The policy term weights each log-probability by its advantage A_t = G_t - V(s_t) and averages; "
    "gradient descent minimises, so mind the sign. The advantage must act as a constant weight: no "
    "gradient may flow from this term into the baseline V.",
    solution="loss = -mean(log pi(a_t | s_t) * A_t) with A_t = G_t - V(s_t) held constant (detached): its "
    "gradient -A_t * grad log pi raises the log-probability of notes that did better than the "
    "baseline expected and lowers the others. Detaching matters: without it the policy term also "
    "pushes V to make A_t large, which is not the value the baseline should learn (it has its own "
    "squared-error term). Averaging over every step of every melody keeps the step size independent "
    "of the batch size.",
    code=(
        "def reinforce_loss(log_probs, returns, values):\n"
        "    advantage = (returns - values).detach()\n"
        "    return -(log_probs * advantage).mean()"
    ),
)
def check_reinforce_loss(reinforce_loss) -> CheckResult:
    """Exercise 1b.6 (implement it): ``reinforce_loss(log_probs, returns, values)``, the policy term of
    :func:`musynth_lab.models.rl.train_melody_agent` (without its advantage normalisation).

    All three arguments are ``(batch, steps)`` tensors; ``log_probs`` and ``values`` require grad. The
    check compares the loss and its gradients with ``-(log_probs * (returns - values).detach()).mean()``
    on several shapes: a loss that sums, flips the sign, drops the baseline or lets gradient into the
    baseline is wrong on at least one.

    Examples
    --------
    >>> bool(check_reinforce_loss(lambda lp, g, v: -(lp * (g - v)).mean()))            # gradient leaks into V
    False
    >>> bool(check_reinforce_loss(lambda lp, g, v: -(lp * (g - v).detach()).sum()))     # sums, not averages
    False
    >>> bool(check_reinforce_loss(lambda lp, g, v: -(lp * (g - v).detach()).mean()))
    True
    """
    # torch is imported where used: this module is otherwise NumPy-only
    import torch

    if not callable(reinforce_loss):
        return CheckResult(False, "Pass your function itself: check_reinforce_loss(reinforce_loss).")
    for batch, steps, seed in _REINFORCE_CASES:
        gen = torch.Generator().manual_seed(seed)
        logp = -3 * torch.rand(batch, steps, generator=gen) - 0.05
        ret = 2 * torch.randn(batch, steps, generator=gen)
        val = torch.randn(batch, steps, generator=gen)
        truth = float(-(logp * (ret - val)).mean())
        lp, v = logp.clone().requires_grad_(True), val.clone().requires_grad_(True)
        shape = f"({batch}, {steps})"
        out, stop = run_student(reinforce_loss, (lp, ret.clone(), v), exercise_id="1b.6", where=f"on {shape} tensors")
        if stop is not None:
            return stop
        if not isinstance(out, torch.Tensor) or out.numel() != 1:
            return CheckResult(
                False,
                f"On {shape} tensors your function returned {out!r}: return one number as a "
                "torch tensor (so that loss.backward() can run).",
            )
        if not abs(float(out.detach()) - truth) < 1e-5 * max(1.0, abs(truth)):
            return CheckResult(
                False,
                f"Not quite: on {shape} tensors your loss is {float(out.detach()):.4f}. Check the sign "
                "(the optimiser minimises the loss), the advantage, and whether you average "
                "over every step of every melody.",
            )
        try:
            out.reshape(()).backward()
        except RuntimeError as err:
            return CheckResult(
                False, f"The value is right but loss.backward() failed ({err}): the loss must stay connected to log_probs."
            )
        if v.grad is not None and float(v.grad.abs().max()) > 1e-8:
            return CheckResult(
                False,
                "The value is right, but your loss sends gradient into the baseline `values`: "
                "in the policy term the advantage must be a constant weight.",
            )
        if lp.grad is None or not torch.allclose(lp.grad, -(ret - val) / (batch * steps), atol=1e-6):
            return CheckResult(
                False,
                "The value is right, but its gradient with respect to log_probs is not "
                "-A_t / (number of steps): is log_probs used as given?",
            )
    return CheckResult(
        True,
        f"Right: your loss and its gradients agree with the library's policy term on all "
        f"{len(_REINFORCE_CASES)} cases, and no gradient reaches the baseline.",
    )


def _first_frame_moves(*, recurrent: bool, time_kernel: int, frames: int = 10) -> bool:
    """Whether changing only the last input frame changes a (seeded, eval-mode) CRNN's output at frame 0.

    Examples
    --------
    >>> _first_frame_moves(recurrent=True, time_kernel=3), _first_frame_moves(recurrent=False, time_kernel=1)
    (True, False)
    """
    import torch

    with torch.random.fork_rng(devices=[]), torch.no_grad():
        torch.manual_seed(0)
        model = CRNN(84, 12, recurrent=recurrent, time_kernel=time_kernel).eval()
        x = torch.randn(1, frames, 84)
        x2 = x.clone()
        x2[:, -1] = torch.randn(84)
        return bool((model(x)[0, 0] - model(x2)[0, 0]).abs().max() > 1e-6)


_YES_NO = ("yes", "no")


@exercise(
    "1b.7",
    kind="predict",
    hint="Read the CRNN's docstring: in which directions does its GRU run? And how many frames can two "
    "convolutions with a time kernel of 3 reach?",
    solution="Yes. The CRNN's GRU is bidirectional: its backward half reads the frames from the last to the "
    "first, so frame 0's output depends on every later frame, frame 9 included. The frame-wise "
    "baseline (recurrent=False, time_kernel=1) does not change: nothing crosses frames. Without the "
    "GRU, two convolutions with a time kernel of 3 would see only 2 frames either side. How much it "
    "changes fades with the distance: a GRU's memory decays, and for this untrained model the "
    "effect of a frame 50 steps away is below float precision. (Measured in eval mode: in "
    "training mode batch norm's statistics mix all frames of the batch.)",
    code='prediction_7 = "yes"  # the GRU is bidirectional: its backward pass carries frame 9 to frame 0',
)
def check_crnn_first_frame(answer) -> CheckResult:
    """Exercise 1b.7 (predict): change only the last of 10 input frames of ``crnn.CRNN(84, 12)``; does its output at
    the first frame change ("yes" or "no")?

    The check measures it on a seeded model in eval mode, and the frame-wise baseline for comparison.

    Examples
    --------
    >>> bool(check_crnn_first_frame("no"))     # the GRU runs both ways
    False
    >>> bool(check_crnn_first_frame(np.True_))
    True
    """
    said = prediction(answer, _YES_NO, {"true": "yes", "false": "no"})
    if said is None:
        return CheckResult(False, 'Answer "yes" or "no" (a string), then explain it in a comment.')
    crnn_moves = _first_frame_moves(recurrent=True, time_kernel=3)
    flat_moves = _first_frame_moves(recurrent=False, time_kernel=1)
    truth = "yes" if crnn_moves else "no"
    return verdict(
        said == truth,
        f"Right, measured: frame 0's output {'changes' if crnn_moves else 'stays'} for the CRNN and "
        f"{'changes' if flat_moves else 'stays the same'} for the frame-wise model: the CRNN's "
        "bidirectional GRU carries information from the future back to the start.",
        "Not what the measurement shows. Run crnn.CRNN(84, 12).eval() on an input and on a copy whose "
        "last frame you change, and compare the outputs at frame 0.",
    )


#: (n_weights, iteration, n_iterations, meta_lr, seed) of the cases the student's Reptile step is tested on.
_REPTILE_CASES = ((5, 0, 400, 0.5, 0), (7, 100, 400, 0.5, 1), (3, 399, 400, 0.5, 2), (4, 3, 10, 1.0, 3))


@exercise(
    "1b.8",
    kind="implement",
    hint="Reptile moves the start a fraction of the way toward the weights the inner loop reached; that fraction "
    "shrinks linearly over the run, from meta_lr at the first iteration toward 0 at the last. Write the "
    "fraction first, then the move.",
    solution="eps = meta_lr * (1 - iteration / n_iterations); return start + eps * (adapted - start). "
    "The difference adapted - start is the direction a few SGD steps on one task moved the weights; "
    "stepping a fraction eps along it (instead of jumping to adapted) averages these directions over "
    "many tasks, so the start ends where every task is a few steps away. eps falling to 0 anneals the "
    "updates, as a learning-rate schedule does; with eps = 1 the start would simply be replaced by the "
    "last task's weights (equivalently: (1 - eps) * start + eps * adapted).",
    code=(
        "def reptile_step(start, adapted, iteration, n_iterations, meta_lr=0.5):\n"
        "    eps = meta_lr * (1 - iteration / n_iterations)\n"
        "    return start + eps * (adapted - start)"
    ),
)
def check_reptile_step(reptile_step) -> CheckResult:
    """Exercise 1b.8 (implement it): ``reptile_step(start, adapted, iteration, n_iterations, meta_lr=0.5)``,
    the meta-update of :func:`musynth_lab.models.transfer.reptile` on flat NumPy weight vectors.

    The check compares it with ``start + eps * (adapted - start)``, ``eps = meta_lr * (1 - iteration /
    n_iterations)``, on several cases: a step with the sign flipped, without the schedule or without the
    difference is wrong on at least one.

    Examples
    --------
    >>> bool(check_reptile_step(lambda s, a, i, n, meta_lr=0.5: s + meta_lr * (a - s)))           # no schedule
    False
    >>> bool(check_reptile_step(lambda s, a, i, n, meta_lr=0.5: s + meta_lr * (1 - i / n) * (s - a)))  # sign
    False
    >>> bool(check_reptile_step(lambda s, a, i, n, meta_lr=0.5: (1 - meta_lr * (1 - i / n)) * s
    ...                                                          + meta_lr * (1 - i / n) * a))
    True
    """

    if not callable(reptile_step):
        return CheckResult(False, "Pass your function itself: check_reptile_step(reptile_step).")
    for n_w, it, n_it, lr, seed in _REPTILE_CASES:
        rng = np.random.default_rng(seed)
        start, adapted = rng.normal(size=n_w), rng.normal(size=n_w)
        truth = start + lr * (1 - it / n_it) * (adapted - start)
        where = f"at iteration {it} of {n_it} with meta_lr={lr}"
        out, stop = run_student(reptile_step, (start.copy(), adapted.copy(), it, n_it, lr), exercise_id="1b.8", where=where)
        if stop is not None:
            return stop
        got = floats(out)
        if got is None or got.shape != truth.shape:
            return CheckResult(
                False,
                f"{where.capitalize()} your function returned {out!r}: return the new start, "
                f"an array of the same shape as start ({n_w} weights).",
            )
        if not np.allclose(got, truth, atol=1e-9):
            return CheckResult(
                False,
                f"Not quite {where}: compare your step with the equation above the code of section (d). "
                "Which way should the start move, how far, and how does that fraction change over the run?",
            )
    return CheckResult(True, f"Right: your step agrees with Reptile's meta-update on all {len(_REPTILE_CASES)} cases.")
