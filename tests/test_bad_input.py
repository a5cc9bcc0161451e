"""Bad input: a clear Python exception naming the argument, never a crash or a wrong result."""
import dataclasses
import io

import pytest
import torch

import xeon_kernels as xk

# fp32 scaling of an exact integer: three roundings of 2^-24 relative each.
FP32_REL = 3 * 2.0**-24


@pytest.fixture(scope="module", params=["da8w8", "a16w8"])
def packed(request):
    return xk.pack_weight(torch.randn(16, 32), request.param)


def test_wrong_x_dtype(packed):
    with pytest.raises(TypeError, match="x: expected dtype"):
        xk.linear(torch.randint(0, 5, (2, 32)), packed)
    with pytest.raises(TypeError, match="x: expected dtype"):
        xk.linear(torch.randn(2, 32, dtype=torch.float64), packed)


def test_wrong_x_device(packed):
    with pytest.raises(ValueError, match="x: expected a CPU tensor"):
        xk.linear(torch.randn(2, 32, device="meta"), packed)


def test_wrong_k(packed):
    with pytest.raises(ValueError, match="x: expected last dimension K = 32"):
        xk.linear(torch.randn(2, 31), packed)
    with pytest.raises(ValueError, match="x: expected last dimension"):
        xk.linear(torch.tensor(1.0), packed)  # rank 0


def test_bad_bias(packed):
    with pytest.raises(ValueError, match="bias: expected a 1-D tensor of 16"):
        xk.linear(torch.randn(2, 32), packed, torch.randn(15))
    with pytest.raises(TypeError, match="bias: expected dtype"):
        xk.linear(torch.randn(2, 32), packed, torch.randn(16, dtype=torch.float64))


def test_not_a_packed_weight():
    with pytest.raises(TypeError, match="packed: expected a PackedWeight"):
        xk.linear(torch.randn(2, 32), torch.randn(16, 32))


def test_other_format_version(packed):
    with pytest.raises(ValueError, match="format version 0 is not supported"):
        dataclasses.replace(packed, format_version=0)
    d = packed.state_dict()
    d["meta"] = d["meta"].clone()
    d["meta"][0] = 0
    with pytest.raises(ValueError, match="format version 0"):
        xk.PackedWeight.from_state_dict(d)


def test_unknown_scheme_is_refused(packed):
    with pytest.raises(ValueError, match="unknown scheme 'w3a3'"):
        dataclasses.replace(packed, scheme="w3a3")


def test_other_scheme_packed_weight_given_to_op():
    # a16w8's parts handed to the da8w8 op: the op checks every part against the da8w8 layout
    a = xk.pack_weight(torch.randn(16, 32), "a16w8")
    with pytest.raises(RuntimeError, match=r"weight: expected shape \[1024\] for a da8w8 weight with N = 16, K = 32"):
        torch.ops.xeon.da8w8_linear(torch.randn(2, 32), a.packed, torch.zeros(16, dtype=torch.int32), a.scale,
                                    None, 16, 32, True)


def test_inconsistent_packed_weight_is_refused():
    # Every part's dtype and shape follow from (scheme, N, K, group): a PackedWeight, a state dict or torch.load
    # whose parts disagree is refused before any kernel could read past a buffer or return padding.
    d8 = xk.pack_weight(torch.randn(16, 64), "da8w8")
    with pytest.raises(ValueError, match="compensation must be None for the a16w8 scheme"):
        dataclasses.replace(d8, scheme="a16w8", act_symmetric=None)  # same codes size at K = 64
    with pytest.raises(ValueError, match=r"scale must be torch.float32 \(16,\)"):
        dataclasses.replace(d8, scale=d8.scale[:-1])
    with pytest.raises(ValueError, match="packed must be torch.int8"):
        dataclasses.replace(d8, shape=(16, 70))  # K lowered or raised within the same padded K: sizes differ
    d4 = xk.pack_weight(torch.randn(40, 64), "da8w4", 32)
    with pytest.raises(ValueError, match="zero must be torch.float32"):
        dataclasses.replace(d4, scheme="a16w4", act_symmetric=None, compensation=None)
    with pytest.raises(ValueError, match="packed must be torch.uint8"):
        dataclasses.replace(d4, shape=(80, 64))
    with pytest.raises(ValueError, match="act_symmetric None does not fit the da8w4 scheme"):
        dataclasses.replace(d4, act_symmetric=None)
    sd = d4.state_dict()
    sd["scale"] = sd["scale"][:1]
    with pytest.raises(ValueError, match="scale must be"):
        xk.PackedWeight.from_state_dict(sd)
    buf = io.BytesIO()
    torch.save(dataclasses.replace(d4), buf)
    bad = buf.getvalue().replace(b"da8w4", b"a16w4")  # the scheme relabelled in the file
    with pytest.raises(ValueError, match="does not fit the a16w4 scheme|must be"):
        torch.load(io.BytesIO(bad))


