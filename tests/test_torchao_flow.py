"""torchao's flow on the xeon kernels: from_torchao (same codes, no requantization), XeonQuantConfig through
torchao.quantization.quantize_ and transformers' TorchAoConfig, and the PyTorch 2.8 blog's recipes as the
README maps them (its snippets run here)."""
import copy
import os
import re

import pytest
import torch
from torch import nn

import xeon_kernels as xk
from conftest import make_input
from xeon_kernels.nn import FusedSlice

pytest.importorskip("torchao", reason="torchao is in requirements.txt (the torchao extra)")
from torchao.prototype.quantization.int4 import (Int8DynamicActivationInt4WeightConfig,  # noqa: E402
                                                 PrototypeInt4WeightOnlyConfig)
from torchao.quantization import (Int8DynamicActivationInt8WeightConfig, Int8WeightOnlyConfig,  # noqa: E402
                                  quantize_)
from torchao.quantization.quant_primitives import MappingType  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONFIGS = [
    (lambda: Int8DynamicActivationInt8WeightConfig(), "da8w8", None, True),
    (lambda: Int8DynamicActivationInt8WeightConfig(act_mapping_type=MappingType.ASYMMETRIC), "da8w8", None, False),
    (lambda: Int8WeightOnlyConfig(), "a16w8", None, None),
    (lambda: PrototypeInt4WeightOnlyConfig(group_size=64), "a16w4", 64, None),
    (lambda: Int8DynamicActivationInt4WeightConfig(group_size=32), "da8w4", 32, False),
    (lambda: Int8DynamicActivationInt4WeightConfig(group_size=64, act_mapping_type=MappingType.SYMMETRIC), "da8w4",
     64, True),
]


@pytest.mark.parametrize("make_config,scheme,group,sym", CONFIGS)
@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
def test_from_torchao_keeps_codes_and_matches_xk_linear(make_config, scheme, group, sym, dtype):
    w = make_input((128, 256), dtype, 1, 0.1)
    b = make_input((128,), dtype, 2)
    model = nn.Sequential(nn.Linear(256, 128)).to(dtype)
    with torch.no_grad():
        model[0].weight.copy_(w)
        model[0].bias.copy_(b)
    quantize_(model, make_config())
    xk.from_torchao(model)
    q = model[0]
    assert isinstance(q, xk.QuantizedLinear) and (q.scheme, q.group_size, q.act_symmetric) == (scheme, group, sym)
    p = xk.pack_weight(w, scheme, group, act_symmetric=sym)  # torchao's codes (tested in test_quantize / int4)
    got = q.packed_weight()
    torch.testing.assert_close(got.int_codes(), p.int_codes(), rtol=0, atol=0)
    torch.testing.assert_close(got.scales(), p.scales(), rtol=0, atol=0)
    if group:
        torch.testing.assert_close(got.zero_points(), p.zero_points(), rtol=0, atol=0)
    x = make_input((3, 5, 256), dtype, 3)
    torch.testing.assert_close(model(x), xk.linear(x, p, b), rtol=0, atol=0)


@pytest.mark.parametrize("make_config,scheme,group,sym", CONFIGS)
def test_from_torchao_fuses_qkv_and_gate_up_bit_for_bit(make_config, scheme, group, sym):
    # q/k/v and gate/up of a Llama become one GEMM each (their codes, scales and zero points concatenated
    # along N and packed again); every scheme quantizes per output channel (and group), so the logits equal
    # the unfused conversion's bit for bit, and the packed parts are the slices' own.
    from test_models import logits, tiny
    # hidden 128: k / v have 64 outputs, the least aten's int4 packing (A16W4) can be read back from
    model = tiny("llama", seed=4, hidden=128, intermediate=256).to(torch.bfloat16)
    quantize_(model, make_config())
    unfused = xk.from_torchao(copy.deepcopy(model), fuse=False)
    fused = xk.from_torchao(model)
    attn, mlp = fused.model.layers[0].self_attn, fused.model.layers[0].mlp
    assert isinstance(attn.q_proj, FusedSlice) and isinstance(mlp.up_proj, FusedSlice)
    assert (attn.qkv_proj.sizes, mlp.gate_up_proj.sizes) == ([128, 64, 64], [256, 256])
    q = attn.qkv_proj.linear
    assert (q.scheme, q.group_size, q.act_symmetric) == (scheme, group, sym)
    parts = [unfused.model.layers[0].self_attn.get_submodule(n).packed_weight() for n in ("q_proj", "k_proj", "v_proj")]
    torch.testing.assert_close(q.packed_weight().int_codes(), torch.cat([p.int_codes() for p in parts]), rtol=0, atol=0)
    ids = torch.randint(0, 256, (2, 7), generator=torch.Generator().manual_seed(5))
    torch.testing.assert_close(logits(fused, ids), logits(unfused, ids), rtol=0, atol=0)


