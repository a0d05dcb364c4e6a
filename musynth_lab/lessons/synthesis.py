"""Chapter 5's generation phase (生成阶段) measured: decoding strategies on one melody model.

Every strategy continues the same prompts with the same trained token model
(:class:`musynth_lab.models.lm.TokenLSTM` or :class:`~musynth_lab.models.lm.TokenTransformer`)
and is scored the same way: the negative log-likelihood (NLL) of the new tokens under the
model, distinct-2 (diversity) and the rule violations of chapter 1b's
:class:`musynth_lab.models.rl.MelodyRules`. Stochastic strategies run over several seeds, so
each figure has a mean and a spread (min-max over seeds).

Two readings of "annealing" are compared on that model:

* a **temperature schedule** (``sample(..., schedule=...)``): left-to-right sampling whose
  temperature falls from ``t_start`` to ``t_end`` token by token; a choice is never revisited;
* **simulated annealing** (模拟退火; Kirkpatrick, Gelatt & Vecchi 1983), :func:`anneal_melody`:
  Metropolis-Hastings moves over whole continuations with energy ``E = NLL``, each move
  rewriting one token anywhere, accepted with ``min(1, exp(-ΔE / T) q(old) / q(new))`` under a
  falling ``T`` (:func:`musynth_lab.generate.anneal`).

Chapter: notebooks/05_synthesis.ipynb
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .. import generate as gen
from ..data import MELODY_HIGH, MELODY_LOW
from ..errors import ParameterError, as_int, as_sequence, check
from ..evaluate import distinct_ngrams, melody_pitches
from ..models import lm
from ..models.rl import RULES, MelodyRules

__all__ = [
    "STRATEGIES",
    "DETERMINISTIC",
    "tonic_tokens",
    "decoders",
    "melody_violations",
    "anneal_melody",
    "DecoderComparison",
    "compare_decoders",
]

#: The strategies :func:`compare_decoders` runs, in table order ("simulated annealing" last).
STRATEGIES = (
    "greedy",
    "sample T=1",
    "sample T=0.5",
    "top-k 5",
    "top-p 0.9",
    "temperature schedule",
    "beam 4",
    "beam 4, ends on tonic",
    "simulated annealing",
)
#: Strategies with no randomness: the same output for every seed.
DETERMINISTIC = ("greedy", "beam 4", "beam 4, ends on tonic")


def tonic_tokens(tonic_pc: int) -> list:
    """The melody tokens (``2 + midi - MELODY_LOW``) of every pitch of pitch class ``tonic_pc``.

    Examples
    --------
    >>> from musynth_lab.data import MELODY_LOW
    >>> toks = tonic_tokens(0)                                   # every C in the token range
    >>> all((t - 2 + MELODY_LOW) % 12 == 0 for t in toks), len(toks) >= 4
    (True, True)

    Chapter: notebooks/05_synthesis.ipynb
    """
    tonic_pc = as_int(tonic_pc, "tonic_pc", low=0, high=11)
    return [2 + m - MELODY_LOW for m in range(MELODY_LOW, MELODY_HIGH + 1) if m % 12 == tonic_pc]


def decoders(model, *, steps: int = 32, beam_width: int = 4, t_start: float = 1.0, t_end: float = 0.05) -> dict:
    """The left-to-right strategies of the table, as ``decode(prompt, tonic_pc, seed) -> tokens``.

    Parameters
    ----------
    model : callable
        ``prefix (batch, t) -> log-probabilities (batch, vocab)`` (e.g. :func:`musynth_lab.models.lm.next_step`).
    steps : int
        New tokens per continuation.
    beam_width : int
    t_start, t_end : float
        The temperature schedule's first and last temperature (geometric in between).

    Returns
    -------
    dict
        Name -> callable returning a ``(len(prompt) + steps,)`` int array; every name of
        :data:`STRATEGIES` but "simulated annealing" (see :func:`anneal_melody`).

    Examples
    --------
    >>> import torch
    >>> table = torch.log(torch.full((51, 51), 1 / 51))               # a uniform Markov chain
    >>> d = decoders(lambda p: table[p[:, -1]], steps=4)
    >>> sorted(d) == sorted(set(STRATEGIES) - {"simulated annealing"}), d["greedy"]([5, 6], 0, 0).shape
    (True, (6,))

    Chapter: notebooks/05_synthesis.ipynb
    """
    steps = as_int(steps, "steps", low=1)
    sched = gen.temperature_schedule("geometric", t_start=t_start, t_end=t_end, steps=steps)
    w = as_int(beam_width, "beam_width", low=1)

    def first(t):
        return t[0].cpu().numpy()

    return {
        "greedy": lambda pr, pc, s: first(gen.greedy(model, pr, steps=steps)),
        "sample T=1": lambda pr, pc, s: first(gen.sample(model, pr, steps=steps, temperature=1.0, seed=s)),
        "sample T=0.5": lambda pr, pc, s: first(gen.sample(model, pr, steps=steps, temperature=0.5, seed=s)),
        "top-k 5": lambda pr, pc, s: first(gen.sample(model, pr, steps=steps, top_k=5, seed=s)),
        "top-p 0.9": lambda pr, pc, s: first(gen.sample(model, pr, steps=steps, top_p=0.9, seed=s)),
        "temperature schedule": lambda pr, pc, s: first(gen.sample(model, pr, steps=steps, schedule=sched, seed=s)),
        "beam 4": lambda pr, pc, s: gen.beam_search(model, pr, steps=steps, beam_width=w).best.numpy(),
        "beam 4, ends on tonic": lambda pr, pc, s: gen.beam_search(
            model, pr, steps=steps, beam_width=w, final_allowed=tonic_tokens(pc)
        ).best.numpy(),
    }


def melody_violations(tokens, *, tonic_pc: int, mode: str) -> dict:
    """Rule violations (:class:`musynth_lab.models.rl.MelodyRules`) of a melody-token sequence, per rule.

    Examples
    --------
    >>> from musynth_lab.data import HOLD, MELODY_LOW
    >>> c, d = 2 + 60 - MELODY_LOW, 2 + 62 - MELODY_LOW
    >>> melody_violations([c, HOLD, d, c, d, c], tonic_pc=0, mode="major")    # C D C D C: a trill
    {'key': 0, 'leap': 0, 'repeat': 0, 'trill': 2, 'tonic': 0}

    Chapter: notebooks/05_synthesis.ipynb
    """
    pitches = melody_pitches(np.asarray(tokens).tolist())
    if len(pitches) == 0:
        return dict.fromkeys(RULES, 0)
    return MelodyRules(tonic_pc=int(tonic_pc), mode=mode).violations(pitches)


def anneal_melody(
    net,
    tokens,
    *,
    prompt_len: int,
    steps: int = 300,
    t_start: float = 1.0,
    t_end: float = 0.05,
    seed: int | None = None,
    proposal: str = "model",
    device=None,
) -> gen.AnnealResult:
    """Simulated annealing (模拟退火) of a whole continuation, with energy = its NLL under ``net``.

    The state is the whole sequence; the prompt (its first ``prompt_len`` tokens) is never
    changed. A move picks a position ``j`` after the prompt uniformly and draws a new token
    ``w``: with ``proposal="model"`` from the model's conditional ``q(w) = p(x_j = w | x_<j)``
    (which ignores the tokens after ``j``: those enter through the energy), accepted with the
    Metropolis-Hastings probability ``min(1, exp(-(E_new - E_old) / T) * q(x_j) / q(w))``;
    with ``proposal="uniform"`` uniformly from the vocabulary (a symmetric move, Kirkpatrick's
    plain Metropolis rule ``min(1, exp(-(E_new - E_old) / T))``). ``T`` falls geometrically from
    ``t_start`` to ``t_end`` over ``steps`` moves (:func:`musynth_lab.generate.anneal`). Each
    move costs one forward pass of ``net`` over the sequence.

    Parameters
    ----------
    net : nn.Module
        A token model, ``(batch, t)`` -> ``(batch, t, vocab)`` logits (:class:`musynth_lab.models.lm.TokenLSTM`).
    tokens : array_like of int [shape=(t,)]
        The starting sequence: prompt + a first continuation (e.g. a sample at T=1).
    prompt_len : int
        1 .. t - 1.
    steps : int
        Moves.
    t_start, t_end : float
    seed : int, optional
    proposal : {'model', 'uniform'}

    Returns
    -------
    musynth_lab.generate.AnnealResult
        ``best`` (the ``(t,)`` int array of lowest energy met), ``best_energy`` (its NLL in
        nats), ``energies`` (the current state's NLL after each move), ``accepted`` (the
        fraction of moves accepted).

    Examples
    --------
    >>> import torch
    >>> from musynth_lab.models.lm import TokenLSTM, continuation_nll
    >>> _ = torch.manual_seed(0); net = TokenLSTM(6, emb_dim=4, hidden=8)
    >>> start = np.array([1, 2, 3, 4, 5, 0, 1, 2])
    >>> r = anneal_melody(net, start, prompt_len=3, steps=60, seed=0, device="cpu")
    >>> bool((r.best[:3] == start[:3]).all()), r.energies.shape
    (True, (60,))
    >>> bool(r.best_energy <= continuation_nll(net, start, prompt_len=3, device="cpu")[0] + 1e-9)
    True

    Chapter: notebooks/05_synthesis.ipynb
    """
    x0 = np.asarray(tokens, dtype=np.int64).ravel()
    check(x0.size >= 2, "tokens", tokens, "a (t,) token sequence with t >= 2")
    prompt_len = as_int(prompt_len, "prompt_len", low=1, high=x0.size - 1)
    steps = as_int(steps, "steps", low=1)
    schedule = gen.temperature_schedule("geometric", t_start=t_start, t_end=t_end, steps=steps)
    cache: dict = {}

    def scored(x):  # one forward pass gives the energy and the proposal's conditionals
        key = x.tobytes()
        if key not in cache:
            if len(cache) > 4:
                cache.clear()
            lp = lm.token_log_probs(net, x, device=device)[0]  # (t-1, vocab)
            nll = -float(lp[np.arange(prompt_len - 1, x.size - 1), x[prompt_len:]].sum())
            cache[key] = (nll, lp)
        return cache[key]

    check(proposal in ("model", "uniform"), "proposal", proposal, "'model' or 'uniform'")

    def propose(x, rng):
        lp = scored(x)[1]
        j = int(rng.integers(prompt_len, x.size))
        y = x.copy()
        if proposal == "uniform":
            y[j] = int(rng.integers(lp.shape[1]))
            return y, 0.0  # symmetric: q(old | new) = q(new | old)
        q = np.exp(lp[j - 1] - lp[j - 1].max())
        y[j] = int(rng.choice(q.size, p=q / q.sum()))
        return y, float(lp[j - 1, x[j]] - lp[j - 1, y[j]])  # log q(old) - log q(new)

    return gen.anneal(lambda x: scored(x)[0], x0, propose=propose, schedule=schedule, seed=seed, hastings=True)


@dataclass
class DecoderComparison:
    """What :func:`compare_decoders` measured.

    Attributes
    ----------
    names : list of str
        Strategies, in table order.
    seeds : tuple of int
    nll : np.ndarray [shape=(n_strategies, n_seeds)]
        Mean NLL of the new tokens, nats per token, over the pieces, per seed.
    log_prob : np.ndarray [shape=(n_strategies, n_seeds)]
        Mean total log-probability of the new tokens (nats per continuation).
    distinct2 : np.ndarray [shape=(n_strategies, n_seeds)]
        Distinct-2 of the seed's continuations (all pieces together).
    violations : np.ndarray [shape=(n_strategies, n_seeds)]
        Mean rule violations per melody (prompt + continuation).
    rules : dict
        Name -> {rule: mean violations per melody over pieces and seeds}.
    outputs : dict
        Name -> the continuations (lists of new tokens) of the first seed, one per piece.
    acceptance : float
        Simulated annealing's mean fraction of accepted moves.
    traces : list of np.ndarray
        Simulated annealing's energy (NLL, nats) after each move, first seed, one per piece.

    Examples
    --------
    >>> c = DecoderComparison(["a"], (0, 1), np.ones((1, 2)), -np.ones((1, 2)), np.ones((1, 2)) / 2,
    ...                       np.array([[3.0, 5.0]]), {"a": {}}, {"a": [[1, 2]]})
    >>> c.summary("a", "violations")
    (4.0, 3.0, 5.0)

    Chapter: notebooks/05_synthesis.ipynb
    """

    names: list
    seeds: tuple
    nll: np.ndarray
    log_prob: np.ndarray
    distinct2: np.ndarray
    violations: np.ndarray
    rules: dict
    outputs: dict
    acceptance: float = float("nan")
    traces: list = field(default_factory=list)

    MEASURES = ("nll", "log_prob", "distinct2", "violations")

    def summary(self, name: str, measure: str) -> tuple:
        """``(mean, min, max)`` over seeds of one strategy's measure."""
        check(name in self.names, "name", name, f"one of {self.names}")
        check(measure in self.MEASURES, "measure", measure, f"one of {self.MEASURES}")
        row = getattr(self, measure)[self.names.index(name)]
        return float(row.mean()), float(row.min()), float(row.max())

    def verdict(self, a: str, b: str, measure: str) -> str:
        """How ``a``'s ``measure`` compares with ``b``'s over the seeds.

        ``"lower"`` or ``"higher"`` when ``a``'s min-max range lies wholly below or above
        ``b``'s, else ``"within the spread of"`` (the ranges overlap: no verdict at these seeds).

        Examples
        --------
        >>> c = DecoderComparison(["a", "b"], (0, 1), np.array([[1.0, 1.2], [1.1, 1.3]]), np.zeros((2, 2)),
        ...                       np.zeros((2, 2)), np.array([[3.0, 4.0], [6.0, 6.5]]), {}, {})
        >>> c.verdict("a", "b", "violations"), c.verdict("b", "a", "violations"), c.verdict("a", "b", "nll")
        ('lower', 'higher', 'within the spread of')
        """
        _, lo_a, hi_a = self.summary(a, measure)
        _, lo_b, hi_b = self.summary(b, measure)
        if hi_a < lo_b:
            return "lower"
        if lo_a > hi_b:
            return "higher"
        return "within the spread of"

    def describe(self, name: str, measure: str, fmt: str = ".2f") -> str:
        """``"mean"`` or ``"mean [min, max]"`` of one strategy's measure, as the table prints it."""
        mean, lo, hi = self.summary(name, measure)
        return f"{mean:{fmt}}" + (f" [{lo:{fmt}}, {hi:{fmt}}]" if hi > lo else "")

    def table(self) -> dict:
        """Name -> ``(mean log p, mean distinct-2, mean violations)`` over seeds."""
        return {n: tuple(self.summary(n, m)[0] for m in ("log_prob", "distinct2", "violations")) for n in self.names}

    def format(self) -> str:
        """A text table: each measure as mean [min-max] over the seeds."""

        cols = (("nll", ".2f", "NLL (nats/token)"), ("log_prob", ".1f", "log p (nats)"))
        cols += (("distinct2", ".2f", "distinct-2"), ("violations", ".1f", "violations"))
        lines = [f"{'strategy':22s}" + "".join(f" {title:22s}" for _, _, title in cols)]
        for n in self.names:
            lines.append(f"{n:22s}" + "".join(f" {self.describe(n, m, fmt):22s}" for m, fmt, _ in cols))
        lines.append(f"mean [min, max] over seeds {list(self.seeds)}; deterministic strategies: one value")
        return "\n".join(lines)


