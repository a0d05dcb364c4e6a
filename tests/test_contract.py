"""The bad-input contract of every public callable (issue 15).

For each entry of ``tests/contract_table.py`` (one valid call per public function, class and
main method) the valid call must succeed with a finite result; then each argument in turn is
replaced by bad values of its kind (NaN, inf, empty, 0-d, wrong rank, int16, complex, None,
a list of strings, 1e30; sample rates 0 / -1 / nan / "22050"; ...). Every such call must raise
``ParameterError`` naming the argument (``FileNotFoundError`` for a missing file), or - for the
values marked "may pass" and the allow-listed ones - return a finite result; never another
exception, NaN/inf output, or a hang (each call runs under a ``SIGALRM`` watchdog).

The bad values are a fixed enumerated set (deterministic for CI); a hypothesis test below adds
random finite signals of any length and scale to the audio functions.

Set ``CONTRACT_REPORT=build/contract_failures.txt`` to write every violation to a file.
"""

from __future__ import annotations

import dataclasses
import importlib
import importlib.util
import inspect
import math
import os
import signal
import sys

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from musynth_lab import ParameterError

sys.path.insert(0, os.path.dirname(__file__))
import contract_table as ct

MODULES = [
    "musynth_lab",
    "musynth_lab.audio",
    "musynth_lab.data",
    "musynth_lab.synth",
    "musynth_lab.features",
    "musynth_lab.attention",
    "musynth_lab.stats",
    "musynth_lab.stats.ngram",
    "musynth_lab.models",
    "musynth_lab.generate",
    "musynth_lab.evaluate",
    "musynth_lab.plot",
    "musynth_lab.exercises",
    "musynth_lab.latency",
    "musynth_lab.lessons",
]
# widgets are left out: every panel is a thin shell over a pure render function whose inputs
# come from bounded sliders; the functions they call are covered here (and in test_*_ui.py).


def public_callables():
    """``{id(obj): (qualified name, obj)}`` for every callable in a covered module's ``__all__``."""
    out = {}
    for m in MODULES:
        if importlib.util.find_spec(m) is None:
            continue
        mod = importlib.import_module(m)
        for n in getattr(mod, "__all__", []):
            obj = getattr(mod, n)
            if callable(obj) and id(obj) not in out:
                out[id(obj)] = (f"{m}.{n}", obj)
    return out


def _exercise_names():
    import musynth_lab.exercises as X

    return [n for n in X.__all__ if n.startswith("check_")]


ct.add_simple_exercises(_exercise_names())


def resolve_target(key, entry):
    """The callable a table key names: ``module.name`` or ``module.Class.method`` (on ``entry.obj``)."""
    parts = key.split(".")
    for i in range(len(parts) - 1, 0, -1):
        mod_name = ".".join(parts[:i])
        try:
            if importlib.util.find_spec(mod_name) is None:
                continue
        except ModuleNotFoundError:  # a name inside a module, not a module
            continue
        obj = importlib.import_module(mod_name)
        rest = parts[i:]
        if len(rest) == 2 and entry.obj is not None:
            return getattr(entry.obj(), rest[1])
        for r in rest:
            obj = getattr(obj, r)
        return obj
    raise KeyError(key)


# --------------------------------------------------------------------------------------
# Bad values, by kind: (label, value, must_raise)
# --------------------------------------------------------------------------------------
def _as_float_array(v):
    if torch.is_tensor(v):
        return v.detach().clone().to(torch.float32 if not v.is_floating_point() else v.dtype), True
    return np.array(v, dtype=np.float64 if np.asarray(v).dtype.kind not in "f" else np.asarray(v).dtype), False


