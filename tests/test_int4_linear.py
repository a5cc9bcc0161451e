"""DA8W4 and A16W4: every path against the ref path, the reference and torchao's flows."""
import os
import subprocess
import sys

import pytest
import torch

import xeon_kernels as xk
from conftest import (DTYPES, FP32_U, SUBNORMAL_STEP, UNIT_ROUNDOFF, a16_magnitude,
                      assert_a16_close_to_reference, assert_within, assert_every_path_matches_ref, inexact_kernel_used,
                      make_input, torchao_quantized_linear)
from xeon_kernels.reference import (quantize_activation_da8w4_torchao, quantize_weight_int4_torchao)

SCHEMES = ["da8w4", "a16w4"]
# (M, K, N, group): M = 0, 1, 3, 17, 300; N off the 32-channel block; every group size; N = 80: three int4
# blocks, so that kernels taking two per call (the AVX-512 decode kernel) also run one at the last columns.
SHAPES = [(0, 64, 32, 32), (1, 32, 1, 32), (3, 128, 33, 64), (17, 256, 50, 128), (300, 256, 64, 256),
          (5, 96, 40, 32), (6, 64, 80, 32)]


def da8w4_magnitude(x2d, w, group, act_symmetric):
    """sa * sum_g s_g (acc_g + zw_g asum_g + c |comp_g|), from the kernels' uncentered integer sums (u8 codes
    a_u8, acc_g = sum a_u8 w, asum_g = sum a_u8, comp_g = sum (w - zw), c = the u8 value meaning 0): bounds
    every fp32 intermediate of their DA8W4 arithmetic (gemm_args.h)."""
    n = w.shape[0]
    codes, scale, zero = quantize_weight_int4_torchao(w, "da8w4", group)
    a, sa, za = quantize_activation_da8w4_torchao(x2d, act_symmetric)
    shift = 128 if act_symmetric else 0
    a_u8 = (a.double() + shift).view(x2d.shape[0], -1, group)
    c = za.double() + shift
    wg = codes.double().view(n, -1, group)
    acc = torch.einsum("mgk,ngk->mng", a_u8, wg)
    asum = a_u8.sum(-1)[:, None, :]
    comp = (wg - zero.double()[..., None]).sum(-1)[None]
    s = scale.double()[None]
    return (s * (acc + zero.double()[None] * asum + c[..., None] * comp.abs())).sum(-1) * sa.double()


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("with_bias", [False, True])
def test_every_path_equals_ref_path(scheme, dtype, shape, with_bias):
    # Exact integer group sums and one fp32 FMA chain per output, in the same order, on every path; the
    # AMX-BF16 kernels (bf16 a16w4 on the amx paths) are held to the reference's error bound instead.
    M, K, N, group = shape
    w = make_input((N, K), dtype, 1, 0.1)
    x = make_input((M, K), dtype, 2)
    bias = make_input((N,), dtype, 3) if with_bias else None
    for sym in ([True, False] if scheme == "da8w4" else [None]):
        ref = assert_every_path_matches_ref(x, w, xk.pack_weight(w, scheme, group, act_symmetric=sym), bias)
        assert ref.shape == (M, N) and ref.dtype == dtype


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("group", [32, 64, 128, 256])
def test_weight_codes_scales_zeros_match_torchao(scheme, dtype, group):
    w = make_input((40, 512), dtype, 4, 0.05)
    w[2] = 0  # all-zero channel: scale = eps
    w[3, :group] = w[3, :group].abs()  # a group with no negative values
    p = xk.pack_weight(w, scheme, group)
    codes, scale, zero = quantize_weight_int4_torchao(w, scheme, group)
    torch.testing.assert_close(p.int_codes(), codes, rtol=0, atol=0)
    torch.testing.assert_close(p.scales(), scale.float(), rtol=0, atol=0)
    if scheme == "da8w4":
        torch.testing.assert_close(p.zero_points(), zero.to(torch.int32), rtol=0, atol=0)
    else:
        torch.testing.assert_close(p.zero_points(), zero.float(), rtol=0, atol=0)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("symmetric", [True, False])