def compare_decoders(
    net,
    pieces,
    *,
    prompt_len: int = 8,
    steps: int = 32,
    seeds=(0, 1, 2),
    anneal_steps: int = 300,
    t_start: float = 1.0,
    t_end: float = 0.05,
    device=None,
) -> DecoderComparison:
    """Continue each piece's first ``prompt_len`` melody tokens with every strategy, over ``seeds``.

    Seed ``s`` draws piece ``i``'s continuation with seed ``1000 * s + i``. Simulated annealing
    starts from that seed's "sample T=1" continuation and runs ``anneal_steps`` moves of
    :func:`anneal_melody`, from ``t_start`` to ``t_end`` like the temperature schedule; it
    reports the lowest-energy sequence it met. Deterministic strategies (:data:`DETERMINISTIC`)
    run once and are repeated for every seed.

    Parameters
    ----------
    net : nn.Module
        A trained token model (``(batch, t)`` -> ``(batch, t, vocab)`` logits).
    pieces : list of Chorale
        Each with more than ``prompt_len`` melody tokens.
    prompt_len, steps : int
    seeds : sequence of int
    anneal_steps : int
    t_start, t_end : float
    device : optional

    Returns
    -------
    DecoderComparison

    Examples
    --------
    >>> import torch
    >>> from musynth_lab.data import N_MELODY_TOKENS, load_chorales
    >>> from musynth_lab.models.lm import TokenLSTM
    >>> _ = torch.manual_seed(0); net = TokenLSTM(N_MELODY_TOKENS, emb_dim=4, hidden=8)   # untrained: shapes only
    >>> c = compare_decoders(net, load_chorales("test")[:2], steps=4, seeds=(0, 1), anneal_steps=10, device="cpu")
    >>> c.nll.shape, c.names[-1], len(c.outputs["greedy"])
    ((9, 2), 'simulated annealing', 2)

    Chapter: notebooks/05_synthesis.ipynb
    """
    pieces = as_sequence(pieces, "pieces", min_len=1, what="a non-empty list of chorales")
    seeds = tuple(as_int(s, "seeds", low=0) for s in as_sequence(seeds, "seeds", min_len=1, what="a list of seeds"))
    prompt_len, steps = as_int(prompt_len, "prompt_len", low=1), as_int(steps, "steps", low=1)
    anneal_steps = as_int(anneal_steps, "anneal_steps", low=1)
    prompts = []
    for p in pieces:
        toks = np.asarray(p.melody_tokens())
        if len(toks) < prompt_len:
            raise ParameterError(f"pieces: {p.id} has {len(toks)} melody tokens: expected at least prompt_len={prompt_len}")
        prompts.append(toks[:prompt_len])
    model = lm.next_step(net, device=device)
    decode = decoders(model, steps=steps, t_start=t_start, t_end=t_end)
    names = list(STRATEGIES)
    shape = (len(names), len(seeds))
    nll, lps, d2, viol = (np.zeros(shape) for _ in range(4))
    rules = {n: dict.fromkeys(RULES, 0.0) for n in names}
    outputs, traces, acc = {}, [], []
    once: dict = {}
    for k, s in enumerate(seeds):
        seqs = {n: [] for n in names}
        for i, (p, pr) in enumerate(zip(pieces, prompts)):
            for n in names[:-1]:
                if n in DETERMINISTIC and (n, i) in once:
                    seqs[n].append(once[n, i])
                    continue
                seq = np.asarray(decode[n](pr, p.key_tonic_pc, 1000 * s + i), dtype=np.int64)
                if n in DETERMINISTIC:
                    once[n, i] = seq
                seqs[n].append(seq)
            r = anneal_melody(
                net,
                seqs["sample T=1"][i],
                prompt_len=prompt_len,
                steps=anneal_steps,
                t_start=t_start,
                t_end=t_end,
                seed=1000 * s + i,
                device=device,
            )
            seqs["simulated annealing"].append(np.asarray(r.best))
            acc.append(r.accepted)
            if k == 0:
                traces.append(r.energies)
        for j, n in enumerate(names):
            batch = np.stack(seqs[n])
            total = lm.continuation_nll(net, batch, prompt_len=prompt_len, device=device)
            nll[j, k] = total.mean() / steps
            lps[j, k] = -total.mean()
            d2[j, k] = distinct_ngrams([b[prompt_len:].tolist() for b in batch], n=2)
            v = [melody_violations(b, tonic_pc=p.key_tonic_pc, mode=p.key_mode) for b, p in zip(batch, pieces)]
            viol[j, k] = np.mean([sum(x.values()) for x in v])
            for rule in RULES:
                rules[n][rule] += float(np.mean([x[rule] for x in v])) / len(seeds)
            if k == 0:
                outputs[n] = [b[prompt_len:].tolist() for b in batch]
    return DecoderComparison(names, seeds, nll, lps, d2, viol, rules, outputs, float(np.mean(acc)), traces)
