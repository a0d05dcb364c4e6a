"""musynth_lab.attention: scores, normalisation, selection, location/channel attention, listening."""

import itertools

import numpy as np
import pytest
import torch

import musynth_lab as ml
from musynth_lab import ParameterError
from musynth_lab import attention as A


# ---------------------------------------------------------------- normalisation and masks


@pytest.mark.parametrize("shape", [(7,), (3, 5), (2, 4, 6)])
def test_masked_softmax_sums_to_one_over_unmasked_and_zero_on_masked(shape, device):
    g = torch.Generator().manual_seed(0)
    s = (torch.randn(shape, generator=g) * 4).to(device)
    mask = (torch.rand(shape, generator=g) > 0.4).to(device)
    mask[..., 0] = True
    w = A.masked_softmax(s, mask)
    assert w.device.type == torch.device(device).type
    assert torch.all(w[~mask] == 0)
    assert torch.allclose(w.sum(-1), torch.ones(shape[:-1], device=device), atol=1e-6)
    # equals the softmax of the allowed scores alone
    flat_s, flat_m, flat_w = s.reshape(-1, shape[-1]), mask.reshape(-1, shape[-1]), w.reshape(-1, shape[-1])
    for row_s, row_m, row_w in zip(flat_s, flat_m, flat_w):
        assert torch.allclose(row_w[row_m], torch.softmax(row_s[row_m], 0), atol=1e-6)


def test_fully_masked_row_gives_zeros_not_nan():
    w = A.masked_softmax(np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([[False, False], [True, True]]))
    assert isinstance(w, np.ndarray)
    assert w[0].tolist() == [0.0, 0.0] and abs(w[1].sum() - 1) < 1e-6


def test_softmax_is_shift_invariant_and_numerically_stable():
    s = np.array([1000.0, 1001.0, 999.0])
    np.testing.assert_allclose(A.masked_softmax(s), A.masked_softmax(s - 1000.0), atol=1e-7)


@pytest.mark.parametrize("method", ["softmax", "sigmoid", "max", "minmax"])
def test_normalised_weights_lie_in_unit_interval_and_masked_are_zero(method):
    rng = np.random.default_rng(1)
    s = np.abs(rng.normal(size=(4, 9))) * 5
    mask = rng.random((4, 9)) > 0.3
    mask[:, 0] = True
    w = A.normalise_scores(s, method, mask=mask)
    assert w.min() >= 0 and w.max() <= 1 + 1e-6
    assert np.all(w[~mask] == 0)
    if method in ("max", "minmax"):
        np.testing.assert_allclose(np.where(mask, w, 0).max(axis=1), 1.0, atol=1e-6)


def test_threshold_means_something_only_after_normalising():
    """Scaling raw scores changes what 0.5 keeps; after 'max' normalisation it does not."""
    s = np.array([0.1, 0.3, 0.35, 0.45, 0.2])
    kept_raw = [
        int(
            A.hard_select(
                s * c,
                0.5,
            ).sum()
        )
        for c in (1.0, 2.0)
    ]
    assert kept_raw == [0, 3]  # same ranking, different selection
    kept_norm = [A.hard_select(A.normalise_scores(s * c, "max"), 0.5).tolist() for c in (1.0, 2.0, 7.0)]
    assert kept_norm[0] == kept_norm[1] == kept_norm[2] == [False, True, True, True, False]


def test_sigmoid_gate_half_at_zero_logit():
    assert A.sigmoid_gate(np.array([0.0]))[0] == pytest.approx(0.5)


# ---------------------------------------------------------------- hard selection, top-k


@pytest.mark.parametrize("threshold", [0.0, 0.25, 0.5, 0.77, 1.0])
def test_hard_select_keeps_exactly_cells_above_threshold(threshold, device):
    w = torch.rand(3, 16, 20, generator=torch.Generator().manual_seed(2)).to(device)
    w[0, 0, 0] = threshold  # exactly at the threshold: dropped (strictly above)
    keep = A.hard_select(w, threshold)
    assert keep.dtype == torch.bool and keep.shape == w.shape
    assert torch.equal(keep, w > threshold)
    assert not bool(keep[0, 0, 0])


def test_hard_select_respects_mask():
    w = np.array([0.9, 0.8, 0.1])
    assert A.hard_select(w, mask=np.array([True, False, True])).tolist() == [True, False, False]