def test_da8w4_activation_codes_match_torchao(dtype, symmetric):
    x = make_input((17, 96), dtype, 5, 2.0)
    x[0] = 0
    qmin, qmax = (-127, 127) if symmetric else (0, 255)
    q, s, z = xk.quantize_per_token(x, symmetric, qmin, qmax)
    tq, ts, tz = quantize_activation_da8w4_torchao(x, symmetric)
    torch.testing.assert_close(q, tq, rtol=0, atol=0)
    torch.testing.assert_close(s, ts, rtol=0, atol=0)
    torch.testing.assert_close(z, tz.to(torch.int32), rtol=0, atol=0)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("act_symmetric", [True, False])
def test_da8w4_close_to_reference(dtype, act_symmetric, path):
    group, K, N = 64, 256, 48
    w = make_input((N, K), dtype, 6, 0.1)
    x = make_input((2, 5, K), dtype, 7)  # 3-D
    bias = make_input((N,), dtype, 8)
    y = xk.linear(x, xk.pack_weight(w, "da8w4", group, act_symmetric), bias)
    ref = xk.reference_linear(x, w, "da8w4", bias, act_symmetric, group)
    assert y.shape == (2, 5, N)
    # ours: per group two fp32 FMAs and the s * zw product, the s3 chain, c * s3, the difference, the row
    # scale and the bias add: at most 3 G + 6 roundings, each relative to a value <= mag (the uncentered
    # magnitude); the reference is exact, then one fp32 rounding of the sum and one of the bias add. Both
    # round to dtype: |round(a) - round(b)| <= |a - b| + u(|a| + |b|).
    mag = da8w4_magnitude(x.reshape(-1, K), w, group, act_symmetric).view(2, 5, N) + bias.double().abs()
    gamma = (3 * (K // group) + 8) * FP32_U * mag
    u = UNIT_ROUNDOFF[dtype]
    tol = gamma + u * (2 * ref.double().abs() + gamma) + SUBNORMAL_STEP[dtype]
    assert_within(y, ref, tol, "da8w4 vs reference_linear")


@pytest.mark.parametrize("dtype", DTYPES)
def test_a16w4_close_to_reference(dtype, path):
    group, K, N = 32, 192, 40
    w = make_input((N, K), dtype, 9, 0.1)
    x = make_input((17, K), dtype, 10)
    bias = make_input((N,), dtype, 11)
    p = xk.pack_weight(w, "a16w4", group)
    assert_a16_close_to_reference(xk.linear(x, p, bias), x, w, p, bias,
                                  bf16_weights=inexact_kernel_used(path, "a16w4", dtype, 17, K))


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
def test_a16w4_matches_torchao_weight_int4pack_mm(dtype, path):
    from torchao.prototype.quantization.int4 import PrototypeInt4WeightOnlyConfig
    group, K, N, M = 64, 256, 64, 9
    w = make_input((N, K), dtype, 11, 0.1)
    x = make_input((M, K), dtype, 12)
    lin = torchao_quantized_linear(PrototypeInt4WeightOnlyConfig(group_size=group), w, None)
    y_aten = lin(x)  # aten._weight_int4pack_mm_for_cpu on torchao's packing of the same codes
    p = xk.pack_weight(w, "a16w4", group)
    y = xk.linear(x, p)
    # Both compute sum_k x_k ((q_k - 8) s + z) in fp32 from the same codes, scales and zeros (checked in
    # test_weight_codes_scales_zeros_match_torchao). Each side: dequantization (<= u_d |w| if a kernel rounds
    # the weight to the activation dtype, <= u32 |w| in fp32) plus a K-term fp32 sum (gamma_K); then one
    # rounding of each output to dtype.
    mag = a16_magnitude(x, p)
    u = UNIT_ROUNDOFF[dtype]
    gamma = 2 * ((1.01 * K + 3) * FP32_U + u) * mag
    tol = gamma + u * (y.double().abs() + y_aten.double().abs()) + SUBNORMAL_STEP[dtype]
    assert_within(y, y_aten, tol, "a16w4 vs aten._weight_int4pack_mm_for_cpu")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("act_symmetric", [True, False])
@pytest.mark.parametrize("group", [32, 64, 128])
def test_torchao_da8w4_config_runs_on_our_kernels(dtype, act_symmetric, group, path):
    from torchao.prototype.quantization.int4 import Int8DynamicActivationInt4WeightConfig
    from torchao.quantization.quant_primitives import MappingType
    assert xk.torchao_compat.registered()
    N, K = 64, 256
    w = make_input((N, K), dtype, 13, 0.1)
    x = make_input((3, 4, K), dtype, 14)
    bias = make_input((N,), dtype, 15)
    mapping = MappingType.SYMMETRIC if act_symmetric else MappingType.ASYMMETRIC
    lin = torchao_quantized_linear(Int8DynamicActivationInt4WeightConfig(group_size=group, act_mapping_type=mapping),
                                   w, bias)
    # torchao quantizes the activations itself (same codes as ours, tested above) and calls
    # torchao::da8w4_linear_cpu, which runs our kernel on the same packed weight: identical results.
    expected = xk.linear(x, xk.pack_weight(w, "da8w4", group, act_symmetric), bias)
    with torch.no_grad():
        torch.testing.assert_close(lin(x), expected, rtol=0, atol=0)


def compiled_call(fn, *args):
    """fn(*args) compiled by Inductor told to round like eager (emulate_precision_casts). torch 2.10's Inductor
    fails on that flag (TypeError: to_dtype() got an unexpected keyword argument 'use_compute_types', seen on
    2026-11-29): there, compiled without it."""
    import torch._inductor.config as inductor_config
    from torch._inductor.exc import InductorError
    torch._dynamo.reset()
    try:
        with inductor_config.patch(emulate_precision_casts=True):
            return torch.compile(fn, fullgraph=True)(*args)
    except InductorError as e:
        if "use_compute_types" not in str(e):
            raise
    torch._dynamo.reset()
    return torch.compile(fn, fullgraph=True)(*args)


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
def test_torchao_da8w4_config_compiled(dtype):
    # torch.compile of torchao's DA8W4 linear: Inductor quantizes the activations (torchao's code, compiled)
    # and calls torchao::da8w4_linear_cpu, i.e. our kernel. torchao computes bf16 activation scales; Inductor
    # rounds them like eager under emulate_precision_casts in torch 2.13, while 2.11 keeps them in fp32 (and
    # 2.10 cannot take the flag). So the compiled output must equal our op on the codes and scales that
    # torchao's quantizer gives when compiled alone, and equal eager wherever those are eager's.
    from torchao.prototype.quantization.int4 import Int8DynamicActivationInt4WeightConfig
    w = make_input((64, 128), dtype, 16, 0.1)
    x = make_input((5, 128), dtype, 17)
    lin = torchao_quantized_linear(Int8DynamicActivationInt4WeightConfig(group_size=32), w, None)
    p = xk.pack_weight(w, "da8w4", 32, act_symmetric=False)
    with torch.no_grad():
        eager = lin(x)
        compiled = compiled_call(lin, x)
        q, s, z = compiled_call(quantize_activation_da8w4_torchao, x, False)
        want = torch.ops.xeon.da8w4_linear_quantized(q, s.reshape(-1), z.reshape(-1), p.packed, p.scale, p.zero,
                                                     p.compensation, None, 64, dtype)
    torch.testing.assert_close(compiled, want, rtol=0, atol=0)
    if all(torch.equal(a, b) for a, b in zip((q, s, z), quantize_activation_da8w4_torchao(x, False))):
        torch.testing.assert_close(compiled, eager, rtol=0, atol=0)


def test_torchao_packed_format_concatenates_along_dim0():
    # torchao's DA8W4 concat-linear pass concatenates weight, scales, zero points and compensation along
    # dim 0 and reads N = size(0) * size(3) * 2: the concatenated call must equal the separate calls.
    import torchao.ops  # noqa: F401  (defines the schemas)
    ws = [make_input((n, 128), torch.float32, 20 + n, 0.1) for n in (32, 64)]
    packs = [torch.ops.torchao.da8w4_linear_prepack_cpu(*_da8w4_torchao_inputs(w)) for w in ws]
    x = make_input((3, 128), torch.float32, 19)
    a, sa, za = quantize_activation_da8w4_torchao(x, False)
    sa, za = sa.reshape(-1), za.reshape(-1).to(torch.int32)
    separate = [torch.ops.torchao.da8w4_linear_cpu(a, sa, za, *p, None, torch.float32) for p in packs]
    cat = [torch.cat(t, dim=0) for t in zip(*packs)]
    fused = torch.ops.torchao.da8w4_linear_cpu(a, sa, za, *cat, None, torch.float32)
    torch.testing.assert_close(fused, torch.cat(separate, dim=1), rtol=0, atol=0)


def _da8w4_torchao_inputs(w, group=32):
    codes, scale, zero = quantize_weight_int4_torchao(w, "da8w4", group)
    return codes, scale, zero.to(torch.int8)


def test_da8w4_linear_quantized_defaults_to_fp32_output():
    # torchao's da8w4_linear_cpu passes output_dtype=None for fp32 models: the op then returns fp32, the same
    # values as with float32 named.
    p = xk.pack_weight(make_input((40, 64), torch.float32, 30, 0.1), "da8w4", 32)
    q, s, z = xk.quantize_per_token(make_input((2, 3, 64), torch.bfloat16, 31), False, 0, 255)
    args = (q, s.reshape(-1), z.reshape(-1), p.packed, p.scale, p.zero, p.compensation, None, 40)
    y = torch.ops.xeon.da8w4_linear_quantized(*args, None)
    assert y.dtype == torch.float32 and y.shape == (2, 3, 40)
    torch.testing.assert_close(y, torch.ops.xeon.da8w4_linear_quantized(*args, torch.float32), rtol=0, atol=0)
    assert y.abs().sum() > 0


def test_torchao_compat_never_replaces_torchao_kernels():
    # Where torchao already has a CPU kernel for da8w4_linear_cpu when xeon_kernels is imported, ours is not
    # registered and torchao's keeps running.
    code = (
        "import torch, torchao.ops\n"
        "lib = torch.library.Library('torchao', 'IMPL')\n"
        "lib.impl('da8w4_linear_cpu', lambda *a: torch.full((1,), 7.0), 'CPU')\n"
        "import xeon_kernels as xk\n"
        "x = torch.zeros(1, 32, dtype=torch.uint8)\n"
        "y = torch.ops.torchao.da8w4_linear_cpu(x, torch.ones(1), torch.zeros(1, dtype=torch.int32), "
        "torch.zeros(1, 1, 32, 16, dtype=torch.uint8), torch.ones(1, 1, 32), torch.zeros(1, 1, 32, dtype=torch.int8), "
        "torch.zeros(1, 1, 32, dtype=torch.int32), None, torch.float32)\n"
        "print(xk.torchao_compat.registered(), y.tolist())\n")
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in (os.environ.get("PYTHONPATH"), root) if p))
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip().splitlines()[-1] == "False [7.0]"


def test_torchao_da8w4_with_one_group_per_row():
    # K equal to the group size: torchao hands its prepack 1-D scales and zero points (the group dimension
    # squeezed); they are one group per channel.
    from torchao.prototype.quantization.int4 import Int8DynamicActivationInt4WeightConfig
    w = make_input((64, 128), torch.float32, 40, 0.1)
    lin = torchao_quantized_linear(Int8DynamicActivationInt4WeightConfig(group_size=128), w, None)
    x = make_input((3, 128), torch.float32, 41)
    with torch.no_grad():
        torch.testing.assert_close(lin(x), xk.linear(x, xk.pack_weight(w, "da8w4", 128, act_symmetric=False)),
                                   rtol=0, atol=0)
