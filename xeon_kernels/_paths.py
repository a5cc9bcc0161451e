"""Kernel paths, their selection (XEON_KERNELS_ISA) and xeon_kernels.info()."""
import os
import warnings

import torch

# Ids shared with csrc/ops/paths.h.
PATHS = {"ref": 0, "avx512_emulated": 1, "avx512": 2, "amx_emulated": 3, "amx": 4, "avx2": 5}
_PATH_NAMES = {v: k for k, v in PATHS.items()}
# Bit order of csrc/common/cpu_features.h kFeatureNames.
_FEATURES = ["avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512_vnni", "avx512_bf16",
             "amx_tile", "amx_int8", "amx_bf16", "os_avx512", "os_amx", "amx_permitted",
             "avx2", "fma", "os_avx"]
ENV_VAR = "XEON_KERNELS_ISA"

_forced = None  # path id forced by set_path() or the environment, else None (auto)
_warned_amx = False


def features() -> dict:
    bits = int(torch.ops.xeon.cpu_info()[0])
    return {name: bool(bits >> i & 1) for i, name in enumerate(_FEATURES)}


def supported_paths() -> list:
    """The paths this CPU runs, as the op library decides it (csrc/ops/paths.cpp)."""
    mask = int(torch.ops.xeon.cpu_info()[3])
    return [name for name, pid in PATHS.items() if mask >> pid & 1]


def _warn_if_amx_refused() -> None:
    global _warned_amx
    f = features()
    if f["amx_tile"] and f["os_amx"] and not f["amx_permitted"] and not _warned_amx:
        _warned_amx = True
        warnings.warn("xeon_kernels: this CPU has AMX but Linux refused tile permission "
                      "(arch_prctl ARCH_REQ_XCOMP_PERM); falling back to AVX-512", RuntimeWarning, stacklevel=3)


def set_path(name) -> None:
    """Forces a kernel path by name ('amx', 'avx512', 'avx2', 'amx_emulated', 'avx512_emulated', 'ref'), or None
    for auto (the best this CPU runs: amx > avx512 > avx2 > ref)."""
    global _forced
    if name is None or name == "":
        _forced = None
        return
    if name not in PATHS:
        raise ValueError(f"{ENV_VAR}/path: expected one of {sorted(PATHS)}, got {name!r}")
    if name not in supported_paths():
        raise RuntimeError(f"{ENV_VAR}/path: this CPU cannot run the {name!r} path "
                           f"(it runs {supported_paths()}; features: {features()})")
    _forced = PATHS[name]


def path_id() -> int:
    """The path id handed to the ops: the forced one, or -1 (the best this CPU runs)."""
    return -1 if _forced is None else _forced


def selected_path() -> str:
    return _PATH_NAMES[_forced] if _forced is not None else _PATH_NAMES[int(torch.ops.xeon.cpu_info()[1])]


def init_from_env() -> None:
    _warn_if_amx_refused()
    set_path(os.environ.get(ENV_VAR) or None)


def info() -> dict:
    raw = torch.ops.xeon.cpu_info()
    target = int(raw[2])
    return {
        "features": features(),
        "supported_paths": supported_paths(),
        "selected_path": selected_path(),
        "torch_version": torch.__version__,
        "stable_abi_target": f"{target >> 56 & 0xFF}.{target >> 48 & 0xFF}",
    }
