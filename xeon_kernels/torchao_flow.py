"""torchao's quantize_ flow on the xeon kernels: XeonQuantConfig (an AOBaseConfig for torchao.quantization.quantize_
and transformers' TorchAoConfig) and from_torchao (a model torchao 0.18 quantized moves onto the xeon kernels
with its own integer codes, scales and zero points, never requantized). Imports torchao: load it only when used
(`xeon_kernels.XeonQuantConfig` and `xeon_kernels.from_torchao` import this module on first access)."""
import dataclasses
from typing import Optional

import torch
from torch import nn
from torchao.core.config import AOBaseConfig
from torchao.quantization.transform_module import register_quantize_module_handler

from .api import pack_weight
from .inductor.torchao_weights import packed_weight
from .models import FUSIONS, _cannot_take, _checked_scheme, install_fused
from .nn import QuantizedLinear
from .packed import PackedWeight, concatenated


@dataclasses.dataclass
class XeonQuantConfig(AOBaseConfig):
    """torchao config for the xeon kernels: `torchao.quantization.quantize_(model, XeonQuantConfig("da8w4"))`, or
    `TorchAoConfig(quant_type=XeonQuantConfig(...))` in transformers' from_pretrained. Each nn.Linear becomes a
    QuantizedLinear (in place: the module object keeps its identity, so per-module flows work). No fusion
    here (xeon_kernels.quantize_ fuses q/k/v and gate/up)."""
    scheme: str = "da8w4"
    group_size: Optional[int] = None
    act_symmetric: bool = True

    def __post_init__(self):
        self.group_size, self._sym = _checked_scheme(self.scheme, self.group_size, self.act_symmetric)


@register_quantize_module_handler(XeonQuantConfig)
def _transform(module: nn.Module, config: XeonQuantConfig) -> nn.Module:
    if not isinstance(module, nn.Linear) or _cannot_take(module, config.scheme, config.group_size):
        return module  # a layer the scheme cannot take stays float, as in xeon_kernels.quantize_
    packed = pack_weight(module.weight.detach(), config.scheme, config.group_size, config._sym)
    return _become_quantized(module, packed)


def _become_quantized(linear: nn.Linear, packed: PackedWeight) -> QuantizedLinear:
    """Turns the nn.Linear object itself into a QuantizedLinear holding `packed` (its bias kept)."""
    bias = linear.bias
    linear._parameters.pop("weight", None)
    linear._parameters.pop("bias", None)
    linear.__class__ = QuantizedLinear
    linear.scheme, linear.group_size, linear.act_symmetric = packed.scheme, packed.group_size, packed.act_symmetric
    linear.out_features, linear.in_features = packed.shape
    for name in ("packed", "scale", "zero", "compensation"):
        linear.register_buffer(name, getattr(packed, name))
    linear.bias = nn.Parameter(bias.detach(), requires_grad=False) if bias is not None else None
    return linear


def _from_torchao_weight(weight) -> Optional[PackedWeight]:
    """A PackedWeight of the same codes, scales and zero points, or None for a weight that is not torchao's."""
    from torchao.prototype.quantization.int4.int4_opaque_tensor import Int4OpaqueTensor
    from torchao.quantization import PerRow
    from torchao.quantization.quant_primitives import MappingType
    from torchao.quantization.quantize_.workflows.int8.int8_tensor import Int8Tensor
    if isinstance(weight, Int8Tensor):
        n, k = weight.shape
        if tuple(weight.block_size) != (1, k):
            raise ValueError(f"weight: torchao int8 weights with block size {tuple(weight.block_size)} are not "
                             "supported (per-row only)")
        act = weight.act_quant_kwargs
        if act is None:
            scheme, sym = "a16w8", None
        else:
            if act.reduce_range or not isinstance(act.granularity, PerRow):
                raise ValueError("weight: torchao DA8W8 with reduce_range or per-tensor activations is not supported "
                                 "(the xeon kernels quantize activations per token over the full int8 range)")
            scheme, sym = "da8w8", act.mapping_type == MappingType.SYMMETRIC
        return packed_weight(scheme, weight.qdata, weight.scale, 0, sym)
    if isinstance(weight, Int4OpaqueTensor):
        n, k = weight.shape
        group = weight.block_size[-1]
        if weight.act_mapping_type is None:  # A16W4 on aten's int4pack: unpack the codes, keep scale and zero
            return packed_weight("a16w4", weight.qdata, weight.scale_and_zero, group, None)
        # DA8W4: torchao packed it with da8w4_linear_prepack_cpu, which is ours: the layout is already the xeon one
        return PackedWeight("da8w4", (n, k), group, weight.act_mapping_type == "symmetric", weight.qdata,
                            weight.scale_and_zero, weight.compensation, weight.qzeros)
    return None


def from_torchao(model: nn.Module, fuse: bool = True) -> nn.Module:
    """Moves the linears of a model quantized by torchao 0.18 (Int8DynamicActivationInt8WeightConfig,
    Int8WeightOnlyConfig, PrototypeInt4WeightOnlyConfig, Int8DynamicActivationInt4WeightConfig) onto the xeon
    kernels, in place, with the same integer codes, scales and zero points; returns the model. fuse: q/k/v and
    gate/up of the architectures xeon_kernels.quantize_ fuses become one GEMM each, where torchao quantized
    them alike (the same outputs, bit for bit). Every layer is converted before any is swapped: an unsupported
    layer leaves the model as it was."""
    converted = {}
    for name, m in model.named_modules():
        if isinstance(m, nn.Linear) and not isinstance(m, QuantizedLinear):
            try:
                packed = _from_torchao_weight(m.weight)
            except ValueError as e:
                raise ValueError(f"{name}: {e}") from None
            if packed is not None:
                converted[name] = (m, packed)
    if not converted:
        raise ValueError("model: no linear layer quantized by torchao in it")
    fused = _fused_projections(model, converted) if fuse else []
    in_fused = {f"{parent}.{n}" if parent else n for parent, _, names, _, _ in fused for n in names}
    for name, (m, packed) in converted.items():
        if name not in in_fused:
            _become_quantized(m, packed)
    for parent, fused_name, names, sizes, q in fused:
        install_fused(model, parent, fused_name, names, sizes, q)
    return model


def _fused_projections(model: nn.Module, converted: dict) -> list:
    """(parent, fused name, slice names, sizes, fused QuantizedLinear) for each q/k/v or gate/up group of a known
    architecture (models.FUSIONS) whose linears torchao quantized alike and with or without bias alike."""
    out = []
    for parent_name, parent in model.named_modules():
        fusion = FUSIONS.get(type(parent).__name__)
        if fusion is None:
            continue
        fused_name, names = fusion
        parts = [converted.get(f"{parent_name}.{n}" if parent_name else n) for n in names]
        if any(p is None for p in parts):
            continue
        packs = [packed for _, packed in parts]
        kinds = {(p.scheme, p.shape[1], p.group_size, p.act_symmetric, m.bias is None) for m, p in parts}
        if len(kinds) != 1:
            continue
        bias = torch.cat([m.bias.detach() for m, _ in parts]) if parts[0][0].bias is not None else None
        q = QuantizedLinear.from_packed(concatenated(packs), bias)
        out.append((parent_name, fused_name, names, [p.shape[0] for p in packs], q))
    return out
