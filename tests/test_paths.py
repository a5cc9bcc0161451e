"""What the outputs cannot show: which micro-kernel a path runs at each M (its M-dispatch), how many of
torch's threads a call uses, the benchmark probes, and the per-thread weight caches' invalidation."""
import pytest
import torch

import xeon_kernels as xk
from conftest import PATHS, assert_every_path_matches_ref, forced_path, linear_on, make_input


def stats():
    tiles, tasks, threads, rows, cols, bf16, decode, k_passes, prefetch_lines = \
        torch.ops.xeon.last_gemm_stats().tolist()
    return {"tiles": tiles, "tasks": tasks, "threads": threads, "rows": rows, "cols": cols, "bf16": bf16,
            "decode": decode, "k_passes": k_passes, "prefetch_lines": prefetch_lines}


def tiles_ran(path_name, p, M, dtype=torch.float32):
    linear_on(path_name, make_input((M, p.in_features), dtype, M), p)
    return bool(stats()["tiles"])


def test_amx_emulated_reproduces_the_amx_dispatch():
    # amx_emulated is built from the amx path's own definition (amx_path.h): same tile threshold, and at each
    # M the same kind of kernel as amx would run; amx_emulated_tiles runs tiles at every M.
    min_rows = xk._paths.tile_min_rows("amx")
    assert min_rows >= 1
    assert xk._paths.tile_min_rows("amx_emulated") == min_rows
    assert xk._paths.tile_min_rows("amx_emulated_tiles") == 0
    for scheme, group in [("da8w8", None), ("da8w4", 32)]:
        p = xk.pack_weight(make_input((48, 64), torch.float32, 1, 0.1), scheme, group)
        assert not tiles_ran("amx_emulated", p, min_rows - 1), scheme
        assert tiles_ran("amx_emulated", p, min_rows), scheme
        assert stats()["rows"] == 32 and stats()["cols"] == 32  # 2 x 2 tiles of 16 x 16
        assert tiles_ran("amx_emulated_tiles", p, 1), scheme
    for scheme, group in [("a16w8", None), ("a16w4", 32)]:
        p = xk.pack_weight(make_input((48, 64), torch.float32, 1, 0.1), scheme, group)
        # AMX-BF16 tiles take bf16 activations only (K = 64, a multiple of the 32-element tile step)
        assert tiles_ran("amx_emulated", p, min_rows, torch.bfloat16), scheme
        assert not tiles_ran("amx_emulated", p, min_rows - 1, torch.bfloat16), scheme
        assert not tiles_ran("amx_emulated", p, 64, torch.float32), scheme
        assert not tiles_ran("amx_emulated", p, 64, torch.float16), scheme
    p = xk.pack_weight(make_input((48, 80), torch.float32, 1, 0.1), "a16w8")  # K = 80: not a multiple of 32
    assert not tiles_ran("amx_emulated", p, 64, torch.bfloat16)


def test_avx512_bf16_dispatch():
    # bf16 activations take vdpbf16ps from the path's threshold on (K even), A16W4's below it too (the decode
    # kernel); fp32 / fp16 keep the fp32-FMA kernels; int8-activation schemes run the avx512 VNNI kernels. The
    # emulated path has the same dispatch.
    names = [n for n in ("avx512_bf16", "avx512_bf16_emulated") if n in PATHS]
    # every AVX2 + FMA machine runs the emulated form (PATHS may leave it out: XEON_KERNELS_TEST_PATHS)
    assert "avx512_bf16_emulated" in xk._paths.supported_paths() and names
    info = {p["name"]: p for p in xk._library.info()["paths"]}
    assert info["avx512_bf16"]["bf16_min_rows"] == info["avx512_bf16_emulated"]["bf16_min_rows"] >= 1
    min_rows = info["avx512_bf16"]["bf16_min_rows"]
    for name in names:
        for scheme, group in [("a16w8", None), ("a16w4", 32)]:
            p = xk.pack_weight(make_input((48, 64), torch.float32, 1, 0.1), scheme, group)
            # A16W4's bf16 rows reach the panel kernel from its decode kernel's threshold on, above the panel's
            start = max(min_rows, info[name]["a16w4_decode_rows"]) if scheme == "a16w4" else min_rows
            assert start > 1, (name, scheme)
            linear_on(name, make_input((start, 64), torch.bfloat16, 2), p)
            assert stats()["bf16"] == 1 and stats()["tiles"] == 0 and stats()["rows"] == 8, (name, scheme)
            assert stats()["decode"] == 0, (name, scheme)
            # below it: A16W8 fp32 FMA, A16W4 the decode kernel (bf16 activations as they are); 4 rows each
            linear_on(name, make_input((start - 1, 64), torch.bfloat16, 2), p)
            decode = int(scheme == "a16w4")
            assert (stats()["decode"], stats()["bf16"], stats()["rows"]) == (decode, decode, 4), (name, scheme)
            linear_on(name, make_input((64, 64), torch.float16, 2), p)
            assert stats()["bf16"] == 0, (name, scheme)
        p = xk.pack_weight(make_input((48, 63), torch.float32, 1, 0.1), "a16w8")  # K odd: no k pairs
        linear_on(name, make_input((64, 63), torch.bfloat16, 2), p)
        assert stats()["bf16"] == 0
        p = xk.pack_weight(make_input((48, 64), torch.float32, 1, 0.1), "da8w8")
        linear_on(name, make_input((64, 64), torch.bfloat16, 2), p)
        assert stats()["bf16"] == 0 and stats()["tiles"] == 0