def test_concatenated_refuses_packs_that_differ():
    from xeon_kernels.packed import concatenated
    a = xk.pack_weight(make_input((32, 64), torch.float32, 1), "da8w4", 32)
    with pytest.raises(ValueError, match="packs: expected one scheme, K, group size"):
        concatenated([a, xk.pack_weight(make_input((32, 64), torch.float32, 2), "da8w4", 64)])
    with pytest.raises(ValueError, match="packs: expected one scheme"):
        concatenated([a, xk.pack_weight(make_input((32, 128), torch.float32, 2), "da8w4", 32)])


def test_aten_int4pack_layout_is_what_from_torchao_reads():
    from xeon_kernels.inductor.torchao_weights import aten_int4pack_codes
    for n, k in [(64, 64), (192, 256)]:
        codes = torch.randint(0, 16, (n, k), dtype=torch.int32, generator=torch.Generator().manual_seed(n + k))
        packed = torch.ops.aten._convert_weight_to_int4pack_for_cpu(codes, 1)
        torch.testing.assert_close(aten_int4pack_codes(packed, n, k), codes.to(torch.uint8), rtol=0, atol=0)


def test_from_torchao_refuses_what_it_cannot_take():
    with pytest.raises(ValueError, match="no linear layer quantized by torchao"):
        xk.from_torchao(nn.Sequential(nn.Linear(64, 32)))
    from torchao.quantization import PerTensor
    model = nn.Sequential(nn.Linear(64, 32), nn.Linear(32, 32))
    quantize_(model, Int8DynamicActivationInt8WeightConfig(), filter_fn=lambda m, name: name == "0")
    quantize_(model, Int8DynamicActivationInt8WeightConfig(granularity=PerTensor()),
              filter_fn=lambda m, name: name == "1")
    with pytest.raises(ValueError, match="1: weight: torchao int8 weights with block size"):
        xk.from_torchao(model)
    assert not isinstance(model[0], xk.QuantizedLinear)  # nothing converted


@pytest.mark.parametrize("scheme,group", [("da8w8", None), ("a16w4", 32)])
def test_xeon_config_in_torchao_quantize(scheme, group):
    model = nn.Sequential(nn.Linear(64, 48), nn.ReLU(), nn.Linear(48, 32))
    ours = nn.Sequential(nn.Linear(64, 48), nn.ReLU(), nn.Linear(48, 32))
    ours.load_state_dict(model.state_dict())
    quantize_(model, xk.XeonQuantConfig(scheme, group_size=group))
    xk.quantize_(ours, scheme, group_size=group if group else None, fuse=False, filter_fn=lambda m, n: n != "2")
    assert isinstance(model[0], xk.QuantizedLinear)
    # K = 48 is not a multiple of the group 32: that layer stays float, as in xk.quantize_
    assert isinstance(model[2], xk.QuantizedLinear) == (group is None)
    x = make_input((4, 64), torch.float32, 5)
    torch.testing.assert_close(model[0](x), ours[0](x), rtol=0, atol=0)


def test_transformers_torchao_config_from_pretrained(tmp_path):
    from transformers import AutoModelForCausalLM, LlamaConfig, LlamaForCausalLM, TorchAoConfig
    torch.manual_seed(0)
    config = LlamaConfig(hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
                         num_key_value_heads=2, vocab_size=256, max_position_embeddings=128)
    LlamaForCausalLM(config).save_pretrained(str(tmp_path))
    model = AutoModelForCausalLM.from_pretrained(
        str(tmp_path), quantization_config=TorchAoConfig(quant_type=xk.XeonQuantConfig("da8w4", group_size=32)))
    assert isinstance(model.model.layers[0].self_attn.q_proj, xk.QuantizedLinear)
    assert type(model.lm_head) is nn.Linear
    ref = xk.quantize_(LlamaForCausalLM.from_pretrained(str(tmp_path)).eval(), "da8w4", group_size=32, fuse=False)
    ids = torch.randint(0, 256, (1, 9), generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        torch.testing.assert_close(model(ids).logits, ref(ids).logits, rtol=0, atol=0)


def readme_recipes():
    with open(os.path.join(ROOT, "README.md")) as f:
        blocks = re.findall(r"```python\n(.*?)```", f.read(), flags=re.S)
    return [b for b in blocks if b.startswith("# blog recipe")]


def test_readme_maps_the_three_blog_recipes():
    recipes = readme_recipes()
    assert len(recipes) == 3
    for code in recipes:
        torch.manual_seed(0)
        model = nn.Sequential(nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 64)).to(torch.bfloat16)
        x = torch.randn(4, 256, dtype=torch.bfloat16)
        scope = {"model": model}
        exec(compile(code, "README.md", "exec"), scope)
        model = scope["model"]
        assert isinstance(model[0], xk.QuantizedLinear) or type(model[0].weight).__name__ != "Parameter", code
        with torch.no_grad():
            y = model(x)
        assert y.shape == (4, 64) and torch.isfinite(y).all()
