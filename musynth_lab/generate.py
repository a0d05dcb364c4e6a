"""Generation (生成阶段): decoding strategies for any model of next-step log-probabilities.

A *model* here is anything callable as ``model(prefix) -> log_probs`` where ``prefix`` is a
``torch.LongTensor`` of token ids ``(batch, t)`` and ``log_probs`` is ``(batch, vocab)``,
the log-probability of each next token (log-softmax outputs). An n-gram table, an HMM's
predictive distribution, an LSTM or a Transformer all fit once wrapped this way.

* :func:`greedy`: the most likely token at every step;
* :func:`sample`: temperature, top-k and top-p (nucleus) sampling;
* :func:`beam_search` (波束搜索): keeps the ``beam_width`` best partial sequences, with
  length normalisation and an optional constraint on the final token (e.g. end on the tonic);
* :func:`anneal` (simulated annealing, 模拟退火; Kirkpatrick, Gelatt & Vecchi 1983): minimises
  an energy over whole states (e.g. whole melodies) by random proposals accepted with the
  Metropolis rule under a falling temperature (:func:`temperature_schedule`). Sampling
  left to right with a falling temperature (``sample(..., schedule=...)``, the likelier
  reading of the source's 采样退火, "sampling annealing") never revisits a token: it is a
  temperature schedule, not simulated annealing.

Chapter: notebooks/05_synthesis.ipynb
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np
import torch

from .errors import ParameterError, as_array, as_float, as_int, check, short_repr

__all__ = ["greedy", "sample", "beam_search", "sequence_log_prob", "anneal", "temperature_schedule", "BeamResult", "AnnealResult"]


def _prompt(prompt, name: str = "prompt") -> torch.Tensor:
    if prompt is None or isinstance(prompt, (str, bytes)):
        raise ParameterError(f"{name}={prompt!r}: expected a non-empty (t,) or (batch, t) sequence of token ids")
    if not isinstance(prompt, torch.Tensor):
        as_array(prompt, name, ndim=(1, 2), allow_empty=True)  # numbers, finite, rectangular
        prompt = np.asarray(prompt)
        if isinstance(prompt, np.ndarray) and prompt.dtype.kind == "f" and np.all(prompt == np.round(prompt)):
            prompt = prompt.astype(np.int64)  # whole-number floats (as before)
        if prompt.size and prompt.dtype.kind not in "iu":
            raise ParameterError(f"{name} has dtype {prompt.dtype}: expected integer token ids")
    if np.size(prompt) == 0 if not isinstance(prompt, torch.Tensor) else prompt.numel() == 0:
        raise ParameterError(f"{name}={prompt!r}: expected a non-empty (t,) or (batch, t) token sequence")
    t = torch.as_tensor(prompt if not isinstance(prompt, np.ndarray) else prompt.astype(np.int64))
    if t.dtype not in (torch.int64, torch.int32, torch.int16, torch.uint8):
        raise ParameterError(f"{name} has dtype {t.dtype}: expected integer token ids")
    if t.ndim == 1:
        t = t[None]
    if t.ndim != 2 or t.shape[1] == 0:
        raise ParameterError(f"{name} has shape {tuple(t.shape)}: expected a non-empty (t,) or (batch, t) token sequence")
    check(int(t.min()) >= 0, name, prompt, "token ids >= 0")
    return t.long()


def _check_model(model, name: str = "model"):
    check(callable(model), name, model, "a callable: prefix (batch, t) -> log-probabilities (batch, vocab)")


def _check_steps(steps) -> int:
    return as_int(steps, "steps", low=0)


def _log_probs(model, prefix: torch.Tensor, name: str = "prompt") -> torch.Tensor:
    with torch.no_grad():
        try:
            lp = model(prefix)
        except IndexError as err:  # a table or embedding indexed by a token outside the vocabulary
            raise ParameterError(
                f"{name}={_short_tokens(prefix)}: the model could not index these tokens ({err}); "
                "expected token ids inside the model's vocabulary"
            ) from None
    if not isinstance(lp, torch.Tensor) or lp.ndim != 2 or lp.shape[0] != prefix.shape[0]:
        raise ParameterError(
            f"model returned {getattr(lp, 'shape', type(lp).__name__)}: expected log-probabilities (batch, vocab) "
            f"for a prefix of shape {tuple(prefix.shape)}"
        )
    return lp.float().log_softmax(-1)  # tolerate unnormalised scores (logits)


def _short_tokens(t) -> str:
    return short_repr(t.tolist() if isinstance(t, torch.Tensor) else t)


def greedy(model: Callable, prompt, *, steps: int) -> torch.Tensor:
    """Extend ``prompt`` by ``steps`` tokens, taking the most likely token each time.

    Parameters
    ----------
    model : callable
        ``model(prefix (batch, t)) -> log-probabilities (batch, vocab)``.
    prompt : array_like of int [shape=(t,) or (batch, t)]
        Non-empty start of the sequence.
    steps : int
        Tokens to add.

    Returns
    -------
    torch.LongTensor [shape=(batch, t + steps)]

    Examples
    --------
    >>> table = torch.log(torch.tensor([[0.1, 0.9], [0.8, 0.2]]))  # a two-token Markov chain
    >>> greedy(lambda p: table[p[:, -1]], [0], steps=3).tolist()
    [[0, 1, 0, 1]]

    Chapter: notebooks/05_synthesis.ipynb
    """
    _check_model(model)
    seq = _prompt(prompt)
    for _ in range(_check_steps(steps)):
        nxt = _log_probs(model, seq).argmax(-1, keepdim=True)
        seq = torch.cat([seq, nxt.to(seq.device)], dim=1)
    return seq


def _filter_logits(lp: torch.Tensor, top_k: int | None, top_p: float | None) -> torch.Tensor:
    if top_k is not None:
        k = min(int(top_k), lp.shape[-1])
        kth = lp.topk(k, dim=-1).values[:, -1:]
        lp = lp.masked_fill(lp < kth, -math.inf)
    if top_p is not None:
        sorted_lp, order = lp.sort(dim=-1, descending=True)
        p = sorted_lp.softmax(-1)
        # keep the smallest set whose mass reaches top_p: drop a token when the mass before it already does
        drop = (p.cumsum(-1) - p) >= top_p
        drop[:, 0] = False
        lp = lp.scatter(-1, order, sorted_lp.masked_fill(drop, -math.inf))
    return lp


def sample(
    model: Callable,
    prompt,
    *,
    steps: int,
    temperature: float = 1.0,
    top_k: int | None = None,
    top_p: float | None = None,
    seed: int | None = None,
    schedule=None,
) -> torch.Tensor:
    """Extend ``prompt`` by sampling, with temperature, top-k and top-p (nucleus) filtering.

    The next token is drawn from ``softmax(log_probs / temperature)`` restricted to the
    ``top_k`` most likely tokens and/or the smallest set whose probability reaches
    ``top_p``. As the temperature goes to 0 the draw becomes the arg-max: greedy decoding.

    Parameters
    ----------
    model : callable
        ``model(prefix (batch, t)) -> log-probabilities (batch, vocab)``.
    prompt : array_like of int [shape=(t,) or (batch, t)]
    steps : int
    temperature : float
        > 0. Below 1 sharpens the distribution, above 1 flattens it.
    top_k : int, optional
        >= 1.
    top_p : float, optional
        In (0, 1].
    seed : int, optional
        Seeds a private generator: the same seed gives the same sequence.
    schedule : array_like of float [shape=(steps,)], optional
        Annealed sampling: one temperature per step (e.g. falling, from
        :func:`temperature_schedule`), replacing ``temperature``.

    Returns
    -------
    torch.LongTensor [shape=(batch, t + steps)]

    Raises
    ------
    ParameterError
        temperature <= 0, top_k < 1, top_p outside (0, 1], an empty prompt, a schedule of
        the wrong length or with a temperature <= 0.

    Examples
    --------
    >>> table = torch.log(torch.tensor([[0.5, 0.5], [0.5, 0.5]]))
    >>> a = sample(lambda p: table[p[:, -1]], [0], steps=8, seed=3)
    >>> bool((a == sample(lambda p: table[p[:, -1]], [0], steps=8, seed=3)).all())
    True

    Chapter: notebooks/05_synthesis.ipynb
    """
    _check_model(model)
    check(
        isinstance(temperature, (int, float, np.floating))
        and not isinstance(temperature, bool)
        and math.isfinite(temperature)
        and temperature > 0,
        "temperature",
        temperature,
        "a positive number (use greedy() for temperature 0)",
    )
    top_k = as_int(top_k, "top_k", allow_none=True)
    top_p = as_float(top_p, "top_p", low=0, high=1, low_open=True, allow_none=True)
    seed = as_int(seed, "seed", low=0, high=2**63 - 1, allow_none=True)
    seq = _prompt(prompt)
    steps = _check_steps(steps)
    temps = np.full(steps, float(temperature))
    if schedule is not None:
        temps = as_array(schedule, "schedule").ravel()
        check(
            temps.shape == (steps,) and np.all(temps > 0) and np.all(np.isfinite(temps)),
            "schedule",
            schedule,
            f"{steps} positive temperatures, one per step",
        )
    gen = torch.Generator(device="cpu")
    gen.manual_seed(int(seed) if seed is not None else int(torch.randint(0, 2**31 - 1, ()).item()))
    for i in range(steps):
        lp = _log_probs(model, seq).cpu() / float(temps[i])
        lp = _filter_logits(lp.log_softmax(-1), top_k, top_p)
        probs = lp.softmax(-1).double()
        nxt = torch.multinomial(probs, 1, generator=gen)
        seq = torch.cat([seq, nxt.to(seq.device)], dim=1)
    return seq


def sequence_log_prob(model: Callable, seq, *, prompt_len: int = 1) -> torch.Tensor:
    """Total log-probability of the tokens after the first ``prompt_len`` of each sequence.

    Returns
    -------
    torch.Tensor [shape=(batch,)]
        In nats.

    Examples
    --------
    >>> table = torch.log(torch.tensor([[0.25, 0.75], [1.0, 1e-9]]))
    >>> round(float(sequence_log_prob(lambda p: table[p[:, -1]], [0, 1, 0])[0]), 4)  # log .75 + log 1
    -0.2877

    Chapter: notebooks/05_synthesis.ipynb
    """
    _check_model(model)
    seq = _prompt(seq, "seq")
    check(
        isinstance(prompt_len, int) and 1 <= prompt_len <= seq.shape[1],
        "prompt_len",
        prompt_len,
        f"an integer in 1..{seq.shape[1]}",
    )
    total = torch.zeros(seq.shape[0])
    for t in range(prompt_len, seq.shape[1]):
        lp = _log_probs(model, seq[:, :t], "seq").cpu()
        check(int(seq[:, t].max()) < lp.shape[1], "seq", seq.tolist(), f"token ids below the vocabulary size {lp.shape[1]}")
        total += lp.gather(1, seq[:, t : t + 1].cpu()).squeeze(1)
    return total


@dataclass
class BeamResult:
    """What :func:`beam_search` found.

    Attributes
    ----------
    sequences : torch.LongTensor [shape=(beam_width, t + steps)]
        Best first (by the length-normalised score).
    log_probs : torch.Tensor [shape=(beam_width,)]
        Total log-probability of each sequence's new tokens, in nats.
    scores : torch.Tensor [shape=(beam_width,)]
        The length-normalised scores used for ranking.

    Examples
    --------
    >>> r = BeamResult(torch.tensor([[0, 2, 2], [0, 1, 0]]), torch.tensor([-1.02, -1.61]), torch.tensor([-1.02, -1.61]))
    >>> r.best.tolist(), tuple(r.sequences.shape)
    ([0, 2, 2], (2, 3))

    Chapter: notebooks/05_synthesis.ipynb
    """

    sequences: torch.Tensor
    log_probs: torch.Tensor
    scores: torch.Tensor

    @property
    def best(self) -> torch.Tensor:
        return self.sequences[0]


def _length_norm(log_prob: torch.Tensor, length: int, alpha: float) -> torch.Tensor:
    # GNMT length penalty (Wu et al. 2016): lp(Y) = ((5 + |Y|) / 6) ** alpha
    return log_prob / (((5.0 + length) / 6.0) ** alpha)


def beam_search(
    model: Callable,
    prompt,
    *,
    steps: int,
    beam_width: int = 4,
    length_penalty: float = 0.0,
    final_allowed: Sequence[int] | None = None,
    eos: int | None = None,
) -> BeamResult:
    """Beam search (波束搜索): keep the ``beam_width`` most likely partial sequences.

    Parameters
    ----------
    model : callable
        ``model(prefix (batch, t)) -> log-probabilities (batch, vocab)``.
    prompt : array_like of int [shape=(t,)]
        One prompt.
    steps : int
        Tokens to add (fewer for hypotheses that emit ``eos``).
    beam_width : int
        >= 1. Width 1 is greedy decoding.
    length_penalty : float
        ``alpha`` of the GNMT length normalisation: 0 ranks by total log-probability,
        larger values favour longer hypotheses (only matters with ``eos``).
    final_allowed : sequence of int, optional
        A constraint: the last generated token must be one of these (e.g. the tokens of the
        tonic, so a melody ends on it). Applied at the final step.
    eos : int, optional
        An end token: a hypothesis that emits it is finished.

    Returns
    -------
    BeamResult
        Without a constraint or ``eos``, greedy decoding's sequence is kept as a candidate, so
        the best sequence is never less likely than :func:`greedy`'s.

    Raises
    ------
    ParameterError
        beam_width < 1, a batched or empty prompt, an empty ``final_allowed``.

    Examples
    --------
    >>> # A Markov chain: greedy goes 0 -> 1 (p=.6) and then faces a uniform choice (.6/3 = .2);
    >>> # beam search finds 0 -> 2 -> 2 (.4 * .9 = .36).
    >>> table = torch.log(torch.tensor([[1e-9, 0.6, 0.4], [1/3, 1/3, 1/3], [0.05, 0.05, 0.9]]))
    >>> markov = lambda prefix: table[prefix[:, -1]]
    >>> greedy(markov, [0], steps=2)[0, 1].item(), beam_search(markov, [0], steps=2, beam_width=2).best.tolist()
    (1, [0, 2, 2])

    Chapter: notebooks/05_synthesis.ipynb
    """
    _check_model(model)
    beam_width = as_int(beam_width, "beam_width")
    length_penalty = as_float(length_penalty, "length_penalty")
    eos = as_int(eos, "eos", low=0, allow_none=True)
    steps = _check_steps(steps)
    seq0 = _prompt(prompt)
    check(seq0.shape[0] == 1, "prompt", prompt, "a single prompt (t,) for beam search")
    if final_allowed is not None:
        final_allowed = [int(t) for t in as_array(final_allowed, "final_allowed", ndim=1, integer=True)]
        check(len(final_allowed) > 0, "final_allowed", final_allowed, "a non-empty list of token ids or None")
    beams = seq0
    scores = torch.zeros(1)
    finished: list[tuple[torch.Tensor, float]] = []
    for step in range(steps):
        lp = _log_probs(model, beams).cpu()  # (n_beams, vocab)
        vocab = lp.shape[1]
        if final_allowed is not None and step == steps - 1:
            mask = torch.full((vocab,), -math.inf)
            bad = [t for t in final_allowed if not 0 <= t < vocab]
            if bad:
                raise ParameterError(f"final_allowed contains {bad[0]}: expected token ids in 0..{vocab - 1}")
            mask[final_allowed] = 0.0
            lp = lp + mask
        total = (scores[:, None] + lp).reshape(-1)
        k = min(beam_width, int(torch.isfinite(total).sum()))
        if k == 0:
            break
        top = total.topk(k)
        origin, token = top.indices // vocab, top.indices % vocab
        beams = torch.cat([beams[origin.to(beams.device)], token[:, None].to(beams.device)], dim=1)
        scores = top.values
        if eos is not None:
            done = token == eos
            for i in torch.nonzero(done).flatten().tolist():
                finished.append((beams[i].clone(), float(scores[i])))
            beams, scores = beams[~done.to(beams.device)], scores[~done]
            if len(beams) == 0:
                break
    prompt_len = seq0.shape[1]
    cands = finished + [(b, float(s)) for b, s in zip(beams, scores)]
    if final_allowed is None and eos is None and steps > 0:
        # A narrow beam can drop greedy's path; keeping it as a candidate guarantees the
        # result is never less likely than greedy decoding.
        g = greedy(model, seq0, steps=steps)[0]
        cands.append((g, float(sequence_log_prob(model, g[None], prompt_len=prompt_len)[0])))
    if not cands:
        raise ParameterError(
            "beam search found no sequence that satisfies final_allowed: "
            "expected at least one allowed token with non-zero probability"
        )
    unique = {tuple(c[0].tolist()): c for c in cands}.values()
    ranked = sorted(unique, key=lambda c: -float(_length_norm(torch.tensor(c[1]), len(c[0]) - prompt_len, length_penalty)))[
        :beam_width
    ]
    width = max(len(c[0]) for c in ranked)
    pad = -1
    seqs = torch.full((len(ranked), width), pad, dtype=torch.long)
    for i, (b, _) in enumerate(ranked):
        seqs[i, : len(b)] = b.cpu()
    lps = torch.tensor([c[1] for c in ranked])
    norm = torch.stack([_length_norm(torch.tensor(c[1]), len(c[0]) - prompt_len, length_penalty) for c in ranked])
    return BeamResult(seqs, lps, norm)


def temperature_schedule(kind: str = "geometric", *, t_start: float = 1.0, t_end: float = 0.01, steps: int = 100) -> np.ndarray:
    """A falling temperature schedule for :func:`anneal`.

    Parameters
    ----------
    kind : {'geometric', 'linear', 'logarithmic'}
        Geometric: ``t_start * (t_end / t_start) ** (i / (steps - 1))``; linear; logarithmic
        (Geman & Geman's ``c / log(2 + i)``, scaled to start at ``t_start``; slow).
    t_start, t_end : float
        Positive, ``t_start >= t_end``.
    steps : int

    Returns
    -------
    np.ndarray [shape=(steps,)]

    Examples
    --------
    >>> temperature_schedule("geometric", t_start=1.0, t_end=0.01, steps=3).round(3).tolist()
    [1.0, 0.1, 0.01]

    Chapter: notebooks/05_synthesis.ipynb
    """
    t_start = as_float(t_start, "t_start", low=0, low_open=True)
    t_end = as_float(t_end, "t_end", low=0, low_open=True)
    check(t_start >= t_end, "t_start", (t_start, t_end), "positive temperatures with t_start >= t_end")
    check(isinstance(steps, (int, np.integer)) and steps >= 1, "steps", steps, "an integer >= 1")
    i = np.arange(steps, dtype=np.float64)
    frac = i / max(steps - 1, 1)
    if kind == "geometric":
        return t_start * (t_end / t_start) ** frac
    if kind == "linear":
        return t_start + (t_end - t_start) * frac
    if kind == "logarithmic":
        return t_start * math.log(2.0) / np.log(2.0 + i)
    raise ParameterError(f"kind={kind!r}: expected 'geometric', 'linear' or 'logarithmic'")


@dataclass
class AnnealResult:
    """What :func:`anneal` found: the best state, its energy, and the energy trace per step.

    Examples
    --------
    >>> r = anneal(lambda x: x * x, 2, propose=lambda x, rng: x - 1, schedule=[1.0, 1.0])
    >>> r.best, r.best_energy, r.energies.tolist(), r.accepted
    (0, 0.0, [1.0, 0.0], 1.0)

    Chapter: notebooks/05_synthesis.ipynb
    """

    best: object
    best_energy: float
    energies: np.ndarray
    accepted: float


def anneal(
    energy: Callable, init, *, propose: Callable, schedule, seed: int | None = None, hastings: bool = False
) -> AnnealResult:
    """Simulated annealing (模拟退火): minimise ``energy`` with Metropolis moves at falling temperature.

    At each step a candidate ``propose(state, rng)`` replaces the state with probability
    ``min(1, exp(-(E_new - E_old) / T))`` (Metropolis et al. 1953; Kirkpatrick et al. 1983).
    At a fixed ``T`` the chain samples ``p_T(x) ∝ exp(-E(x) / T)``; early, hot steps explore,
    late, cold steps only go downhill. With an asymmetric proposal (``hastings=True``) the
    acceptance is Metropolis-Hastings's ``min(1, exp(-(E_new - E_old) / T) q(old | new) / q(new | old))``,
    so the chain still samples ``p_T``. Chapter 5 anneals whole melodies with ``E`` = their
    negative log-likelihood under a language model (:mod:`musynth_lab.lessons.synthesis`).

    Parameters
    ----------
    energy : callable
        ``energy(state) -> float``, lower is better.
    init : object
        The starting state (not modified if ``propose`` returns new objects).
    propose : callable
        ``propose(state, rng) -> new_state``; ``rng`` is a ``numpy.random.Generator``.
    schedule : array_like of float
        One positive temperature per step (see :func:`temperature_schedule`).
    seed : int, optional
    hastings : bool
        If true, ``propose`` returns ``(new_state, log_ratio)`` with
        ``log_ratio = log q(state | new_state) - log q(new_state | state)``, the Hastings
        correction of an asymmetric proposal (e.g. one drawn from a model's conditional).

    Returns
    -------
    AnnealResult

    Examples
    --------
    >>> f = lambda x: (x - 3) ** 2
    >>> step = lambda x, rng: x + int(rng.choice([-1, 1]))
    >>> anneal(f, 20, propose=step, schedule=temperature_schedule(steps=400), seed=0).best
    3
    >>> up = lambda x, rng: (x + 1, 0.0) if x < 3 else (x, 0.0)      # (state, log q ratio)
    >>> anneal(f, 0, propose=up, schedule=[0.5] * 5, hastings=True).best
    3

    Chapter: notebooks/05_synthesis.ipynb
    """
    check(callable(energy), "energy", energy, "a callable: state -> energy (a number)")
    check(callable(propose), "propose", propose, "a callable: (state, rng) -> a new state")
    seed = as_int(seed, "seed", low=0, high=2**63 - 1, allow_none=True)
    temps = as_array(schedule, "schedule")
    check(
        temps.ndim == 1 and temps.size > 0 and np.all(temps > 0) and np.all(np.isfinite(temps)),
        "schedule",
        schedule,
        "a non-empty 1-D array of positive temperatures",
    )
    rng = np.random.default_rng(seed)
    state = init
    e = float(energy(state))
    check(math.isfinite(e), "init", init, "a state of finite energy")
    best, best_e = state, e
    trace = np.empty(len(temps))
    n_acc = 0
    for i, t in enumerate(temps):
        cand, log_ratio = propose(state, rng), 0.0
        if hastings:
            check(
                isinstance(cand, tuple) and len(cand) == 2,
                "propose",
                propose,
                "with hastings=True, a callable returning (new_state, log q(old | new) - log q(new | old))",
            )
            cand, log_ratio = cand[0], float(cand[1])
        e_new = float(energy(cand))
        log_accept = -(e_new - e) / t + log_ratio
        if log_accept >= 0 or rng.random() < math.exp(log_accept):
            state, e = cand, e_new
            n_acc += 1
            if e < best_e:
                best, best_e = state, e
        trace[i] = e
    return AnnealResult(best, best_e, trace, n_acc / len(temps))
