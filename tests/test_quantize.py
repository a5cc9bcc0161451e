"""Integer codes, scales and zero points identical to torchao 0.18's."""
import pytest
import torch

import xeon_kernels as xk
from xeon_kernels.reference import quantize_activation_torchao, quantize_weight_torchao
from conftest import DTYPES, PATHS, make_input


def awkward_rows(shape, dtype, seed):
    x = make_input(shape, dtype, seed, scale=3.0)
    x[0] = 0  # all-zero row: scale = eps, no division by zero
    if shape[0] > 2:
        x[1] = x[1].abs()  # no negative values: min_val_neg = 0
        x[2] = -x[2].abs() * 1e-3  # small, negative only
    return x


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("symmetric", [True, False])
@pytest.mark.parametrize("shape", [(1, 1), (3, 7), (17, 100), (300, 64), (5, 4096)])
def test_activation_codes_match_torchao(dtype, symmetric, shape):
    x = awkward_rows(shape, dtype, seed=shape[0] * 31 + shape[1])
    q, s, z = xk.quantize_per_token(x, symmetric)
    tq, ts, tz = quantize_activation_torchao(x, symmetric)
    assert q.dtype == torch.int8
    torch.testing.assert_close(s, ts.float(), rtol=0, atol=0)
    torch.testing.assert_close(z, tz.to(torch.int32).reshape(z.shape), rtol=0, atol=0)
    torch.testing.assert_close(q, tq, rtol=0, atol=0)


@pytest.mark.parametrize("dtype", DTYPES)
def test_activation_codes_match_torchao_3d_and_strided(dtype):
    x = make_input((2, 5, 96), dtype, 3).transpose(0, 1)  # non-contiguous 3-D
    q, s, z = xk.quantize_per_token(x, True)
    tq, ts, _ = quantize_activation_torchao(x.reshape(-1, 96), True)
    torch.testing.assert_close(q.reshape(-1, 96), tq, rtol=0, atol=0)
    torch.testing.assert_close(s.reshape(-1, 1), ts.float(), rtol=0, atol=0)
    assert q.shape == x.shape and s.shape == (5, 2, 1)


def test_uint8_range_matches_torchao():
    from torchao.quantization.quant_primitives import MappingType, choose_qparams_affine, quantize_affine
    x = awkward_rows((9, 33), torch.float32, 5)
    q, s, z = xk.quantize_per_token(x, False, 0, 255)
    ts, tz = choose_qparams_affine(x, MappingType.ASYMMETRIC, (1, 33), torch.uint8, 0, 255,
                                   eps=torch.finfo(torch.float32).eps, scale_dtype=torch.float32,
                                   zero_point_dtype=torch.int32, keepdim=True)
    tq = quantize_affine(x, (1, 33), ts, tz, torch.uint8, 0, 255)
    assert q.dtype == torch.uint8
    torch.testing.assert_close(q, tq, rtol=0, atol=0)
    torch.testing.assert_close(s, ts, rtol=0, atol=0)
    torch.testing.assert_close(z, tz, rtol=0, atol=0)


def test_nonfinite_rows_are_nan_and_isolated():
    x = make_input((4, 16), torch.float32, 1)
    x[1, 3] = float("nan")
    x[2, 0] = float("inf")
    q, s, z = xk.quantize_per_token(x, True)
    assert torch.isnan(s[1]).all() and torch.isnan(s[2]).all()
    tq, ts, _ = quantize_activation_torchao(x[[0, 3]], True)
    torch.testing.assert_close(q[[0, 3]], tq, rtol=0, atol=0)
    torch.testing.assert_close(s[[0, 3]], ts, rtol=0, atol=0)


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("symmetric,qmin,qmax", [(True, -128, 127), (True, -127, 127), (False, -128, 127),
                                                 (False, 0, 255)])
def test_every_path_quantizes_like_ref(path, dtype, symmetric, qmin, qmax):
    # Every path's quantizer (the vector ones: kernels/act_quant_simd.h, 16 elements a step) against the scalar
    # ref rows, bit for bit (ref itself is checked against torchao above). K = 100: six vector steps and a
    # 4-element scalar tail, so the cases below land in both parts.
    x = awkward_rows((17, 100), dtype, seed=11)
    x[3, 5] = float("inf")  # non-finite in the vector part, and in the tail
    x[4, 98] = float("nan")
    x[5, 40] = float("-inf")
    x[6] = -0.0  # negative zeros only: min / max must stay the +0 the scalar loop starts from
    x[7] = 0
    x[7, :6] = torch.tensor([127.5, 2.5, 3.5, -0.5, -1.5, 0.5])  # symmetric int8: scale 1, ties round to even
    x[8] = x[8].clamp(-1, 1)
    x[8, 97] = 50.0  # the row's max only in the tail
    x[9] = x[9].clamp(-1, 1)
    x[9, 40] = -30.0  # the row's min only in the vector part
    got = xk.quantize_per_token(x, symmetric, qmin, qmax, path=path)
    want = xk.quantize_per_token(x, symmetric, qmin, qmax, path="ref")
    for g, w, what in zip(got, want, ("codes", "scale", "zero point")):
        torch.testing.assert_close(g, w, rtol=0, atol=0, equal_nan=True, msg=lambda m: f"{path} {what}: {m}")
    assert torch.isnan(got[1][[3, 4, 5]]).all() and not torch.isnan(got[1][[0, 1, 2, 6, 7, 8, 9]]).any()
    if symmetric and qmin == -128:  # the tie row really ties: 2.5 -> 2, 3.5 -> 4, ...
        assert got[1][7].item() == 1.0 and got[0][7, 1:6].tolist() == [2, 4, 0, -2, 0]


@pytest.mark.parametrize("symmetric", [True, False])
def test_exported_activation_ranges_give_torchao_codes(symmetric):
    # xeon::info's per-token activation ranges (layouts.ACT_RANGES, which the Inductor rewrite passes to
    # xeon::quantize_per_token) against torchao's own DA8W8 and DA8W4 activation quantization
    from xeon_kernels.reference import quantize_activation_da8w4_torchao
    x = awkward_rows((9, 64), torch.float32, 21)
    for scheme, torchao in (("da8w8", quantize_activation_torchao), ("da8w4", quantize_activation_da8w4_torchao)):
        q, s, z = xk.quantize_per_token(x, symmetric, *xk.layouts.ACT_RANGES[scheme, symmetric])
        tq, ts, tz = torchao(x, symmetric)
        torch.testing.assert_close(q, tq, rtol=0, atol=0, msg=lambda m: f"{scheme}: {m}")
        torch.testing.assert_close(s, ts.float(), rtol=0, atol=0)
        torch.testing.assert_close(z, tz.to(torch.int32).reshape(z.shape), rtol=0, atol=0)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("scheme", ["da8w8", "a16w8"])
def test_weight_codes_and_scales_match_torchao(dtype, scheme):
    w = make_input((50, 200), dtype, 7, scale=0.05)
    w[3] = 0  # an all-zero channel
    p = xk.pack_weight(w, scheme)
    tq, ts = quantize_weight_torchao(w)
    torch.testing.assert_close(p.int_codes(), tq, rtol=0, atol=0)
    torch.testing.assert_close(p.scales(), ts, rtol=0, atol=0)
    if scheme == "da8w8":
        torch.testing.assert_close(p.compensation[:50], tq.sum(dim=1, dtype=torch.int32), rtol=0, atol=0)
        assert (p.compensation[50:] == 0).all()