@pytest.mark.parametrize("scheme", ["da8w4", "a16w4"])
def test_int4_n_within_the_padded_block_is_checked(scheme):
    # N = 39 or 41 gives the same part shapes as N = 40 (one 64-channel padded block): the scales tell.
    p = xk.pack_weight(torch.randn(40, 64), scheme, 32)
    op = getattr(torch.ops.xeon, f"{scheme}_linear")
    for n, what in [(39, "channel 39 has a nonzero scale"), (41, "channel 40 has only zero scales")]:
        args = ((p.packed, p.scale, p.zero, p.compensation) if scheme == "da8w4" else (p.packed, p.scale, p.zero))
        extra = (True,) if scheme == "da8w4" else ()
        expected = f"N: expected the packed weight's output channels, got N = {n} .*{what}"
        with pytest.raises(RuntimeError, match=expected):
            op(torch.randn(2, 64), *args, None, n, 64, *extra)


def test_da8w8_k_within_the_padded_block_is_checked():
    # K = 63 gives the same packed size as K = 64: the codes past K (zero by packing) tell.
    p = xk.pack_weight(torch.randn(16, 64), "da8w8")
    with pytest.raises(RuntimeError, match="K: expected the packed weight's input size, got K = 63"):
        torch.ops.xeon.da8w8_linear(torch.randn(2, 63), p.packed, p.compensation, p.scale, None, 16, 63, True)
    q = dataclasses.replace(xk.pack_weight(torch.randn(16, 64), "da8w8"), shape=(16, 63))  # same part shapes
    with pytest.raises(RuntimeError, match="K: expected the packed weight's input size"):
        xk.linear(torch.randn(2, 63), q)


def test_op_level_checks_are_clear():
    p = xk.pack_weight(torch.randn(16, 32), "da8w8")
    x = torch.randn(2, 32)
    with pytest.raises(RuntimeError, match="x: expected last dimension K = 32"):
        torch.ops.xeon.da8w8_linear(torch.randn(2, 30), p.packed, p.compensation, p.scale, None, 16, 32, True)
    with pytest.raises(RuntimeError, match="weight_sum: expected dtype int32 for a da8w8 weight, got float32"):
        torch.ops.xeon.da8w8_linear(x, p.packed, p.compensation.float(), p.scale, None, 16, 32, True)
    with pytest.raises(RuntimeError, match="weight_scale: expected dtype float32 for a da8w8 weight, got float64"):
        torch.ops.xeon.da8w8_linear(x, p.packed, p.compensation, p.scale.double(), None, 16, 32, True)
    with pytest.raises(RuntimeError, match=r"weight: expected shape \[2048\] for a da8w8 weight with N = 17"):
        torch.ops.xeon.da8w8_linear(x, p.packed, p.compensation, p.scale, None, 17, 32, True)
    with pytest.raises(RuntimeError, match="path: expected -1"):
        torch.ops.xeon.da8w8_linear(x, p.packed, p.compensation, p.scale, None, 16, 32, True, 99)
    with pytest.raises(RuntimeError, match="path: expected -1"):
        torch.ops.xeon.quantize_per_token(x, True, -128, 127, 99)
    with pytest.raises(ValueError, match="expected one of"):
        xk.quantize_per_token(x, path="nope")
    with pytest.raises(RuntimeError, match="x: expected dtype float32, bfloat16 or float16, got float64"):
        torch.ops.xeon.da8w8_linear(x.double(), p.packed, p.compensation, p.scale, None, 16, 32, True)


