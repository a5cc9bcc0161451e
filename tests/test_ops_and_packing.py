"""opcheck for every op, torch.compile through the fakes, and PackedWeight persistence."""
import io

import pytest
import torch

import xeon_kernels as xk
from conftest import assert_within, make_input


OVERLOADS = ["default", "inference"]  # every linear op has both (library.cpp)


@pytest.mark.parametrize("overload", OVERLOADS)
@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
def test_opcheck_linear_ops(dtype, overload):
    w = torch.randn(24, 70)
    x = torch.randn(2, 3, 70).to(dtype)
    bias = torch.randn(24).to(dtype)
    p8 = xk.pack_weight(w, "da8w8")
    pw = xk.pack_weight(w, "a16w8")
    for b in (None, bias):
        torch.library.opcheck(getattr(torch.ops.xeon.da8w8_linear, overload),
                              (x, p8.packed, p8.compensation, p8.scale, b, 24, 70, True, -1))
        torch.library.opcheck(getattr(torch.ops.xeon.a16w8_linear, overload), (x, pw.packed, pw.scale, b, 24, 70, -1))


@pytest.mark.parametrize("overload", OVERLOADS)
@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
def test_opcheck_int4_ops(dtype, overload):
    w = torch.randn(40, 128)
    x = torch.randn(2, 3, 128).to(dtype)
    bias = torch.randn(40).to(dtype)
    d = xk.pack_weight(w, "da8w4", 64)
    a = xk.pack_weight(w, "a16w4", 32)
    for b in (None, bias):
        torch.library.opcheck(getattr(torch.ops.xeon.da8w4_linear, overload),
                              (x, d.packed, d.scale, d.zero, d.compensation, b, 40, 128, True, -1))
        torch.library.opcheck(getattr(torch.ops.xeon.a16w4_linear, overload),
                              (x, a.packed, a.scale, a.zero, b, 40, 128, -1))
    if overload != "default":  # da8w4_linear_quantized has one overload: checked once per dtype
        return
    q, s, z = xk.quantize_per_token(x.reshape(-1, 128), False, 0, 255)
    torch.library.opcheck(torch.ops.xeon.da8w4_linear_quantized,
                          (q, s.reshape(-1), z.reshape(-1), d.packed, d.scale, d.zero, d.compensation, None, 40,
                           dtype, -1))


def test_opcheck_quantize_pack_unpack():
    torch.library.opcheck(torch.ops.xeon.quantize_per_token, (torch.randn(3, 40), True, -128, 127))
    torch.library.opcheck(torch.ops.xeon.quantize_per_token, (torch.randn(3, 40), False, 0, 255))
    ids = xk.layouts.SCHEME_IDS
    codes8 = torch.randint(-128, 128, (20, 70), dtype=torch.int8)
    codes4 = torch.randint(0, 16, (40, 64), dtype=torch.uint8)
    scale8, scale4 = torch.rand(20), torch.rand(40, 2)
    zeros = {"da8w4": torch.randint(0, 16, (40, 2), dtype=torch.int32), "a16w4": torch.randn(40, 2)}
    for scheme in ("da8w8", "a16w8"):
        torch.library.opcheck(torch.ops.xeon.pack_weight, (codes8, scale8, None, ids[scheme], 0))
        parts = xk.layouts.pack(scheme, codes8, scale8, None, None)
        torch.library.opcheck(torch.ops.xeon.unpack_weight, (parts["codes"], parts["scale"], None, ids[scheme],
                                                              20, 70, 0))
    for scheme in ("da8w4", "a16w4"):
        torch.library.opcheck(torch.ops.xeon.pack_weight, (codes4, scale4, zeros[scheme], ids[scheme], 32))
        parts = xk.layouts.pack(scheme, codes4, scale4, zeros[scheme], 32)
        torch.library.opcheck(torch.ops.xeon.unpack_weight, (parts["codes"], parts["scale"], parts["zero"],
                                                              ids[scheme], 40, 64, 32))


ROUND_TRIP = [(s, None, n, k) for s in ("da8w8", "a16w8") for n, k in [(1, 1), (33, 130), (70, 256)]] + \
    [(s, g, n, k) for s in ("da8w4", "a16w4") for g, n, k in [(32, 1, 32), (64, 33, 192), (256, 70, 512)]]


