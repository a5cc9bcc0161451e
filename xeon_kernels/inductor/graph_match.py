"""Finding a reference computation inside an FX graph: structural unification of two aten graphs.

The references are torchao's own linears traced to aten (torchao_graphs.py), so a match means the graph computes
what torchao's code computes, node for node. Unification walks both graphs backwards from an output node:
targets must be equal (in-place variants count as their functional form), literal arguments (scalars, dtypes,
permutation orders, reduction dims relative to the tensor's rank) must be equal, and each reference placeholder
binds one graph node consistently. What it looks through: view / reshape nodes that keep the last dimension
(the graphs carry different numbers of them depending on the input's rank; a reshape that changes the rows is
compared like any node), slices that keep everything, and conversions to the dtype a value already has.
Shape lists (of full, view, reshape) are not compared: they hold the token count, which differs.
"""
from typing import Dict, Optional

import torch
from torch import fx

aten, prims = torch.ops.aten, torch.ops.prims

_VIEWS = {aten.view.default, aten.reshape.default, aten._unsafe_view.default}
_FUNCTIONAL = {aten.sub_.Tensor: aten.sub.Tensor, aten.add_.Tensor: aten.add.Tensor,
               aten.mul_.Tensor: aten.mul.Tensor, aten.div_.Tensor: aten.div.Tensor}
_SHAPE_ARGS = {aten.full.default, aten.empty.memory_format, *_VIEWS}  # their list argument is a shape
_DIM_ARGS = {aten.amin.default, aten.amax.default, aten.sum.dim_IntList}  # their list argument is dims


def _val(node):
    return node.meta.get("val") if isinstance(node, fx.Node) else None


def _is_noop(node: fx.Node) -> bool:
    if node.op != "call_function":
        return False
    src = _val(node.args[0]) if node.args else None
    if not isinstance(src, torch.Tensor):
        return False
    if node.target in _VIEWS:  # transparent to row-wise work only while rows stay rows
        out = _val(node)
        return isinstance(out, torch.Tensor) and src.dim() > 0 and out.dim() > 0 and \
            _same_size(src.shape[-1], out.shape[-1])
    if node.target is prims.convert_element_type.default:
        return src.dtype == node.args[1]
    if node.target is aten.slice.Tensor:  # a slice that keeps everything (torchao's y[:, :N] of an unpadded N)
        out = _val(node)
        return isinstance(out, torch.Tensor) and out.shape == src.shape
    return False


def _same_size(a, b) -> bool:
    if isinstance(a, int) and isinstance(b, int):
        return a == b
    return str(a) == str(b)  # symbolic sizes: the same expression (no guard added)


def look_through(node):
    """The node past any views and same-dtype conversions."""
    while isinstance(node, fx.Node) and _is_noop(node):
        node = node.args[0]
    return node


def _rank(node) -> Optional[int]:
    v = _val(node)
    return v.dim() if isinstance(v, torch.Tensor) else None


class Unifier:
    def __init__(self):
        self.pairs: Dict[fx.Node, fx.Node] = {}  # reference node -> graph node
        self.taken: Dict[fx.Node, fx.Node] = {}  # graph node -> reference node
        self.bindings: Dict[str, fx.Node] = {}  # reference placeholder name -> graph node

    def node(self, ref: fx.Node, got) -> bool:
        ref, got = look_through(ref), look_through(got)
        if ref.op == "placeholder":
            bound = self.bindings.setdefault(ref.target, got)
            return bound is got
        if not isinstance(got, fx.Node) or got.op != "call_function" or ref.op != "call_function":
            return False
        if (ref.target in _VIEWS) != (got.target in _VIEWS):
            # a view on one side only: a reshape whose rows change at one size and not at another (scales
            # [M, 1] -> [M] keep their last dim at M = 1 only); placeholders never bind past one (above)
            return self.node(ref.args[0], got) if ref.target in _VIEWS else self.node(ref, got.args[0])
        if ref in self.pairs:
            return self.pairs[ref] is got
        if got in self.taken:
            return False
        if _FUNCTIONAL.get(ref.target, ref.target) != _FUNCTIONAL.get(got.target, got.target):
            return False
        self.pairs[ref], self.taken[got] = got, ref
        if len(ref.args) != len(got.args) or set(ref.kwargs) != set(got.kwargs):
            return False
        for i, (a, b) in enumerate(zip(ref.args, got.args)):
            if not self._arg(ref, got, i, a, b):
                return False
        return all(self._arg(ref, got, key, ref.kwargs[key], got.kwargs[key]) for key in ref.kwargs)

    def _arg(self, ref, got, where, a, b) -> bool:
        if isinstance(a, fx.Node):
            return isinstance(b, fx.Node) and self.node(a, b)
        if isinstance(b, fx.Node):
            return False
        if isinstance(a, (list, tuple)):
            if not isinstance(b, (list, tuple)):
                return False
            if ref.target in _SHAPE_ARGS:  # a shape, with symbolic sizes (nodes) under dynamic shapes
                return True
            if any(isinstance(e, fx.Node) for e in (*a, *b)):
                return len(a) == len(b) and all(self._arg(ref, got, where, x, y) for x, y in zip(a, b))
            if ref.target in _DIM_ARGS and where == 1:
                ra, rb = _last_dims(a, ref), _last_dims(b, got)
                return ra is not None and ra == rb
            return list(a) == list(b)
        if where == "device":
            return isinstance(b, torch.device) and torch.device(a).type == b.type
        return type(a) is type(b) and a == b


def _last_dims(dims, node):
    """dims counted from the end (a reduction over the last dim is the same at rank 2 and rank 3)."""
    rank = _rank(node.args[0])
    return None if rank is None else sorted(d % rank - rank for d in dims)


def unify(reference: fx.Graph, out: fx.Node):
    """(bindings, matched) if the computation ending at `out` is the reference's (its single output): the
    reference's placeholders bound to graph nodes, and the graph nodes the reference's operations matched;
    else None."""
    (ret,) = [n for n in reference.nodes if n.op == "output"]
    u = Unifier()
    return (u.bindings, set(u.taken)) if u.node(ret.args[0], out) else None


def output_target(reference: fx.Graph):
    """The op of the reference's output node (past views): the only graph nodes worth trying."""
    (ret,) = [n for n in reference.nodes if n.op == "output"]
    node = look_through(ret.args[0])
    return _FUNCTIONAL.get(node.target, node.target)