def test_k_too_large_for_int32_is_refused():
    with pytest.raises(ValueError, match="K = 65537 exceeds 65536"):
        xk.pack_weight(torch.randn(1, 65537), "da8w8")
    with pytest.raises(RuntimeError, match="K: expected 1 <= K <= 65536"):
        torch.ops.xeon.da8w8_linear(torch.randn(1, 65537), torch.zeros(16 * 65600, dtype=torch.int8),
                                    torch.zeros(16, dtype=torch.int32), torch.ones(1), None, 1, 65537, True)


def test_k_at_the_int32_limit_is_exact():
    # Worst case for the kernels' int32 accumulator: u8 activations of 255 (symmetric code 127 + 128) times
    # weight codes of -128 over K = 65536 sum to -2^31 + 8388608, just inside int32.
    K = 65536
    codes = torch.full((1, K), -128, dtype=torch.int8)
    parts = xk.layouts.pack("da8w8", codes, torch.ones(1), None, None)
    p = xk.PackedWeight("da8w8", (1, K), None, True, parts["codes"], parts["scale"], parts["sum"])
    x = torch.ones(1, K)  # symmetric codes 127, scale 1 / 127.5
    y = xk.linear(x, p)
    exact = 127 * -128 * K * (1 / 127.5)
    torch.testing.assert_close(y, torch.tensor([[exact]]), rtol=FP32_REL, atol=0)


def test_pack_weight_bad_arguments():
    with pytest.raises(ValueError, match="scheme: expected one of"):
        xk.pack_weight(torch.randn(4, 8), "int3")
    with pytest.raises(ValueError, match="weight: expected a 2-D tensor"):
        xk.pack_weight(torch.randn(4, 8, 2), "da8w8")
    with pytest.raises(TypeError, match="weight: expected dtype"):
        xk.pack_weight(torch.randn(4, 8).double(), "da8w8")
    with pytest.raises(ValueError, match="group_size"):
        xk.pack_weight(torch.randn(4, 8), "da8w8", group_size=32)
    w = torch.randn(4, 8)
    w[1, 1] = float("nan")
    with pytest.raises(ValueError, match="weight: contains NaN"):
        xk.pack_weight(w, "a16w8")
    with pytest.raises(ValueError, match="weight: expected N >= 1"):
        xk.pack_weight(torch.randn(0, 8), "a16w8")


def test_m_zero_gives_empty_output(packed):
    y = xk.linear(torch.randn(0, 32, dtype=torch.bfloat16), packed)
    assert y.shape == (0, 16) and y.dtype == torch.bfloat16
    y = xk.linear(torch.randn(2, 0, 32), packed)
    assert y.shape == (2, 0, 16)


# ---- int4 schemes ----

def test_int4_group_size_must_divide_k_and_be_supported():
    with pytest.raises(ValueError, match="group_size: K = 100 is not a multiple of group_size = 32"):
        xk.pack_weight(torch.randn(32, 100), "da8w4", 32)
    with pytest.raises(ValueError, match="group_size: expected one of"):
        xk.pack_weight(torch.randn(32, 96), "a16w4", 48)


@pytest.fixture(scope="module", params=["da8w4", "a16w4"])
def packed4(request):
    return xk.pack_weight(torch.randn(40, 64), request.param, 32)


def test_int4_wrong_k_dtype_bias(packed4):
    with pytest.raises(ValueError, match="x: expected last dimension K = 64"):
        xk.linear(torch.randn(2, 63), packed4)
    with pytest.raises(TypeError, match="x: expected dtype"):
        xk.linear(torch.randn(2, 64).double(), packed4)
    with pytest.raises(ValueError, match="bias: expected a 1-D tensor of 40"):
        xk.linear(torch.randn(2, 64), packed4, torch.randn(32))
    y = xk.linear(torch.randn(0, 64), packed4)
    assert y.shape == (0, 40)


