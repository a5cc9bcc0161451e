"""Tensor parallelism (xeon_kernels.parallel): layer shards against the unsharded layer in this process (every
rank simulated), core pinning, and whole models over torchrun (2 processes, gloo over loopback)."""
import json
import os
import subprocess
import sys
import time

import pytest
import torch
from torch import nn

import xeon_kernels as xk
from conftest import FP32_U, UNIT_ROUNDOFF, assert_within
from xeon_kernels import layouts, parallel
from xeon_kernels.nn import FusedProjection, QuantizedLinear
from xeon_kernels.parallel.shard import shard_columns, shard_rows

HERE = os.path.dirname(os.path.abspath(__file__))
SCHEMES = [("da8w8", None), ("a16w8", None), ("da8w4", 32), ("a16w4", 32)]


def layer(scheme, group, n=96, k=128, bias=True, seed=0):
    g = torch.Generator().manual_seed(seed)
    w = torch.randn(n, k, generator=g)
    b = torch.randn(n, generator=g) if bias else None
    return QuantizedLinear.from_packed(xk.pack_weight(w, scheme, group), b)


def dequantized(q):
    p = q.packed_weight()
    return layouts.dequantize(p.scheme, p._parts(), q.out_features, q.in_features, q.group_size)


@pytest.mark.parametrize("world", [2, 4])
@pytest.mark.parametrize("scheme,group", SCHEMES)
def test_column_shards_are_the_unsharded_outputs_bit_for_bit(scheme, group, world):
    # every scheme quantizes per output channel: a rank's rows compute exactly what they computed unsharded
    q = layer(scheme, group)
    fused = FusedProjection(q, [64, 16, 16], "qkv_proj")  # q, k, v: 8 / 2 / 2 heads of 16 // world
    x = torch.randn(3, 5, 128, dtype=torch.bfloat16)
    want = fused.linear(x).split(fused.sizes, dim=-1)
    for rank in range(world):
        local = shard_columns(fused, rank, world, "qkv_proj", unit=16 // world)
        got = local.linear(x).split(local.sizes, dim=-1)
        for part, (g, w) in enumerate(zip(got, want)):
            step = w.shape[-1] // world
            torch.testing.assert_close(g, w[..., rank * step:(rank + 1) * step], rtol=0, atol=0,
                                       msg=f"rank {rank} part {part}")


@pytest.mark.parametrize("world", [2, 4])
@pytest.mark.parametrize("scheme,group", SCHEMES)
def test_row_shards_sum_to_the_unsharded_output(scheme, group, world):
    # Sum over ranks (in fp32, as RowParallelLinear's all-reduce) of each rank's partial on its K slice, bias
    # added once, against the unsharded layer, fp32 activations. Both compute sum_k xhat_k * W_nk (W: the
    # dequantized weight) in fp32 in different orders: each within gamma_{K+2} * S of the exact sum (S =
    # |xhat| @ |W|^T, +2 for the weight's dequantization and the bias), so 2 (K + 2) u S apart. The dynamic
    # schemes also quantize each rank's slice with its own per-token scale s_r <= s (the whole row's,
    # max|x| / 127, symmetric): xhat moves by at most s/2 + s_r/2 <= s per element, adding s * sum_k |W_nk|.
    q = layer(scheme, group)
    x = torch.randn(2, 3, 128) * torch.linspace(0.1, 4, 128)  # uneven slices: per-shard scales differ
    want = q(x)
    acc = torch.zeros_like(want)
    for rank in range(world):
        local, bias = shard_rows(q, rank, world, "o_proj")
        assert local.bias is None and torch.equal(bias, q.bias)
        acc += local(x[..., rank * 128 // world:(rank + 1) * 128 // world])
    got = acc + q.bias
    w = dequantized(q).abs()
    s = x.abs().amax(-1, keepdim=True) / 127 if scheme in layouts.DYNAMIC_SCHEMES else torch.zeros(2, 3, 1)
    tol = 2 * (128 + 2) * FP32_U * ((x.abs() + s) @ w.T + q.bias.abs()) + s * w.sum(1)
    assert_within(got, want, tol, f"{scheme} over {world} ranks")
    if scheme not in layouts.DYNAMIC_SCHEMES:  # the bound is not vacuous: a rank's slice left out breaks it
        with pytest.raises(AssertionError):
            assert_within(got - shard_rows(q, 0, world, "o_proj")[0](x[..., :128 // world]), want, tol)


def test_shapes_that_cannot_be_split_name_the_layer():
    q = layer("a16w4", 64, k=128)
    with pytest.raises(parallel.ShardError, match=r"down_proj: in_features \(K\) = 128 cannot be split over 4"):
        shard_rows(q, 0, 4, "down_proj")  # 32 per rank: int4 groups of 64 would straddle ranks
    shard_rows(q, 1, 2, "down_proj")  # 64 per rank: whole groups
    with pytest.raises(parallel.ShardError, match=r"qkv_proj \(part 1\): out_features = 16 cannot be split over 2"):
        shard_columns(FusedProjection(layer("da8w8", None), [64, 16, 16], "qkv_proj"), 0, 2, "qkv_proj", unit=16)
    with pytest.raises(parallel.ShardError, match="lm_head: out_features = 255"):
        shard_columns(nn.Linear(8, 255), 0, 2, "lm_head")


def test_float_layers_are_sliced_exactly():
    lin = nn.Linear(64, 32)
    x = torch.randn(5, 64)
    cols = [shard_columns(lin, r, 2, "lm_head") for r in range(2)]
    torch.testing.assert_close(torch.cat([c(x) for c in cols], -1), lin(x), rtol=0, atol=0)
    local, bias = shard_rows(lin, 1, 2, "o_proj")
    torch.testing.assert_close(local.weight, lin.weight[:, 32:], rtol=0, atol=0)


def test_rank_cores_keep_whole_cores_within_a_node():
    # 2 NUMA nodes x 4 cores x 2 hyperthreads, Linux numbering (siblings are cpu c and c + 8)
    topo = {c: (0 if c % 8 < 4 else 1, 0 if c % 8 < 4 else 1, c % 8) for c in range(16)}
    cores = [parallel.rank_cores(r, 4, range(16), topo) for r in range(4)]
    assert cores == [[0, 8, 1, 9], [2, 10, 3, 11], [4, 12, 5, 13], [6, 14, 7, 15]]
    # ranks that do not divide among the nodes: equal runs of the ordered CPUs, the first ranks one more
    assert [len(parallel.rank_cores(r, 3, range(16), topo)) for r in range(3)] == [6, 5, 5]
    with pytest.raises(ValueError, match="local_world: 17 ranks on this machine but only 16 CPUs"):
        parallel.rank_cores(0, 17, range(16), topo)


def test_init_and_shard_say_what_is_missing(monkeypatch):
    for var in ("RANK", "WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT"):
        monkeypatch.delenv(var, raising=False)
    with pytest.raises(RuntimeError, match="RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT not set; launch with `torchrun"):
        parallel.init()
    with pytest.raises(RuntimeError, match="torch.distributed is not initialised"):
        parallel.shard_(nn.Linear(4, 4))


# ---- whole models over torchrun ----

def torchrun(mode, out, timeout=300):
    """The worker in `mode` on 2 processes; (return code, seconds, output, {rank: result})."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([os.path.dirname(os.path.dirname(xk.__file__)), HERE]))
    start = time.time()
    proc = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2",
                           os.path.join(HERE, "tp_worker.py"), mode, str(out)], env=env, capture_output=True,
                          text=True, timeout=timeout)
    results = {}
    for rank in range(2):
        path = os.path.join(out, f"{mode}-rank{rank}.json")
        if os.path.exists(path):
            with open(path) as f:
                results[rank] = json.load(f)
    return proc.returncode, time.time() - start, proc.stdout + proc.stderr, results


@pytest.fixture(scope="module")
def compared(tmp_path_factory):
    rc, _, output, results = torchrun("compare", tmp_path_factory.mktemp("tp"))
    assert rc == 0 and len(results) == 2, output[-3000:]
    return results


CASES = [f"{arch}-{s}" for arch in ("llama", "qwen2") for s, _ in SCHEMES] + ["llama-a16w8-fp32", "qwen2-a16w8-fp32"]


@pytest.mark.parametrize("case", CASES)
def test_sharded_model_matches_the_unsharded_one(compared, case):
    # Sharding changes only the R = 4 row-parallel outputs (o_proj, down_proj of 2 layers): their partials are
    # rounded to the activation dtype before the fp32 sum and the sum once more (2 roundings, relative u each),
    # their fp32 sums run in another order (gamma_K, K <= 128), and the dynamic schemes quantize each rank's
    # slice with its own scale (at most one quantization step, 1/127 of the row's largest, relative). Each
    # change enters the residual stream once and is normalised by the next RMSNorm, so the logits move by at
    # most R * (2 u + 128 u_fp32 + q) * max|logit|. Greedy tokens are compared while the unsharded model's
    # top-2 margin exceeds twice that.
    r0, r1 = compared[0][case], compared[1][case]
    dtype = torch.float32 if case.endswith("fp32") else torch.bfloat16
    q = 1 / 127 if "-da8" in case else 0.0
    tol = 4 * (2 * UNIT_ROUNDOFF[dtype] + 128 * FP32_U + q) * r0["max_logit"]
    assert r0["max_diff"] <= tol, (case, r0["max_diff"], tol)
    assert r0["qkv_local_out"] == (64 + 32 + 32) // 2  # 2 of 4 heads and 1 of 2 KV heads per rank
    assert r0["all_reduce_calls"] > 0 and r0["all_gather_calls"] > 0  # lm_head split by vocabulary
    assert r0["logits_tp"] == r1["logits_tp"] and r0["tokens_tp"] == r1["tokens_tp"]  # every rank alike
    for step, (first, second) in enumerate(r0["top2_ref"]):
        if first - second <= 2 * tol:
            break  # a near-tie: the remaining tokens may flip between two correct runs
        assert r0["tokens_tp"][step] == r0["tokens_ref"][step], (case, step)


def test_shared_memory_all_reduce_is_gloos_bit_for_bit(compared, tmp_path):
    # ranks on one machine sum through /dev/shm by default; in rank order, which for 2 ranks is gloo's sum
    for r in compared.values():
        for case in CASES:
            assert r[case]["backend"] == "shm" and r[case]["gloo_backend"] == "gloo" and r[case]["shm_equals_gloo"]
    rc, _, output, results = torchrun("allreduce", tmp_path, timeout=120)
    assert rc == 0 and len(results) == 2, output[-3000:]
    for r in results.values():
        assert r["backends"] == ["shm", "gloo"] and all(r["same"]), r  # across slot boundaries too


def test_each_rank_has_its_own_core(compared):
    assert compared[0]["cores"] != compared[1]["cores"] or os.cpu_count() < 2
    assert all(r["threads"] == len(r["cores"]) for r in compared.values())
    # every thread of the rank, not only the one that called init() (gloo starts its own before the pinning)
    for r in compared.values():
        assert len(r["thread_cores"]) > 1 and all(c == r["cores"] for c in r["thread_cores"]), r


def test_unsplittable_shapes_fail_on_every_rank_without_hanging(tmp_path):
    rc, _, output, results = torchrun("bad_shape", tmp_path, timeout=120)
    assert rc == 0 and len(results) == 2, output[-3000:]  # both ranks reached the barrier after the error
    for r in results.values():
        assert r["group"].startswith("model.layers.0.self_attn.o_proj: in_features (K) = 64 cannot be split")
        assert r["kv_heads"].startswith("model.layers.0.self_attn.qkv_proj (part 1): out_features = 16")
        assert r["group_unchanged"] and r["kv_heads_unchanged"]  # all-or-nothing: the model was not touched


@pytest.mark.parametrize("mode", ["die", "stall"])
def test_a_dead_or_silent_rank_makes_the_other_fail_not_hang(tmp_path, mode):
    # die: rank 1 exits mid-run; stall: rank 1 stays alive but never joins (4 s collective timeout)
    rc, seconds, output, results = torchrun(mode, tmp_path, timeout=120)
    assert 0 in results, output[-3000:]
    assert "rank 0 of 2: another rank died, erred or did not answer in time" in results[0]["error"]
    assert results[0]["seconds"] < 30
    if mode == "die":
        assert rc != 0  # torchrun reports the failed rank


# ---- the shared-memory all-reduce op, in one process ----

def test_shm_all_reduce_single_rank_and_bad_arguments():
    region = torch.zeros(64 + 2 * 4096, dtype=torch.uint8)  # world 1: a header line and two 4 KiB slots
    capacity = int(torch.ops.xeon.shm_join(region, 0, 1)[0])
    assert capacity == 1024
    x = torch.randn(1000)
    for seq in (1, 2, 3):  # rounds alternate between the two slot sets
        torch.testing.assert_close(torch.ops.xeon.shm_all_reduce(region, x * seq, 0, 1, seq, 1.0), x * seq, rtol=0,
                                   atol=0)
    bad = [((region.float(), x, 0, 1, 4, 1.0), "region: expected a contiguous uint8"),
           ((region, x.double(), 0, 1, 4, 1.0), "x: expected a contiguous float32"),
           ((region, torch.randn(1025), 0, 1, 4, 1.0), "x: 1025 values exceed a slot of 1024"),
           ((region, x, 1, 1, 4, 1.0), "rank / world: expected 0 <= rank < world"),
           ((region, x, 0, 1, 0, 1.0), "seq: expected a round number >= 1")]
    for args, message in bad:
        with pytest.raises(RuntimeError, match=message):
            torch.ops.xeon.shm_all_reduce(*args)


def test_shm_all_reduce_gives_up_on_a_silent_or_exited_peer():
    region = torch.zeros(2 * 64 + 4 * 4096, dtype=torch.uint8)  # world 2; only rank 0 is here
    torch.ops.xeon.shm_join(region, 0, 2)
    start = time.time()
    with pytest.raises(RuntimeError, match="rank 1 did not reach round 1 within 0.3 s"):
        torch.ops.xeon.shm_all_reduce(region, torch.ones(8), 0, 2, 1, 0.3)
    assert time.time() - start < 5
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()  # reaped: its pid no longer exists
    region.view(torch.int64)[8 + 1] = gone.pid  # rank 1's header line: [round, pid]
    with pytest.raises(RuntimeError, match=rf"rank 1 \(pid {gone.pid}\) has exited"):
        torch.ops.xeon.shm_all_reduce(region, torch.ones(8), 0, 2, 2, 60.0)
