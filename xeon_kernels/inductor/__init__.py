"""torch.compile of a torchao-quantized model on the xeon kernels: `xeon_kernels.inductor.register()`.

After register(), Inductor rewrites the linears torchao 0.18 produces into xeon ops:
- DA8W8 (Int8DynamicActivationInt8WeightConfig, symmetric or asymmetric activations, both branches of torchao's
  CPU matmul: u8s8 with compensation and s8s8) -> xeon::da8w8_linear;
- A16W8 (Int8WeightOnlyConfig) -> xeon::a16w8_linear;
- A16W4 (aten._weight_int4pack_mm_for_cpu, PrototypeInt4WeightOnlyConfig) -> xeon::a16w4_linear;
- DA8W4 (torchao.da8w4_linear_cpu with torchao's activation quantization) -> xeon::da8w4_linear, which quantizes
  the activations inside the kernel;
for bf16 and fp32 activations (A16W4 also fp16), with or without freezing, and concatenates the ones that share
an input under `cpp.enable_concat_linear`. How and when weights are packed: rewrite.py.

The pass is appended to `torch._inductor.config.joint_custom_pre_pass` beside any other (never replacing them);
it is a CustomGraphPass whose uuid() hashes this package's source, torchao's version and the selected kernel
path, so Inductor's FX graph cache never serves a graph rewritten by other code. Inductor before torch 2.13 takes
one pass there, not a list: with another pass present, both then run in a PassChain.
"""
import functools
import hashlib
import os

from torch._inductor import custom_graph_pass
from torch._inductor.custom_graph_pass import CustomGraphPass

# Inductor runs each pass of a list given as joint_custom_pre_pass from the torch that brought this helper (2.13;
# torch 2.11 calls the value itself: "'list' object is not callable", seen on the AMX machine).
_TAKES_A_LIST = hasattr(custom_graph_pass, "get_custom_graph_passes")


class PassChain(CustomGraphPass):
    """Several passes as the one joint_custom_pre_pass an older Inductor takes, run in order."""

    def __init__(self, passes):
        self.passes = tuple(passes)

    def __call__(self, graph):
        for p in self.passes:
            p(graph)

    def uuid(self):
        # None (no caching of the graph) when a pass cannot say what it does, as Inductor treats such a pass
        ids = [p.uuid() if isinstance(p, CustomGraphPass) else None for p in self.passes]
        return None if any(i is None for i in ids) else "+".join(map(str, ids))


def get_custom_graph_passes(custom_pass):
    """The passes a joint_custom_pre_pass value holds, as a tuple (None, one pass, a list of them, or a
    PassChain). torch 2.13's custom_graph_pass has this helper (without PassChain); 2.11's does not."""
    if custom_pass is None:
        return ()
    if isinstance(custom_pass, PassChain):
        return custom_pass.passes
    return tuple(custom_pass) if isinstance(custom_pass, (list, tuple)) else (custom_pass,)


def _config_value(passes):
    """What joint_custom_pre_pass takes for these passes on this torch."""
    if _TAKES_A_LIST:
        return list(passes)
    return None if not passes else passes[0] if len(passes) == 1 else PassChain(passes)


_SOURCES = ("__init__.py", "graph_match.py", "rewrite.py", "torchao_graphs.py", "torchao_weights.py")


@functools.lru_cache(maxsize=None)
def _source_hash() -> str:
    h = hashlib.sha256()
    here = os.path.dirname(os.path.abspath(__file__))
    for name in _SOURCES:
        with open(os.path.join(here, name), "rb") as f:
            h.update(f.read())
    try:
        import torchao
        h.update(torchao.__version__.encode())
    except ImportError:
        h.update(b"no torchao")
    return h.hexdigest()


class XeonLinearPass(CustomGraphPass):
    """The joint-graph pass: torchao's quantized linears into xeon ops (rewrite.rewrite)."""

    def __init__(self):
        self.rewritten = 0  # linears rewritten by this pass (all compilations)

    def __call__(self, graph):
        from . import rewrite
        self.rewritten += rewrite.rewrite(graph)

    def uuid(self):
        from .. import _paths, torchao_compat
        return f"xeon-linear-{_source_hash()}-path{_paths.forced_id()}-prepack{int(torchao_compat.registered())}"


PASS = XeonLinearPass()
_before = None  # the config value register() replaced, given back by unregister() when nothing else changed


def register() -> None:
    """Appends the pass to Inductor's joint_custom_pre_pass (a second call adds nothing). Needs torchao
    (the references are torchao's own code, traced on first use)."""
    from torch._inductor import config
    from .._extras import require
    require("torchao", "torchao", "xeon_kernels.inductor.register")
    from . import torchao_graphs
    torchao_graphs.references()  # traced now, outside any compilation
    passes = get_custom_graph_passes(config.joint_custom_pre_pass)
    global _before
    if any(p is PASS for p in passes):
        return
    _before = config.joint_custom_pre_pass
    config.joint_custom_pre_pass = _config_value([*passes, PASS])


def unregister() -> None:
    """Removes the pass; the others stay as they were (the very value register() found, when no pass was
    added or removed since)."""
    from torch._inductor import config
    current = get_custom_graph_passes(config.joint_custom_pre_pass)
    passes = [p for p in current if p is not PASS]
    if len(passes) == len(current):
        return
    same = list(get_custom_graph_passes(_before)) == passes
    config.joint_custom_pre_pass = _before if same else _config_value(passes)


def registered() -> bool:
    from torch._inductor import config
    return any(p is PASS for p in get_custom_graph_passes(config.joint_custom_pre_pass))