def test_int4_op_checks_scales_and_zeros():
    p = xk.pack_weight(torch.randn(40, 64), "da8w4", 32)
    x = torch.randn(2, 64)
    op = torch.ops.xeon.da8w4_linear
    with pytest.raises(RuntimeError, match=r"weight_scale: expected shape \[2, 2, 32\] for a da8w4 weight with "
                                           r"N = 40, K = 64, group = 32, got \[2, 1, 32\]"):
        op(x, p.packed, p.scale[:, :1], p.zero, p.compensation, None, 40, 64, True)
    with pytest.raises(RuntimeError, match="weight_scale: expected dtype float32 for a da8w4 weight, got float64"):
        op(x, p.packed, p.scale.double(), p.zero, p.compensation, None, 40, 64, True)
    with pytest.raises(RuntimeError, match="weight_zero: expected dtype int8 for a da8w4 weight, got int32"):
        op(x, p.packed, p.scale, p.zero.int(), p.compensation, None, 40, 64, True)
    with pytest.raises(RuntimeError, match=r"weight: expected shape \[3, 2, 32, 16\] .* N = 65"):
        op(x, p.packed, p.scale, p.zero, p.compensation, None, 65, 64, True)
    with pytest.raises(RuntimeError, match="weight: expected dtype uint8 for a da8w4 weight, got int8"):
        op(x, p.packed.view(torch.int8), p.scale, p.zero, p.compensation, None, 40, 64, True)
    with pytest.raises(RuntimeError, match="weight: expected a packed int4 weight"):
        op(x, p.packed.reshape(-1), p.scale, p.zero, p.compensation, None, 40, 64, True)
    a = xk.pack_weight(torch.randn(40, 64), "a16w4", 32)
    with pytest.raises(RuntimeError, match="weight_zero: expected dtype float32 for a a16w4 weight, got int8"):
        torch.ops.xeon.a16w4_linear(x, a.packed, a.scale, a.zero.to(torch.int8), None, 40, 64)


def test_torchao_prepack_refuses_out_of_range_and_bad_shapes():
    import torchao.ops  # noqa: F401  (defines torchao's schemas; xeon_kernels registered their CPU kernels)
    if not xk.torchao_compat.registered():
        pytest.fail("torchao is installed with the test requirements: its DA8W4 CPU kernels must be registered")
    g = torch.Generator().manual_seed(0)
    codes = torch.randint(0, 16, (32, 64), dtype=torch.uint8, generator=g)
    scales = torch.rand(32, 2, generator=g)
    zeros = torch.randint(0, 16, (32, 2), dtype=torch.int8, generator=g)
    prepack = torch.ops.torchao.da8w4_linear_prepack_cpu
    prepack(codes, scales, zeros)  # valid
    bad = codes.clone()
    bad[0, 0] = 16
    with pytest.raises(ValueError, match="weight: uint4 codes must lie in"):
        prepack(bad, scales, zeros)
    bad_zeros = zeros.clone()
    bad_zeros[0, 0] = -1  # one zero point out of range (zeros - 1 had none below 0 in 1.6% of draws)
    with pytest.raises(ValueError, match="qzeros: zero points must lie in"):
        prepack(codes, scales, bad_zeros)
    with pytest.raises(ValueError, match="scales: expected float32"):
        prepack(codes, scales.double(), zeros)
    with pytest.raises(ValueError, match="qzeros: expected shape"):
        prepack(codes, scales, zeros[:, :1])
    with pytest.raises(ValueError, match="does not give a group size"):
        prepack(codes, torch.rand(32, 3), torch.zeros(32, 3, dtype=torch.int8))
    with pytest.raises(ValueError, match="must be a multiple of 32"):
        prepack(codes[:16], scales[:16], zeros[:16])
