"""torchao's weight tensors (the plain tensors its subclasses hold) into the xeon packed layout, as ops the
rewritten graph calls: `xeon::pack_torchao_weight` (folded into a constant at compile time under freezing) and
`xeon::torchao_linear` (for weights that stay graph inputs: packs each weight once, on its first call, and keeps
the packed form while the weight lives). Needs torch only."""
import threading
import weakref
from typing import List, Optional

import torch

from .. import api, layouts

# What torchao hands each scheme's linear: int8 codes [N, K] and a float scale [N, 1] or [N] (da8w8, a16w8);
# aten's int4pack bytes [N, K / 2] (laid out as [N/64][K][32]) and scale_and_zeros [K/group, N, 2] (a16w4).


def aten_int4pack_codes(qdata: torch.Tensor, n: int, k: int) -> torch.Tensor:
    """The uint4 codes [N, K] of aten._convert_weight_to_int4pack_for_cpu's output (torch 2.13's CPU layout:
    [N/64][K][32] bytes, channel j of a 64-channel block in the low nibble, 32 + j in the high; the tests check
    it against aten's packing)."""
    if n % 64:
        raise ValueError(f"weight: aten's int4 packing of N = {n} (not a multiple of 64) is not supported")
    b = qdata.reshape(n // 64, k, 32)
    codes = torch.cat([b & 0x0F, b >> 4], dim=2)  # [block, k, 64 channels]
    return codes.permute(0, 2, 1).reshape(n, k).contiguous()


def _shape(scheme: str, w: torch.Tensor):
    return (w.shape[0], w.shape[1] * 2) if scheme == "a16w4" else (w.shape[0], w.shape[1])


def _parts(scheme: str, w: torch.Tensor, s: torch.Tensor, group: int) -> dict:
    n, k = _shape(scheme, w)
    if scheme == "a16w4":
        codes = aten_int4pack_codes(w, n, k)
        return layouts.pack("a16w4", codes, s[..., 0].t().float().contiguous(), s[..., 1].t().float().contiguous(),
                            group)
    return layouts.pack(scheme, w, s.reshape(-1).float(), None, None)


def packed_weight(scheme: str, w: torch.Tensor, s: torch.Tensor, group: int, symmetric) -> "api.PackedWeight":
    """A PackedWeight of torchao's weight w, s (da8w8, a16w8, a16w4; group 0 for the int8 schemes): the same codes,
    scales and zeros, never requantized. Used by the compiled graphs (CACHE) and by xeon_kernels.from_torchao."""
    n, k = _shape(scheme, w)
    parts = _parts(scheme, w, s, group)
    return api.PackedWeight.from_parts(scheme, (n, k), group or None,
                                       symmetric if scheme in layouts.DYNAMIC_SCHEMES else None, parts)


@torch.library.custom_op("xeon::pack_torchao_weight", mutates_args=())
def pack_torchao_weight(w: torch.Tensor, s: torch.Tensor, scheme: int, group: int) -> List[torch.Tensor]:
    """The xeon parts (layouts.PARTS order) of torchao's weight w, s for scheme da8w8, a16w8 or a16w4."""
    name = layouts.SCHEMES[scheme]
    return list(_parts(name, w, s, group).values())


@pack_torchao_weight.register_fake
def _(w, s, scheme, group):
    name = layouts.SCHEMES[scheme]
    n, k = _shape(name, w)
    spec = layouts.spec(name, n, k, group or None)
    return [w.new_empty(spec[p][1], dtype=spec[p][0]) for p in layouts.PARTS if p in spec]


class _PackCache:
    """Packed forms of the weights the compiled graphs were handed, each kept while its int8 / int4 tensor lives
    and stays unmodified (its version counter)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._entries = {}
        self.packs = 0  # how many weights were packed (the tests check that a second call packs nothing)

    def get(self, scheme: str, w, s, group, symmetric):
        key = (id(w), id(s), scheme, group, symmetric)
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and entry[0]() is w and entry[1]() is s and entry[2] == (w._version, s._version):
                return entry[3]
        packed = packed_weight(scheme, w, s, group, symmetric)
        with self._lock:
            self.packs += 1
            self._entries[key] = (weakref.ref(w), weakref.ref(s), (w._version, s._version), packed)
            weakref.finalize(w, self._entries.pop, key, None)
        return packed


CACHE = _PackCache()


# xeon::torchao_linear: defined with a CPU kernel and a fake only, not as a torch.library.custom_op, whose Python
# layers (its autograd kernel among them) took 19.6 us a call against its body's 8.2 (256 x 256 DA8W8, M = 1,
# Zen 4, RESULTS.md; 14.6 us now): the rewritten graph calls it where no gradient flows through (AOTAutograd
# traced the gradients before the rewrite), and a caller that asks for one gets torch's autograd-fallback warning.
_lib = torch.library.Library("xeon", "FRAGMENT")
_lib.define("torchao_linear(Tensor x, Tensor w, Tensor s, Tensor? bias, int scheme, int group, bool act_symmetric, "
            "int path) -> Tensor")


def torchao_linear(x: torch.Tensor, w: torch.Tensor, s: torch.Tensor, bias: Optional[torch.Tensor], scheme: int,
                   group: int, act_symmetric: bool, path: int) -> torch.Tensor:
    """x @ W^T + bias for torchao's weight w, s (da8w8, a16w8, a16w4), through the packed form CACHE keeps."""
    packed = CACHE.get(layouts.SCHEMES[scheme], w, s, group, act_symmetric)
    return api.call_linear_op(x, packed, bias, path)


_lib.impl("torchao_linear", torchao_linear, "CPU")


@torch.library.register_fake("xeon::torchao_linear")
def _(x, w, s, bias, scheme, group, act_symmetric, path):
    n, _ = _shape(layouts.SCHEMES[scheme], w)
    return x.new_empty((*x.shape[:-1], n))
