"""Whole models: quantize_ on transformers Llama and Qwen2 built from configs, fusion, eager and compiled
generation, state dicts, the quantized checkpoint and what bad input gets."""
import json
import os
import subprocess
import sys

import pytest
import torch
from torch import nn

import xeon_kernels as xk
from conftest import assert_within

transformers = pytest.importorskip("transformers", reason="transformers is in requirements.txt (the models extra)")
from transformers import (LlamaConfig, LlamaForCausalLM, Qwen2Config, Qwen2ForCausalLM)  # noqa: E402

SCHEMES = [("da8w8", None), ("a16w8", None), ("da8w4", 32), ("a16w4", 32)]
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def tiny(arch="llama", seed=0, layers=2, hidden=64, intermediate=128, vocab=256):
    torch.manual_seed(seed)
    common = dict(hidden_size=hidden, intermediate_size=intermediate, num_hidden_layers=layers,
                  num_attention_heads=4, num_key_value_heads=2, vocab_size=vocab, max_position_embeddings=256)
    model = LlamaForCausalLM(LlamaConfig(**common)) if arch == "llama" else Qwen2ForCausalLM(Qwen2Config(**common))
    return model.eval()


def logits(model, ids):
    with torch.no_grad():
        return model(ids).logits


def upstream_inductor_fault(arch, dtype, patches):
    """Whether this torch's Inductor (config patched with `patches`) fails to compile the generation of the
    unquantized tiny model in dtype (no xeon op in it) with a C++ compile error: torch 2.11.0's does (C++
    naming an undeclared variable in its own kernel, seen on 2026-11-29; 2.10 and 2.13 compile it)."""
    import torch._inductor.config as inductor_config
    from torch._inductor.exc import InductorError
    torch._dynamo.reset()
    model = tiny(arch, seed=2).to(dtype)
    model.forward = torch.compile(model.forward)
    try:
        with torch.no_grad(), inductor_config.patch(patches):
            model.generate(torch.zeros(1, 10, dtype=torch.long), max_new_tokens=8, do_sample=False)
    except InductorError as e:
        return "CppCompileError" in str(e)
    finally:
        torch._dynamo.reset()
    return False


def compiled_generation(run, arch, dtype=torch.float32, **patches):
    """run(), a test of a compiled model's generation; where it fails with Inductor's C++ compile error and
    Inductor fails the same way on the unquantized model, the fault is torch's own: the test is an xfail."""
    from torch._inductor.exc import InductorError
    try:
        return run()
    except InductorError as e:
        if "CppCompileError" in str(e) and upstream_inductor_fault(arch, dtype, patches):
            pytest.xfail(f"torch {torch.__version__}'s Inductor cannot compile the unquantized {arch} either")
        raise


def module_types(model):
    return {name: type(m).__name__ for name, m in model.named_modules()}


@pytest.mark.parametrize("arch", ["llama", "qwen2"])
@pytest.mark.parametrize("scheme,group", SCHEMES)
def test_quantize_converts_fuses_and_matches_unfused(arch, scheme, group):
    ids = torch.randint(0, 256, (2, 9), generator=torch.Generator().manual_seed(1))
    fused = xk.quantize_(tiny(arch), scheme, group_size=group)
    unfused = xk.quantize_(tiny(arch), scheme, group_size=group, fuse=False)
    s = fused.xeon_summary
    # 7 projections per layer, lm_head kept float, q/k/v and gate/up fused in each layer
    assert len(s.converted) == 14 and not s.skipped and len(s.fused) == 4 and not s.unfused
    assert isinstance(fused.lm_head, nn.Linear) and type(fused.lm_head) is nn.Linear
    assert isinstance(fused.model.embed_tokens, nn.Embedding)
    attn = fused.model.layers[0].self_attn
    assert type(attn.q_proj).__name__ == "FusedSlice" and attn.qkv_proj.linear.out_features == 64 + 32 + 32
    if arch == "qwen2":  # biased q/k/v projections: the fused layer carries the concatenated bias
        assert attn.qkv_proj.linear.bias is not None
    o = fused.model.layers[0].self_attn.o_proj
    assert (o.in_features, o.out_features) == (64, 64)
    assert f"scheme={scheme}" in repr(o) and (group is None or f"group_size={group}" in repr(o))
    assert s.bytes_after < s.bytes_before
    # every scheme quantizes per output channel: fused and unfused layers give the same outputs, bit for bit
    torch.testing.assert_close(logits(fused, ids), logits(unfused, ids), rtol=0, atol=0)


