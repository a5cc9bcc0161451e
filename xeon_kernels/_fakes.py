"""Fake (meta) implementations of the xeon:: ops for torch.compile and opcheck."""
import torch

_N_BLOCK = 16


@torch.library.register_fake("xeon::quantize_per_token")
def _(x, symmetric, quant_min, quant_max):
    qshape = (*x.shape[:-1], 1)
    dtype = torch.int8 if quant_min < 0 else torch.uint8
    return [x.new_empty(x.shape, dtype=dtype), x.new_empty(qshape, dtype=torch.float32),
            x.new_empty(qshape, dtype=torch.int32)]


@torch.library.register_fake("xeon::pack_int8_weight")
def _(weight, layout):
    n, k = weight.shape
    npad = -(-n // _N_BLOCK) * _N_BLOCK
    nbytes = npad * (-(-k // 64) * 64) if layout == 0 else npad * k
    return [weight.new_empty((nbytes,), dtype=torch.int8), weight.new_empty((npad,), dtype=torch.int32)]


@torch.library.register_fake("xeon::da8w8_linear")
def _(x, weight, weight_comp, weight_scale, bias, K, act_symmetric, path=-1):
    return x.new_empty((*x.shape[:-1], weight_scale.numel()))


@torch.library.register_fake("xeon::a16w8_linear")
def _(x, weight, weight_scale, bias, K, path=-1):
    return x.new_empty((*x.shape[:-1], weight_scale.numel()))


@torch.library.register_fake("xeon::da8w4_linear")
def _(x, weight, weight_scale, weight_zero, weight_comp, bias, N, act_symmetric, path=-1):
    return x.new_empty((*x.shape[:-1], N))


@torch.library.register_fake("xeon::da8w4_linear_quantized")
def _(input, input_scales, input_qzeros, weight, weight_scale, weight_zero, weight_comp, bias, N, output_dtype,
      path=-1):
    return input.new_empty((*input.shape[:-1], N), dtype=output_dtype or torch.float32)


@torch.library.register_fake("xeon::a16w4_linear")
def _(x, weight, weight_scale, weight_zero, bias, N, path=-1):
    return x.new_empty((*x.shape[:-1], N))
