"""DA8W8 and A16W8: every path against the reference and against torchao's own flows."""
import pytest
import torch

import xeon_kernels as xk
from conftest import (DTYPES, FP32_U, SUBNORMAL_STEP, UNIT_ROUNDOFF, a16_magnitude,
                      assert_a16_close_to_reference, assert_within, assert_every_path_matches_ref, make_input,
                      torchao_quantized_linear)
from xeon_kernels.reference import quantize_activation_torchao

SCHEMES = ["da8w8", "a16w8"]
# (M, K, N): M = 0, 1, 3, 17, 300; K and N off the 64 / 16 block sizes (3-D inputs: test_driver_blocking.py).
SHAPES = [(0, 64, 16), (1, 1, 1), (3, 65, 17), (17, 100, 50), (300, 130, 33), (4, 64, 64)]


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("with_bias", [False, True])
def test_every_path_equals_ref_path(scheme, dtype, shape, with_bias):
    # All paths use one epilogue expression and sum integers exactly (da8w8) or run one FMA chain per
    # output in k order (a16w8), so they must agree bit for bit; the AMX-BF16 kernels (bf16 a16w8 on the
    # amx paths) sum in tile order and are held to the reference's error bound instead.
    M, K, N = shape
    w = make_input((N, K), torch.float32, 1, 0.1)
    x = make_input((M, K), dtype, 2)
    bias = make_input((N,), dtype, 3) if with_bias else None
    for sym in ([True, False] if scheme == "da8w8" else [None]):
        ref = assert_every_path_matches_ref(x, w, xk.pack_weight(w, scheme, act_symmetric=sym), bias)
        assert ref.shape == (M, N) and ref.dtype == dtype


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("act_symmetric", [True, False])
def test_da8w8_equals_reference_linear(dtype, act_symmetric, path):
    # reference_linear quantizes with torchao's primitives, sums exactly in float64 and scales in fp32 in
    # the kernels' order: the results must be identical.
    w = make_input((33, 130), dtype, 4, 0.1)
    x = make_input((2, 9, 130), dtype, 5)  # 3-D
    bias = make_input((33,), dtype, 6)
    p = xk.pack_weight(w, "da8w8", act_symmetric=act_symmetric)
    y = xk.linear(x, p, bias)
    assert y.shape == (2, 9, 33)
    torch.testing.assert_close(y, xk.reference_linear(x, w, "da8w8", bias, act_symmetric), rtol=0, atol=0)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("K", [300, 320])  # 320: a multiple of 32, the AMX-BF16 kernels' case for bf16
def test_a16w8_close_to_reference_linear(dtype, K, path):
    w = make_input((33, K), dtype, 4, 0.1)
    x = make_input((17, K), dtype, 5)
    p = xk.pack_weight(w, "a16w8")
    assert_a16_close_to_reference(xk.linear(x, p), x, w, p, None, bf16_weights=False)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("act_symmetric", [True, False])
def test_da8w8_matches_torchao_config(dtype, act_symmetric, path):
    from torchao.quantization import Int8DynamicActivationInt8WeightConfig
    from torchao.quantization.quant_primitives import MappingType
    N, K, M = 48, 160, 17
    w = make_input((N, K), dtype, 8, 0.1)
    x = make_input((M, K), dtype, 9)
    bias = make_input((N,), dtype, 10)
    mapping = MappingType.SYMMETRIC if act_symmetric else MappingType.ASYMMETRIC
    lin = torchao_quantized_linear(Int8DynamicActivationInt8WeightConfig(act_mapping_type=mapping), w, bias)
    p = xk.pack_weight(w, "da8w8", act_symmetric=act_symmetric)
    # same integer codes and scales as torchao's quantized weight
    torch.testing.assert_close(p.int_codes(), lin.weight.qdata, rtol=0, atol=0)
    torch.testing.assert_close(p.scales(), lin.weight.scale.reshape(-1).float(), rtol=0, atol=0)
    y_ao = lin(x)
    y = xk.linear(x, p, bias)
    # Error budget. Integer sums are exact in both. torchao rounds (acc * sa) to dtype, for asymmetric
    # activations also rounds zp * sa * w_sum and the difference to dtype, then multiplies by sw in fp32, adds
    # the bias and rounds: at most 3 roundings of magnitude <= mag plus one of |y| <= mag + |b|. We round
    # once (u (mag + |b|)). mag = sum_k (|a| + |zp|) |w| sa sw bounds every intermediate; fp32 steps add a few u32.
    a, sa, zp = quantize_activation_torchao(x, act_symmetric)
    mag = ((a.double().abs() + zp.double().abs()) @ p.int_codes().double().abs().t()) * sa.double() \
        * p.scales().double()
    b = bias.double().abs()
    u = UNIT_ROUNDOFF[dtype]
    tol = u * (5 * mag + 2 * b) + 8 * FP32_U * (mag + b) + SUBNORMAL_STEP[dtype]
    assert_within(y, y_ao, tol, "da8w8 vs torchao")


