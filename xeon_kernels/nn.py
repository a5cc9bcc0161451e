"""QuantizedLinear: an nn.Linear replacement holding a packed weight, and the fused projections (q/k/v,
gate/up) built on it.

Module swap rather than a weight tensor subclass: the module's forward is one call of a custom op (what
torch.compile traces and Inductor keeps as an extern call), its state is plain buffers (state_dict,
safetensors, the meta device and load_state_dict(assign=True) work as for any module), and printing the
model shows what each layer runs.
"""
from typing import Optional

import torch
from torch import nn

from . import layouts
from .api import call_op, pack_weight
from .packed import PackedWeight

# QuantizedLinear's buffers and the packed parts they hold.
_BUFFERS = {"packed": "codes", "scale": "scale", "zero": "zero", "compensation": "sum"}


class QuantizedLinear(nn.Module):
    """y = x @ W^T + bias with W quantized and packed for the xeon kernels (scheme da8w8, a16w8, da8w4, a16w4).

    Keeps in_features / out_features; the packed weight lives in buffers (packed, scale, compensation, zero),
    the bias (if any) in a float parameter. CPU only: moving it to another device is an error.
    """

    def __init__(self, in_features: int, out_features: int, scheme: str, group_size: Optional[int] = None,
                 act_symmetric: Optional[bool] = None, bias: bool = False, bias_dtype=torch.float32, device=None):
        super().__init__()
        if scheme not in layouts.SCHEMES:
            raise ValueError(f"scheme: expected one of {layouts.SCHEMES}, got {scheme!r}")
        self.in_features, self.out_features = int(in_features), int(out_features)
        self.scheme, self.group_size = scheme, group_size
        self.act_symmetric = act_symmetric
        spec = layouts.spec(scheme, out_features, in_features, group_size)
        for name, part in _BUFFERS.items():
            if part in spec:
                dtype, shape = spec[part]
                self.register_buffer(name, torch.empty(shape, dtype=dtype, device=device))
            else:
                self.register_buffer(name, None)
        self.bias = nn.Parameter(torch.empty(out_features, dtype=bias_dtype, device=device),
                                 requires_grad=False) if bias else None

    @classmethod
    def from_packed(cls, packed: PackedWeight, bias: Optional[torch.Tensor] = None) -> "QuantizedLinear":
        n, k = packed.shape
        m = cls(k, n, packed.scheme, packed.group_size, packed.act_symmetric, bias is not None,
                bias.dtype if bias is not None else torch.float32, device="meta")
        for name in _BUFFERS:
            if getattr(m, name) is not None:
                setattr(m, name, getattr(packed, name))
        if bias is not None:
            m.bias = nn.Parameter(bias.detach().clone(), requires_grad=False)
        return m

    @classmethod
    def from_linear(cls, linear: nn.Linear, scheme: str, group_size: Optional[int] = None,
                    act_symmetric: Optional[bool] = None) -> "QuantizedLinear":
        return cls.from_packed(pack_weight(linear.weight.detach(), scheme, group_size, act_symmetric), linear.bias)

    def packed_weight(self) -> PackedWeight:
        return PackedWeight(self.scheme, (self.out_features, self.in_features), self.group_size, self.act_symmetric,
                            self.packed, self.scale, self.compensation, self.zero)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # The tensors from the dicts nn.Module.__getattr__ searches: that lookup took 0.7 us a tensor, 2.7 of a
        # 64 x 64 module call's 9.0 us (Zen 4, RESULTS.md), paid by every linear of every decode step.
        b = self._buffers
        bias = self._parameters["bias"] if "bias" in self._parameters else self.bias  # None: a plain attribute
        return call_op(x, self.scheme, b["packed"], b["scale"], b["zero"], b["compensation"], self.act_symmetric,
                       self.out_features, self.in_features, bias)

    def _apply(self, fn, recurse=True):
        # .to(device) / .cuda() / .half() all come here: probe where fn sends a tensor before moving anything
        probe = fn(torch.empty(0))
        if probe.device.type not in ("cpu", "meta"):
            raise ValueError(f"QuantizedLinear: the xeon kernels run on the CPU only; cannot move to {probe.device}")
        packed = {name: getattr(self, name) for name in _BUFFERS}
        out = super()._apply(fn, recurse)
        for name, t in packed.items():  # dtype casts (model.half()) must not touch the packed integer buffers
            if t is not None and getattr(self, name).dtype != t.dtype:
                setattr(self, name, t.to(getattr(self, name).device))
        return out

    def extra_repr(self) -> str:
        sym = "" if self.act_symmetric is None else f", act_symmetric={self.act_symmetric}"
        group = "" if self.group_size is None else f", group_size={self.group_size}"
        return (f"in_features={self.in_features}, out_features={self.out_features}, scheme={self.scheme}{group}"
                f"{sym}, bias={self.bias is not None}")


class FusedSlice(nn.Module):
    """One of several projections of one input (q/k/v, gate/up) computed by one fused QuantizedLinear (a sibling
    module of its parent, concatenated along N). The first slice's call computes the fused GEMM and keeps the
    others' outputs for their calls with the same input; a call with another input recomputes (correct, slower).
    Every scheme quantizes per output channel, so the outputs are those of the unfused layers, bit for bit."""

    def __init__(self, fused: "FusedProjection", index: int):
        super().__init__()
        self._fused = [fused]  # a list: not a submodule (the parent owns the fused layer)
        self.index = index
        self.out_features = fused.sizes[index]
        self.in_features = fused.linear.in_features

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._fused[0].output(x, self.index)

    def extra_repr(self) -> str:
        return f"slice {self.index} of the fused {self._fused[0].name}, out_features={self.out_features}"


class FusedProjection(nn.Module):
    """The fused projection of several linears reading one input: `linear` computes all their outputs at once."""

    def __init__(self, linear: QuantizedLinear, sizes, name: str):
        super().__init__()
        self.linear = linear
        self.sizes = list(sizes)
        self.name = name
        self._pending = None  # (input, outputs of the slices not yet returned)

    def output(self, x: torch.Tensor, index: int) -> torch.Tensor:
        pending = self._pending
        if index > 0 and pending is not None and pending[0] is x:
            outs = pending[1]
        else:
            outs = self.linear(x).split(self.sizes, dim=-1)
        self._pending = (x, outs) if index < len(self.sizes) - 1 else None
        return outs[index]