def _array_bads(v, kind):
    a, tensor = _as_float_array(v)
    if a.ndim == 0:
        a = a.reshape(1)

    def with_value(x):
        b = a.clone() if tensor else a.copy()
        b.reshape(-1)[0] = x
        return b

    empty = a[..., :0]
    zero_d = a.reshape(-1)[0].clone() if tensor else np.asarray(a.reshape(-1)[0])
    cplx = (a.to(torch.complex64) + 0.5j) if tensor else (a.astype(np.complex64) + 0.5j)
    bads = [
        ("nan", with_value(float("nan")), True),
        ("inf", with_value(float("inf")), True),
        ("empty", empty, True),
        ("0-d", zero_d, True),
        ("complex", cplx, True),
        ("None", None, True),
        ("strings", ["a", "b"], True),
        ("1e30", with_value(1e30), False),
    ]
    if kind in ("audio", "mono"):
        pcm = (a.clamp(-1, 1) * 32767).to(torch.int16) if tensor else (np.clip(a, -1, 1) * 32767).astype(np.int16)
        bads.append(("int16", pcm, False))
    if kind == "mono":
        bads.append(("wrong-rank", torch.stack([a, a]) if tensor else np.stack([a, a]), True))
    if kind == "mat":
        bads.append(("wrong-rank", a.reshape(-1) if a.ndim >= 2 else a[None, None], True))
    if kind == "spec_c":
        bads = [b for b in bads if b[0] not in ("complex", "1e30")]
    if kind == "numarr":  # elementwise conversions: a number, or an array of any shape (even empty)
        bads = [(lb, v, must and lb not in ("0-d", "empty")) for lb, v, must in bads]
    return bads


_NUM = {
    "count": [
        ("nan", float("nan"), True),
        ("2.5", 2.5, True),
        ("-1", -1, True),
        ("0", 0, True),
        ("1e30", 1e30, True),
        ("str", "3", True),
        ("None", None, True),
    ],
    "count0": [
        ("nan", float("nan"), True),
        ("2.5", 2.5, True),
        ("-1", -1, True),
        ("1e30", 1e30, True),
        ("str", "3", True),
        ("None", None, True),
    ],
    "int": [("nan", float("nan"), True), ("2.5", 2.5, True), ("str", "3", True), ("None", None, True)],
    "seed": [("nan", float("nan"), True), ("2.5", 2.5, True), ("str", "3", True)],
    "pos": [
        ("nan", float("nan"), True),
        ("inf", float("inf"), True),
        ("0", 0.0, True),
        ("-1", -1.0, True),
        ("str", "1", True),
        ("None", None, True),
    ],
    "nonneg": [
        ("nan", float("nan"), True),
        ("inf", float("inf"), True),
        ("-1", -1.0, True),
        ("str", "1", True),
        ("None", None, True),
    ],
    "real": [("nan", float("nan"), True), ("inf", float("inf"), True), ("str", "1", True), ("None", None, True)],
    "frac": [("nan", float("nan"), True), ("-0.5", -0.5, True), ("1.5", 1.5, True), ("str", "0.5", True), ("None", None, True)],
    "sr": [("0", 0, True), ("-1", -1, True), ("nan", float("nan"), True), ("str", "22050", True), ("None", None, True)],
    "choice": [("unknown", "nope", True), ("None", None, True), ("number", 3, True)],
    "seq": [("None", None, True), ("string", "abc", True), ("number", 3.5, True)],
    "seqs": [
        ("None", None, True),
        ("string", "abc", True),
        ("nan", [[0.5, float("nan")]], True),
        ("negative", [[1, -1]], True),
        ("huge", [[1, 10**9]], True),
    ],
    "tokens": [
        ("None", None, True),
        ("string", "abc", True),
        ("nan", [0.5, float("nan")], True),
        ("negative", [1, -1], True),
        ("huge", [1, 10**9], True),
    ],
    "obj": [("None", None, True), ("string", "abc", True)],
    "window": [("unknown", "nope", True), ("None", None, True)],  # numbers are Kaiser betas (scipy), valid
    "answer": [
        ("inf", float("inf"), True),
        ("nan", float("nan"), True),
        ("None", None, True),
        ("string", "abc", True),
        ("list", [1, 2], True),
    ],
}


def bad_values(kind, valid, default):
    none_ok = kind.endswith("?")  # "count?": None is a documented value (a default computed from others)
    kind = kind.rstrip("?")
    if kind in ("audio", "mono", "arr", "mat", "spec_c", "numarr"):
        if valid is None:
            return []
        bads = _array_bads(valid, kind)
    elif kind == "path":
        d = ct._tmpdir()
        bads = [
            ("missing", os.path.join(d, "no", "such", "dir", "x.wav"), True),
            ("None", None, True),
            ("number", 3, True),
            ("bad-extension", os.path.join(d, "x.nope"), True),
        ]
    else:
        bads = list(_NUM[kind])
    out = []
    for label, value, must in bads:
        if value is None and (default is None or valid is None or none_ok):
            continue
        if (
            not isinstance(value, (list, np.ndarray, torch.Tensor))
            and not isinstance(default, (list, tuple))
            and default is not inspect.Parameter.empty
            and _same(value, default)
        ):
            continue
        out.append((label, value, must))
    return out


