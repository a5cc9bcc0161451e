"""Fake (meta) implementations of the xeon:: ops for torch.compile and opcheck. Shapes of packed weights
come from the op library's layout definition (layouts.spec), never from a formula here."""
import torch

from . import layouts


@torch.library.register_fake("xeon::quantize_per_token")
def _(x, symmetric, quant_min, quant_max, path=-1):
    qshape = (*x.shape[:-1], 1)
    dtype = torch.int8 if quant_min < 0 else torch.uint8
    return [x.new_empty(x.shape, dtype=dtype), x.new_empty(qshape, dtype=torch.float32),
            x.new_empty(qshape, dtype=torch.int32)]


def _same_device(first, **tensors):
    # Reached for meta tensors too: a mix of devices (a meta part with CPU ones) is an error, never an
    # uninitialised result.
    for name, t in tensors.items():
        if t is not None and t.device != first.device:
            raise ValueError(f"{name}: expected a tensor on {first.device}, like the others, got {t.device}")


@torch.library.register_fake("xeon::pack_weight")
def _(codes, scale, zero, scheme, group):
    _same_device(codes, scale=scale, zero=zero)
    name = layouts.SCHEMES[scheme]
    parts = layouts.spec(name, codes.shape[0], codes.shape[1], group or None)
    return [codes.new_empty(parts[p][1], dtype=parts[p][0]) for p in layouts.PARTS if p in parts]


@torch.library.register_fake("xeon::unpack_weight")
def _(codes, scale, zero, scheme, N, K, group):
    _same_device(codes, scale=scale, zero=zero)
    name = layouts.SCHEMES[scheme]
    int4 = name in layouts.INT4_SCHEMES
    out = [codes.new_empty((N, K), dtype=torch.uint8 if int4 else torch.int8),
           scale.new_empty((N, K // group) if int4 else (N,))]
    if int4:
        out.append(scale.new_empty((N, K // group), dtype=torch.int32 if name == "da8w4" else torch.float32))
    return out


def _linear_fake(x, N, dtype=None, **tensors):
    _same_device(x, **tensors)
    return x.new_empty((*x.shape[:-1], N), dtype=dtype or x.dtype)


def _da8w8_linear_fake(x, weight, weight_sum, weight_scale, bias, N, K, act_symmetric, path=-1):
    return _linear_fake(x, N, weight=weight, weight_sum=weight_sum, weight_scale=weight_scale, bias=bias)


def _a16w8_linear_fake(x, weight, weight_scale, bias, N, K, path=-1):
    return _linear_fake(x, N, weight=weight, weight_scale=weight_scale, bias=bias)


def _da8w4_linear_fake(x, weight, weight_scale, weight_zero, weight_centered_sum, bias, N, K, act_symmetric,
                       path=-1):
    return _linear_fake(x, N, weight=weight, weight_scale=weight_scale, weight_zero=weight_zero,
                        weight_centered_sum=weight_centered_sum, bias=bias)


@torch.library.register_fake("xeon::da8w4_linear_quantized")
def _(input, input_scales, input_qzeros, weight, weight_scale, weight_zero, weight_centered_sum, bias, N,
      output_dtype, path=-1):
    return _linear_fake(input, N, output_dtype or torch.float32, input_scales=input_scales,
                        input_qzeros=input_qzeros, weight=weight, weight_scale=weight_scale, weight_zero=weight_zero,
                        weight_centered_sum=weight_centered_sum, bias=bias)


def _a16w4_linear_fake(x, weight, weight_scale, weight_zero, bias, N, K, path=-1):
    return _linear_fake(x, N, weight=weight, weight_scale=weight_scale, weight_zero=weight_zero, bias=bias)


# Both overloads of each linear op (the default and `.inference`: one schema, one kernel; library.cpp).
for _name, _fake in (("da8w8_linear", _da8w8_linear_fake), ("a16w8_linear", _a16w8_linear_fake),
                     ("da8w4_linear", _da8w4_linear_fake), ("a16w4_linear", _a16w4_linear_fake)):
    for _overload in ("", ".inference"):
        torch.library.register_fake(f"xeon::{_name}{_overload}", _fake)
