"""xeon_kernels.inductor: torch.compile of torchao-quantized models calls the xeon ops (read from Inductor's
generated code), computes what eager xeon computes, packs weights once, leaves other graphs alone, and
registers beside other passes."""
import copy
import re

import pytest
import torch
from torch import nn

import xeon_kernels as xk
from conftest import UNIT_ROUNDOFF, assert_within, make_input

pytest.importorskip("torchao", reason="torchao is in requirements.txt (the torchao extra)")
import torch._inductor.config as inductor_config  # noqa: E402
from torch._inductor.custom_graph_pass import CustomGraphPass  # noqa: E402
from torch._inductor.utils import run_and_get_code  # noqa: E402
from torchao.prototype.quantization.int4 import (Int8DynamicActivationInt4WeightConfig,  # noqa: E402
                                                 PrototypeInt4WeightOnlyConfig)
from torchao.quantization import (Int8DynamicActivationInt8WeightConfig, Int8WeightOnlyConfig,  # noqa: E402
                                  quantize_)
from torchao.quantization.quant_primitives import MappingType  # noqa: E402

import xeon_kernels.inductor as xi  # noqa: E402
from xeon_kernels.inductor import torchao_weights  # noqa: E402

ASYM = MappingType.ASYMMETRIC
SYM = MappingType.SYMMETRIC
# (config, the xeon op it becomes, the ops of torchao's graph that must be gone from the generated code)
CONFIGS = {
    "da8w8": (lambda: Int8DynamicActivationInt8WeightConfig(), "da8w8_linear", ["_int_mm"]),
    "da8w8_asym": (lambda: Int8DynamicActivationInt8WeightConfig(act_mapping_type=ASYM), "da8w8_linear",
                   ["_int_mm"]),
    "a16w8": (lambda: Int8WeightOnlyConfig(), "a16w8_linear", ["extern_kernels.mm", "mkl", "_weight_int8pack_mm"]),
    "a16w4": (lambda: PrototypeInt4WeightOnlyConfig(group_size=64), "a16w4_linear", ["_weight_int4pack_mm"]),
    # DA8W4: an input read by several linears quantized once (xeon::quantize_per_token), then the linear on the
    # codes; block_linears has the calls of an input read by one linear
    "da8w4": (lambda: Int8DynamicActivationInt4WeightConfig(group_size=64), "da8w4_linear_quantized",
              ["da8w4_linear_cpu"]),
    "da8w4_sym": (lambda: Int8DynamicActivationInt4WeightConfig(group_size=32, act_mapping_type=SYM),
                  "da8w4_linear_quantized", ["da8w4_linear_cpu"]),
}


class Block(nn.Module):
    """Three linears: two reading the same input (one with a bias), one reading another's output."""

    def __init__(self, k=128):
        super().__init__()
        self.a = nn.Linear(k, 128)
        self.b = nn.Linear(k, 192, bias=False)
        self.c = nn.Linear(192, 64)

    def forward(self, x):
        return self.c(self.b(x)) + self.a(x)[..., :64]


def block_linears(name, op=None):
    """The xeon linear calls of Block's graph, sorted: a and b read x, c alone reads b's output (DA8W4: a and
    b share x's quantization, c quantizes inside xeon::da8w4_linear)."""
    op = op or CONFIGS[name][1]
    return sorted([op, op, "da8w4_linear" if name.startswith("da8w4") else op])


@pytest.fixture(autouse=True)
def clean_inductor():
    torch._dynamo.reset()
    with inductor_config.patch(joint_custom_pre_pass=None):
        yield
        xi.unregister()
    torch._dynamo.reset()


def quantized(name, dtype, seed=0, module=Block):
    torch.manual_seed(seed)
    model = module().to(dtype).eval()
    quantize_(model, CONFIGS[name][0]())
    return model


def eager_xeon(model):
    """The same torchao model moved onto xeon's eager modules (same codes, scales, zeros)."""
    return xk.from_torchao(copy.deepcopy(model))


def compiled_code(model, x, **options):
    with torch.no_grad(), inductor_config.patch(**options):
        out, code = run_and_get_code(torch.compile(model), x)
    return out, "\n".join(code)