def _same(a, b):
    try:
        return (
            bool(a == b)
            and type(a) is type(b)
            or (isinstance(a, float) and isinstance(b, (int, float)) and not isinstance(b, bool) and a == b)
        )
    except Exception:  # noqa: BLE001  (any comparison failure means 'not the same')
        return False


# --------------------------------------------------------------------------------------
# Running one call
# --------------------------------------------------------------------------------------
class _Hang(BaseException):
    pass


def _alarm(signum, frame):
    raise _Hang()


def call_with_watchdog(fn, args, kwargs, seconds):
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        return fn(*args, **kwargs)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def nonfinite(x, depth=0):
    """A description of the first NaN/inf found in ``x`` (arrays, tensors, numbers, containers)."""
    if depth > 4:
        return None
    if isinstance(x, torch.Tensor):
        if (x.is_floating_point() or x.is_complex()) and not bool(torch.isfinite(x).all()):
            return f"tensor {tuple(x.shape)} with NaN/inf"
        return None
    if isinstance(x, np.ndarray):
        if x.dtype.kind in "fc" and not np.isfinite(x).all():
            return f"array {x.shape} with NaN/inf"
        if x.dtype == object:
            for v in x.ravel()[:50]:
                r = nonfinite(v, depth + 1)
                if r:
                    return r
        return None
    if isinstance(x, (float, np.floating, complex)):
        return None if np.isfinite(x) else f"number {x}"
    if isinstance(x, dict):
        for v in list(x.values())[:200]:
            r = nonfinite(v, depth + 1)
            if r:
                return r
        return None
    if isinstance(x, (list, tuple)):
        for v in x[:200]:
            r = nonfinite(v, depth + 1)
            if r:
                return r
        return None
    if dataclasses.is_dataclass(x) and not isinstance(x, type):
        return nonfinite({f.name: getattr(x, f.name) for f in dataclasses.fields(x)}, depth + 1)
    return None


def _msg(err):
    return " ".join(str(err).split())[:160]


def _cleanup():
    import matplotlib.pyplot as plt

    plt.close("all")


STATS = {"callables": 0, "calls": 0}
VIOLATIONS: dict[str, list[str]] = {}


def run_entry(key, entry):
    """Run the valid call and every one-argument perturbation; return a list of violations."""
    fn = resolve_target(key, entry)
    timeout = entry.timeout or 5.0
    problems = []
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        sig = None
    args = [ct.resolve(a) for a in entry.args]
    kwargs = {n: ct.resolve(v) for n, v in entry.kwargs.items()}
    STATS["callables"] += 1
    STATS["calls"] += 1
    try:
        res = call_with_watchdog(fn, args, kwargs, timeout * 3)
    except _Hang:
        return [f"{key}: the VALID call did not finish in {timeout * 3:.0f} s"]
    except Exception as err:  # noqa: BLE001  (the table entry is wrong or the function is broken)
        return [f"{key}: the VALID call raised {type(err).__name__}: {_msg(err)}"]
    finally:
        _cleanup()
    bad = nonfinite(res)
    if bad and not entry.nonfinite:
        problems.append(f"{key}: the VALID call returned {bad}")
    if sig is None:
        return problems
    bound = sig.bind_partial(*entry.args, **entry.kwargs)
    for p in sig.parameters.values():
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        kind = entry.kinds[p.name] if p.name in entry.kinds else ct.KIND.get(p.name)
        if kind is None:
            continue
        passed = p.name in bound.arguments
        valid = ct.resolve(bound.arguments[p.name]) if passed else p.default
        if valid is inspect.Parameter.empty:
            continue
        for label, value, must in bad_values(kind, valid, p.default):
            problems += _one(key, fn, sig, entry, p.name, kind, label, value, must, timeout)
    return problems


