"""opcheck for every op, torch.compile through the fakes, and PackedWeight persistence."""
import io

import pytest
import torch

import xeon_kernels as xk


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
def test_opcheck_linear_ops(dtype):
    w = torch.randn(24, 70)
    x = torch.randn(2, 3, 70).to(dtype)
    bias = torch.randn(24).to(dtype)
    p8 = xk.pack_weight(w, "da8w8")
    pw = xk.pack_weight(w, "a16w8")
    for b in (None, bias):
        torch.library.opcheck(torch.ops.xeon.da8w8_linear, (x, p8.packed, p8.compensation, p8.scale, b, 70, True, -1))
        torch.library.opcheck(torch.ops.xeon.a16w8_linear, (x, pw.packed, pw.scale, b, 70, -1))


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
def test_opcheck_int4_ops(dtype):
    w = torch.randn(40, 128)
    x = torch.randn(2, 3, 128).to(dtype)
    bias = torch.randn(40).to(dtype)
    d = xk.pack_weight(w, "da8w4", 64)
    a = xk.pack_weight(w, "a16w4", 32)
    for b in (None, bias):
        torch.library.opcheck(torch.ops.xeon.da8w4_linear, (x, d.packed, d.scale, d.zero, d.compensation, b, 40, True, -1))
        torch.library.opcheck(torch.ops.xeon.a16w4_linear, (x, a.packed, a.scale, a.zero, b, 40, -1))
    q, s, z = xk.quantize_per_token(x.reshape(-1, 128), False, 0, 255)
    torch.library.opcheck(torch.ops.xeon.da8w4_linear_quantized,
                          (q, s.reshape(-1), z.reshape(-1), d.packed, d.scale, d.zero, d.compensation, None, 40,
                           dtype, -1))


def test_opcheck_quantize_and_pack():
    torch.library.opcheck(torch.ops.xeon.quantize_per_token, (torch.randn(3, 40), True, -128, 127))
    torch.library.opcheck(torch.ops.xeon.quantize_per_token, (torch.randn(3, 40), False, 0, 255))
    codes = torch.randint(-128, 128, (20, 70), dtype=torch.int8)
    torch.library.opcheck(torch.ops.xeon.pack_int8_weight, (codes, 0))
    torch.library.opcheck(torch.ops.xeon.pack_int8_weight, (codes, 1))


def test_torch_compile_calls_the_op():
    w = torch.randn(32, 64)
    p = xk.pack_weight(w, "da8w8")

    def f(x):
        return torch.relu(xk.linear(x, p))

    x = torch.randn(5, 64)
    compiled = torch.compile(f, fullgraph=True, dynamic=True)
    torch.testing.assert_close(compiled(x), f(x), rtol=0, atol=0)
    x2 = torch.randn(9, 64)
    torch.testing.assert_close(compiled(x2), f(x2), rtol=0, atol=0)


@pytest.mark.parametrize("scheme", ["da8w8", "a16w8", "da8w4", "a16w4"])
def test_packed_weight_save_load_and_state_dict(scheme):
    k = 96
    w = torch.randn(21, k)
    group = 32 if scheme in ("da8w4", "a16w4") else None
    p = xk.pack_weight(w, scheme, group, act_symmetric=False)
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
    assert ((deq - w.double()).abs() <= tol).all()
