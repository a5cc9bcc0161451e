"""The GEMM driver's blocking: wide task panels (AMX policies, many output blocks), several M-chunks,
ragged last panel and chunk, any thread count. Every path against the ref path on the same inputs."""
import pytest
import torch

import xeon_kernels as xk
from conftest import assert_every_path_matches_ref, linear_on, make_input

SCHEMES = [("da8w8", None), ("a16w8", None), ("da8w4", 32), ("a16w4", 64)]


@pytest.mark.parametrize("scheme,group", SCHEMES)
@pytest.mark.parametrize("threads", [1, 2])
def test_wide_panels_and_chunks(scheme, group, threads):
    # N = 1000: 32 micro-blocks of 32 columns, the last one ragged; M = 300: two 256-row task chunks, the
    # second ragged. With 1-2 threads the AMX policies widen their panels to several micro-blocks.
    M, K, N = 300, 128, 1000
    w = make_input((N, K), torch.float32, 40, 0.1)
    x = make_input((M, K), torch.bfloat16, 41)
    bias = make_input((N,), torch.bfloat16, 42)
    p = xk.pack_weight(w, scheme, group)
    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        assert_every_path_matches_ref(x, w, p, bias)
    finally:
        torch.set_num_threads(previous)


@pytest.mark.parametrize("scheme,group", SCHEMES)
@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
def test_3d_input_every_path(scheme, group, dtype):
    # Leading dimensions flatten into M = 2 x 9 = 18 rows on every path (past the AMX tile threshold), with
    # a bias; the output keeps them.
    w = make_input((40, 64), torch.float32, 43, 0.1)
    x = make_input((2, 9, 64), dtype, 44)
    bias = make_input((40,), dtype, 45)
    ref = assert_every_path_matches_ref(x, w, xk.pack_weight(w, scheme, group), bias)
    assert ref.shape == (2, 9, 40) and ref.dtype == dtype


@pytest.mark.parametrize("scheme,group", SCHEMES)
def test_fp32_bias_with_bf16_input(scheme, group):
    # An fp32 bias is added in fp32 before the one rounding to bf16, on every path: the same as the reference
    # (da8w8: exactly), and not what rounding the bias to bf16 first would give.
    w = make_input((40, 64), torch.float32, 46, 0.1)
    x = make_input((17, 64), torch.bfloat16, 47)
    bias = make_input((40,), torch.float32, 48) * 3
    p = xk.pack_weight(w, scheme, group)
    y = assert_every_path_matches_ref(x, w, p, bias)
    assert not torch.equal(y, linear_on("ref", x, p, bias.bfloat16()))
    if scheme == "da8w8":
        torch.testing.assert_close(y, xk.reference_linear(x, w, scheme, bias), rtol=0, atol=0)
