"""Reinforcement learning (强化学习): a melody agent trained by policy gradient on a music-theory reward.

Source section 2(2)(c): "通过强化学习算法，能够直接学习到环境和奖励函数之间的关系，得到最佳的行为策略"
(learn a policy that maximises a reward). The agent writes a melody one note at a time; after
each note it gets a reward from rules of melody writing (stay in the key, resolve a leap by
a step back, do not repeat a note or trill between two notes, end on the tonic), optionally plus the log-likelihood of
the note under a note model estimated from the Bach chorale sopranos (as in Jaques et al.,
"Tuning recurrent neural networks with reinforcement learning", 2017). It is trained with
REINFORCE (Williams 1992) with a learned baseline (a value head) that lowers the variance
of the gradient without biasing it.

Chapter: notebooks/01b_deep_learning.ipynb
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from ..audio import get_device, seed_everything, to_numpy
from ..data import Chorale, load_chorales
from ..errors import ParameterError, check
from ..synth import render_notes
from .training import single_thread

__all__ = [
    "RULES",
    "DEFAULT_WEIGHTS",
    "MelodyRules",
    "NoteModel",
    "MelodyPolicy",
    "AgentHistory",
    "AgentResult",
    "train_melody_agent",
    "sample_melodies",
    "render_melody",
]

#: The rules the reward encodes; each costs ``weight`` per violation.
RULES = ("key", "leap", "repeat", "trill", "tonic")
#: Default reward weights: per violation of each rule, and for the note model's log-likelihood.
DEFAULT_WEIGHTS = {"key": 1.0, "leap": 1.0, "repeat": 0.5, "trill": 0.5, "tonic": 2.0, "note_model": 0.2}
_SCALES = {"major": (0, 2, 4, 5, 7, 9, 11), "minor": (0, 2, 3, 5, 7, 8, 10, 11)}  # minor: natural + raised 7th


@dataclass(frozen=True)
class MelodyRules:
    """The music-theory rules of the reward, and a counter of their violations.

    Attributes
    ----------
    tonic_pc : int
        Pitch class of the key's tonic (0 = C).
    mode : {'major', 'minor'}
        Minor allows both the natural and the raised seventh.
    leap : int
        An interval of more than ``leap`` semitones is a leap; the next interval must then
        be a step (1 or 2 semitones) in the opposite direction.

    Examples
    --------
    >>> rules = MelodyRules()
    >>> rules.violations([60, 62, 61, 69, 71, 60])   # C# out of key; the leap 61->69 goes on upwards
    {'key': 1, 'leap': 1, 'repeat': 0, 'trill': 0, 'tonic': 0}

    Chapter: notebooks/01b_deep_learning.ipynb
    """

    tonic_pc: int = 0
    mode: str = "major"
    leap: int = 4

    def __post_init__(self):
        check(
            isinstance(self.tonic_pc, (int, np.integer)) and 0 <= self.tonic_pc < 12,
            "tonic_pc",
            self.tonic_pc,
            "a pitch class 0..11",
        )
        check(self.mode in _SCALES, "mode", self.mode, "'major' or 'minor'")
        check(isinstance(self.leap, (int, np.integer)) and self.leap >= 2, "leap", self.leap, "an integer >= 2 (semitones)")

    @property
    def scale(self) -> tuple:
        """Pitch classes in the key."""
        return tuple(sorted((self.tonic_pc + s) % 12 for s in _SCALES[self.mode]))

    def step_violations(self, melodies) -> dict:
        """Per-note violations ``{rule: (batch, length) tensor of 0/1}`` for MIDI melodies ``(batch, length)``.

        A violation is charged to the note that commits it: the out-of-key note, the repeated
        note, the note after a leap that fails to step back, the fourth note of an
        alternation ``a b a b`` (a trill), the last note if it is not the tonic.
        """
        m = melodies if isinstance(melodies, torch.Tensor) else torch.as_tensor(np.asarray(melodies))
        if m.ndim == 1:
            m = m[None]
        if m.ndim != 2 or m.shape[1] < 1 or m.shape[0] < 1:
            raise ParameterError(f"melodies has shape {tuple(m.shape)}: expected (batch, length) MIDI pitches")
        m = m.long()
        in_scale = torch.zeros(12, dtype=torch.bool, device=m.device)
        in_scale[list(self.scale)] = True
        pc = m % 12
        zeros = torch.zeros_like(m, dtype=torch.float32)
        key = (~in_scale[pc]).float()
        repeat = zeros.clone()
        repeat[:, 1:] = (m[:, 1:] == m[:, :-1]).float()
        leap = zeros.clone()
        if m.shape[1] >= 3:
            d = m[:, 1:] - m[:, :-1]  # (batch, length-1) intervals
            prev, cur = d[:, :-1], d[:, 1:]
            resolved = (cur.abs() >= 1) & (cur.abs() <= 2) & (torch.sign(cur) == -torch.sign(prev))
            leap[:, 2:] = ((prev.abs() > self.leap) & ~resolved).float()
        trill = zeros.clone()
        if m.shape[1] >= 4:  # a b a b: two notes alternating
            trill[:, 3:] = ((m[:, 3:] == m[:, 1:-2]) & (m[:, 2:-1] == m[:, :-3]) & (m[:, 3:] != m[:, 2:-1])).float()
        tonic = zeros.clone()
        tonic[:, -1] = (pc[:, -1] != self.tonic_pc).float()
        return {"key": key, "leap": leap, "repeat": repeat, "trill": trill, "tonic": tonic}

    def violations(self, melody) -> dict:
        """Counts per rule for one melody (a sequence of MIDI pitches)."""
        arr = np.asarray(to_numpy(melody)).ravel()
        check(arr.size > 0, "melody", melody, "a non-empty sequence of MIDI pitches")
        v = self.step_violations(arr[None].astype(np.int64))
        return {k: int(t.sum()) for k, t in v.items()}

    def total_violations(self, melodies) -> np.ndarray:
        """Total violations of every melody: ``(batch,)`` ints."""
        v = self.step_violations(melodies)
        return to_numpy(sum(t.sum(-1) for t in v.values())).astype(np.int64)


class NoteModel:
    """A bigram note model of the chorale sopranos, transposed to one key: ``P(pitch_t | pitch_{t-1})``.

    Estimated with add-``alpha`` smoothing over the agent's pitch range from the note
    onsets of the soprano parts of the training chorales in ``mode``, each transposed so its
    tonic is ``tonic_pc`` (octaves folded into ``[low, high]``).

    Examples
    --------
    >>> nm = NoteModel.fit(low=60, high=84)
    >>> nm.log_prob([[60, 62, 64]]).shape
    (1, 3)

    Chapter: notebooks/01b_deep_learning.ipynb
    """

    def __init__(self, log_first: np.ndarray, log_next: np.ndarray, low: int, high: int):
        self.log_first = np.asarray(log_first, dtype=np.float32)  # (n,)
        self.log_next = np.asarray(log_next, dtype=np.float32)  # (n, n): [prev, next]
        self.low, self.high = int(low), int(high)

    @classmethod
    def fit(
        cls, chorales=None, *, tonic_pc: int = 0, mode: str = "major", low: int = 60, high: int = 84, alpha: float = 0.5
    ) -> "NoteModel":
        check(int(high) > int(low), "high", high, f"a MIDI pitch above low={low}")
        check(alpha > 0, "alpha", alpha, "a positive smoothing count")
        pieces = load_chorales("train") if chorales is None else list(chorales)
        check(
            len(pieces) > 0 and all(isinstance(p, Chorale) for p in pieces), "chorales", chorales, "a non-empty list of Chorale"
        )
        n = int(high) - int(low) + 1
        first = np.full(n, alpha)
        nxt = np.full((n, n), alpha)
        used = 0
        for p in pieces:
            if p.key_mode != mode:
                continue
            shift = (tonic_pc - p.key_tonic_pc) % 12
            pitches = p.parts["S"][:, 2].astype(int) + shift
            idx = []
            for q in pitches:
                while q < low:
                    q += 12
                while q > high:
                    q -= 12
                idx.append(q - low)
            if len(idx) < 2:
                continue
            used += 1
            first[idx[0]] += 1
            np.add.at(nxt, (idx[:-1], idx[1:]), 1)
        if used == 0:
            raise ParameterError(f"mode={mode!r}: no chorale in that mode to estimate the note model from")
        return cls(np.log(first / first.sum()), np.log(nxt / nxt.sum(1, keepdims=True)), low, high)

    def log_prob(self, melodies):
        """Log-probability (nats) of each note given the previous one, ``(batch, length)``; same kind as input."""
        is_t = isinstance(melodies, torch.Tensor)
        m = melodies if is_t else torch.as_tensor(np.asarray(melodies))
        if m.ndim != 2 or m.shape[1] < 1:
            raise ParameterError(f"melodies has shape {tuple(m.shape)}: expected (batch, length) MIDI pitches")
        idx = m.long() - self.low
        if int(idx.min()) < 0 or int(idx.max()) > self.high - self.low:
            raise ParameterError(f"melodies: pitches outside the note model's range {self.low}..{self.high}")
        lf = torch.as_tensor(self.log_first, device=m.device)
        ln = torch.as_tensor(self.log_next, device=m.device)
        out = torch.empty(idx.shape, dtype=torch.float32, device=m.device)
        out[:, 0] = lf[idx[:, 0]]
        out[:, 1:] = ln[idx[:, :-1], idx[:, 1:]]
        return out if is_t else to_numpy(out)


class MelodyPolicy(nn.Module):
    """A GRU policy: previous note + position -> a distribution over the next note, plus a value.

    ``step(prev, t, h) -> (logits (batch, n_actions), value (batch,), h)``. Actions are MIDI
    pitches ``low..high``; the input is an embedding of the previous note (a start token at
    t = 0) concatenated with a one-hot of the position, so the policy knows when the end is.

    Examples
    --------
    >>> pol = MelodyPolicy(length=8)
    >>> mel, logp, val, ent = pol.sample(4, generator=torch.Generator().manual_seed(0))
    >>> mel.shape, logp.shape, bool((mel >= 60).all() and (mel <= 84).all())
    (torch.Size([4, 8]), torch.Size([4, 8]), True)

    Chapter: notebooks/01b_deep_learning.ipynb
    """

    def __init__(self, *, low: int = 60, high: int = 84, length: int = 16, hidden: int = 64):
        super().__init__()
        check(int(high) > int(low), "high", high, f"a MIDI pitch above low={low}")
        check(int(length) >= 2, "length", length, "at least 2 notes")
        self.low, self.high, self.length = int(low), int(high), int(length)
        self.n_actions = self.high - self.low + 1
        self.embed = nn.Embedding(self.n_actions + 1, 32)  # the last index is "start"
        self.cell = nn.GRUCell(32 + self.length, int(hidden))
        self.policy_head = nn.Linear(int(hidden), self.n_actions)
        self.value_head = nn.Linear(int(hidden), 1)
        self.hidden = int(hidden)

    def step(self, prev: torch.Tensor, t: int, h: torch.Tensor):
        pos = torch.zeros(len(prev), self.length, device=prev.device)
        pos[:, t] = 1.0
        h = self.cell(torch.cat([self.embed(prev), pos], -1), h)  # (batch, hidden)
        return self.policy_head(h), self.value_head(h).squeeze(-1), h

    def sample(self, n: int, *, generator: torch.Generator | None = None, greedy: bool = False):
        """Sample ``n`` melodies: ``(midi (n, length), log_probs (n, length), values (n, length), entropy (n, length))``."""
        check(int(n) > 0, "n", n, "a positive number of melodies")
        device = self.embed.weight.device
        prev = torch.full((int(n),), self.n_actions, dtype=torch.long, device=device)
        h = torch.zeros(int(n), self.hidden, device=device)
        acts, logps, vals, ents = [], [], [], []
        for t in range(self.length):
            logits, v, h = self.step(prev, t, h)
            logp_all = torch.log_softmax(logits, -1)  # (n, n_actions)
            if greedy:
                a = logits.argmax(-1)
            else:
                u = torch.rand(int(n), 1, generator=generator, device="cpu").to(device)
                a = (logp_all.exp().cumsum(-1) < u).sum(-1).clamp(max=self.n_actions - 1)
            acts.append(a)
            logps.append(logp_all.gather(1, a[:, None]).squeeze(1))
            vals.append(v)
            ents.append(-(logp_all.exp() * logp_all).sum(-1))
            prev = a
        return (torch.stack(acts, 1) + self.low, torch.stack(logps, 1), torch.stack(vals, 1), torch.stack(ents, 1))


def _weights(weights) -> dict:
    w = dict(DEFAULT_WEIGHTS)
    if weights is not None:
        unknown = [k for k in weights if k not in w]
        if unknown:
            raise ParameterError(f"weights has key {unknown[0]!r}: expected some of {sorted(w)}")
        for k, v in weights.items():
            check(np.isfinite(float(v)) and float(v) >= 0, f"weights[{k!r}]", v, "a non-negative number")
        w.update({k: float(v) for k, v in weights.items()})
    return w


def step_rewards(melodies: torch.Tensor, rules: MelodyRules, weights: dict, note_model: NoteModel | None):
    """Reward of every note, ``(batch, length)``: minus the weighted violations, plus the weighted log-likelihood.

    Examples
    --------
    >>> r = step_rewards(torch.tensor([[60, 62, 64, 65, 67, 60]]), MelodyRules(), DEFAULT_WEIGHTS, None)
    >>> r.shape, float(r.sum())                                       # a clean C-major line: no penalties
    (torch.Size([1, 6]), 0.0)

    Chapter: notebooks/01b_deep_learning.ipynb
    """
    v = rules.step_violations(melodies)
    r = -sum(weights[k] * v[k] for k in RULES)
    if note_model is not None and weights["note_model"] > 0:
        r = r + weights["note_model"] * note_model.log_prob(melodies)
    return r


def _returns(r: torch.Tensor, gamma: float) -> torch.Tensor:
    """Discounted return to go ``G_t = r_t + gamma * G_{t+1}`` along the last axis."""
    out = torch.empty_like(r)
    acc = torch.zeros_like(r[:, 0])
    for t in range(r.shape[1] - 1, -1, -1):
        acc = r[:, t] + gamma * acc
        out[:, t] = acc
    return out


@dataclass
class AgentHistory:
    """Per training iteration: mean total reward per melody and mean rule violations of the sampled batch.

    Examples
    --------
    >>> h = AgentHistory(mean_return=[-3.0, -1.5], mean_violations=[2.0, 0.8])
    >>> h.mean_return[-1] > h.mean_return[0], h.seconds
    (True, 0.0)

    Chapter: notebooks/01b_deep_learning.ipynb
    """

    mean_return: list = field(default_factory=list)
    mean_violations: list = field(default_factory=list)
    seconds: float = 0.0

    def plot(self, ax=None, *, title: str | None = "REINFORCE with baseline"):
        """Draw the reward (return) curve and the violations on a twin axis; returns the axes."""
        # matplotlib and tqdm are imported where used: importing this module (and `import musynth_lab`) stays light
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(6, 3))
        it = np.arange(1, len(self.mean_return) + 1)
        ax.plot(it, self.mean_return, color="C0", label="mean return")
        ax.set_xlabel("iteration")
        ax.set_ylabel("mean return per melody", color="C0")
        ax2 = ax.twinx()
        ax2.plot(it, self.mean_violations, color="C3", alpha=0.7, label="rule violations")
        ax2.set_ylabel("violations per melody", color="C3")
        if title:
            ax.set_title(title)
        return ax


@dataclass
class AgentResult:
    """What :func:`train_melody_agent` returns.

    Attributes
    ----------
    policy : MelodyPolicy
    history : AgentHistory
    rules : MelodyRules
    note_model : NoteModel or None
    weights : dict
    before, after : np.ndarray [shape=(n_eval, length)]
        MIDI melodies sampled from the untrained and the trained policy (same random draws).
    violations_before, violations_after : float
        Mean total rule violations per melody of ``before`` and ``after``.

    Examples
    --------
    >>> before = np.array([[60, 61, 60]]); after = np.array([[60, 62, 64]])
    >>> r = AgentResult(MelodyPolicy(length=3), AgentHistory(), MelodyRules(), None, dict(DEFAULT_WEIGHTS),
    ...                 before, after)
    >>> r.rule_table()["key"]                                          # C# is out of key
    (1.0, 0.0)

    Chapter: notebooks/01b_deep_learning.ipynb
    """

    policy: MelodyPolicy
    history: AgentHistory
    rules: MelodyRules
    note_model: object
    weights: dict
    before: np.ndarray = field(repr=False)
    after: np.ndarray = field(repr=False)
    violations_before: float = 0.0
    violations_after: float = 0.0

    def rule_table(self) -> dict:
        """Mean violations per rule, ``{rule: (before, after)}``."""
        vb = self.rules.step_violations(self.before)
        va = self.rules.step_violations(self.after)
        return {k: (float(vb[k].sum(-1).mean()), float(va[k].sum(-1).mean())) for k in RULES}


@torch.no_grad()
def sample_melodies(policy: MelodyPolicy, n: int = 100, *, seed: int = 0, greedy: bool = False) -> np.ndarray:
    """``n`` melodies ``(n, length)`` of MIDI pitches from ``policy`` (seeded).

    Examples
    --------
    >>> pol = MelodyPolicy(length=8)
    >>> m = sample_melodies(pol, 3, seed=0)
    >>> m.shape, m.dtype, bool((m == sample_melodies(pol, 3, seed=0)).all())
    ((3, 8), dtype('int64'), True)

    Chapter: notebooks/01b_deep_learning.ipynb
    """
    check(isinstance(policy, MelodyPolicy), "policy", policy, "a MelodyPolicy")
    was = policy.training
    policy.eval()
    mel = policy.sample(n, generator=torch.Generator().manual_seed(int(seed)), greedy=greedy)[0]
    policy.train(was)
    return to_numpy(mel).astype(np.int64)


def train_melody_agent(
    *,
    weights: dict | None = None,
    iterations: int = 300,
    batch_size: int = 64,
    length: int = 16,
    low: int = 60,
    high: int = 84,
    lr: float = 3e-3,
    entropy: float = 0.01,
    gamma: float = 0.5,
    tonic_pc: int = 0,
    mode: str = "major",
    leap: int = 4,
    use_note_model: bool = True,
    normalize: bool = True,
    n_eval: int = 200,
    seed: int = 0,
    device=None,
    progress: bool = True,
) -> AgentResult:
    """Train a :class:`MelodyPolicy` with REINFORCE and a learned baseline.

    Each iteration samples ``batch_size`` melodies, computes per-note rewards
    (:func:`step_rewards`), the discounted return to go ``G_t = sum_{k>=t} gamma^(k-t) r_k``,
    and minimises

    ``-mean(log pi(a_t) * A_t) + 0.5 mean((G_t - V(s_t))^2) - entropy * H(pi)``,
    ``A_t = G_t - V(s_t)``

    where ``V`` is the policy's value head (the baseline; ``A_t`` is held constant in the
    policy term, so the baseline lowers the variance without biasing the gradient).
    ``normalize`` divides ``A_t`` by its spread in the batch. A discount below 1 credits
    each note mostly with the rewards it causes (the rules are local), which learns
    several times faster than ``gamma=1`` here.

    Parameters
    ----------
    weights : dict, optional
        Overrides of :data:`DEFAULT_WEIGHTS` (``'key'``, ``'leap'``, ``'repeat'``,
        ``'tonic'``, ``'note_model'``), each >= 0.
    iterations, batch_size : int
    length : int
        Notes per melody.
    low, high : int
        The agent's MIDI range.
    lr, entropy : float
        Adam learning rate, entropy bonus.
    gamma : float
        Discount in [0, 1].
    normalize : bool
        Divide the advantages by their standard deviation in the batch.
    tonic_pc, mode, leap : the rules (:class:`MelodyRules`).
    use_note_model : bool
        Add the chorale bigram log-likelihood (weight ``weights['note_model']``).
    n_eval : int
        Melodies sampled before and after training to count violations.
    seed, device, progress : as in :func:`musynth_lab.models.fit`.

    Returns
    -------
    AgentResult

    Examples
    --------
    >>> res = train_melody_agent(iterations=5, batch_size=8, length=6, n_eval=10, progress=False)
    >>> res.before.shape, res.after.shape
    ((10, 6), (10, 6))

    Chapter: notebooks/01b_deep_learning.ipynb
    """
    from tqdm.auto import tqdm

    check(isinstance(iterations, (int, np.integer)) and iterations > 0, "iterations", iterations, "a positive integer")
    check(isinstance(batch_size, (int, np.integer)) and batch_size > 1, "batch_size", batch_size, "an integer > 1")
    check(lr > 0, "lr", lr, "a positive learning rate")
    check(entropy >= 0, "entropy", entropy, "a non-negative entropy weight")
    check(0 <= gamma <= 1, "gamma", gamma, "a discount in [0, 1]")
    w = _weights(weights)
    rules = MelodyRules(tonic_pc=tonic_pc, mode=mode, leap=leap)
    nm = NoteModel.fit(tonic_pc=tonic_pc, mode=mode, low=low, high=high) if use_note_model else None
    device = get_device(device)
    seed_everything(seed)
    policy = MelodyPolicy(low=low, high=high, length=length).to(device)
    before = sample_melodies(policy, n_eval, seed=seed + 1)
    opt = torch.optim.Adam(policy.parameters(), lr=lr)
    gen = torch.Generator().manual_seed(int(seed))
    hist = AgentHistory()
    t0 = time.perf_counter()
    bar = tqdm(range(int(iterations)), desc="REINFORCE", disable=not progress, leave=False)
    with single_thread():  # tiny ops: one thread is faster
        for _ in bar:
            mel, logp, value, ent = policy.sample(int(batch_size), generator=gen)
            with torch.no_grad():
                r = step_rewards(mel, rules, w, nm)  # (batch, length)
                ret = _returns(r, gamma)  # (batch, length) return to go G_t
            adv = (ret - value).detach()
            if normalize:  # scale-free steps: divide by the spread
                adv = adv / (adv.std() + 1e-6)
            loss = -(logp * adv).mean() + 0.5 * ((ret - value) ** 2).mean() - entropy * ent.mean()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            nn.utils.clip_grad_norm_(policy.parameters(), 1.0)
            opt.step()
            hist.mean_return.append(float(r.sum(1).mean()))
            hist.mean_violations.append(float(rules.total_violations(mel).mean()))
            bar.set_postfix(ret=f"{hist.mean_return[-1]:.2f}", viol=f"{hist.mean_violations[-1]:.2f}")
    hist.seconds = time.perf_counter() - t0
    policy.eval()
    after = sample_melodies(policy, n_eval, seed=seed + 1)
    return AgentResult(
        policy,
        hist,
        rules,
        nm,
        w,
        before,
        after,
        float(rules.total_violations(before).mean()),
        float(rules.total_violations(after).mean()),
    )


def render_melody(melody, *, sr: int, bpm: float = 120.0, instrument: str = "piano", note_q: float = 0.5) -> np.ndarray:
    """Render a MIDI melody (one note per ``note_q`` quarter notes) to audio with :mod:`musynth_lab.synth`.

    Parameters
    ----------
    melody : sequence of int [shape=(length,)]
    sr : int
    bpm : float
    instrument : str
        A :func:`musynth_lab.synth.instrument` name (the bundled sampler voices: ``'piano'``, ...).
    note_q : float
        Note length in quarter notes.

    Returns
    -------
    np.ndarray [shape=(n_samples,)], float32

    Examples
    --------
    >>> y = render_melody([60, 64, 67, 72], sr=8000, bpm=120)
    >>> y.shape[0] >= 4 * 0.25 * 8000
    True

    Chapter: notebooks/01b_deep_learning.ipynb
    """
    m = np.asarray(to_numpy(melody), dtype=np.float64).ravel()
    check(m.size > 0 and np.all(np.isfinite(m)), "melody", melody, "a non-empty sequence of MIDI pitches")
    check(note_q > 0, "note_q", note_q, "a positive note length in quarter notes")
    rows = np.stack([np.arange(len(m)) * note_q, np.full(len(m), note_q * 0.95), m], 1)
    return to_numpy(render_notes(rows, bpm=bpm, sr=sr, instrument=instrument)).astype(np.float32)