@pytest.mark.parametrize("k", [1, 3, 5])
def test_top_k_keeps_the_k_largest(k):
    s = np.array([0.3, 0.9, 0.1, 0.5, 0.7])
    keep = A.top_k_select(s, k)
    assert keep.sum() == k
    assert set(np.flatnonzero(keep)) == set(np.argsort(-s)[:k])


def test_top_k_never_keeps_masked():
    keep = A.top_k_select(np.array([5.0, 4.0, 3.0]), 2, mask=np.array([False, True, True]))
    assert keep.tolist() == [False, True, True]


@pytest.mark.parametrize("threshold", [-0.1, 1.01, 2, float("nan"), "0.5", True])
def test_threshold_outside_unit_interval_raises(threshold):
    with pytest.raises(ParameterError, match="threshold"):
        A.hard_select(np.array([0.2, 0.8]), threshold)


# ---------------------------------------------------------------- scores


def test_source_relu_form_equals_formula_on_hand_computed_values():
    # e = ReLU(alpha . x_n + beta . v_m)
    x = np.array([[2.0, 1.0], [0.0, 3.0], [1.0, -1.0]])  # 3 encoder positions, d_enc = 2
    v = np.array([[1.0, 0.0], [0.0, 2.0]])  # 2 decoder steps, d_dec = 2
    alpha, beta = [0.5, -1.0], [0.3, -0.4]
    # alpha.x = [0.0, -3.0, 1.5]; beta.v = [0.3, -0.8]
    expected = np.array([[0.3, 0.0, 1.8], [0.0, 0.0, 0.7]])
    np.testing.assert_allclose(A.source_scores(x, v, alpha=alpha, beta=beta), expected, atol=1e-6)
    # the module computes the same with the same parameters
    mod = A.SourceScore(2, 2)
    with torch.no_grad():
        mod.alpha.copy_(torch.tensor(alpha))
        mod.beta.copy_(torch.tensor(beta))
    out = mod(torch.tensor(x, dtype=torch.float32), torch.tensor(v, dtype=torch.float32))
    np.testing.assert_allclose(out.detach().numpy(), expected, atol=1e-6)


def test_source_form_decoder_term_cannot_reorder_positions_before_relu():
    """With scalar alpha.x + beta.v, the decoder only shifts every score: the arg-max never changes."""
    rng = np.random.default_rng(3)
    x, v = rng.normal(size=(6, 4)), rng.normal(size=(5, 3))
    e = A.source_scores(x, v, alpha=rng.normal(size=4), beta=rng.normal(size=3), activation="identity")
    assert len(set(e.argmax(axis=1).tolist())) == 1


def test_additive_scores_match_bahdanau_formula():
    rng = np.random.default_rng(4)
    q, k = rng.normal(size=(2, 3)), rng.normal(size=(5, 4))
    wq, wk, v = rng.normal(size=(6, 3)), rng.normal(size=(6, 4)), rng.normal(size=6)
    e = A.additive_scores(q, k, w_query=wq, w_key=wk, v=v)
    expected = np.array([[v @ np.tanh(wq @ qi + wk @ kj) for kj in k] for qi in q])
    np.testing.assert_allclose(e, expected, rtol=1e-5, atol=1e-6)


def test_scaled_dot_product_matches_torch(device):
    g = torch.Generator().manual_seed(5)
    q, k, v = (torch.randn(2, 3, 5, 8, generator=g).to(device) for _ in range(3))
    mask = torch.rand(2, 3, 5, 5, generator=g).to(device) > 0.3
    mask[..., 0] = True
    out, w = A.scaled_dot_product_attention(q, k, v, mask=mask)
    ref = torch.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=mask)
    assert torch.allclose(out, ref, atol=1e-5)
    assert torch.all(w[~mask] == 0)


def test_multihead_matches_torch_multihead(device):
    torch.manual_seed(6)
    ref = torch.nn.MultiheadAttention(16, 4, batch_first=True).to(device).eval()
    ours = A.MultiHeadAttention(16, 4).to(device).load_from_torch(ref).eval()
    x = torch.randn(3, 7, 16, device=device)
    y = torch.randn(3, 9, 16, device=device)
    allowed = torch.rand(3, 7, 9, device=device) > 0.3
    allowed[..., 0] = True
    out, w = ours(x, y, y, mask=allowed)
    ref_out, ref_w = ref(x, y, y, attn_mask=(~allowed).repeat_interleave(4, 0), average_attn_weights=False)
    assert torch.allclose(out, ref_out, atol=1e-5)
    assert torch.allclose(w, ref_w, atol=1e-5)


