import os
import sys

import pytest
import torch

# The source tree comes last: an installed xeon_kernels (a wheel under test, as on the AMX machine) wins,
# else the in-place build of `make build` is used.
sys.path.append(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import xeon_kernels as xk  # noqa: E402

if os.environ.get("XEON_KERNELS_EXPECT_INSTALLED") and "site-packages" not in xk.__file__:
    raise RuntimeError(f"XEON_KERNELS_EXPECT_INSTALLED: the tests imported {xk.__file__}, not an installed wheel")

# Unit roundoff (half an ulp at 1.0) of each output dtype: round-to-nearest to that dtype moves a value by
# at most UNIT_ROUNDOFF[dtype] * |value| (plus the subnormal spacing near zero, SUBNORMAL_STEP).
UNIT_ROUNDOFF = {torch.float32: 2.0**-24, torch.bfloat16: 2.0**-8, torch.float16: 2.0**-11}
SUBNORMAL_STEP = {torch.float32: 2.0**-149, torch.bfloat16: 2.0**-133, torch.float16: 2.0**-24}
FP32_U = 2.0**-24
DTYPES = [torch.float32, torch.bfloat16, torch.float16]

# Every path this machine runs: the emulated paths and ref everywhere, avx512 / amx where the CPU has them.
# XEON_KERNELS_TEST_PATHS=ref,amx,...: only those (and ref), for scripts/amx_machine_check.sh's timed run on a
# lent machine, where the emulated paths would repeat what every dev machine and CI already run.
_ONLY_PATHS = os.environ.get("XEON_KERNELS_TEST_PATHS")
_unknown = set((_ONLY_PATHS or "").split(",")) - {"", *(p["name"] for p in xk._library.info()["paths"])}
if _unknown:  # a misspelt name would quietly leave its path untested
    raise ValueError(f"XEON_KERNELS_TEST_PATHS: unknown paths {sorted(_unknown)}")
PATHS = [p for p in xk._paths.supported_paths()
         if not _ONLY_PATHS or p == "ref" or p in _ONLY_PATHS.split(",")]


def pytest_report_header(config):
    info = xk.info()
    return [f"xeon_kernels: {xk.__file__}", f"torch {info['torch_version']}, stable ABI target "
            f"{info['stable_abi_target']}, paths {info['supported_paths']}, selected {info['selected_path']}"]


def forced_path(name):
    """The calling thread runs `name` within the block (xk.use_path)."""
    return xk.use_path(name)


@pytest.fixture(params=PATHS)
def path(request):
    with forced_path(request.param):
        yield request.param


def linear_on(path_name, x, packed, bias=None):
    with forced_path(path_name):
        return xk.linear(x, packed, bias)


def torchao_quantized_linear(config, w, bias):
    """An nn.Linear holding w (and bias), quantized in place by torchao's quantize_(config)."""
    from torchao.quantization import quantize_
    lin = torch.nn.Linear(w.shape[1], w.shape[0], bias=bias is not None).to(w.dtype)
    with torch.no_grad():
        lin.weight.copy_(w)
        if bias is not None:
            lin.bias.copy_(bias)
    quantize_(lin, config)
    return lin


def make_input(shape, dtype, seed=0, scale=1.0):
    g = torch.Generator().manual_seed(seed)
    return (torch.randn(shape, generator=g) * scale).to(dtype)


def inexact_kernel_used(path_name, scheme, dtype, M, K):
    """Which kernel outside the exact fp32-FMA ones an A16 call runs, if any: "decode" (A16W4 with bf16
    activations below the path's decode rows, which may lie above its bf16 threshold, or fp16 ones below its
    fp16 decode rows: the int4 decode kernel on vdpbf16ps or fp32 FMA), "panel" (AMX-BF16 tiles or vdpbf16ps:
    A16W8 / A16W4 with bf16 activations, M at or above the path's bf16 threshold, K a multiple of its k step),
    else False. Their fp32 sums run in another order (and the panel kernels round A16W4's weights to bf16), so
    they are compared with the reference within a bound, not bit for bit."""
    p = xk._library.info()["paths"][xk._paths.path_id(path_name)]
    if scheme == "a16w4" and dtype == torch.float16 and M < p["a16w4_decode_rows_fp16"]:
        return "decode"
    if scheme not in ("a16w8", "a16w4") or dtype != torch.bfloat16:
        return False
    if scheme == "a16w4" and M < p["a16w4_decode_rows"]:  # checked first, as path_kernels.h's a16 does
        return "decode"
    if p["bf16_min_rows"] >= 0 and M >= p["bf16_min_rows"] and K % p["bf16_k_multiple"] == 0:
        return "panel"
    return False


def assert_within(actual, expected, tol, what=""):
    """|actual - expected| <= tol elementwise (float64; NaN never passes); on failure names the worst element:
    its index, both values, the bound and how many elements failed."""
    a, e = actual.double(), expected.double()
    tol = torch.as_tensor(tol, dtype=torch.float64).expand_as(a)
    err = (a - e).abs()
    bad = ~(err <= tol)
    if bad.any():
        excess = torch.where(bad, (err - tol).nan_to_num(nan=float("inf")), torch.zeros_like(err))
        i = int(excess.reshape(-1).argmax())
        idx = tuple(int(v) for v in torch.unravel_index(torch.tensor(i), a.shape))
        raise AssertionError(f"{what}: {int(bad.sum())} of {a.numel()} elements outside the bound; worst at "
                             f"{idx}: actual {a[idx].item()!r}, expected {e[idx].item()!r}, |diff| "
                             f"{err[idx].item():.6g} > bound {tol[idx].item():.6g}")


def a16_magnitude(x, packed):
    """sum_k |x_k| |w_k| with w the exactly dequantized weight (a16w8: codes x channel scale)."""
    K = x.shape[-1]
    x2d = x.reshape(-1, K).double().abs()
    codes = packed.int_codes().double()
    if packed.scheme == "a16w8":
        return (x2d @ codes.abs().t()) * packed.scales().double()
    n, g = packed.shape[0], packed.group_size
    wd = (codes.view(n, -1, g) - 8) * packed.scales().double()[..., None] + packed.zero_points().double()[..., None]
    return x2d @ wd.view(n, K).abs().t()


def a16w4_split_magnitude(x, packed):
    """sum_k |x_k| (|q_k - 8| s + |z|): the magnitude of the A16W4 decode kernel's two sums, s * sum (q - 8) x
    and z * sum x, which can exceed a16_magnitude where z and (q - 8) s cancel."""
    K = x.shape[-1]
    x2d = x.reshape(-1, K).double().abs()
    n, g = packed.shape[0], packed.group_size
    q = (packed.int_codes().double().view(n, -1, g) - 8).abs() * packed.scales().double()[..., None]
    wd = q + packed.zero_points().double().abs()[..., None]
    return x2d @ wd.view(n, K).t()


def assert_a16_close_to_reference(y, x, weight, packed, bias, bf16_weights):
    """|y - reference| within the fp32 bound of a K-term sum (gamma_K < 1.01 K u32, Higham Thm 3.1) plus
    the dequantization (one fp32 rounding per weight, or one bf16 rounding when bf16_weights: the AMX-BF16
    and vdpbf16ps A16W4 panel kernels round dequantized weights to bf16; A16W8 codes are exact in bf16), the
    scale and bias steps (2 u32), and both results' rounding to the output dtype. bf16_weights == "decode"
    (the A16W4 decode kernel, vdpbf16ps or fp32 FMA: x (q - 8) is exact in fp32 for bf16 or fp16 x):
    no weight rounding, but each product passes through at most group + 2 G + 2 <= K + 2 G + 2 fp32 roundings
    (its group's sum, the two fused multiply-adds per group into the output) on the magnitude of the split
    sums (a16w4_split_magnitude)."""
    K = x.shape[-1]
    ref = xk.reference_linear(x, weight, packed.scheme, bias, group_size=packed.group_size)
    mag = a16_magnitude(x, packed).view(ref.shape)
    b = bias.double().abs() if bias is not None else 0.0
    if bf16_weights == "decode":
        split = a16w4_split_magnitude(x, packed).view(ref.shape)
        G = K // packed.group_size
        gamma = 1.01 * (K + 2 * G + 2) * FP32_U * split + ((1.01 * K + 3) * FP32_U) * mag + 2 * FP32_U * (mag + b)
    else:
        u_w = UNIT_ROUNDOFF[torch.bfloat16] if (bf16_weights and packed.scheme == "a16w4") else FP32_U
        gamma = ((1.01 * K + 3) * FP32_U + u_w) * mag + 2 * FP32_U * (mag + b)
    u = UNIT_ROUNDOFF[y.dtype]
    tol = gamma + u * (2 * ref.double().abs() + gamma) + SUBNORMAL_STEP[y.dtype]
    assert_within(y, ref, tol, f"{packed.scheme} vs reference_linear")


def assert_every_path_matches_ref(x, weight, packed, bias=None):
    """Every runnable path other than ref gives the ref path's output bit for bit (the same integer sums, fp32
    chains and epilogue everywhere), except the AMX-BF16 kernels, held to the reference's error bound instead.
    Returns the ref path's output. Skips where this CPU runs no path but ref (nothing to compare)."""
    others = [p for p in PATHS if p != "ref"]
    if not others:
        pytest.skip("this CPU runs only the ref path: no other path to compare with it")
    M, K = x.reshape(-1, x.shape[-1]).shape
    ref = linear_on("ref", x, packed, bias)
    for name in others:
        y = linear_on(name, x, packed, bias)
        kind = inexact_kernel_used(name, packed.scheme, x.dtype, M, K)
        if kind:
            assert_a16_close_to_reference(y, x, weight, packed, bias, bf16_weights=kind)
        else:
            torch.testing.assert_close(y, ref, rtol=0, atol=0, equal_nan=True,
                                       msg=lambda m: f"{packed.scheme} path {name}: {m}")
    return ref