def _one(key, fn, sig, entry, name, kind, label, value, must, timeout):
    call = sig.bind_partial(*[ct.resolve(a) for a in entry.args], **{n: ct.resolve(v) for n, v in entry.kwargs.items()})
    call.arguments[name] = value
    where = f"{key}({name}={label})"
    allowed = entry.allow.get(f"{name}:{label}") or entry.allow.get(name)
    STATS["calls"] += 1
    try:
        res = call_with_watchdog(fn, call.args, call.kwargs, timeout)
    except ParameterError as err:
        if name not in str(err):
            return [f"{where}: ParameterError does not name '{name}': {_msg(err)}"]
        return []
    except FileNotFoundError as err:
        if kind == "path":
            return []
        return [f"{where}: FileNotFoundError: {_msg(err)}"]
    except _Hang:
        return [f"{where}: no answer within {timeout:.0f} s (hang)"]
    except Exception as err:  # noqa: BLE001  (any other exception breaks the contract)
        return [f"{where}: {type(err).__module__}.{type(err).__name__}: {_msg(err)}"]
    finally:
        _cleanup()
    if kind == "answer" and type(res).__name__ == "CheckResult":
        return [] if not res else [f"{where}: marked a bad answer correct"]
    if must and not allowed:
        return [f"{where}: accepted (returned {type(res).__name__})"]
    bad = nonfinite(res)
    if bad and not entry.nonfinite:
        return [f"{where}: returned {bad}"]
    return []


# --------------------------------------------------------------------------------------
# The tests
# --------------------------------------------------------------------------------------
def test_every_public_callable_has_an_entry():
    covered = set()
    for key, entry in ct.TABLE.items():
        try:
            if entry.obj is None:
                covered.add(id(resolve_target(key, entry)))
        except (AttributeError, KeyError, ImportError):
            pytest.fail(f"table entry {key!r} names nothing public")
    missing = sorted(name for oid, (name, _) in public_callables().items() if oid not in covered)
    assert not missing, f"public callables without an entry in tests/contract_table.py: {missing}"


@pytest.mark.parametrize("key", sorted(k for k, e in ct.TABLE.items() if not e.skip))
def test_bad_input_contract(key):
    problems = run_entry(key, ct.TABLE[key])
    if problems:
        VIOLATIONS[key] = problems
    _write_report()
    assert not problems, "\n".join(problems)


def _write_report():
    path = os.environ.get("CONTRACT_REPORT")
    if not path:
        return
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    with open(path, "w") as fh:
        fh.write(
            f"# {STATS['callables']} callables, {STATS['calls']} calls, "
            f"{sum(map(len, VIOLATIONS.values()))} violations in {len(VIOLATIONS)} callables\n"
        )
        fh.writelines("\n".join(VIOLATIONS[key]) + "\n" for key in sorted(VIOLATIONS))


# --------------------------------------------------------------------------------------
# Property: random finite audio of any length and scale (hypothesis, derandomized)
# --------------------------------------------------------------------------------------


def _first_audio_arg(key):
    entry = ct.TABLE[key]
    if entry.skip or entry.obj is not None or not entry.args:
        return None
    fn = resolve_target(key, entry)
    try:
        first = next(iter(inspect.signature(fn).parameters))
    except (TypeError, ValueError, StopIteration):
        return None
    kind = entry.kinds.get(first, ct.KIND.get(first))
    return first if kind in ("audio", "mono") else None


AUDIO_KEYS = sorted(k for k in ct.TABLE if _first_audio_arg(k))


@settings(derandomize=True, deadline=None, max_examples=150, database=None, suppress_health_check=list(HealthCheck))
@given(
    key=st.sampled_from(AUDIO_KEYS),
    n=st.integers(1, 3000),
    scale=st.sampled_from([0.0, 1e-30, 1e-3, 1.0, 1e4, 1e30]),
    seed=st.integers(0, 2**16),
)
def test_random_audio_gives_a_finite_answer_or_a_parameter_error(key, n, scale, seed):
    entry = ct.TABLE[key]
    fn = resolve_target(key, entry)
    valid = ct.resolve(entry.args[0])
    shape = tuple(valid.shape[:-1]) + (n,)
    y = (scale * np.random.default_rng(seed).standard_normal(shape)).astype(np.float32)
    y = torch.from_numpy(y) if torch.is_tensor(valid) else y
    args = [y] + [ct.resolve(a) for a in entry.args[1:]]
    kwargs = {k: ct.resolve(v) for k, v in entry.kwargs.items()}
    try:
        res = call_with_watchdog(fn, args, kwargs, entry.timeout or 5.0)
    except ParameterError as err:  # y itself, or an argument that does not fit this y (frame_length > n, ...)
        params = inspect.signature(fn).parameters
        assert any(p in str(err) for p in params), f"{key}: ParameterError names no argument: {err}"
        return
    except _Hang:
        pytest.fail(f"{key}: no answer within {entry.timeout or 5.0:.0f} s for {n} samples at scale {scale}")
    finally:
        _cleanup()
    bad = nonfinite(res)
    assert not bad or entry.nonfinite, f"{key}: {n} samples at scale {scale} gave {bad}"


