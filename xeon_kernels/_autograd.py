"""Gradients of the linear ops with respect to x and bias, so adapters (LoRA and the like) can be trained over
a quantized base: dx = dy @ W, W the dequantized weight (for the dynamic schemes a straight-through estimate:
the activation quantization's rounding is treated as the identity, as quantization-aware training does), and
dbias = the sum of dy over rows. The packed weight gets no gradient (its tensors are integer codes and fixed
parameters). x's gradient is computed in fp32 and returned in x's dtype."""
import torch

from . import layouts


def _setup(names):
    """A setup_context saving the inputs named in `names` (the op's argument order) for backward."""
    def setup(ctx, inputs, output):
        args = dict(zip(names, inputs))
        ctx.args = {k: v for k, v in args.items() if not isinstance(v, torch.Tensor)}
        ctx.save_for_backward(*[args[k] if isinstance(args[k], torch.Tensor) else None for k in names])
        ctx.names = names
        ctx.x_dtype, ctx.x_shape = args["x"].dtype, args["x"].shape
        ctx.bias_dtype = args["bias"].dtype if args.get("bias") is not None else None
    return setup


def _backward(scheme, parts_of):
    """The backward of a linear op: `parts_of(saved)` maps the saved inputs to the layout's parts."""
    def backward(ctx, grad):
        saved = dict(zip(ctx.names, ctx.saved_tensors))
        n, k = ctx.args["N"], ctx.args["K"]
        group = saved["weight"].shape[2] if scheme in layouts.INT4_SCHEMES else None
        grads = {}
        if ctx.needs_input_grad[ctx.names.index("x")]:
            w = layouts.dequantize(scheme, parts_of(saved), n, k, group)
            grads["x"] = (grad.reshape(-1, n).float() @ w).to(ctx.x_dtype).reshape(ctx.x_shape)
        if "bias" in ctx.names and ctx.needs_input_grad[ctx.names.index("bias")]:
            grads["bias"] = grad.reshape(-1, n).float().sum(0).to(ctx.bias_dtype)
        return tuple(grads.get(name) for name in ctx.names)
    return backward


_OPS = {
    "da8w8": ("xeon::da8w8_linear", ("x", "weight", "weight_sum", "weight_scale", "bias", "N", "K", "act_symmetric",
                                     "path"),
              lambda s: {"codes": s["weight"], "scale": s["weight_scale"]}),
    "a16w8": ("xeon::a16w8_linear", ("x", "weight", "weight_scale", "bias", "N", "K", "path"),
              lambda s: {"codes": s["weight"], "scale": s["weight_scale"]}),
    "da8w4": ("xeon::da8w4_linear", ("x", "weight", "weight_scale", "weight_zero", "weight_centered_sum", "bias", "N",
                                     "K", "act_symmetric", "path"),
              lambda s: {"codes": s["weight"], "scale": s["weight_scale"], "zero": s["weight_zero"]}),
    "a16w4": ("xeon::a16w4_linear", ("x", "weight", "weight_scale", "weight_zero", "bias", "N", "K", "path"),
              lambda s: {"codes": s["weight"], "scale": s["weight_scale"], "zero": s["weight_zero"]}),
}

for _scheme, (_op, _names, _parts) in _OPS.items():
    torch.library.register_autograd(_op, _backward(_scheme, _parts), setup_context=_setup(_names))