def test_self_attention_is_permutation_equivariant_without_positions():
    torch.manual_seed(7)
    mha = A.MultiHeadAttention(8, 2).eval()
    x = torch.randn(1, 6, 8)
    perm = torch.tensor([3, 0, 5, 1, 4, 2])
    out, _ = mha(x, x, x)
    out_p, _ = mha(x[:, perm], x[:, perm], x[:, perm])
    assert torch.allclose(out_p, out[:, perm], atol=1e-5)
    # adding a positional encoding breaks it (the point of positional encodings)
    pe = A.sinusoidal_encoding(6, 8)[None]
    xp = x + pe
    out2, _ = mha(xp, xp, xp)
    xq = x[:, perm] + pe
    out2_p, _ = mha(xq, xq, xq)
    assert not torch.allclose(out2_p, out2[:, perm], atol=1e-3)


def test_token_attention_pooling_is_permutation_invariant_and_masked():
    torch.manual_seed(8)
    att = A.TokenAttention(5).eval()
    x = torch.randn(2, 6, 5)
    mask = torch.tensor([[1, 1, 1, 1, 0, 0], [1, 1, 1, 1, 1, 1]], dtype=torch.bool)
    pooled, w = att(x, mask)
    perm = torch.tensor([2, 0, 1, 3, 4, 5])
    pooled_p, w_p = att(x[:, perm], mask[:, perm])
    assert torch.allclose(pooled, pooled_p, atol=1e-6)
    assert torch.all(w[0, 4:] == 0) and torch.allclose(w.sum(-1), torch.ones(2))
    # masked tokens do not influence the result at all
    x2 = x.clone()
    x2[0, 4:] = 100.0
    assert torch.allclose(att(x2, mask)[0][0], pooled[0], atol=1e-6)


# ---------------------------------------------------------------- location attention


def test_video_location_scores_exactly_as_the_source_writes():
    rng = np.random.default_rng(9)
    T, H, W, C, D = 3, 4, 5, 2, 6
    X, V = rng.normal(size=(T, H, W, C)), rng.normal(size=(T, D))
    alpha, beta = rng.normal(size=C), rng.normal(size=D)
    e = A.video_location_scores(X, V, alpha=alpha, beta=beta)
    for t, h, w in itertools.product(range(T), range(H), range(W)):
        assert e[t, h, w] == pytest.approx(max(0.0, alpha @ X[t, h, w] + beta @ V[t]), abs=1e-5)


def test_video_location_attention_weights_sum_to_one_per_frame_and_mask(device):
    torch.manual_seed(10)
    att = A.VideoLocationAttention(3, 4).to(device)
    X, V = torch.randn(2, 5, 4, 6, 3, device=device), torch.randn(2, 5, 4, device=device)
    mask = torch.ones(2, 5, 4, 6, dtype=torch.bool, device=device)
    mask[:, :, :, :2] = False
    ctx, w = att(X, V, mask)
    assert torch.allclose(w.sum((-1, -2)), torch.ones(2, 5, device=device), atol=1e-6)
    assert torch.all(w[..., :2] == 0)
    assert torch.allclose(ctx, torch.einsum("bthw,bthwc->btc", w, X), atol=1e-5)


def test_location_attention_on_a_time_frequency_map(device):
    torch.manual_seed(11)
    att = A.LocationAttention(8).to(device)
    x = torch.randn(3, 8, 6, 10, device=device)
    pooled, w = att(x)
    assert w.shape == (3, 6, 10)
    assert torch.allclose(w.sum((1, 2)), torch.ones(3, device=device), atol=1e-6)
    assert torch.allclose(pooled, (w[:, None] * x).sum((2, 3)), atol=1e-5)
    mask = torch.zeros(3, 6, 10, dtype=torch.bool, device=device)
    mask[:, 2:4, 5:] = True
    _, wm = att(x, mask=mask)
    assert torch.all(wm[~mask] == 0)


def test_location_attention_learns_where_the_signal_is():
    """A map whose class is set by one hidden cell: location attention finds that cell."""
    ml.seed_everything(0)
    n, C, F, T = 256, 4, 5, 6
    x = torch.randn(n, C, F, T) * 0.3
    y = torch.randint(0, 2, (n,))
    x[:, 0, 3, 4] += (2 * y - 1).float() * 2.0
    att = A.LocationAttention(C, d_hidden=16)
    net = torch.nn.Module()
    net.att, net.head = att, torch.nn.Linear(C, 2)
    net.forward = lambda z: net.head(net.att(z)[0])
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # a tiny model: one thread is faster
    try:
        ml.models.fit(net, (x, y), epochs=60, lr=1e-2, batch_size=64, progress=False, device="cpu")
    finally:
        torch.set_num_threads(threads)
    with torch.no_grad():
        _, w = att(x)
    peak = np.unravel_index(int(w.mean(0).argmax()), (F, T))
    assert tuple(int(i) for i in peak) == (3, 4)