@pytest.mark.parametrize("arch,scheme,group", [("llama", "a16w8", None), ("qwen2", "a16w4", 32)])
def test_generate_eager_and_compiled(arch, scheme, group):
    # The xeon ops run the same kernels in both modes; Inductor only reorders the fp32 arithmetic around them
    # (norms, rotary, softmax): relative changes of a few fp32 ulps per op, far below 1e-3 of the largest
    # logit. So the compiled logits are within 1e-3 * max|logit| of eager's, and greedy tokens agree wherever
    # eager's top-2 margin exceeds twice that. (a16 schemes: no activation quantization, whose rounding could
    # amplify such differences.)
    def run():
        from torch._dynamo.utils import counters
        torch._dynamo.reset()
        model = xk.quantize_(tiny(arch, seed=2), scheme, group_size=group)
        ids = torch.randint(0, 256, (1, 10), generator=torch.Generator().manual_seed(3))
        gen = dict(max_new_tokens=8, do_sample=False, output_scores=True, return_dict_in_generate=True)
        eager = model.generate(ids, **gen)
        eager_logits = logits(model, ids)
        model.forward = torch.compile(model.forward)
        compiled = model.generate(ids, **gen)
        scale = eager_logits.abs().max()
        assert_within(logits(model, ids), eager_logits, 1e-3 * scale, "compiled vs eager prefill logits")
        for step, scores in enumerate(eager.scores):
            top2 = scores.topk(2).values[0]
            if top2[0] - top2[1] <= 2e-3 * scale:
                break  # a near-tie: the remaining tokens may flip between two correct runs
            assert compiled.sequences[0, 10 + step] == eager.sequences[0, 10 + step], step
        graphs = counters["stats"]["unique_graphs"]
        model.generate(torch.randint(0, 256, (1, 10), generator=torch.Generator().manual_seed(4)), **gen)
        assert counters["stats"]["unique_graphs"] == graphs, "recompiled for a new prompt / new tokens after warm-up"

    compiled_generation(run, arch)


def test_state_dict_round_trip():
    a = xk.quantize_(tiny(seed=5), "da8w4", group_size=32)
    b = xk.quantize_(tiny(seed=6), "da8w4", group_size=32)  # same structure, other weights
    ids = torch.randint(0, 256, (1, 7), generator=torch.Generator().manual_seed(7))
    assert not torch.equal(logits(a, ids), logits(b, ids))
    b.load_state_dict(a.state_dict())
    torch.testing.assert_close(logits(b, ids), logits(a, ids), rtol=0, atol=0)


def test_quantized_linear_reads_its_current_tensors():
    # forward reads the buffers and the bias from the module's dicts (a shortcut past nn.Module.__getattr__):
    # a bias set, replaced or removed, and buffers assigned another packed weight's tensors, all take effect
    torch.manual_seed(3)
    lin, other = nn.Linear(64, 40), nn.Linear(64, 40)
    q = xk.QuantizedLinear.from_linear(lin, "da8w4", 32, act_symmetric=False)
    x = torch.randn(3, 64)
    assert torch.equal(q(x), xk.linear(x, q.packed_weight(), q.bias))
    q.bias = nn.Parameter(torch.randn(40), requires_grad=False)
    assert torch.equal(q(x), xk.linear(x, q.packed_weight(), q.bias))
    q.bias = None
    assert torch.equal(q(x), xk.linear(x, q.packed_weight()))
    p = xk.pack_weight(other.weight.detach(), "da8w4", 32, act_symmetric=False)
    q.packed, q.scale, q.zero, q.compensation = p.packed, p.scale, p.zero, p.compensation
    assert torch.equal(q(x), xk.linear(x, p))


