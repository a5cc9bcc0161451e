"""The GEMM driver's blocking: wide task panels (AMX policies, many output blocks), several M-chunks,
ragged last panel and chunk, any thread count. Every path against the ref path on the same inputs."""
import pytest
import torch

import xeon_kernels as xk
from conftest import assert_every_path_matches_ref, make_input

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
