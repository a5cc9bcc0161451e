"""Bad input: a clear Python exception naming the argument, never a crash or a wrong result."""
import dataclasses

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
    old = dataclasses.replace(packed, format_version=0)
    with pytest.raises(ValueError, match="format version 0"):
        xk.linear(torch.randn(2, 32), old)
    with pytest.raises(ValueError, match="format version 0"):
        xk.PackedWeight.from_state_dict(old.state_dict())


def test_other_scheme_packed_weight_given_to_op():
    # a16w8's layout handed to the da8w8 op: the op checks the buffer size and dtypes
    a = xk.pack_weight(torch.randn(16, 32), "a16w8")
    with pytest.raises(RuntimeError, match="weight"):
        torch.ops.xeon.da8w8_linear(torch.randn(2, 32), a.packed, torch.zeros(16, dtype=torch.int32), a.scale,
                                    None, 32, True)
    bad = dataclasses.replace(a, scheme="w3a3")
    with pytest.raises(ValueError, match="packed: unknown scheme"):
        xk.linear(torch.randn(2, 32), bad)


def test_op_level_checks_are_clear():
    p = xk.pack_weight(torch.randn(16, 32), "da8w8")
    x = torch.randn(2, 32)
    with pytest.raises(RuntimeError, match="x: expected last dimension K = 32"):
        torch.ops.xeon.da8w8_linear(torch.randn(2, 30), p.packed, p.compensation, p.scale, None, 32, True)
    with pytest.raises(RuntimeError, match="weight_sum: wrong dtype"):
        torch.ops.xeon.da8w8_linear(x, p.packed, p.compensation.float(), p.scale, None, 32, True)
    with pytest.raises(RuntimeError, match="weight_scale: wrong dtype"):
        torch.ops.xeon.da8w8_linear(x, p.packed, p.compensation, p.scale.double(), None, 32, True)
    with pytest.raises(RuntimeError, match="path: expected -1"):
        torch.ops.xeon.da8w8_linear(x, p.packed, p.compensation, p.scale, None, 32, True, 9)
    with pytest.raises(RuntimeError, match="x: expected dtype"):
        torch.ops.xeon.da8w8_linear(x.double(), p.packed, p.compensation, p.scale, None, 32, True)


def test_k_too_large_for_int32_is_refused():
    with pytest.raises(ValueError, match="K = 65537 exceeds 65536"):
        xk.pack_weight(torch.randn(1, 65537), "da8w8")
    with pytest.raises(RuntimeError, match="K: expected 1 <= K <= 65536"):
        torch.ops.xeon.da8w8_linear(torch.randn(1, 65537), torch.zeros(16 * 65600, dtype=torch.int8),
                                    torch.zeros(16, dtype=torch.int32), torch.ones(1), None, 65537, True)


def test_k_at_the_int32_limit_is_exact():
    # Worst case for the kernels' int32 accumulator: u8 activations of 255 (symmetric code 127 + 128) times
    # weight codes of -128 over K = 65536 sum to -2^31 + 8388608, just inside int32.
    K = 65536
    codes = torch.full((1, K), -128, dtype=torch.int8)
    packed, w_sum = torch.ops.xeon.pack_int8_weight(codes, 0)
    p = xk.PackedWeight("da8w8", (1, K), None, True, packed, torch.ones(1), w_sum)
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
