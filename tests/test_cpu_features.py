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
    r = run_python("import xeon_kernels as xk; print(xk.info()['selected_path'])", XEON_KERNELS_PATH="ref")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip().splitlines()[-1] == "ref"


def test_old_env_var_name_still_forces_path_with_a_warning():
    r = run_python("import warnings; warnings.simplefilter('always'); import xeon_kernels as xk; "
                   "print(xk.info()['selected_path'])", XEON_KERNELS_ISA="ref")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip().splitlines()[-1] == "ref"
    assert "XEON_KERNELS_ISA is now called XEON_KERNELS_PATH" in r.stderr


def test_env_var_unknown_path_is_a_clear_error():
    r = run_python("import xeon_kernels", XEON_KERNELS_PATH="sse2")
    assert r.returncode != 0
    assert "XEON_KERNELS_PATH" in r.stderr and "sse2" in r.stderr


@pytest.mark.parametrize("name", ["avx512", "amx"])
def test_forcing_an_unavailable_path_is_a_clear_error(name):
    if name in xk.info()["supported_paths"]:
        pytest.skip(f"this CPU runs the {name} path: there is no refusal to test")
    with pytest.raises(RuntimeError, match=f"cannot run the '{name}' path"):
        xk.set_path(name)
    # and the op itself refuses the id too
    p = xk.pack_weight(torch.randn(4, 8), "da8w8")
    with pytest.raises(RuntimeError, match=f"path: this CPU cannot run the {name} path"):
        torch.ops.xeon.da8w8_linear(torch.randn(2, 8), p.packed, p.compensation, p.scale, None, 4, 8, True,
                                    xk._paths.path_id(name))


def feature_set(*names):
    return {name: name in names for name in xk._paths.features()}


AVX2 = ("os_avx", "avx2", "fma")
AVX512 = AVX2 + ("os_avx512", "avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512_vnni")
AMX = AVX512 + ("avx512_bf16", "avx512_vbmi", "os_amx", "amx_tile", "amx_int8", "amx_bf16")  # Sapphire Rapids


@pytest.mark.parametrize("names,best", [
    ((), "ref"),
    (("avx2",), "ref"),  # AVX2 without FMA or OS support
    (AVX2, "avx2"),
    (AVX512[:-1], "avx2"),  # AVX-512 without VNNI
    (AVX512, "avx512"),
    (AVX512 + ("avx512_bf16", "avx512_vbmi"), "avx512_bf16"),  # Zen 4 / Zen 5
    (AVX512 + ("avx512_bf16",), "avx512"),  # Cooper Lake: no VBMI for the int4 decode kernel's vpermb
    (AMX, "avx512_bf16"),  # Linux refused the tile permission: AVX512_BF16 there (Sapphire Rapids)
    (AMX + ("amx_permitted",), "amx"),
    (tuple(n for n in AMX if n != "amx_bf16") + ("amx_permitted",), "avx512_bf16"),  # AMX-INT8 only
    (tuple(n for n in AMX if n != "avx512_vbmi") + ("amx_permitted",), "avx512"),  # amx runs vpermb below tiles
])
def test_path_choice_for_feature_sets(names, best):
    # The op library's one decision (csrc/ops/paths.cpp), evaluated for CPUs other than this one.
    assert xk._paths.best_path_for(feature_set(*names)) == best


def test_refused_amx_permission_warns_once_and_falls_back(monkeypatch):
    # Linux can refuse the tile permission (arch_prctl); the library then warns once, naming the path it uses,
    # which is the op library's choice for those features: avx512_bf16 on a Sapphire Rapids.
    refused = feature_set(*AMX)
    monkeypatch.setattr(xk._paths, "features", lambda: refused)
    monkeypatch.setattr(xk._paths, "_warned_amx", False)
    with pytest.warns(RuntimeWarning, match="refused tile permission.*using the avx512_bf16 path") as record:
        xk._paths._warn_if_amx_refused()
        xk._paths._warn_if_amx_refused()
    assert len([w for w in record if "tile permission" in str(w.message)]) == 1