def test_a16w4_decode_dispatch():
    # A16W4 with bf16 activations below a path's decode rows (every M on avx2 and avx512) runs the int4 decode
    # kernel (int4_decode.h: 4 rows x the path's 32-channel blocks; vdpbf16ps on the avx512_bf16 and amx paths,
    # fp32 FMA on avx2 and avx512); from those rows on the exact fp32-FMA kernel or the bf16 panel / tile
    # kernels; fp16 activations at every M (the fp32 form), fp32 never; ref has none, nor, for bf16, the
    # tiles-at-every-M test path.
    info = {p["name"]: p for p in xk._library.info()["paths"]}
    p = xk.pack_weight(make_input((48, 64), torch.float32, 1, 0.1), "a16w4", 32)
    every_m = 2**63 - 1  # avx2's and avx512's threshold: the decode kernel at every M (avx512_blocking.h)
    ran = []
    for name in ("avx2", "avx512", "avx512_emulated", "amx", "amx_emulated", "avx512_bf16", "avx512_bf16_emulated"):
        if name not in PATHS:
            continue
        rows = info[name]["a16w4_decode_rows"]
        assert rows >= 2 and (rows == every_m) == (name in ("avx2", "avx512", "avx512_emulated")), name
        cols = 32 if name == "avx2" else 64  # 32-channel blocks per call: 1 in AVX2's 16 registers, 2 in 32
        last = min(rows - 1, 300)
        for m in (1, last):
            linear_on(name, make_input((m, 64), torch.bfloat16, 2), p)
            assert stats()["decode"] == 1, (name, m)
            shape = (stats()["rows"], stats()["cols"], stats()["tiles"], stats()["bf16"])
            assert shape == (4, cols, 0, int(name not in ("avx2", "avx512", "avx512_emulated"))), (name, m)
        assert info[name]["a16w4_decode_rows_fp16"] == every_m, name
        for m in (1, 300):  # fp16 activations: the fp32 form at every M, on every path
            linear_on(name, make_input((m, 64), torch.float16, 2), p)
            shape = (stats()["decode"], stats()["bf16"], stats()["rows"], stats()["cols"])
            assert shape == (1, 0, 4, cols), (name, m)
        linear_on(name, make_input((1, 64), torch.float32, 2), p)  # fp32: the exact FMA kernel
        assert stats()["decode"] == 0, name
        if rows != every_m:
            linear_on(name, make_input((rows, 64), torch.bfloat16, 2), p)
            assert stats()["decode"] == 0, name
        ran.append(name)
    every_avx2_cpu = {"avx2", "avx512_emulated", "amx_emulated", "avx512_bf16_emulated"}
    assert every_avx2_cpu <= set(xk._paths.supported_paths()) and every_avx2_cpu & set(PATHS) <= set(ran)
    assert all(info[n]["a16w4_decode_rows"] == 0 for n in ("ref", "amx_emulated_tiles"))
    assert info["ref"]["a16w4_decode_rows_fp16"] == 0


def test_vector_paths_never_run_tiles():
    p = xk.pack_weight(make_input((48, 64), torch.float32, 1, 0.1), "da8w8")
    for name in ("ref", "avx2", "avx512", "avx512_emulated"):
        if name in PATHS:
            assert not tiles_ran(name, p, 64), name
            assert xk._paths.tile_min_rows(name) == -1


