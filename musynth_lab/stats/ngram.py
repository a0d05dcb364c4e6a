"""n-gram / Markov models of token sequences, with interpolated Witten-Bell smoothing.

The baseline of chapter 5's modelling phase (建模阶段): the probability of the next token
given the previous ``order - 1``, estimated by counting, smoothed so that unseen
continuations keep some probability. Exposes ``model(prefix) -> (batch, vocab)``
log-probabilities, so every decoder in :mod:`musynth_lab.generate` can use it.

Chapter: notebooks/05_synthesis.ipynb
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import torch

from ..errors import ParameterError, as_array, as_int, as_sequence, check

__all__ = ["NGramModel"]


class NGramModel:
    """An interpolated Witten-Bell n-gram model over integer tokens ``0 .. vocab_size - 1``.

    ``P(w | h) = (c(h, w) + T(h) * P(w | h')) / (c(h) + T(h))``, where ``h'`` drops the oldest
    token of the history ``h``, ``c`` counts and ``T(h)`` is the number of distinct tokens
    seen after ``h``; the recursion ends in a uniform distribution over the vocabulary.

    Parameters
    ----------
    order : int
        1 (unigram), 2 (bigram: a first-order Markov chain), 3, ...
    vocab_size : int

    Examples
    --------
    >>> m = NGramModel(order=2, vocab_size=3).fit([[0, 1, 0, 1, 0, 1]])
    >>> p = np.exp(m.next_log_probs([0])); bool(p.argmax() == 1), round(float(p.sum()), 6)
    (True, 1.0)

    Chapter: notebooks/05_synthesis.ipynb
    """

    def __init__(self, order: int = 3, *, vocab_size: int):
        order, vocab_size = as_int(order, "order", high=64), as_int(vocab_size, "vocab_size", low=2)
        self.order, self.vocab_size = int(order), int(vocab_size)
        self._counts: list[dict] | None = None
        self._cache: dict = {}

    # ---------------------------------------------------------------------------- fitting
    def fit(self, sequences) -> "NGramModel":
        """Count n-grams of every order up to ``order`` in ``sequences`` (a list of 1-D int arrays)."""
        seqs = self._tokens_list(sequences)
        if not seqs or sum(len(s) for s in seqs) == 0:
            raise ParameterError("sequences is empty: expected at least one non-empty token sequence")
        for s in seqs:
            if len(s) and (s.min() < 0 or s.max() >= self.vocab_size):
                raise ParameterError(
                    f"sequences contain token {int(s.max() if s.max() >= self.vocab_size else s.min())}: "
                    f"expected ids in 0..{self.vocab_size - 1}"
                )
        counts = [defaultdict(lambda: np.zeros(self.vocab_size)) for _ in range(self.order)]
        for s in seqs:
            for i, w in enumerate(s):
                for k in range(self.order):  # k = context length
                    if i - k < 0:
                        break
                    counts[k][tuple(s[i - k : i].tolist())][w] += 1
        self._counts = [dict(c) for c in counts]
        self._cache = {}
        return self

    def _tokens(self, seq, name: str) -> np.ndarray:
        """One token sequence as int64 ids in ``0..vocab_size - 1`` (ParameterError naming ``name`` otherwise)."""
        s = as_array(seq, name, allow_empty=True, integer=True).ravel()
        if len(s) and (s.min() < 0 or s.max() >= self.vocab_size):
            bad = int(s.max() if s.max() >= self.vocab_size else s.min())
            raise ParameterError(f"{name} contain token {bad}: expected ids in 0..{self.vocab_size - 1}")
        return s

    def _tokens_list(self, sequences, name: str = "sequences") -> list:
        seqs = as_sequence(sequences, name, what="a list of token sequences")
        return [self._tokens(s, name) for s in seqs]

    # ---------------------------------------------------------------------------- probabilities
    def _prob(self, context: tuple) -> np.ndarray:
        if context in self._cache:
            return self._cache[context]
        if len(context) == 0:
            lower = np.full(self.vocab_size, 1.0 / self.vocab_size)
        else:
            lower = self._prob(context[1:])
        c = self._counts[len(context)].get(context)
        if c is None:
            p = lower
        else:
            total, types = c.sum(), np.count_nonzero(c)
            p = (c + types * lower) / (total + types)
        self._cache[context] = p
        return p

    def next_log_probs(self, context) -> np.ndarray:
        """Log-probabilities ``(vocab_size,)`` of the next token after ``context`` (its last ``order - 1`` tokens)."""
        if self._counts is None:
            raise ParameterError("this NGramModel is not fitted: call fit(sequences) first")
        ctx = tuple(int(t) for t in self._tokens(context, "context").tolist())
        ctx = ctx[len(ctx) - (self.order - 1) :] if self.order > 1 else ()
        return np.log(self._prob(ctx))

    def __call__(self, prefix) -> torch.Tensor:
        """``prefix (batch, t) -> log-probabilities (batch, vocab)``: the interface of :mod:`musynth_lab.generate`."""
        p = torch.as_tensor(prefix)
        if p.ndim == 1:
            p = p[None]
        out = np.stack([self.next_log_probs(row) for row in p.cpu().numpy()])
        return torch.from_numpy(out).float().to(p.device)

    def sequence_log_prob(self, seq, *, start: int = 1) -> float:
        """Total log-probability (nats) of ``seq[start:]`` given what precedes each token."""
        s = self._tokens(seq, "seq")
        start = as_int(start, "start", low=0)
        return self._log_prob(s, start, {})

    def _log_prob(self, s, start: int, memo: dict) -> float:
        """:meth:`sequence_log_prob` of validated tokens, in time linear in the length.

        Each step hands :meth:`next_log_probs` only the last ``order - 1`` tokens (all it
        reads) and ``memo`` keeps the log-probabilities of every context met, so a long
        sequence costs no more per token than a short one; the terms are summed in order.
        """
        k = self.order - 1
        toks = s.tolist()
        terms = []
        for i in range(start, len(toks)):
            ctx = tuple(toks[max(0, i - k) : i]) if k > 0 else ()
            logp = memo.get(ctx)
            if logp is None:
                logp = memo[ctx] = self.next_log_probs(np.asarray(ctx, dtype=np.int64))
            terms.append(logp[toks[i]])
        return float(sum(terms))

    def nll_per_token(self, sequences, *, start: int = 1) -> float:
        """Mean negative log-likelihood in nats per predicted token over ``sequences``."""
        start = as_int(start, "start", low=0)
        total, n, memo = 0.0, 0, {}
        for s in self._tokens_list(sequences):
            if len(s) > start:
                total -= self._log_prob(s, start, memo)
                n += len(s) - start
        check(n > 0, "sequences", sequences, f"sequences longer than start={start}")
        return total / n
