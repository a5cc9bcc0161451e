import os
import subprocess
import sys
import tempfile

import pytest
import torch

import xeon_kernels as xk

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def cpuinfo_flags():
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("flags"):
                return set(line.split(":", 1)[1].split())
    return set()


def test_detection_matches_proc_cpuinfo():
    flags = cpuinfo_flags()
    f = xk.info()["features"]
    # The kernel lists a flag only when the OS supports its state too, so the two sources must agree.
    assert f["avx512f"] == ("avx512f" in flags)
    assert f["avx512_vnni"] == ("avx512_vnni" in flags)
    assert f["amx_int8"] == ("amx_int8" in flags)
    assert ("avx512" in xk.info()["supported_paths"]) == all(
        k in flags for k in ("avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512_vnni"))


def test_info_fields():
    info = xk.info()
    assert info["torch_version"] == torch.__version__
    assert info["stable_abi_target"] == "2.10"
    assert info["selected_path"] in info["supported_paths"]
    assert "ref" in info["supported_paths"]
    has_avx2_fma = {"avx2", "fma"} <= cpuinfo_flags()
    for p in ("avx2", "avx512_emulated", "amx_emulated"):
        assert (p in info["supported_paths"]) == has_avx2_fma


def run_python(code, **env):
    # Same import order as conftest: an installed xeon_kernels first, the source tree after it.
    path = os.pathsep.join(p for p in (os.environ.get("PYTHONPATH"), ROOT) if p)
    e = dict(os.environ, PYTHONPATH=path, **env)
    return subprocess.run([sys.executable, "-c", code], cwd=tempfile.gettempdir(), env=e, capture_output=True,
                          text=True)


def test_env_var_forces_path():
    r = run_python("import xeon_kernels as xk; print(xk.info()['selected_path'])", XEON_KERNELS_ISA="ref")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip().splitlines()[-1] == "ref"


def test_env_var_unknown_path_is_a_clear_error():
    r = run_python("import xeon_kernels", XEON_KERNELS_ISA="sse2")
    assert r.returncode != 0
    assert "XEON_KERNELS_ISA" in r.stderr and "sse2" in r.stderr


@pytest.mark.parametrize("name", ["avx512", "amx"])
def test_forcing_an_unavailable_path_is_a_clear_error(name):
    if name in xk.info()["supported_paths"]:
        xk.set_path(name)  # available here: forcing it must work
        xk.set_path(None)
        return
    with pytest.raises(RuntimeError, match=f"cannot run the '{name}' path"):
        xk.set_path(name)
    # and the op itself refuses the id too
    p = xk.pack_weight(torch.randn(4, 8), "da8w8")
    with pytest.raises(RuntimeError, match="cannot run path"):
        torch.ops.xeon.da8w8_linear(torch.randn(2, 8), p.packed, p.compensation, p.scale, None, 8, True,
                                    xk._paths.PATHS[name])


def test_threads_follow_torch_set_num_threads():
    # the driver uses torch's pool: results do not depend on the thread count (only the work split does)
    w, x = torch.randn(300, 96), torch.randn(37, 96)
    p = xk.pack_weight(w, "da8w8")
    n = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        y1 = xk.linear(x, p)
        torch.set_num_threads(2)
        y2 = xk.linear(x, p)
    finally:
        torch.set_num_threads(n)
    torch.testing.assert_close(y1, y2, rtol=0, atol=0)


def test_refused_amx_permission_warns_once(monkeypatch):
    # Linux can refuse the tile permission (arch_prctl); the library then warns once and falls back.
    refused = dict(xk._paths.features(), amx_tile=True, os_amx=True, amx_int8=True, amx_permitted=False)
    monkeypatch.setattr(xk._paths, "features", lambda: refused)
    monkeypatch.setattr(xk._paths, "_warned_amx", False)
    with pytest.warns(RuntimeWarning, match="refused tile permission") as record:
        xk._paths._warn_if_amx_refused()
        xk._paths._warn_if_amx_refused()
    assert len([w for w in record if "tile permission" in str(w.message)]) == 1