# ---------------------------------------------------------------- channel attention (SE, CBAM)


def test_squeeze_excitation_gates_channels_and_is_equivariant_over_positions(device):
    torch.manual_seed(12)
    se = A.SqueezeExcitation(8).to(device)
    x = torch.randn(2, 8, 5, 7, device=device)
    out, g = se(x)
    assert g.shape == (2, 8) and bool(((g > 0) & (g < 1)).all())
    assert torch.allclose(out, x * g[:, :, None, None])
    perm = torch.randperm(35, generator=torch.Generator().manual_seed(0))
    xp = x.flatten(2)[:, :, perm].reshape(x.shape)
    out_p, g_p = se(xp)
    assert torch.allclose(g_p, g, atol=1e-6)
    assert torch.allclose(out_p, out.flatten(2)[:, :, perm].reshape(x.shape), atol=1e-6)


def test_cbam_channel_then_spatial_gates(device):
    torch.manual_seed(13)
    cbam = A.CBAM(8, kernel_size=3).to(device)
    x = torch.randn(2, 8, 6, 10, device=device)
    out, cg, sg = cbam(x)
    assert cg.shape == (2, 8) and sg.shape == (2, 6, 10)
    assert torch.allclose(out, x * cg[:, :, None, None] * sg[:, None], atol=1e-6)


# ---------------------------------------------------------------- positional encodings


def test_sinusoidal_encoding_formula_and_relative_property():
    P = A.sinusoidal_encoding(40, 16).double()
    p, i = 7, 3
    assert float(P[p, 2 * i]) == pytest.approx(np.sin(p / 10000 ** (2 * i / 16)), abs=1e-6)
    assert float(P[p, 2 * i + 1]) == pytest.approx(np.cos(p / 10000 ** (2 * i / 16)), abs=1e-6)
    dots = [float(P[a] @ P[a + 5]) for a in range(0, 30, 4)]
    assert max(dots) - min(dots) < 1e-4  # depends on the offset only


def test_grid_encoding_rows_and_columns():
    G = A.grid_encoding(4, 6, 8)
    assert torch.equal(G[:4, 1, 0], G[:4, 1, 5])  # row part constant along time
    assert torch.equal(G[4:, 0, 2], G[4:, 3, 2])  # column part constant along frequency


# ---------------------------------------------------------------- listening