LINEAR_OPS = ("da8w8_linear", "a16w8_linear", "da8w4_linear", "a16w4_linear")  # with an `.inference` overload


def xeon_calls(code, overloads=False):
    """The xeon ops the generated wrapper calls (not its comments and assertions): Python wrapper or C++
    (cpp_wrapper calls custom ops through the dispatcher); with overloads, as (name, overload) pairs."""
    calls = re.findall(r'= torch\.ops\.xeon\.(\w+)\.(\w+)\(|aoti_torch_call_dispatcher\("xeon::(\w+)", "(\w*)"',
                       code)
    pairs = [(python or cpp, python_overload or cpp_overload or "default")
             for python, python_overload, cpp, cpp_overload in calls]
    return pairs if overloads else [name for name, _ in pairs]


def rounding_bound(terms, dtype):
    # Compiled and eager run the same xeon op on the same packed weights; they differ only where the graph
    # rounds an intermediate to the activation dtype that the eager module keeps in fp32 (A16W4: torchao adds
    # the bias after its op, so the op's output is rounded once more before the add) and in the order of the
    # final add. At most two roundings of each term, each at most one unit roundoff of the term (bias included).
    return 2 * UNIT_ROUNDOFF[dtype] * sum(t.abs() for t in terms)


def block_terms(ours, x):
    """The eager xeon Block's two terms and its biases (what rounding_bound needs)."""
    with torch.no_grad():
        return [ours.c(ours.b(x)), ours.a(x)[..., :64], ours.a.bias.abs().max()[None], ours.c.bias.abs().max()[None]]


@pytest.mark.parametrize("name", list(CONFIGS))
@pytest.mark.parametrize("dtype,freezing", [(torch.bfloat16, True), (torch.float32, False)])
def test_rewrite_calls_xeon_and_matches_eager_xeon(name, dtype, freezing):
    model = quantized(name, dtype)
    ours = eager_xeon(model)
    x = make_input((2, 5, 128), dtype, 1)
    xi.register()
    got, code = compiled_code(model, x, freezing=freezing)
    op, gone = CONFIGS[name][1], CONFIGS[name][2]
    if not freezing and not name.startswith("da8w4"):  # weights that stay inputs: the op that packs them once
        op = "torchao_linear"
    calls = xeon_calls(code)
    assert sorted(c for c in calls if c != "quantize_per_token") == block_linears(name, op), calls
    # The linear ops are called through their overload without an autograd kernel (library.cpp): the default's
    # Python autograd kernel would cost each call microseconds, and a graph torch.compile runs never needs it.
    defaults = [c for c in xeon_calls(code, overloads=True) if c[0] in LINEAR_OPS and c[1] != "inference"]
    assert not defaults, defaults
    if name.startswith("da8w4"):  # a and b read x: one quantization of x for both; c quantizes in its op
        assert calls.count("quantize_per_token") == 1, calls
    for replaced in gone:
        assert replaced not in code, f"{replaced} is still in the compiled code"
    with torch.no_grad():
        want = ours(x)
    assert_within(got, want, rounding_bound(block_terms(ours, x), dtype), f"{name} compiled vs eager xeon")
    if freezing:  # packed at compile time: no packing op in the code, nothing packed on a call
        assert "pack_torchao_weight" not in code and "torchao_linear" not in calls


@pytest.mark.parametrize("name", ["da8w8", "da8w4"])
def test_blog_flags(name):
    # The PyTorch 2.8 blog's Inductor settings: the C++ wrapper (custom ops through the dispatcher),
    # max-autotune (Inductor's own GEMM templates are never offered our graphs' linears: they are gone),
    # concat-linear and the small dequant buffer.
    model = quantized(name, torch.bfloat16)
    ours = eager_xeon(model)
    x = make_input((2, 5, 128), torch.bfloat16, 5)
    xi.register()
    flags = {"cpp_wrapper": True, "max_autotune": True, "cpp.enable_concat_linear": True,
             "cpp.use_small_dequant_buffer": True}
    got, code = compiled_code(model, x, freezing=True, **flags)
    linears = [c for c in xeon_calls(code) if c != "quantize_per_token"]
    assert sorted(linears) == block_linears(name), xeon_calls(code)  # a and b differ in bias: not concatenated
    # through the dispatcher too, the C++ wrapper calls the overloads without an autograd kernel
    assert all(o == "inference" for n, o in xeon_calls(code, overloads=True) if n in LINEAR_OPS), code
    assert "aoti_torch_call_dispatcher" in code  # the C++ wrapper's form of the calls above
    assert not any(op in code for op in CONFIGS[name][2])
    with torch.no_grad():
        want = ours(x)
    assert_within(got, want, rounding_bound(block_terms(ours, x), torch.bfloat16), f"{name} with the blog's flags")


