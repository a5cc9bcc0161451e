"""The Llama-3.1-8B projection shapes (K, N), every scheme, every path against the ref path."""
import pytest
import torch

import xeon_kernels as xk
from conftest import assert_every_path_matches_ref, make_input

LLAMA_SHAPES = [(4096, 6144), (4096, 4096), (4096, 28672), (14336, 4096)]
SCHEMES = [("da8w8", None), ("a16w8", None), ("da8w4", 128), ("a16w4", 128)]


@pytest.mark.parametrize("K,N", LLAMA_SHAPES)
def test_llama_shapes_every_path(K, N):
    # M = 3 keeps the emulated AMX path and the scalar reference within seconds at these sizes.
    w = make_input((N, K), torch.bfloat16, 20, 0.02)
    x = make_input((3, K), torch.bfloat16, 21)
    for scheme, group in SCHEMES:
        ref = assert_every_path_matches_ref(x, w, xk.pack_weight(w, scheme, group))
        if scheme == "da8w8":  # and the reference built from torchao's primitives, exactly
            torch.testing.assert_close(ref, xk.reference_linear(x, w, scheme), rtol=0, atol=0)