# --------------------------------------------------------------------------------------
# The reproductions of issue 15, one regression test each
# --------------------------------------------------------------------------------------
def _noise(n=4096, scale=0.1):
    return (scale * np.random.default_rng(0).standard_normal(n)).astype(np.float32)


def _raises(fn, name, seconds=10.0):
    """``fn()`` raises ParameterError naming ``name`` within ``seconds``."""
    with pytest.raises(ParameterError, match=name):
        call_with_watchdog(fn, (), {}, seconds)


def test_repro_01_beat_track_on_a_short_clip_returns_no_beats_quickly():
    import musynth_lab.features as F

    for n in (1, 100, 4096):  # shorter than one beat at any tempo the prior allows
        bpm, beats = call_with_watchdog(F.beat_track, (_noise(n),), {"sr": 22050}, 10.0)
        assert beats.size == 0 and math.isfinite(bpm), (n, bpm, beats)
    bpm, beats = call_with_watchdog(F.beat_track, (_noise(8192),), {"sr": 22050}, 10.0)
    assert math.isfinite(bpm) and bpm > 0
    assert math.isfinite(float(F.tempo(_noise(4096), sr=22050)))


def test_repro_01_melody_hmm_sample_is_bounded():
    hmm = ct._melody_hmm()
    _raises(lambda: hmm.sample(n_steps=1e30), "n_steps")
    _raises(lambda: hmm.sample(n_steps=float("nan")), "n_steps")
    assert hmm.sample(5).shape == (5,)


def test_repro_02_no_librosa_error_leaks():
    import musynth_lab.features as F

    y = _noise(22050)
    _raises(lambda: F.get_window(None), "window")
    _raises(lambda: F.cqt(y, sr=22050, filter_scale=0), "filter_scale")
    _raises(lambda: F.chroma_stft(y, sr=22050, tuning=np.nan), "tuning")
    _raises(lambda: F.melspectrogram(y, sr=22050, norm="nope"), "norm")


def test_repro_03_as_audio_refuses_strings():
    import musynth_lab as ml

    _raises(lambda: ml.audio.as_audio(["a", "b"]), "y")


def test_repro_04_sample_rates_are_checked():
    import musynth_lab.data as D
    import musynth_lab.synth as S
    from musynth_lab.attention import listen_to_kept

    y = _noise(8000)
    _raises(lambda: listen_to_kept(y, np.ones((129, 126)), sr=0, n_fft=256, hop_length=64), "sr")
    _raises(lambda: ct._chord_hmm().predict(ct.CHROMA(), sr=0, frames_per_beat=10), "sr")
    _raises(lambda: S.energy_decay_db(y, sr=0), "sr")
    _raises(lambda: D.load_excerpt(D.list_excerpts("test")[0], sr=np.nan), "sr")
    _raises(lambda: D.load_excerpt(D.list_excerpts("test")[0], sr="22050"), "sr")
    import musynth_lab as ml

    _raises(lambda: ml.load(ct.wav_path(), sr=np.nan), "sr")


def test_repro_05_one_huge_sample_never_gives_inf():
    import musynth_lab.features as F

    y = _noise(4096)
    y[100] = 1e30
    for fn, kw in [
        (F.rms, {}),
        (F.melspectrogram, {"sr": 22050}),
        (F.mfcc, {"sr": 22050}),
        (F.chroma_stft, {"sr": 22050}),
        (F.onset_strength, {"sr": 22050}),
        (F.spectral_centroid, {"sr": 22050}),
    ]:
        try:
            res = fn(y, **kw)
        except ParameterError as err:
            assert "y" in str(err)
            continue
        assert np.isfinite(np.asarray(res)).all(), fn.__name__