@pytest.mark.parametrize("dtype", DTYPES)
def test_a16w8_matches_torchao_config(dtype, path):
    from torchao.quantization import Int8WeightOnlyConfig
    N, K, M = 40, 96, 5
    w = make_input((N, K), dtype, 11, 0.1)
    x = make_input((1, M, K), dtype, 12)
    bias = make_input((N,), dtype, 13)
    lin = torchao_quantized_linear(Int8WeightOnlyConfig(), w, bias)
    p = xk.pack_weight(w, "a16w8")
    torch.testing.assert_close(p.int_codes(), lin.weight.qdata, rtol=0, atol=0)
    y_ao = lin(x)
    y = xk.linear(x, p, bias)
    # torchao: mm in dtype (fp32 accumulation inside, one rounding), scale rounded to dtype, product rounded,
    # bias add rounded, final cast: 4 roundings of <= mag + |b|; ours: one rounding. mag = sum|x w| s. Each
    # side also sums K terms in fp32 (gamma_K < 1.01 K u32, Higham Thm 3.1) and multiplies by the scale.
    mag = a16_magnitude(x, p).view(M, N)
    gamma = (1.01 * K + 2) * FP32_U * mag
    b = bias.double().abs()
    u = UNIT_ROUNDOFF[dtype]
    tol = 2 * gamma + u * 5 * (mag + b) + SUBNORMAL_STEP[dtype]
    assert_within(y.reshape(M, N), y_ao.reshape(M, N), tol, "a16w8 vs torchao")


def test_nan_row_propagates_other_rows_unaffected(path):
    w = make_input((20, 64), torch.float32, 14, 0.1)
    x = make_input((4, 64), torch.float32, 15)
    for scheme in ["da8w8", "a16w8", "da8w4", "a16w4"]:
        p = xk.pack_weight(w, scheme, 32 if scheme.endswith("w4") else None)
        clean = xk.linear(x, p)
        bad = x.clone()
        bad[1, 5] = float("nan")
        bad[2, 7] = float("inf")
        y = xk.linear(bad, p)
        assert torch.isnan(y[1]).all(), scheme
        assert (~torch.isfinite(y[2])).all(), scheme
        torch.testing.assert_close(y[[0, 3]], clean[[0, 3]], rtol=0, atol=0)


def test_zero_rows_give_bias(path):
    w = make_input((20, 64), torch.float32, 16, 0.1)
    bias = make_input((20,), torch.float32, 17)
    x = torch.zeros(3, 64)
    for scheme in ["da8w8", "a16w8", "da8w4", "a16w4"]:
        for sym in ((True, False) if scheme.startswith("da") else (None,)):
            y = xk.linear(x, xk.pack_weight(w, scheme, 32 if scheme.endswith("w4") else None, act_symmetric=sym),
                          bias)
            torch.testing.assert_close(y, bias.expand(3, 20), rtol=0, atol=0)


def test_strided_input_is_handled(path):
    w = make_input((24, 96), torch.float32, 18, 0.1)
    x = make_input((96, 6), torch.bfloat16, 19).t()  # non-contiguous view
    for scheme in ["da8w8", "a16w8", "da8w4", "a16w4"]:
        p = xk.pack_weight(w, scheme, 32 if scheme.endswith("w4") else None)
        torch.testing.assert_close(xk.linear(x, p), xk.linear(x.contiguous(), p), rtol=0, atol=0)