def test_quantized_linear_stays_on_the_cpu():
    q = xk.QuantizedLinear.from_linear(nn.Linear(64, 16), "da8w8")
    x = torch.randn(3, 64)
    packed, scale, bias = q.packed.clone(), q.scale.clone(), q.bias.detach().clone()
    q.half()  # a dtype cast moves the float bias only; the packed buffers keep their dtypes
    assert q.packed.dtype == torch.int8 and q.scale.dtype == torch.float32 and q.bias.dtype == torch.float16
    from torch._subclasses.fake_tensor import FakeTensorMode
    with FakeTensorMode():
        elsewhere = torch.empty(0, device="cuda")  # a tensor that claims another device, without one
    with pytest.raises(ValueError, match="run on the CPU only; cannot move to cuda"):
        q._apply(lambda t: elsewhere)
    assert q.packed.device.type == "cpu"
    torch.testing.assert_close(q.packed, packed, rtol=0, atol=0)
    torch.testing.assert_close(q.scale, scale, rtol=0, atol=0)
    torch.testing.assert_close(q.float()(x), xk.linear(x, q.packed_weight(), bias.half().float()), rtol=0, atol=0)


def test_layer_the_scheme_cannot_take_stays_float():
    model = nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 48), nn.Linear(48, 8))
    xk.quantize_(model, "da8w4", group_size=64)  # K = 32 and K = 48 are not multiples of 64
    s = model.xeon_summary
    assert s.converted == ["0"] and set(s.skipped) == {"2", "3"}
    assert "not a multiple of group_size 64" in s.skipped["2"]
    assert type(model[2]) is nn.Linear and isinstance(model[0], xk.QuantizedLinear)


def test_bad_input_leaves_the_model_unchanged():
    model = tiny(seed=8)
    before = module_types(model)
    with pytest.raises(ValueError, match="scheme: expected one of"):
        xk.quantize_(model, "int3")
    with pytest.raises(ValueError, match="group_size: the da8w8 scheme quantizes per output channel"):
        xk.quantize_(model, "da8w8", group_size=32)
    with pytest.raises(ValueError, match="no nn.Linear layer to quantize"):
        xk.quantize_(model, "da8w8", filter_fn=lambda m, name: False)
    with pytest.raises(ValueError, match="no nn.Linear layer"):
        xk.quantize_(nn.Sequential(nn.ReLU()), "da8w8")
    model.model.norm.to("meta")
    with pytest.raises(ValueError, match="model.norm.weight is on meta"):
        xk.quantize_(model, "da8w8")
    assert module_types(model) == before
    done = xk.quantize_(tiny(seed=9), "a16w8")
    with pytest.raises(ValueError, match="already quantized by xeon_kernels"):
        xk.quantize_(done, "a16w8")
    from torchao.quantization import Int8WeightOnlyConfig, quantize_ as ao_quantize_
    ao = nn.Sequential(nn.Linear(64, 32))
    ao_quantize_(ao, Int8WeightOnlyConfig())
    with pytest.raises(ValueError, match="quantized by torchao"):
        xk.quantize_(ao, "a16w8")


@pytest.mark.parametrize("arch", ["llama", "qwen2"])
def test_save_and_load_quantized(tmp_path, arch):
    model = xk.quantize_(tiny(arch, seed=10), "da8w4", group_size=32)
    ids = torch.randint(0, 256, (1, 8), generator=torch.Generator().manual_seed(11))
    xk.save_quantized(model, str(tmp_path))
    manifest = json.loads((tmp_path / "xeon_quantization.json").read_text())
    assert manifest["format_version"] == 1 and manifest["package_version"] == xk.__version__
    assert all(len(t["sha256"]) == 64 for t in manifest["tensors"].values())
    loaded = xk.load_quantized(str(tmp_path))  # from config.json, on the meta device
    assert not any(t.device.type == "meta" for t in [*loaded.parameters(), *loaded.buffers()])
    torch.testing.assert_close(logits(loaded, ids), logits(model, ids), rtol=0, atol=0)
    skeleton = tiny(arch, seed=12)  # into a float skeleton passed in
    torch.testing.assert_close(logits(xk.load_quantized(str(tmp_path), skeleton), ids), logits(model, ids),
                               rtol=0, atol=0)


