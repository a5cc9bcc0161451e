"""Inputs an outside tester tried: meta tensors, all-zero rows, None, K = 1 in the reference, probe bounds,
autograd, per-thread path choice, concurrent calls. Each gets a clear error or an exact result."""
import io
import os
import threading

import pytest
import torch

import xeon_kernels as xk
from conftest import PATHS, assert_within, make_input

SCHEMES = [("da8w8", None), ("a16w8", None), ("da8w4", 32), ("a16w4", 32)]
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def parts(p):
    return {"codes": p.packed, "scale": p.scale, "zero": p.zero}


@pytest.mark.parametrize("scheme,group", SCHEMES)
def test_meta_tensors_are_refused(scheme, group):
    p = xk.pack_weight(make_input((40, 64), torch.float32, 1, 0.1), scheme, group)
    x = make_input((2, 64), torch.float32, 2)
    buf = io.BytesIO()
    torch.save(p, buf)
    with pytest.raises(ValueError, match="packed must be on the CPU, got device meta"):
        torch.load(io.BytesIO(buf.getvalue()), map_location="meta")
    with pytest.raises(ValueError, match="must be on the CPU"):
        xk.PackedWeight(p.scheme, p.shape, p.group_size, p.act_symmetric, p.packed, p.scale.to("meta"),
                        p.compensation, p.zero)
    q = xk.pack_weight(make_input((40, 64), torch.float32, 1, 0.1), scheme, group)
    q.scale = q.scale.to("meta")  # replaced after construction
    with pytest.raises(ValueError, match="packed.scale: expected a CPU tensor, got meta"):
        xk.linear(x, q)
    with pytest.raises(ValueError, match="bias: expected a CPU tensor, got device meta"):
        xk.linear(x, p, torch.zeros(40, device="meta"))
    # the op itself, called directly with a meta part and a CPU x: an error, never an uninitialised CPU result
    n, k = p.shape
    args = {"da8w8": (x, p.packed, p.compensation, p.scale.to("meta"), None, n, k, True),
            "a16w8": (x, p.packed, p.scale.to("meta"), None, n, k),
            "da8w4": (x, p.packed, p.scale.to("meta"), p.zero, p.compensation, None, n, k, True),
            "a16w4": (x, p.packed, p.scale.to("meta"), p.zero, None, n, k)}[scheme]
    with pytest.raises(ValueError, match="weight_scale: expected a tensor on cpu, like the others, got meta"):
        getattr(torch.ops.xeon, f"{scheme}_linear")(*args)


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16, torch.float16])
def test_all_zero_rows_give_exactly_the_bias_or_plus_zero(dtype, path):
    # A row of zeros contributes exactly 0: DA8W4's fp32 decomposition used to leave a residue (5e-11, and -0
    # in fp16) for symmetric activations. Now the bias exactly, and +0 without bias, on every scheme.
    w = make_input((32, 128), torch.float32, 3)
    bias = make_input((32,), dtype, 4)
    x = make_input((3, 128), dtype, 5)
    x[1] = 0
    for scheme, group in SCHEMES:
        for sym in ((True, False) if scheme.startswith("da") else (None,)):
            p = xk.pack_weight(w, scheme, group, act_symmetric=sym)
            y = xk.linear(x, p, bias)
            torch.testing.assert_close(y[1], bias, rtol=0, atol=0, msg=f"{scheme} sym={sym}")
            y0 = xk.linear(x, p)[1]
            assert (y0 == 0).all() and not torch.signbit(y0).any(), (scheme, sym, y0)
    # the pre-quantized op too: a row of zero-point codes
    p = xk.pack_weight(w, "da8w4", 32)
    q, s, z = xk.quantize_per_token(x, True, -127, 127)
    y = torch.ops.xeon.da8w4_linear_quantized(q, s.reshape(-1), z.reshape(-1), p.packed, p.scale, p.zero,
                                              p.compensation, None, 32, torch.float32, xk._paths.forced_id())
    assert (y[1] == 0).all() and not torch.signbit(y[1]).any()


def test_none_given_to_an_op_names_the_argument():
    p = xk.pack_weight(torch.randn(40, 64), "da8w4", 32)
    x = torch.randn(2, 64)
    with pytest.raises(RuntimeError, match="weight_centered_sum: expected a tensor, got None"):
        torch.ops.xeon.da8w4_linear(x, p.packed, p.scale, p.zero, None, None, 40, 64, True)
    with pytest.raises(RuntimeError, match="weight_zero: expected a tensor, got None"):
        torch.ops.xeon.a16w4_linear(x, p.packed, p.scale, None, None, 40, 64)
    d = xk.pack_weight(torch.randn(16, 64), "da8w8")
    with pytest.raises(RuntimeError, match="weight_sum: expected a tensor, got None"):
        torch.ops.xeon.da8w8_linear(x, d.packed, None, d.scale, None, 16, 64, True)


