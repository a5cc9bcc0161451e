"""One rank of the tensor-parallel tests (tests/test_parallel.py launches it with torchrun, 2 processes, gloo
over loopback). Writes what it saw to <out>/<mode>-rank<r>.json; the assertions live in the test."""
import json
import os
import sys
import time

import torch
import torch.distributed as dist

import xeon_kernels as xk
from xeon_kernels import parallel
from test_models import SCHEMES, logits, tiny

mode, out = sys.argv[1], sys.argv[2]
# a short collective timeout for the "stall" case; the others never wait that long
rank, world = parallel.init(timeout_s=4 if mode == "stall" else 60)
def thread_cores():
    """The CPU set of each thread of this process (gloo's included), as far as they still run."""
    sets = []
    for tid in os.listdir("/proc/self/task"):
        try:
            sets.append(sorted(os.sched_getaffinity(int(tid))))
        except OSError:
            pass
    return sets


result = {"rank": rank, "world": world, "threads": torch.get_num_threads(),
          "cores": sorted(os.sched_getaffinity(0)), "thread_cores": thread_cores()}


def checkpoint(name, build):
    """Rank 0 quantizes the float model and saves it; every rank then loads from the directory (no rank but 0
    ever holds the float model)."""
    directory = os.path.join(out, name)
    if rank == 0:
        xk.save_quantized(build(), directory)
    dist.barrier()
    return directory


def generated(model, ids):
    gen = dict(max_new_tokens=8, do_sample=False, output_scores=True, return_dict_in_generate=True)
    with torch.no_grad():
        g = model.generate(ids, **gen)
    return g.sequences[0, ids.shape[1]:].tolist(), [s[0].float().topk(2).values.tolist() for s in g.scores]


if mode == "compare":
    ids = torch.randint(0, 256, (1, 11), generator=torch.Generator().manual_seed(7))
    for arch in ("llama", "qwen2"):
        for scheme, group in SCHEMES + [("a16w8-fp32", None)]:
            base = scheme.split("-")[0]
            dtype = torch.float32 if scheme.endswith("fp32") else torch.bfloat16
            float_model = tiny(arch, seed=3).to(dtype)
            directory = checkpoint(f"{arch}-{scheme}", lambda: xk.quantize_(tiny(arch, seed=3).to(dtype), base,
                                                                            group_size=group))
            ref = xk.load_quantized(directory)
            tp = parallel.load_sharded(directory)
            comm = parallel.comm_of(tp)
            want, got, flt = logits(ref, ids).float(), logits(tp, ids).float(), logits(float_model, ids).float()
            tokens_ref, top2 = generated(ref, ids)
            tokens_tp, _ = generated(tp, ids)
            gloo = parallel.load_sharded(directory, all_reduce="gloo")
            local_q = tp.model.layers[0].self_attn.qkv_proj.linear
            result[f"{arch}-{scheme}"] = {
                "max_diff": (got - want).abs().max().item(), "max_logit": want.abs().max().item(),
                "quant_noise": (want - flt).abs().max().item(), "logits_tp": got.flatten()[:64].tolist(),
                "tokens_ref": tokens_ref, "tokens_tp": tokens_tp, "top2_ref": top2,
                "qkv_local_out": local_q.out_features, "all_reduce_calls": comm.stats["all_reduce"][0],
                "backend": comm.all_reduce_backend, "gloo_backend": parallel.comm_of(gloo).all_reduce_backend,
                "shm_equals_gloo": torch.equal(logits(gloo, ids), logits(tp, ids)),
                "all_gather_calls": comm.stats["all_gather"][0]}
elif mode == "allreduce":
    # the shared-memory all-reduce against gloo's on the same tensors: sizes within one slot, across slots
    from xeon_kernels.parallel.comm import Comm
    shm, gloo = Comm(all_reduce="shm"), Comm(all_reduce="gloo")
    g = torch.Generator().manual_seed(rank)
    sizes = [1, 1000, 4096, shm.shm.capacity + 5, 3 * shm.shm.capacity]
    same = []
    for n in sizes:
        x = torch.randn(n, generator=g)
        same.append(torch.equal(shm.all_reduce_(x.clone()), gloo.all_reduce_(x.clone())))
    result.update(sizes=sizes, same=same, backends=[shm.all_reduce_backend, gloo.all_reduce_backend])
elif mode == "bad_shape":
    cases = {"group": dict(scheme="a16w4", group=64, kv=2), "kv_heads": dict(scheme="da8w8", group=None, kv=1)}
    for case, c in cases.items():
        def build():
            model = tiny("llama", seed=1)
            model.config.num_key_value_heads = c["kv"]
            from transformers import LlamaForCausalLM
            torch.manual_seed(1)
            model = LlamaForCausalLM(model.config).eval()
            return xk.quantize_(model, c["scheme"], group_size=c["group"])
        directory = checkpoint(f"bad-{case}", build)
        model = xk.load_quantized(directory)
        layer = model.model.layers[0].self_attn.o_proj
        try:
            parallel.shard_(model)
            result[case] = "no error"
        except parallel.ShardError as e:
            result[case] = str(e)
        result[case + "_unchanged"] = model.model.layers[0].self_attn.o_proj is layer
    dist.barrier()  # every rank got here: nobody waits on a rank that raised
elif mode in ("die", "stall"):
    directory = checkpoint(mode, lambda: xk.quantize_(tiny("llama", seed=1), "a16w8"))
    model = parallel.load_sharded(directory)
    if rank == 1 and mode == "die":
        os._exit(3)  # dies without a word, as a killed process does
    if rank == 1:
        time.sleep(12)  # alive but never joins the collective
        sys.exit(0)
    start = time.time()
    try:
        logits(model, torch.zeros(1, 4, dtype=torch.long))
        result["error"] = None
    except Exception as e:  # noqa: BLE001 (what the surviving rank sees is the point)
        result["error"] = f"{type(e).__name__}: {e}"[:500]
    result["seconds"] = time.time() - start

with open(os.path.join(out, f"{mode}-rank{rank}.json"), "w") as f:
    json.dump(result, f)
dist.destroy_process_group()