@pytest.mark.parametrize("scheme,group,n,k", ROUND_TRIP)
def test_pack_unpack_round_trip(scheme, group, n, k):
    # The C++ pack / unpack ops are each other's inverse on every scheme, N off the blocks, K off 64 (int8).
    g = torch.Generator().manual_seed(n * 1000 + k)
    if scheme in ("da8w8", "a16w8"):
        codes, scale, zero = torch.randint(-128, 128, (n, k), generator=g, dtype=torch.int8), torch.rand(n), None
    else:
        codes = torch.randint(0, 16, (n, k), generator=g, dtype=torch.uint8)
        scale = torch.rand(n, k // group, generator=g)
        zero = (torch.randint(0, 16, (n, k // group), generator=g, dtype=torch.int32) if scheme == "da8w4"
                else torch.randn(n, k // group, generator=g))
    parts = xk.layouts.pack(scheme, codes, scale, zero, group)
    c, s, z = xk.layouts.unpack(scheme, parts, n, k, group)
    torch.testing.assert_close(c, codes, rtol=0, atol=0)
    torch.testing.assert_close(s, scale, rtol=0, atol=0)
    if zero is not None:
        torch.testing.assert_close(z, zero, rtol=0, atol=0)
    if scheme == "da8w8":  # per-channel code sums, zero for the padding channels
        torch.testing.assert_close(parts["sum"][:n], codes.int().sum(1, dtype=torch.int32), rtol=0, atol=0)
        assert (parts["sum"][n:] == 0).all()
    if scheme == "da8w4":  # per-group sums of (code - zero point), in the parameters' layout
        centered = codes.int().view(n, -1, group).sum(-1, dtype=torch.int32) - group * zero
        packed_sum = parts["sum"].permute(0, 2, 1).reshape(-1, k // group)
        torch.testing.assert_close(packed_sum[:n], centered, rtol=0, atol=0)
        assert (packed_sum[n:] == 0).all()


def test_pack_op_refuses_bad_codes_and_zeros():
    ids = xk.layouts.SCHEME_IDS
    codes = torch.randint(0, 16, (32, 64), dtype=torch.uint8)
    codes[3, 5] = 16
    with pytest.raises(RuntimeError, match=r"codes: uint4 codes must lie in \[0, 15\]"):
        torch.ops.xeon.pack_weight(codes, torch.rand(32, 2), torch.zeros(32, 2, dtype=torch.int32), ids["da8w4"], 32)
    with pytest.raises(RuntimeError, match=r"zero: da8w4 zero points must lie in \[0, 15\]"):
        torch.ops.xeon.pack_weight(codes.clamp(max=15), torch.rand(32, 2), torch.full((32, 2), -1, dtype=torch.int32),
                                   ids["da8w4"], 32)
    with pytest.raises(RuntimeError, match="group: expected 32, 64, 128 or 256 for a16w4, got 48"):
        torch.ops.xeon.pack_weight(codes[:, :48].clamp(max=15), torch.rand(32, 1), torch.rand(32, 1), ids["a16w4"], 48)
    with pytest.raises(RuntimeError, match="zero: da8w8 has no zero points"):
        torch.ops.xeon.pack_weight(codes.to(torch.int8), torch.rand(32), torch.rand(32), ids["da8w8"], 0)
    with pytest.raises(RuntimeError, match="scheme: expected a scheme id in"):
        torch.ops.xeon.pack_weight(codes.to(torch.int8), torch.rand(32), None, 7, 0)


def test_torch_compile_calls_the_op():
    # The compiled graph must call xeon::da8w8_linear itself (an extern call in Inductor's code), not a
    # decomposition, and give the eager result.
    from torch._inductor.utils import run_and_get_code
    w = torch.randn(32, 64)
    p = xk.pack_weight(w, "da8w8")

    def f(x):
        return torch.relu(xk.linear(x, p))

    torch._dynamo.reset()
    compiled = torch.compile(f, fullgraph=True, dynamic=True)
    x = torch.randn(5, 64)
    y, code = run_and_get_code(compiled, x)
    torch.testing.assert_close(y, f(x), rtol=0, atol=0)
    assert any("torch.ops.xeon.da8w8_linear" in c for c in code), code
    x2 = torch.randn(9, 64)
    torch.testing.assert_close(compiled(x2), f(x2), rtol=0, atol=0)


def test_torch_compile_picks_the_overload_by_gradient():
    # Traced by torch.compile, xk.linear calls the `.inference` overload when no gradient is asked for (the graph
    # then skips the default's Python autograd kernel) and the default when x requires one, whose gradient
    # AOTAutograd traces: the compiled backward gives eager's dx (the same dequantized weight and fp32 matmul).
    from torch._inductor.utils import run_and_get_code
    p = xk.pack_weight(torch.randn(32, 64), "a16w4", 32)
    torch._dynamo.reset()
    compiled = torch.compile(lambda x: xk.linear(x, p))
    x = torch.randn(5, 64)
    with torch.no_grad():
        y, code = run_and_get_code(compiled, x)
    assert "torch.ops.xeon.a16w4_linear.inference(" in code[0], code[0]
    torch.testing.assert_close(y, xk.linear(x, p), rtol=0, atol=0)
    xg = x.clone().requires_grad_()
    y = compiled(xg)
    assert y.requires_grad
    dy = torch.randn(5, 32)
    y.backward(dy)
    xe = x.clone().requires_grad_()
    xk.linear(xe, p).backward(dy)
    # Both backwards compute dy @ W in fp32 from the same codes; the compiled one dequantizes W in Inductor's code,
    # which may contract (q - zero) * scale + ... into FMAs (one rounding less per weight: at most 2 units of
    # roundoff of |W|), and its matmul may sum each dx element's N = 32 products in another order (at most
    # 2 * 32 roundings of the sum of |terms|).
    w = xk.layouts.dequantize("a16w4", {"codes": p.packed, "scale": p.scale, "zero": p.zero}, 32, 64, 32)
    assert_within(xg.grad, xe.grad, (2 + 2 * 32) * 2.0**-24 * (dy.abs() @ w.abs()), "compiled vs eager dx")


@pytest.mark.parametrize("scheme", ["da8w8", "a16w8", "da8w4", "a16w4"])
def test_packed_weight_save_load_and_state_dict(scheme):
    k = 96
    w = torch.randn(21, k)
    group = 32 if scheme in ("da8w4", "a16w4") else None
    p = xk.pack_weight(w, scheme, group, act_symmetric=False if scheme in ("da8w8", "da8w4") else None)
    x = torch.randn(4, k)
    buf = io.BytesIO()
    torch.save(p, buf)
    buf.seek(0)
    q = torch.load(buf)  # weights_only=True by default: PackedWeight is an allowed global
    assert (q.scheme, q.shape, q.group_size, q.act_symmetric, q.format_version) == \
        (p.scheme, p.shape, group, p.act_symmetric, p.format_version)
    torch.testing.assert_close(xk.linear(x, q), xk.linear(x, p), rtol=0, atol=0)

    buf = io.BytesIO()
    torch.save(p.state_dict(), buf)
    buf.seek(0)
    r = xk.PackedWeight.from_state_dict(torch.load(buf))
    assert (r.scheme, r.shape, r.group_size, r.act_symmetric) == (p.scheme, p.shape, group, p.act_symmetric)
    torch.testing.assert_close(xk.linear(x, r), xk.linear(x, p), rtol=0, atol=0)


def test_packed_weight_returns_codes_and_scales():
    w = torch.randn(18, 66)
    p = xk.pack_weight(w, "da8w8")
    codes, scales = p.int_codes(), p.scales()
    assert codes.shape == (18, 66) and codes.dtype == torch.int8
    assert scales.shape == (18,) and scales.dtype == torch.float32
    # the codes dequantize back to the weight within half a step per element, plus the fp32 roundings of
    # 1 / scale, w * (1 / scale) and codes * scale (a few units of 2^-24 relative to |w| and |codes * scale|)
    deq = codes.double() * scales.double()[:, None]
    tol = scales.double()[:, None] / 2 + 4 * 2.0**-24 * (w.double().abs() + deq.abs())
    assert_within(deq, w, tol, "dequantized da8w8 codes vs the weight")