def test_repro_06_unit_conversions_refuse_nan_and_none():
    import musynth_lab as ml

    _raises(lambda: ml.hz_to_midi(None), "frequency_hz")
    _raises(lambda: ml.power_to_db(100.0, ref=np.nan, top_db=None), "ref")
    _raises(lambda: ml.amplitude_to_db(1.0, ref=0), "ref")
    _raises(lambda: ml.midi_to_hz(69, tuning_hz=0), "tuning_hz")
    assert ml.midi_to_hz(69) == 440.0


def test_repro_07_complex_input_is_refused():
    import musynth_lab.data as D
    import musynth_lab.features as F
    import musynth_lab.stats as st
    import musynth_lab.synth as S

    c = ct.CHROMA() + 0.5j
    _raises(lambda: F.delta(c), "data")
    _raises(lambda: F.global_variance(c), "features")
    _raises(lambda: st.template_scores(c), "chroma")
    _raises(lambda: D.notes_to_roll(ct.NOTES() + 0j), "notes")
    _raises(lambda: S.energy_decay_db(_noise(800) + 0.5j, sr=8000), "ir")


def test_repro_08_none_strings_and_nan_where_sequences_and_ints_are_expected():
    import musynth_lab.data as D
    import musynth_lab.generate as G
    from musynth_lab.stats import MelodyHMM
    from musynth_lab.stats.ngram import NGramModel

    _raises(lambda: MelodyHMM().fit(None), "sequences")
    _raises(lambda: D.melody_tokens(None), "piece")
    _raises(lambda: G.greedy(ct.markov, None, steps=3), "prompt")
    _raises(lambda: D.chord_index(np.nan, "maj"), "root")
    _raises(lambda: NGramModel(2, vocab_size=5).fit([[0.5, np.nan]]), "sequences")
    _raises(lambda: NGramModel(np.nan, vocab_size=5), "order")


def test_repro_09_stream_effects_validate_in_the_constructor():
    import musynth_lab.synth as S

    _raises(lambda: S.Biquad("nope", cutoff_hz=1000, sr=0), "kind|sr")
    _raises(lambda: S.Delay(delay_s=0.1, sr=-1), "sr")
    _raises(lambda: S.ConvolutionReverb(np.full(8, np.nan)), "ir")
    _raises(lambda: S.PolyStream(None, sr=16000), "voice")


def test_repro_10_graphic_eq_validates_before_its_fast_path():
    import musynth_lab.synth as S

    _raises(lambda: S.graphic_eq(None, gains_db=[0] * 10, sr=44100), "x")
    _raises(lambda: S.graphic_eq(np.full(64, np.nan, np.float32), gains_db=[0] * 10, sr=44100), "x")


def test_repro_11_plots_validate_arrays_and_sample_rates():
    import musynth_lab.plot as P

    _raises(lambda: P.waveform(np.full(100, np.nan), sr=8000), "y")
    _raises(lambda: P.waveform(_noise(100), sr=0), "sr")
    _raises(lambda: P.spectrogram(np.ones((5, 3)), sr=0, hop_length=1), "sr")


def test_repro_12_out_of_vocabulary_tokens():
    m = ct._ngram()
    _raises(lambda: m.nll_per_token([[0, 7]]), "sequences")
    _raises(lambda: m.next_log_probs([9]), "context")


def test_repro_13_save_errors_and_exercise_infinity(tmp_path):
    import musynth_lab as ml
    from musynth_lab.exercises import check_flute_pitch_class, check_largest_gap

    y = _noise(800)
    _raises(lambda: ml.save(tmp_path / "a.wav", y, sr=8000, subtype="NOPE"), "subtype")
    _raises(lambda: ml.save(tmp_path / "a.nope", y, sr=8000), "path")
    _raises(lambda: ml.save(tmp_path / "no" / "dir" / "a.wav", y, sr=8000), "path")
    assert not (tmp_path / "a.wav").exists()
    assert not check_flute_pitch_class(float("inf"))
    assert not check_largest_gap([{"size": 8, "gap": 1.4}], float("inf"))