def test_without_freezing_each_weight_is_packed_once():
    model = quantized("da8w8", torch.bfloat16)
    xi.register()
    x = make_input((3, 128), torch.bfloat16, 2)
    before = torchao_weights.CACHE.packs
    with torch.no_grad():
        f = torch.compile(model)
        first = f(x)
        assert torchao_weights.CACHE.packs == before + 3
        assert torch.equal(f(x), first)
        assert torchao_weights.CACHE.packs == before + 3, "a second call packed again"
        model.c.weight.qdata.add_(1)  # a weight changed in place (its version counter moves): packed again
        changed = f(x)
    assert torchao_weights.CACHE.packs == before + 4
    assert not torch.equal(changed, first)


def test_dynamic_token_dimension():
    model = quantized("da8w4", torch.bfloat16)
    ours = eager_xeon(model)
    xi.register()
    with torch.no_grad(), inductor_config.patch(freezing=True):
        f = torch.compile(model, dynamic=True)
        for m in (1, 3, 17):
            x = make_input((1, m, 128), torch.bfloat16, m)
            want = ours(x)
            assert_within(f(x), want, rounding_bound(block_terms(ours, x), torch.bfloat16), f"M = {m}")


@pytest.mark.parametrize("name", ["da8w8", "da8w4", "a16w4"])
def test_concat_linear_makes_one_call_of_linears_sharing_an_input(name):
    class QKV(nn.Module):
        def __init__(self):
            super().__init__()
            self.q, self.k, self.v = nn.Linear(128, 128, bias=False), nn.Linear(128, 64, bias=False), \
                nn.Linear(128, 64, bias=False)

        def forward(self, x):
            return self.q(x), self.k(x), self.v(x)

    model = quantized(name, torch.bfloat16, module=QKV)
    ours = eager_xeon(model)
    x = make_input((4, 128), torch.bfloat16, 3)
    xi.register()
    got, code = compiled_code(model, x, freezing=True, **{"cpp.enable_concat_linear": True})
    # one call; DA8W4's concatenated linear is x's only reader, so it quantizes x inside xeon::da8w4_linear
    assert xeon_calls(code) == ["da8w4_linear" if name == "da8w4" else CONFIGS[name][1]], xeon_calls(code)
    with torch.no_grad():
        want = ours(x)
    for g, w in zip(got, want):  # per-output-channel quantization: concatenation changes nothing
        torch.testing.assert_close(g, w, rtol=0, atol=0)


def test_graph_it_cannot_take_is_left_alone():
    # torchao's per-tensor activation scales (one scale over the whole input, not per token) are another
    # computation: the graph must keep torchao's own ops, and give what Inductor alone gives, bit for bit.
    from torchao.quantization import PerTensor
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(128, 64)).to(torch.bfloat16).eval()
    quantize_(model, Int8DynamicActivationInt8WeightConfig(granularity=PerTensor()))
    x = make_input((5, 128), torch.bfloat16, 4)
    alone, _ = compiled_code(model, x, freezing=True)
    torch._dynamo.reset()
    xi.register()
    got, code = compiled_code(model, x, freezing=True)
    assert not xeon_calls(code) and "_int_mm" in code
    torch.testing.assert_close(got, alone, rtol=0, atol=0)


class OtherPass(CustomGraphPass):
    def __init__(self):
        self.calls = 0

    def __call__(self, graph):
        self.calls += 1

    def uuid(self):
        return "other"


