"""The GEMM driver's blocking: wide task panels (AMX policies, many output blocks), several M-chunks,
ragged last panel and chunk, any thread count. Every path against the ref path on the same inputs."""
import os

import pytest
import torch

import xeon_kernels as xk
from conftest import PATHS, assert_every_path_matches_ref, linear_on, make_input

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


TILE_PATHS = [p for p in PATHS if xk._paths.tile_min_rows(p) >= 0]
# (scheme, group, activation dtype that reaches the tile kernel, bytes of an A row per k)
CHUNKED = [("da8w8", None, torch.float32, 1), ("a16w8", None, torch.bfloat16, 2), ("a16w4", 64, torch.bfloat16, 2),
           ("da8w4", 32, torch.float32, 1), ("da8w4", 128, torch.bfloat16, 1)]


def k_passes(chunk, k_bytes, quantum):
    """The driver's passes over K for a chunk setting (gemm_driver.h k_chunk_bytes)."""
    c = -(-chunk // quantum) * quantum
    return 1 if c == 0 or c >= k_bytes else -(-k_bytes // c)


@pytest.mark.parametrize("path_name", TILE_PATHS)
@pytest.mark.parametrize("scheme,group,dtype,elem", CHUNKED)
def test_tile_k_chunks_give_the_same_bits(path_name, scheme, group, dtype, elem):
    # The tile tasks run K in chunks (tile_k_chunk.h): each chunk continues the sums the last one left, in the
    # same order, so every chunking gives the bits of one pass, which the every-path tests hold to the ref
    # path. K = 384 (6 tile steps of int8, 12 of bf16), chunks that divide it, that do not (the last chunk
    # short), one under a DA8W4 group (rounded up to whole groups) and one past K; M = 45 (a two-row-tile
    # block, then 13 rows); N = 100 (a ragged last micro-block, which still writes 32 columns).
    M, K, N = 45, 384, 100
    w = make_input((N, K), torch.float32, 50, 0.1)
    x = make_input((M, K), dtype, 51)
    bias = make_input((N,), torch.float32, 52)
    p = xk.pack_weight(w, scheme, group)
    quantum = max(64, group or 0) if scheme == "da8w4" else 64
    with xk.tile_k_chunk(0):
        whole = linear_on(path_name, x, p, bias)
    assert int(torch.ops.xeon.last_gemm_stats()[0]) == 1, "the tile kernels ran"
    if dtype == torch.float32:  # the int8 tiles give the ref path's bits (bf16 ones: test_int*_linear's bound)
        torch.testing.assert_close(whole, linear_on("ref", x, p, bias), rtol=0, atol=0)
    for chunk in (64, 128, 192, 320, 4096):
        with xk.tile_k_chunk(chunk):
            y = linear_on(path_name, x, p, bias)
        passes = int(torch.ops.xeon.last_gemm_stats()[7])
        assert passes == k_passes(chunk, K * elem, quantum), (chunk, passes)
        torch.testing.assert_close(y, whole, rtol=0, atol=0, msg=lambda m: f"chunk {chunk}: {m}")


def test_tile_k_chunk_setting():
    default = xk._library.info()["tile_k_chunk_default"]
    assert xk.tuning.get_tile_k_chunk() == default
    with xk.tile_k_chunk(1024):
        assert xk.tuning.get_tile_k_chunk() == 1024 and xk.info()["tile_k_chunk_bytes"] == 1024
        with xk.tile_k_chunk(0):
            assert xk.tuning.get_tile_k_chunk() == 0
        assert xk.tuning.get_tile_k_chunk() == 1024
    assert xk.tuning.get_tile_k_chunk() == default
    for bad in (-64, 100, 32, 1.5, True, "512", None):
        with pytest.raises(ValueError, match="tile_k_chunk: expected 0 .* multiple of 64"):
            xk.set_tile_k_chunk(bad)
    with pytest.raises(RuntimeError, match="bytes: expected 0"):  # the op checks too
        torch.ops.xeon.set_tile_k_chunk(96)
    assert xk.tuning.get_tile_k_chunk() == default


def test_tile_k_chunk_from_environment():
    import subprocess
    import sys
    code = "import xeon_kernels as xk; print(xk.tuning.get_tile_k_chunk())"
    env = dict(os.environ, XEON_KERNELS_TILE_K_CHUNK="2048")
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    run = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, cwd=root)
    assert run.returncode == 0 and run.stdout.strip() == "2048", run.stderr
    env["XEON_KERNELS_TILE_K_CHUNK"] = "500"
    run = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, cwd=root)
    assert run.returncode != 0 and "XEON_KERNELS_TILE_K_CHUNK: tile_k_chunk: expected 0" in run.stderr
