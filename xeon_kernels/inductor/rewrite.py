"""The graph rewrite: torchao's quantized linears (found by torchao_graphs + graph_match) become xeon ops.

Runs as a joint-graph pass, before Inductor's freezing: the weights are still graph inputs there, and under
freezing those that are parameters become constants afterwards.
- Frozen weights: the rewrite inserts `xeon::pack_torchao_weight` on them; freezing's constant folding runs it
  once at compile time and the compiled code holds the packed constants (the tests check the generated code).
  With `cpp.enable_concat_linear`, linears of one scheme that read the same input are concatenated first
  (int8 codes / aten int4pack blocks / xeon DA8W4 blocks along N, scales alike): one packed weight, one call,
  slices of its output. Exact: every output channel keeps its own codes, scale and zero.
- Weights that stay inputs (no freezing): `xeon::torchao_linear`, which packs each weight on its first call and
  keeps it while the weight lives (torchao_weights.CACHE).
DA8W4 weights need no packing: torchao packed them with our prepack kernel (torchao_compat), in our layout.
DA8W4 activations read by several xeon calls are quantized once (xeon::quantize_per_token, shared by q/k/v and
by gate/up unless concatenated) and fed to xeon::da8w4_linear_quantized: what xeon::da8w4_linear computes, bit for
bit, without one quantization per linear; an input read by one call (o, down, lm_head, concatenated q/k/v) goes
to xeon::da8w4_linear, which quantizes inside the kernel (one op call where two were).
The linear ops are called through their `.inference` overloads (no Python autograd kernel; the gradients of a
training graph were traced before this pass runs).
The bias goes into the xeon op (added in fp32 before the one rounding to the output dtype, as torchao's
graphs do), except for A16W4, where torchao adds it after aten's op and the graph keeps that add. A match the
kernels cannot take (K, group, N, dtype) is left as it was.
"""
import operator
from collections import Counter
from dataclasses import dataclass
from typing import Dict, List, Optional

import torch
from torch import fx

from .. import _paths, layouts
from . import graph_match, torchao_graphs, torchao_weights  # noqa: F401  (torchao_weights defines the ops)

aten, xeon = torch.ops.aten, torch.ops.xeon


@dataclass
class Found:
    scheme: str
    out: fx.Node  # the node whose value the xeon op replaces
    x: fx.Node
    weights: List[fx.Node]  # torchao's tensors: (w, s) or, for da8w4, (w, s, z, comp)
    bias: Optional[fx.Node]
    symmetric: Optional[bool]
    group: int  # 0 for the int8 schemes
    n: int
    k: int


def _val(node):
    return node.meta.get("val") if isinstance(node, fx.Node) else None


def _name(placeholder: str) -> str:
    return placeholder.rsplit("_", 1)[0]  # make_fx names placeholders x_1, w_1, ...


def _from_reference(ref, bindings, out) -> Optional[Found]:
    b = {_name(k): v for k, v in bindings.items()}
    x, w = b["x"], b["w"]
    xv, wv, ov = _val(x), _val(w), _val(out)
    if not all(isinstance(v, torch.Tensor) for v in (xv, wv, ov)):
        return None
    n = ov.shape[-1]
    if ref.scheme == "da8w4":
        weights, k, group = [w, b["s"], b["z"], b["comp"]], wv.shape[1] * wv.shape[2], wv.shape[2]
    else:
        weights, k, group = [w, b["s"]], wv.shape[1], 0
    return Found(ref.scheme, out, x, weights, b.get("b"), ref.act_symmetric, group, n, k)


def _int4pack_mm(node) -> Optional[Found]:
    x, w, group, sz = node.args
    x = graph_match.look_through(x)  # torchao's 2-D view of x: the xeon op takes x as it is
    xv, wv = _val(x), _val(w)
    if not isinstance(xv, torch.Tensor) or not isinstance(wv, torch.Tensor) or not isinstance(group, int):
        return None
    return Found("a16w4", node, x, [w, sz], None, None, group, wv.shape[0], wv.shape[1] * 2)


def _takes(f: Found) -> bool:
    """Whether the kernels take this linear as it is (else the graph keeps it)."""
    xv, ov = _val(f.x), _val(f.out)
    if xv.dtype not in (torch.float32, torch.bfloat16, torch.float16) or ov.dtype != xv.dtype:
        return False
    if not all(isinstance(d, int) for d in (f.n, f.k)) or f.k < 1 or f.n < 1 or xv.shape[-1] != f.k:
        return False
    if _out_shape(ov) is None:
        return False
    if f.scheme == "da8w8" and f.k > layouts.MAX_K_DA8W8:
        return False
    if f.scheme in layouts.INT4_SCHEMES and (f.group not in layouts.INT4_GROUP_SIZES or f.k % f.group):
        return False
    if f.scheme == "a16w4" and f.n % 64:  # aten's int4pack blocks of 64 channels (torchao_weights)
        return False
    return True