def test_listen_to_kept_keeps_only_the_kept_band():
    sr, n = 16000, 16000
    t = np.arange(n) / sr
    y = (0.5 * np.sin(2 * np.pi * 300 * t) + 0.5 * np.sin(2 * np.pi * 3000 * t)).astype(np.float32)
    n_fft, hop = 512, 128
    freqs = np.fft.rfftfreq(n_fft, 1 / sr)
    keep = np.zeros((len(freqs), 1 + n // hop), dtype=bool)
    keep[freqs > 1500] = True
    high = A.listen_to_kept(y, keep, sr=sr, n_fft=n_fft, hop_length=hop)
    low = A.listen_to_kept(y, keep, sr=sr, n_fft=n_fft, hop_length=hop, invert=True)
    spec = lambda z: np.abs(np.fft.rfft(z * np.hanning(n)))
    f = np.fft.rfftfreq(n, 1 / sr)
    assert f[np.argmax(spec(high))] == pytest.approx(3000, abs=2)
    assert f[np.argmax(spec(low))] == pytest.approx(300, abs=2)
    assert spec(high)[np.argmin(np.abs(f - 300))] < 1e-3 * spec(high).max()
    np.testing.assert_allclose(high + low, y, atol=1e-4)  # kept + dropped = whole


def test_listen_to_kept_on_mel_grid_and_in_time():
    sr, n, hop = 16000, 16000, 256
    y = np.sin(2 * np.pi * 440 * np.arange(n) / sr).astype(np.float32)
    keep = np.zeros((32, 1 + n // hop), dtype=bool)
    keep[:, :20] = True  # the first 20 frames only
    out = A.listen_to_kept(y, keep, sr=sr, n_fft=1024, hop_length=hop, grid="mel")
    first, last = np.abs(out[: 15 * hop]).max(), np.abs(out[30 * hop :]).max()
    assert first > 0.9 and last < 1e-3


def test_kept_notes_and_render_only_kept():
    notes = np.array([[0, 1, 60], [1, 1, 64], [2, 2, 67]])
    keep = np.array([False, True, False, False])
    assert A.kept_notes(notes, keep, step=1.0).tolist() == [False, True, False]
    y = A.render_notes(notes[A.kept_notes(notes, keep, step=1.0)], sr=8000, bpm=60)
    spec = np.abs(np.fft.rfft(y))
    assert np.fft.rfftfreq(len(y), 1 / 8000)[np.argmax(spec)] == pytest.approx(ml.midi_to_hz(64), abs=2)


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "call",
    [
        lambda: A.source_scores(np.ones((3, 2)), np.ones((1, 4)), alpha=[1.0, 2.0, 3.0], beta=np.ones(4)),
        lambda: A.source_scores(np.ones((3, 2)), np.ones((1, 4)), alpha=[1.0, 2.0], beta=np.ones(3)),
        lambda: A.dot_product_scores(np.ones((2, 3)), np.ones((4, 5))),
        lambda: A.additive_scores(np.ones((2, 3)), np.ones((4, 5)), w_query=np.ones((6, 3)), w_key=np.ones((6, 4)), v=np.ones(6)),
        lambda: A.video_location_scores(np.ones((2, 3, 4, 5)), np.ones((2, 6)), alpha=np.ones(4), beta=np.ones(6)),
        lambda: A.video_location_scores(np.ones((2, 3, 4, 5)), np.ones((3, 6)), alpha=np.ones(5), beta=np.ones(6)),
        lambda: A.MultiHeadAttention(16, 4)(torch.ones(1, 3, 16), torch.ones(1, 3, 8), torch.ones(1, 3, 8)),
        lambda: A.LocationAttention(8)(torch.ones(1, 4, 5, 6)),
        lambda: A.TokenAttention(6)(torch.ones(1, 5, 7)),
        lambda: A.SqueezeExcitation(8)(torch.ones(2, 4, 3)),
        lambda: A.attend(np.ones((2, 3)), np.ones((4, 5))),
    ],
)
def test_mismatched_dimensions_raise(call):
    with pytest.raises(ParameterError):
        call()


@pytest.mark.parametrize(
    "mask", [np.ones(4, dtype=bool), np.ones((2, 5), dtype=bool), np.ones((2, 4, 1), dtype=bool), np.ones((3, 4), dtype=bool)]
)
def test_wrong_mask_shape_raises(mask):
    with pytest.raises(ParameterError, match="mask"):
        A.masked_softmax(np.zeros((2, 4)), mask)


def test_wrong_mask_shape_raises_in_modules():
    with pytest.raises(ParameterError, match="mask"):
        A.TokenAttention(4)(torch.ones(2, 5, 4), torch.ones(2, 6, dtype=torch.bool))
    with pytest.raises(ParameterError, match="mask"):
        A.hard_select(np.ones(5), 0.5, mask=np.ones(4, dtype=bool))


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda: A.normalise_scores(np.ones(3), "l2"), "method"),
        (lambda: A.normalise_scores(np.array([-1.0, 1.0]), "max"), "scores"),
        (lambda: A.masked_softmax(np.array([np.nan, 1.0])), "scores"),
        (lambda: A.top_k_select(np.ones(3), 4), "k"),
        (lambda: A.sinusoidal_encoding(10, 7), "dim"),
        (lambda: A.source_scores(np.ones((2, 2)), np.ones((1, 1)), alpha=[1, 1], beta=[1], activation="gelu"), "activation"),
        (lambda: A.listen_to_kept(np.zeros(1000, dtype=np.float32), np.ones((10, 3)), sr=8000, n_fft=256, hop_length=64), "keep"),
        (lambda: A.MultiHeadAttention(10, 3), "n_heads"),
    ],
)
def test_bad_arguments_name_themselves(call, name):
    with pytest.raises(ParameterError, match=name):
        call()


def test_numpy_in_numpy_out_tensor_in_tensor_out():
    s = np.array([1.0, 2.0])
    assert isinstance(A.masked_softmax(s), np.ndarray)
    assert isinstance(A.masked_softmax(torch.tensor(s)), torch.Tensor)
    assert isinstance(A.hard_select(s / 2), np.ndarray)