def test_bias_dtype_message_is_not_repeated():
    p = xk.pack_weight(torch.randn(16, 32), "da8w8")
    with pytest.raises(TypeError, match=r"^bias: expected dtype torch.float32, got torch.float64$"):
        xk.linear(torch.randn(2, 32), p, torch.randn(16, dtype=torch.float64))


@pytest.mark.parametrize("scheme", ["da8w8", "a16w8"])
def test_reference_linear_at_k_1(scheme):
    w, x = make_input((8, 1), torch.float32, 6), make_input((3, 1), torch.float32, 7)
    torch.testing.assert_close(xk.reference_linear(x, w, scheme), xk.linear(x, xk.pack_weight(w, scheme)),
                               rtol=0, atol=0)


def test_probes_refuse_unbounded_work():
    with pytest.raises(RuntimeError, match=r"iters: expected 1 <= iters <= 268435456"):
        torch.ops.xeon.probe_int8_peak(xk._paths.path_id("avx512"), 1 << 40)
    with pytest.raises(RuntimeError, match="iters: expected 1 <= iters"):
        torch.ops.xeon.probe_int8_peak(xk._paths.path_id("avx512"), 0)
    buf = torch.ones(64, dtype=torch.int64)
    for passes in (-3, 0, 10**9):
        with pytest.raises(RuntimeError, match="passes: expected 1 <= passes <= 1000"):
            torch.ops.xeon.probe_read_bandwidth(buf, passes)


@pytest.mark.parametrize("scheme,group", SCHEMES)
@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
def test_gradient_with_respect_to_x_and_bias(scheme, group, dtype):
    # dx = dy @ W (W the dequantized weight, computed in fp32, returned in x's dtype); dbias = sum of dy.
    w = make_input((40, 64), torch.float32, 8, 0.1)
    p = xk.pack_weight(w, scheme, group)
    x = make_input((2, 3, 64), dtype, 9).requires_grad_()
    bias = make_input((40,), dtype, 10).requires_grad_()
    y = xk.linear(x, p, bias)
    assert y.requires_grad
    dy = make_input((2, 3, 40), dtype, 11)
    y.backward(dy)
    wd = xk.layouts.dequantize(scheme, parts(p), 40, 64, group)
    torch.testing.assert_close(x.grad, (dy.reshape(-1, 40).float() @ wd).to(dtype).reshape(2, 3, 64), rtol=0, atol=0)
    torch.testing.assert_close(bias.grad, dy.reshape(-1, 40).float().sum(0).to(dtype), rtol=0, atol=0)
    # and W is the weight to within half a quantization step per element (rounding to the nearest code), plus
    # a few fp32 roundings (of 1 / scale, w / scale and the dequantization) relative to |w| and |W|
    step = p.scales()[:, :, None].expand(40, -1, group).reshape(40, 64) if group else p.scales()[:, None]
    assert_within(wd, w, step / 2 + 4 * 2.0**-24 * (w.abs() + wd.abs()), f"{scheme} dequantized weight")


@pytest.mark.parametrize("x_grad,bias_grad,grad_mode", [(True, False, True), (False, True, True),
                                                     (True, True, False), (False, False, True)])
def test_autograd_kernel_runs_exactly_when_a_gradient_is_asked_for(x_grad, bias_grad, grad_mode):
    # call_linear_op calls the op's `.inference` overload (no autograd kernel) when nothing asks for a gradient
    # (a decode-speed shortcut): the output must track gradients exactly when torch's own rules say so, with
    # the same values
    p = xk.pack_weight(make_input((40, 64), torch.float32, 8, 0.1), "da8w8")
    x = make_input((3, 64), torch.bfloat16, 9).requires_grad_(x_grad)
    bias = make_input((40,), torch.bfloat16, 10).requires_grad_(bias_grad)
    with torch.set_grad_enabled(grad_mode):
        y = xk.linear(x, p, bias)
    assert y.requires_grad == (grad_mode and (x_grad or bias_grad))
    want = torch.ops.xeon.da8w8_linear(x.detach(), p.packed, p.compensation, p.scale, bias.detach(), 40, 64, True)
    torch.testing.assert_close(y.detach(), want, rtol=0, atol=0)
    if y.requires_grad:
        y.float().sum().backward()
        assert (x.grad is not None) == x_grad and (bias.grad is not None) == bias_grad


