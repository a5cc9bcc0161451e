"""Property-based fuzzing (hypothesis): random shapes, dtypes, strides, 3-D inputs, bias kinds, group sizes,
symmetric and asymmetric activations and special values, every runnable path against the ref path; and
malformed calls of every op, which must raise a clear exception (or, where the mutation left the call valid,
return what the valid call returns), never crash.

A normal test run draws XEON_FUZZ_EXAMPLES examples per property (default 40). `make fuzz` runs
scripts/fuzz.py: at least 10,000 cases in groups, each group in its own process, so that a crash is a
failure naming the case it died on (each case is appended to XEON_FUZZ_LOG before it runs).
"""
import json
import os

import pytest
import torch

import xeon_kernels as xk
from conftest import PATHS, assert_a16_close_to_reference, inexact_kernel_used, linear_on

hypothesis = pytest.importorskip("hypothesis", reason="hypothesis is in requirements.txt (the dev extra)")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

EXAMPLES = int(os.environ.get("XEON_FUZZ_EXAMPLES", "40"))
LOG = os.environ.get("XEON_FUZZ_LOG")
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=LOG is None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}
SPECIALS = [float("nan"), float("inf"), float("-inf"), 1e30, -1e30, 1e-40, 0.0]


def log_case(kind, case):
    if LOG:
        with open(LOG, "a") as f:
            f.write(json.dumps({"kind": kind, **case}) + "\n")


@st.composite
def linear_cases(draw):
    scheme = draw(st.sampled_from(["da8w8", "a16w8", "da8w4", "a16w4"]))
    int4 = scheme.endswith("w4")
    group = draw(st.sampled_from([32, 64, 128, 256])) if int4 else None
    k = group * draw(st.integers(1, 3)) if int4 else draw(st.integers(1, 160))
    return {
        "scheme": scheme, "group": group, "K": k, "N": draw(st.integers(1, 72)),
        "lead": draw(st.sampled_from([[], [2], [1, 3]])),
        "M": draw(st.sampled_from([0, 1, 2, 3, 4, 5, 7, 8, 9, 16, 17, 33])),
        "dtype": draw(st.sampled_from(sorted(DTYPES))),
        "sym": draw(st.booleans()) if scheme.startswith("da") else None,
        "bias": draw(st.sampled_from(["none", "same", "float32"])),
        "strided": draw(st.booleans()),
        "x_scale": draw(st.sampled_from([1e-3, 1.0, 100.0])),
        "x_specials": draw(st.lists(st.tuples(st.integers(0, 10**6), st.sampled_from(SPECIALS)), max_size=3)),
        "zero_row": draw(st.booleans()),
        "w_kind": draw(st.sampled_from(["normal", "constant_group", "zero_channel", "huge", "denormal"])),
        "seed": draw(st.integers(0, 2**31 - 1)),
    }