def find(graph: fx.Graph) -> List[Found]:
    refs: Dict[object, list] = {}
    for ref in torchao_graphs.references():
        refs.setdefault(graph_match.output_target(ref.graph), []).append(ref)
    found, used = [], set()
    for node in reversed(graph.nodes):  # outputs first: a linear with its bias before the same without
        if node.op != "call_function" or node in used or graph_match.look_through(node) is not node:
            continue
        f, matched = None, {node}
        if node.target is aten._weight_int4pack_mm_for_cpu.default:
            f = _int4pack_mm(node)
        for ref in refs.get(node.target, ()):
            m = graph_match.unify(ref.graph, node)
            if m is not None:
                f, matched = _from_reference(ref, m[0], node), m[1]
                break
        if f is not None and _takes(f):
            found.append(f)
            used |= matched
    return found[::-1]


def _frozen_inputs(graph: fx.Graph) -> set:
    """The placeholders freezing will make constants: the parameters (the first placeholders), when freezing
    is on (Inductor's freezing.replace_params_with_constants; mutated or aliased ones excepted, which a
    quantized weight is not)."""
    from torch._guards import TracingContext
    from torch._inductor import config
    ctx = TracingContext.try_get()
    if not config.freezing or ctx is None or ctx.params_flat_unwrap_subclasses is None:
        return set()
    params = len(ctx.params_flat_unwrap_subclasses)
    return set(graph.find_nodes(op="placeholder")[:params])


class _Emitter:
    """Inserts calls with their fake values (meta["val"]), as the rest of Inductor expects."""

    def __init__(self, graph: fx.Graph):
        self.graph = graph

    def call(self, target, *args):
        node = self.graph.call_function(target, args)
        fake_args = [_val(a) if isinstance(a, fx.Node) else a for a in args]
        fake_args = [[_val(e) if isinstance(e, fx.Node) else e for e in a] if isinstance(a, list) else a
                     for a in fake_args]
        mode = next(v.fake_mode for v in _leaves(fake_args) if hasattr(v, "fake_mode"))
        with mode:
            node.meta["val"] = target(*fake_args)
        return node

    def getitem(self, node, i):
        item = self.graph.call_function(operator.getitem, (node, i))
        item.meta["val"] = _val(node)[i]
        return item


def _leaves(args):
    for a in args:
        if isinstance(a, list):
            yield from a
        elif isinstance(a, torch.Tensor):
            yield a


def _packed_parts(e: _Emitter, scheme: str, weights, group: int, frozen: bool):
    """The xeon parts (codes, scale, zero, sum as the scheme has them) or None to use the caching op."""
    if scheme == "da8w4":
        return list(weights)
    if not frozen:
        return None
    w, s = weights
    packed = e.call(xeon.pack_torchao_weight.default, w, s, layouts.SCHEME_IDS[scheme], group)
    return [e.getitem(packed, i) for i in range(len(_val(packed)))]


def _quantized_input(e: _Emitter, f: Found, shared: dict):
    """DA8W4's activation codes, scales and zero points of f.x: one xeon::quantize_per_token per input and
    symmetry, shared by every linear reading that input (q/k/v, gate/up), as Inductor alone shares torchao's
    quantization chain. Bit-identical to the quantization inside xeon::da8w4_linear (same C++ routine)."""
    key = (f.x, bool(f.symmetric))
    if key not in shared:
        qmin, qmax = layouts.ACT_RANGES["da8w4", bool(f.symmetric)]
        q = e.call(xeon.quantize_per_token.default, f.x, bool(f.symmetric), qmin, qmax)
        shared[key] = (e.getitem(q, 0), e.call(aten.reshape.default, e.getitem(q, 1), [-1]),
                       e.call(aten.reshape.default, e.getitem(q, 2), [-1]))
    return shared[key]