@pytest.mark.parametrize("scheme,group", [("da8w8", None), ("a16w8", None), ("da8w4", 32), ("a16w4", 32)])
def test_threads_follow_torch_set_num_threads(scheme, group):
    # The driver runs on torch's pool: with n threads set, a call with many tasks runs on exactly n of them.
    p = xk.pack_weight(make_input((1024, 128), torch.float32, 2, 0.1), scheme, group)
    x = make_input((64, 128), torch.float32, 3)
    previous = torch.get_num_threads()
    results = []
    try:
        for n in (1, 2):
            torch.set_num_threads(n)
            results.append(xk.linear(x, p))
            s = stats()
            assert s["tasks"] >= 2 and s["threads"] == n, (n, s)
    finally:
        torch.set_num_threads(previous)
    torch.testing.assert_close(results[0], results[1], rtol=0, atol=0)  # the split changes, the result not


def test_weight_cache_is_invalidated_between_calls():
    # The tile kernels keep converted weights per thread, keyed by call: new weights at the same address (an
    # in-place update of the packed tensors) must be seen by the next call.
    w1, w2 = make_input((64, 64), torch.float32, 4, 0.1), make_input((64, 64), torch.float32, 5, 0.1)
    x = make_input((40, 64), torch.bfloat16, 6)
    for scheme, group in [("da8w4", 32), ("a16w4", 32), ("a16w8", None)]:
        p1, p2 = xk.pack_weight(w1, scheme, group), xk.pack_weight(w2, scheme, group)
        expected2 = linear_on("ref", x, p2)
        with forced_path("amx_emulated"):
            xk.linear(x, p1)  # fills the caches with p1's weights
            assert stats()["tiles"] == 1
            for field in ("packed", "scale", "zero", "compensation"):
                if getattr(p1, field) is not None:
                    getattr(p1, field).copy_(getattr(p2, field))
            y = xk.linear(x, p1)
        if scheme == "da8w4":
            torch.testing.assert_close(y, expected2, rtol=0, atol=0)
        else:  # AMX-BF16: held to the reference bound, against p2's weights
            assert_every_path_matches_ref(x, w2, p1)


@pytest.mark.parametrize("streams", [1, 2, 4, 8])
@pytest.mark.parametrize("words", [1, 1000, (1 << 16) + 13])  # shares that leave a tail beside the streams
def test_probe_read_bandwidth_counts_what_it_reads(streams, words):
    # (make sanitize runs this under AddressSanitizer: a stream reading past its share would fail there)
    buf = torch.ones(words, dtype=torch.int64)
    nbytes, secs = torch.ops.xeon.probe_read_bandwidth(buf, 3, streams).tolist()
    assert nbytes == buf.numel() * 8 * 3 and secs > 0
    with pytest.raises(RuntimeError, match="buf: expected a contiguous int64 CPU tensor"):
        torch.ops.xeon.probe_read_bandwidth(buf.int(), 1)
    with pytest.raises(RuntimeError, match="streams: expected 1, 2, 4 or 8"):
        torch.ops.xeon.probe_read_bandwidth(buf, 1, 3)


def test_probe_int8_peak():
    probes = [p for p in xk._library.info()["paths"] if p["int8_peak_probe"]]
    # the paths with a hardware int8 dot product
    assert {p["name"] for p in probes} == {"avx512", "amx", "avx512_bf16"}
    with pytest.raises(RuntimeError, match="the avx2 path has no hardware int8 dot-product instruction"):
        torch.ops.xeon.probe_int8_peak(xk._paths.path_id("avx2"), 10)
    if "avx512" not in PATHS:
        pytest.skip("no AVX-512 VNNI on this CPU: the probe's instruction cannot run here")
    previous = torch.get_num_threads()
    try:
        for n in (1, 2):
            torch.set_num_threads(n)
            ops, secs = torch.ops.xeon.probe_int8_peak(xk._paths.path_id("avx512"), 1000).tolist()
            # per thread: 1000 iterations x 8 vpdpbusd x 16 lanes x 4 products x 2 (multiply + add)
            assert ops == n * 1000 * 8 * 16 * 4 * 2 and secs > 0
    finally:
        torch.set_num_threads(previous)


def tile_model():
    return xk._library._json(torch.ops.xeon.amx_model_faults())


def test_tile_model_faults_where_the_hardware_faults():
    # Each sequence would raise #GP or #UD on an AMX machine (Intel SDM: LDTILECFG, TILELOADD, TILESTORED,
    # TILEZERO, TDPBUSD, TDPBF16PS, TILERELEASE); the model must raise the same fault.
    faults = tile_model()["faults"]
    gp = ["palette 2", "reserved byte set", "start row past a tile", "rows without bytes", "bytes without rows",
          "tile 8 configured", "17 rows", "65 bytes per row"]
    ud = ["load before any config", "use after release", "use after palette 0", "unconfigured tile",
          "store of unconfigured tile", "A bytes != 4 x B rows", "C bytes != B bytes", "C rows != A rows",
          "bf16 A bytes != 4 x B rows", "bf16 dot on a released tile"]
    assert set(faults) == set(gp + ud + ["valid"])
    for name in gp:
        assert faults[name].startswith("amx_emulated: #GP"), (name, faults[name])
    for name in ud:
        assert faults[name].startswith("amx_emulated: #UD"), (name, faults[name])
    assert faults["valid"] == ""