def build(case):
    g = torch.Generator().manual_seed(case["seed"])
    n, k, dtype = case["N"], case["K"], DTYPES[case["dtype"]]
    w = torch.randn(n, k, generator=g) * 0.1
    if case["w_kind"] == "constant_group":
        w[0, : (case["group"] or k)] = 0.37
    elif case["w_kind"] == "zero_channel":
        w[n // 2] = 0
    elif case["w_kind"] == "huge":  # near the top of the dtype's range (fp16 stops at 65504)
        w[0] *= 1e4 if dtype == torch.float16 else 1e30
    elif case["w_kind"] == "denormal":
        w[-1] = 1e-40
    shape = (*case["lead"], case["M"], k)
    x = torch.randn(shape, generator=g) * case["x_scale"]
    rows = x.reshape(-1, k)
    if rows.shape[0]:
        for pos, value in case["x_specials"]:
            rows.view(-1)[pos % rows.numel()] = value
        if case["zero_row"]:
            rows[0] = 0
    x = x.to(dtype)
    if case["strided"]:  # a non-contiguous view with the same values
        x = x.transpose(-1, -2).contiguous().transpose(-1, -2)
    bias = None if case["bias"] == "none" else (torch.randn(n, generator=g)).to(
        dtype if case["bias"] == "same" else torch.float32)
    return w.to(dtype), x, bias


@FUZZ
@given(linear_cases())
def test_fuzz_every_path_equals_ref(case):
    log_case("linear", case)
    w, x, bias = build(case)
    p = xk.pack_weight(w, case["scheme"], case["group"], act_symmetric=case["sym"])
    ref = linear_on("ref", x, p, bias)
    assert ref.shape == (*x.shape[:-1], case["N"]) and ref.dtype == x.dtype
    m = x.reshape(-1, case["K"]).shape[0]
    for name in PATHS:
        if name == "ref":
            continue
        y = linear_on(name, x, p, bias)
        kind = inexact_kernel_used(name, case["scheme"], x.dtype, m, case["K"])
        if m == 0 or not kind:
            torch.testing.assert_close(y, ref, rtol=0, atol=0, equal_nan=True, msg=lambda s: f"{name}: {s}")
            continue
        # the bf16 kernels sum in their own order: the reference's bound on rows of ordinary values; rows holding
        # specials (NaN, Inf, 1e30) only have to be non-finite or huge alike
        x2d = x.reshape(m, case["K"]).float()
        ordinary = (x2d.isfinite() & (x2d.abs() < 1e4)).all(1)
        y2, r2 = y.reshape(m, case["N"]), ref.reshape(m, case["N"])
        assert torch.equal(y2[~ordinary].isfinite(), r2[~ordinary].isfinite()) or not ordinary.all()
        if ordinary.any() and w.float().abs().max() < 1e4 and (bias is None or bias.float().abs().max() < 1e4):
            assert_a16_close_to_reference(y2[ordinary], x.reshape(m, case["K"])[ordinary], w, p, bias,
                                          bf16_weights=kind)


# ---- malformed calls ----

ERRORS = (RuntimeError, ValueError, TypeError, IndexError)


def valid_calls(n=40, k=64, group=32):
    """One valid call per op: (name, args) with the op's positional arguments."""
    x = torch.randn(3, k)
    d8, a8 = xk.pack_weight(torch.randn(n, k), "da8w8"), xk.pack_weight(torch.randn(n, k), "a16w8")
    d4, a4 = xk.pack_weight(torch.randn(n, k), "da8w4", group), xk.pack_weight(torch.randn(n, k), "a16w4", group)
    q, s, z = xk.quantize_per_token(x, False, 0, 255)
    ids = xk.layouts.SCHEME_IDS
    codes4 = torch.randint(0, 16, (n, k), dtype=torch.uint8)
    return [
        ("da8w8_linear", [x, d8.packed, d8.compensation, d8.scale, torch.randn(n), n, k, True, -1]),
        ("a16w8_linear", [x, a8.packed, a8.scale, None, n, k, -1]),
        ("da8w4_linear", [x, d4.packed, d4.scale, d4.zero, d4.compensation, None, n, k, False, -1]),
        ("a16w4_linear", [x, a4.packed, a4.scale, a4.zero, torch.randn(n), n, k, -1]),
        ("da8w4_linear_quantized", [q, s.reshape(-1), z.reshape(-1), d4.packed, d4.scale, d4.zero, d4.compensation,
                                    None, n, torch.float32, -1]),
        ("quantize_per_token", [x, True, -128, 127]),
        ("pack_weight", [codes4, torch.rand(n, k // group), torch.randint(0, 16, (n, k // group), dtype=torch.int32),
                         ids["da8w4"], group]),
        ("unpack_weight", [d8.packed, d8.scale, None, ids["da8w8"], n, k, 0]),
        ("packed_spec", [ids["a16w4"], n, k, group]),
        ("probe_read_bandwidth", [torch.ones(64, dtype=torch.int64), 2]),
    ]


def mutate(value, how, rng):
    if isinstance(value, torch.Tensor):
        if how == "none":
            return None
        if how == "dtype":
            return value.to(torch.float64 if value.dtype != torch.float64 else torch.int32)
        if how == "shrink":
            return value.reshape(-1)[: max(0, value.numel() - 1 - rng % 7)]
        if how == "grow":
            return torch.cat([value.reshape(-1), value.reshape(-1)[:1 + rng % 5]])
        if how == "meta":
            return value.to("meta")
        if how == "strided":
            return value.reshape(-1).repeat_interleave(2)[::2].reshape(value.shape)
        if how == "rank":
            return value.reshape(1, *value.shape) if rng % 2 else value.reshape(-1)
        return value
    if isinstance(value, bool) or value is None or isinstance(value, torch.dtype):
        return value
    if isinstance(value, int):
        return {"none": -1, "dtype": 0, "shrink": value - 1 - rng % 40, "grow": value + 1 + rng % 40,
                "meta": -(2**62), "strided": 2**62, "rank": 2**31 + 1}.get(how, value)
    return value


@FUZZ
@given(st.integers(0, 9), st.integers(0, 10), st.sampled_from(["none", "dtype", "shrink", "grow", "meta", "strided",
                                                               "rank"]), st.integers(0, 10**6))
def test_fuzz_malformed_calls_raise_or_agree(op_index, arg_index, how, rng):
    name, args = valid_calls()[op_index]
    arg_index %= len(args)
    log_case("malformed", {"op": name, "arg": arg_index, "how": how, "rng": rng})
    op = getattr(torch.ops.xeon, name)
    expected = op(*args)
    bad = list(args)
    bad[arg_index] = mutate(args[arg_index], how, rng)
    try:
        got = op(*bad)
    except ERRORS as e:
        assert str(e).strip(), f"{name}: an empty error message"
        return
    # The mutation left a valid call. A tensor made strided or of another rank with the same elements, or
    # another path id, must give the same values; a None bias or another valid pack / quantization request
    # is a different call, whose result is only checked for being well-formed.
    outs = got if isinstance(got, (list, tuple)) else [got]
    refs = expected if isinstance(expected, (list, tuple)) else [expected]
    assert len(outs) == len(refs) and all(isinstance(o, torch.Tensor) for o in outs)
    different_call = (bad[arg_index] is None and (name.endswith("linear") or name.endswith("quantized"))) or \
        arg_index in DIFFERENT_REQUESTS.get(name, ())
    tensors = [t for t in bad if isinstance(t, torch.Tensor)]
    if tensors and all(t.device.type == "meta" for t in tensors):
        # every tensor on meta: shape propagation, a meta result of the valid call's shape
        assert all(o.device.type == "meta" for o in outs), (name, arg_index, how)
        return
    if name == "quantize_per_token" and bad[0].shape != args[0].shape:
        different_call = True  # other activations (other rows): codes of their shape
        assert outs[0].shape == bad[0].shape
    if different_call:
        return
    if name == "probe_read_bandwidth":
        assert got[0] == bad[0].numel() * 8 * bad[1]
        return
    for o, r in zip(outs, refs):
        assert o.dtype == r.dtype and o.numel() == r.numel(), (name, arg_index, how)
        torch.testing.assert_close(o.reshape(-1), r.reshape(-1), rtol=0, atol=0, equal_nan=True)


# Integer arguments that select what is computed: another range, scheme, group or pass count is another valid
# request (a da8w8 buffer read as a16w8 codes is such a request: the same bytes, another layout; PackedWeight
# refuses the relabelling, the op cannot tell). Other integers (N, K, path) must be refused or agree.
DIFFERENT_REQUESTS = {"quantize_per_token": (2, 3), "pack_weight": (3, 4), "packed_spec": (0, 1, 2, 3),
                      "probe_read_bandwidth": (1,), "unpack_weight": (3,)}