@pytest.mark.parametrize("scheme,group", SCHEMES)
def test_inference_overload_is_the_same_kernel(scheme, group):
    # Each linear op's `.inference` overload (library.cpp: the schema and kernel of the default, without its
    # Python autograd kernel) gives the default's bits, on 3-D input with bias.
    p = xk.pack_weight(make_input((40, 64), torch.float32, 8, 0.1), scheme, group)
    x = make_input((2, 3, 64), torch.bfloat16, 9)
    bias = make_input((40,), torch.bfloat16, 10)
    op = getattr(torch.ops.xeon, f"{scheme}_linear")
    args = {"da8w8": (x, p.packed, p.compensation, p.scale, bias, 40, 64, p.act_symmetric),
            "a16w8": (x, p.packed, p.scale, bias, 40, 64),
            "da8w4": (x, p.packed, p.scale, p.zero, p.compensation, bias, 40, 64, p.act_symmetric),
            "a16w4": (x, p.packed, p.scale, p.zero, bias, 40, 64)}[scheme]
    assert str(op.inference._schema).replace(".inference", "", 1) == str(op.default._schema)
    y = op.inference(*args)
    torch.testing.assert_close(y, op.default(*args), rtol=0, atol=0)
    torch.testing.assert_close(y, xk.linear(x, p, bias), rtol=0, atol=0)


def test_use_path_is_per_thread_and_nests():
    best = xk.info()["selected_path"]
    seen = {}

    def worker():
        with xk.use_path("amx_emulated_tiles"):
            seen["inside"] = xk._paths.selected_path()
            xk.linear(torch.randn(2, 64), xk.pack_weight(torch.randn(32, 64), "da8w8"))
            seen["tiles"] = int(torch.ops.xeon.last_gemm_stats()[0])
            with xk.use_path("ref"):
                seen["nested"] = xk._paths.selected_path()
            seen["after_nested"] = xk._paths.selected_path()
            barrier.wait()  # the main thread looks while this scope is open
            barrier.wait()
        seen["after"] = xk._paths.selected_path()

    barrier = threading.Barrier(2)
    t = threading.Thread(target=worker)
    t.start()
    barrier.wait()
    main_path = xk._paths.selected_path()
    barrier.wait()
    t.join()
    assert main_path == best
    assert seen == {"inside": "amx_emulated_tiles", "tiles": 1, "nested": "ref",
                    "after_nested": "amx_emulated_tiles", "after": best}
    if "amx" not in PATHS:  # on a CPU without AMX the scoped form refuses it as set_path does
        with pytest.raises(RuntimeError, match="cannot run the 'amx' path"):
            with xk.use_path("amx"):
                pass


@pytest.mark.parametrize("torch_threads", [1, 2])
def test_concurrent_calls_are_bit_identical(torch_threads):
    # 4 Python threads, two on one shared weight and two on their own, each scheme in turn: every result
    # equals the single-threaded result bit for bit.
    weights = [make_input((96, 128), torch.float32, 20 + i, 0.1) for i in range(3)]
    xs = [make_input((33, 128), torch.bfloat16, 30 + i) for i in range(4)]
    previous = torch.get_num_threads()
    torch.set_num_threads(torch_threads)
    try:
        for scheme, group in SCHEMES:
            packed = [xk.pack_weight(w, scheme, group) for w in weights]
            plan = [(xs[0], packed[0]), (xs[1], packed[0]), (xs[2], packed[1]), (xs[3], packed[2])]
            expected = [xk.linear(x, p) for x, p in plan]
            results = [[] for _ in plan]

            def run(i):
                x, p = plan[i]
                for _ in range(20):
                    results[i].append(xk.linear(x, p))

            threads = [threading.Thread(target=run, args=(i,)) for i in range(len(plan))]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            for i, rs in enumerate(results):
                assert len(rs) == 20
                for r in rs:
                    torch.testing.assert_close(r, expected[i], rtol=0, atol=0, msg=f"{scheme} thread {i}")
    finally:
        torch.set_num_threads(previous)


def test_missing_extras_name_the_extra():
    # Without torchao / transformers / safetensors (simulated: their imports fail), import works and each
    # feature that needs one names the extra that installs it.
    import subprocess
    import sys
    code = (
        "import sys\n"
        "for m in ('torchao', 'transformers', 'safetensors'): sys.modules[m] = None\n"
        "import torch, xeon_kernels as xk\n"
        "y = xk.linear(torch.randn(2, 32), xk.pack_weight(torch.randn(8, 32), 'da8w8'))\n"
        "m = xk.quantize_(torch.nn.Sequential(torch.nn.Linear(32, 8)), 'a16w8')\n"
        "for call in (lambda: xk.XeonQuantConfig, lambda: xk.reference_linear(torch.randn(2, 32), torch.randn(8, 32), "
        "'da8w8'), lambda: xk.save_quantized(m, '/tmp/x'), lambda: xk.load_quantized('/nonexistent')):\n"
        "    try:\n"
        "        call()\n"
        "    except ImportError as e:\n"
        "        print(e)\n")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in (os.environ.get("PYTHONPATH"), ROOT) if p))
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.strip().splitlines()
    assert lines == ["xeon_kernels.XeonQuantConfig needs torchao: pip install 'xeon_kernels[torchao]'",
                     "xeon_kernels.reference_linear needs torchao: pip install 'xeon_kernels[torchao]'",
                     "save_quantized needs safetensors: pip install 'xeon_kernels[models]'",
                     "load_quantized needs safetensors: pip install 'xeon_kernels[models]'"], lines