@pytest.mark.parametrize("before", [None, "single", "list"])
def test_register_is_idempotent_and_unregister_restores_the_others(before):
    other = OtherPass()
    value = {None: None, "single": other, "list": [other]}[before]
    inductor_config.joint_custom_pre_pass = value
    xi.register()
    xi.register()
    # a list from torch 2.13 on, a PassChain (or our pass alone) before: get_custom_graph_passes reads both
    passes = xi.get_custom_graph_passes(inductor_config.joint_custom_pre_pass)
    assert [p for p in passes if p is xi.PASS] == [xi.PASS]
    assert [p for p in passes if p is not xi.PASS] == ([] if before is None else [other])
    assert xi.registered()
    xi.unregister()
    assert inductor_config.joint_custom_pre_pass is value
    assert not xi.registered()


def test_another_pass_and_ours_both_run():
    # On this torch, whatever register() leaves in the config (a list, or a PassChain where Inductor takes one
    # pass) must compile, run every pass once per graph, and keep the graph cacheable (both uuids known).
    other = OtherPass()
    inductor_config.joint_custom_pre_pass = other
    xi.register()
    model = quantized("da8w8", torch.float32)
    x = torch.randn(3, 128)
    with torch.no_grad(), inductor_config.patch(freezing=True, fx_graph_cache=False):
        _, code = run_and_get_code(torch.compile(model), x)
    assert other.calls == 1
    assert xeon_calls("\n".join(code)) == block_linears("da8w8")
    value = inductor_config.joint_custom_pre_pass
    uuid = value.uuid() if isinstance(value, CustomGraphPass) else [p.uuid() for p in value]
    assert uuid is not None and "other" in str(uuid) and xi.PASS.uuid() in str(uuid)


def test_uuid_follows_the_path():
    a = xi.PASS.uuid()
    with xk.use_path("ref"):
        assert xi.PASS.uuid() != a  # the path is compiled into the graph
    assert xi.PASS.uuid() == a


def test_llama_generate_compiled_with_register():
    # The whole model through the blog's flow (torchao quantize_, freezing, torch.compile) plus register():
    # every linear of the decoder becomes a xeon op. Same kernels as eager xeon; Inductor reorders only the
    # fp32 arithmetic around them (as in test_models' compiled test): logits within 1e-3 * max|logit| plus
    # the bf16 rounding bound, tokens compared while eager's top-2 margin exceeds twice that.
    from test_models import compiled_generation, logits, tiny

    def run():
        model = tiny("llama", seed=5).to(torch.bfloat16)
        quantize_(model, CONFIGS["da8w4"][0]())
        ours = eager_xeon(model)
        ids = torch.randint(0, 256, (1, 12), generator=torch.Generator().manual_seed(6))
        xi.register()
        with torch.no_grad(), inductor_config.patch(freezing=True):
            compiled_forward = torch.compile(model.forward)
            _, code = run_and_get_code(compiled_forward, ids)
            # q, k, v, o, gate, up, down; lm_head
            linears = sum(isinstance(m, nn.Linear) for m in model.modules())
            calls = xeon_calls("\n".join(code))
            assert linears == 2 * 7 + 1
            # q/k/v and gate/up share their input's quantization; o, down and lm_head are their input's only
            # reader and quantize inside xeon::da8w4_linear
            assert calls.count("da8w4_linear_quantized") == 2 * 5, calls
            assert calls.count("da8w4_linear") == 2 * 2 + 1, calls
            # one activation quantization per shared input: q/k/v's and gate/up's in each layer
            assert calls.count("quantize_per_token") == 2 * 2, calls
            model.forward = compiled_forward
            want = logits(ours, ids)
            scale = want.abs().max()
            tol = 1e-3 * scale + 4 * UNIT_ROUNDOFF[torch.bfloat16] * scale
            assert_within(logits(model, ids), want, tol, "compiled vs eager xeon logits")
            gen = dict(max_new_tokens=6, do_sample=False, output_scores=True, return_dict_in_generate=True)
            eager = ours.generate(ids, **gen)
            compiled = model.generate(ids, **gen)
        for step, scores in enumerate(eager.scores):
            top2 = scores.float().topk(2).values[0]
            if top2[0] - top2[1] <= 2 * tol:
                break  # a near-tie: the remaining tokens may flip between two correct runs
            assert compiled.sequences[0, 12 + step] == eager.sequences[0, 12 + step], step

    compiled_generation(run, "llama", torch.bfloat16, freezing=True)