def _linear(e: _Emitter, f: Found, weights, bias, n: int, frozen: bool, shared: dict, alone: bool):
    """The xeon call for f (weights: f's or the concatenated ones); alone: f's input has no other DA8W4 reader."""
    path = _paths.forced_id()
    scheme_id = layouts.SCHEME_IDS[f.scheme]
    parts = _packed_parts(e, f.scheme, weights, f.group, frozen)
    if parts is None:
        return e.call(xeon.torchao_linear.default, f.x, *weights, bias, scheme_id, f.group, bool(f.symmetric),
                      path)
    if f.scheme == "da8w8":
        codes, scale, comp = parts
        return e.call(xeon.da8w8_linear.inference, f.x, codes, comp, scale, bias, n, f.k, f.symmetric, path)
    if f.scheme == "a16w8":
        codes, scale = parts
        return e.call(xeon.a16w8_linear.inference, f.x, codes, scale, bias, n, f.k, path)
    if f.scheme == "da8w4":
        codes, scale, zero, comp = parts
        if alone:
            return e.call(xeon.da8w4_linear.inference, f.x, codes, scale, zero, comp, bias, n, f.k, bool(f.symmetric),
                          path)
        a_codes, a_scale, a_zero = _quantized_input(e, f, shared)
        return e.call(xeon.da8w4_linear_quantized.default, a_codes, a_scale, a_zero, codes, scale, zero, comp, bias, n,
                      _val(f.x).dtype, path)
    codes, scale, zero = parts
    return e.call(xeon.a16w4_linear.inference, f.x, codes, scale, zero, None, n, f.k, path)


def _out_shape(out_val):
    """The shape to reshape to, with -1 for its one symbolic dim (None where more than one is symbolic)."""
    shape = [d if isinstance(d, int) else -1 for d in out_val.shape]
    return shape if shape.count(-1) <= 1 else None


def _as_out(e: _Emitter, y: fx.Node, f: Found) -> fx.Node:
    """y ([..., N] like x) in the shape of the node it replaces (torchao flattens x to 2-D and back)."""
    if _val(y).dim() == _val(f.out).dim():
        return y
    return e.call(aten.reshape.default, y, _out_shape(_val(f.out)))


_CAT_DIM = {"da8w8": (0, 0), "a16w8": (0, 0), "a16w4": (0, 1), "da8w4": (0, 0, 0, 0)}  # per weight tensor


def _concat_groups(found: List[Found], frozen: set) -> List[List[Found]]:
    groups: Dict[tuple, List[Found]] = {}
    for f in found:
        if all(w in frozen for w in f.weights) and (f.bias is None or f.bias in frozen):
            key = (f.scheme, f.x, f.symmetric, f.group, f.k, f.bias is not None)
            groups.setdefault(key, []).append(f)
    return [g for g in groups.values() if len(g) > 1]


def _alone(found: List[Found], groups: List[List[Found]]) -> set:
    """ids of the DA8W4 linears whose input no other xeon call reads as DA8W4 with the same symmetry (a
    concatenated group is one call): they quantize inside xeon::da8w4_linear, the others share one quantization."""
    grouped = {id(f) for g in groups for f in g}
    calls = list(groups) + [[f] for f in found if id(f) not in grouped]
    readers = Counter((c[0].x, bool(c[0].symmetric)) for c in calls if c[0].scheme == "da8w4")
    return {id(f) for c in calls if readers[(c[0].x, bool(c[0].symmetric))] == 1 for f in c}


def rewrite(graph: fx.Graph) -> int:
    """Rewrites every torchao linear the kernels take; returns how many."""
    found = find(graph)
    if not found:
        return 0
    from torch._inductor import config
    frozen = _frozen_inputs(graph)
    e = _Emitter(graph)
    order = {n: i for i, n in enumerate(graph.nodes)}
    done, new = set(), {}  # new: replaced node -> its replacement (one linear's output is another's input)
    shared = {}  # (input node, symmetric) -> its DA8W4 activation quantization

    def replace(f, node):
        f.out.replace_all_uses_with(node)
        new[f.out] = node
        done.add(f.out)

    def current(f):
        while f.x in new:
            f.x = new[f.x]
        return f
    groups = _concat_groups(found, frozen) if config.cpp.enable_concat_linear else []
    alone = _alone(found, groups)
    for group in groups:
        group.sort(key=lambda f: order[f.out])
        first = current(group[0])
        with graph.inserting_before(first.out):
            weights = [e.call(aten.cat.default, [f.weights[i] for f in group], dim)
                       for i, dim in enumerate(_CAT_DIM[first.scheme])]
            bias = e.call(aten.cat.default, [f.bias for f in group], 0) if first.bias is not None else None
            y = _linear(e, first, weights, bias, sum(f.n for f in group), True, shared, id(first) in alone)
            start = 0
            for f in group:
                part = e.call(aten.slice.Tensor, y, -1, start, start + f.n)
                start += f.n
                replace(f, _as_out(e, part, f))
    for f in found:
        if f.out in done:
            continue
        with graph.inserting_before(f.out):
            y = _linear(e, current(f), f.weights, f.bias, f.n, all(w in frozen for w in f.weights), shared,
                        id(f) in alone)
            replace(f, _as_out(e, y, f))
    graph.eliminate_dead_code()
    return len(found)