@pytest.mark.parametrize("M,regions", [(64, 1), (64, 2), (40, 1)])
def test_tiles_configured_once_per_shape_and_released(M, regions):
    # One thread, a da8w8 call of 8 micro-blocks per 32-row block: LDTILECFG only where the tile shape changes
    # (it used to be once per micro-block: 16 at M = 64), and the tiles released at each region's end. M = 64:
    # one shape (32 rows), one LDTILECFG per region; M = 40: 32 and 8 rows alternate in every task.
    p = xk.pack_weight(make_input((256, 64), torch.float32, 1, 0.1), "da8w8")
    x = make_input((M, 64), torch.float32, 2)
    report_own = tile_model()["configs_loaded"]
    report_own = tile_model()["configs_loaded"] - report_own  # the report's own sequences load some
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with forced_path("amx_emulated_tiles"):
            before = tile_model()["configs_loaded"]
            for _ in range(regions):
                xk.linear(x, p)
            tasks = stats()["tasks"]
            after = tile_model()
    finally:
        torch.set_num_threads(previous)
    loaded = after["configs_loaded"] - before - report_own
    assert loaded == (regions if M % 32 == 0 else regions * 2 * tasks), (loaded, tasks)
    assert after["left_configured"] is False


@pytest.mark.skipif("avx512_bf16" not in PATHS, reason="the hardware form needs AVX512_BF16 (Zen 4 / 5, Cooper "
                    "Lake, Sapphire Rapids); its model runs everywhere and is checked against the reference")
@pytest.mark.parametrize("scheme,group", [("a16w8", None), ("a16w4", 32), ("a16w4", 128)])
@pytest.mark.parametrize("M", [1, 3, 8, 17])
def test_avx512_bf16_model_is_the_hardware(scheme, group, M):
    # The emulated path runs the same source on vdpbf16ps's documented semantics (odd product first, each
    # sum rounded, DAZ / FTZ): on hardware that has the instruction the two give the same bits, decode
    # (M < 8) and panel kernels alike. This is what lets machines without AVX512_BF16 test these kernels.
    p = xk.pack_weight(make_input((96, 256), torch.float32, 1, 0.1), scheme, group)
    x = make_input((M, 256), torch.bfloat16, 2)
    torch.testing.assert_close(linear_on("avx512_bf16", x, p), linear_on("avx512_bf16_emulated", x, p), rtol=0,
                               atol=0)


@pytest.mark.parametrize("scheme,group", [("da8w8", None), ("da8w4", 128)])
def test_vector_passes_prefetch_the_next_panel(scheme, group):
    # The int8 vector kernels of the AVX-512 paths (prefetch_next_panel) prefetch the next panel's codes while
    # they make several 4-row passes over one (gemm_driver.h next_panel_slice): M = 5-256, one M-chunk, a panel
    # after the current one. Outputs stay the ref path's (every-path tests); here: when it happens, and that it
    # never asks for more than the next panels hold. K = 256: DA8W8 panels of 64 columns x 256 bytes (256
    # lines), DA8W4 of 32 columns x 128 bytes (64 lines); N = 320: 5 / 10 panels.
    K, N = 256, 320
    p = xk.pack_weight(make_input((N, K), torch.float32, 60, 0.1), scheme, group)
    panel_lines = 256 if scheme == "da8w8" else 64
    panels = N // (64 if scheme == "da8w8" else 32)
    vector_paths = [q for q in PATHS if q in ("avx512", "avx512_bf16", "avx512_emulated", "avx512_bf16_emulated")]
    assert vector_paths, "the avx512 emulated paths run everywhere the suite does"
    for name in vector_paths:
        for M, expect in [(4, False), (8, True), (17, True), (256, True), (300, False)]:
            linear_on(name, make_input((M, K), torch.bfloat16, M), p)
            s = stats()
            assert not s["tiles"] and s["rows"] == 4, (name, s)
            # every pass's share adds up to at most the next panel, for each panel but the last
            assert s["prefetch_lines"] <= (panels - 1) * panel_lines, (name, M, s)
            assert (s["prefetch_lines"] > 0) == expect, (name, M, s)  # one pass (M <= 4), two M-chunks: none
    if "avx2" in PATHS:  # a path without the flag prefetches nothing
        linear_on("avx2", make_input((17, K), torch.bfloat16, 17), p)
        assert stats()["prefetch_lines"] == 0