def corrupt(directory, how):
    """Writes a bad checkpoint for real: the file or manifest damaged one way."""
    from safetensors.torch import load_file, save_file
    weights, manifest_path = directory / "model.safetensors", directory / "xeon_quantization.json"
    manifest = json.loads(manifest_path.read_text())
    layer = next(iter(manifest["layers"]))
    if how == "truncated":
        data = weights.read_bytes()
        weights.write_bytes(data[: len(data) * 2 // 3])
    elif how == "header":
        data = bytearray(weights.read_bytes())
        data[8:16] = b"{{{{{{{{"
        weights.write_bytes(bytes(data))
    elif how == "missing tensor":
        tensors = load_file(str(weights))
        del tensors[f"{layer}.scale"]
        save_file(tensors, str(weights))
    elif how == "flipped byte":
        data = bytearray(weights.read_bytes())
        data[-5] ^= 0x10  # in the last tensor's data
        weights.write_bytes(bytes(data))
    elif how == "other scheme":
        manifest["layers"][layer]["scheme"] = "a16w4"
        manifest_path.write_text(json.dumps(manifest))
    elif how == "other shapes":
        manifest["layers"][layer]["out_features"] += 32
        manifest_path.write_text(json.dumps(manifest))
    elif how == "other version":
        manifest["format_version"] = 99
        manifest_path.write_text(json.dumps(manifest))
    return layer


@pytest.mark.parametrize("how,message", [
    ("truncated", r"model.safetensors: (unreadable safetensors file|tensor .* is unreadable)"),
    ("header", r"model.safetensors: unreadable safetensors file"),
    ("missing tensor", r"model.safetensors: tensor '.*\.scale' is missing"),
    ("flipped byte", r"model.safetensors: tensor '.*' does not match its checksum"),
    ("other scheme", r"model.safetensors: tensor '.*' (does not belong to|is torch)"),
    ("other shapes", r"xeon_quantization.json: layer '.*' is 96 x 64, the model's is 64 x 64"),
    ("other version", r"xeon_quantization.json: format version 99 is not supported"),
])
def test_bad_checkpoints_are_refused_and_leave_the_model_untouched(tmp_path, how, message):
    xk.save_quantized(xk.quantize_(tiny(seed=13), "da8w4", group_size=32), str(tmp_path))
    corrupt(tmp_path, how)
    skeleton = tiny(seed=14)
    before = module_types(skeleton)
    with pytest.raises(xk.models.CheckpointError, match=message):
        xk.load_quantized(str(tmp_path), skeleton)
    assert module_types(skeleton) == before
    if how == "flipped byte":  # the documented way to skip the check loads it (with the flipped byte)
        xk.load_quantized(str(tmp_path), verify=False)


def test_load_never_materialises_float_weights(tmp_path):
    # A model whose fp32 weights take 148 MiB; its da8w4 checkpoint about a sixth of that. Loading it in a fresh
    # process must raise the peak resident memory by less than the float weights would take.
    model = tiny(layers=4, hidden=1024, intermediate=2048, vocab=512, seed=15)
    float_bytes = sum(p.numel() * 4 for p in model.parameters())
    xk.save_quantized(xk.quantize_(model, "da8w4", group_size=128), str(tmp_path))
    del model
    code = ("import resource, sys, torch, xeon_kernels as xk, transformers\n"
            "base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
            "m = xk.load_quantized(sys.argv[1])\n"
            "print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base) * 1024)\n")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in (os.environ.get("PYTHONPATH"), ROOT) if p))
    r = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, env=env)
    assert r.returncode == 0, r.stderr
    peak = int(r.stdout.strip().splitlines()[-1])
    assert peak < float_bytes / 2, (peak, float_bytes)
