"""Kernel path selection (XEON_KERNELS_PATH, set_path) and xeon_kernels.info(). The paths themselves, their
ids and what they need of the CPU are described by the op library (csrc/ops/paths.cpp) through xeon::info."""
import os
import warnings

import torch

from . import _library

ENV_VAR = "XEON_KERNELS_PATH"
_OLD_ENV_VAR = "XEON_KERNELS_ISA"  # the name before 0.2; still read, with a warning

_forced = None  # path id forced by set_path() or the environment, else None (auto)
_warned_amx = False


def _paths() -> list:
    return _library.info()["paths"]


def path_id(name: str) -> int:
    """The op library's id of a path name."""
    for p in _paths():
        if p["name"] == name:
            return p["id"]
    raise ValueError(f"{ENV_VAR}/path: expected one of {sorted(p['name'] for p in _paths())}, got {name!r}")


def features() -> dict:
    return dict(_library.info()["features"])


def supported_paths() -> list:
    """The paths this CPU runs, as the op library decides it."""
    return [p["name"] for p in _paths() if p["supported"]]


def tile_min_rows(name: str) -> int:
    """Rows from which the path runs AMX tile kernels (-1: it has none)."""
    return _paths()[path_id(name)]["tile_min_rows"]


def best_path_for(feature_flags: dict) -> str:
    """The path the op library would choose on a CPU with these features (same keys as features())."""
    names = list(_library.info()["features"])
    bits = sum(1 << i for i, name in enumerate(names) if feature_flags[name])
    return _library.info(bits)["best_path"]


def _warn_if_amx_refused() -> None:
    global _warned_amx
    f = features()
    if f["amx_tile"] and f["os_amx"] and not f["amx_permitted"] and not _warned_amx:
        _warned_amx = True
        warnings.warn("xeon_kernels: this CPU has AMX but Linux refused tile permission "
                      f"(arch_prctl ARCH_REQ_XCOMP_PERM); using the {best_path_for(f)} path", RuntimeWarning,
                      stacklevel=3)


def set_path(name) -> None:
    """Forces a kernel path by name (see xeon_kernels.info()['paths']), or None for auto (the best this CPU
    runs: amx > avx512 > avx2 > ref)."""
    global _forced
    if name is None or name == "":
        _forced = None
        return
    pid = path_id(name)
    if name not in supported_paths():
        raise RuntimeError(f"{ENV_VAR}/path: this CPU cannot run the {name!r} path "
                           f"(it runs {supported_paths()}; features: {features()})")
    _forced = pid


def forced_id() -> int:
    """The path id handed to the ops: the forced one, or -1 (the best this CPU runs)."""
    return -1 if _forced is None else _forced


def selected_path() -> str:
    return _paths()[_forced]["name"] if _forced is not None else _library.info()["best_path"]


def init_from_env() -> None:
    _warn_if_amx_refused()
    name = os.environ.get(ENV_VAR)
    if not name and os.environ.get(_OLD_ENV_VAR):
        warnings.warn(f"xeon_kernels: {_OLD_ENV_VAR} is now called {ENV_VAR}", FutureWarning, stacklevel=3)
        name = os.environ[_OLD_ENV_VAR]
    set_path(name or None)


def info() -> dict:
    """Detected CPU features, the paths this CPU runs, the selected one, torch and the stable-ABI target."""
    lib = _library.info()
    major, minor = lib["stable_abi_target"]
    return {
        "features": features(),
        "supported_paths": supported_paths(),
        "selected_path": selected_path(),
        "paths": {p["name"]: p["what"] for p in lib["paths"]},
        "torch_version": torch.__version__,
        "stable_abi_target": f"{major}.{minor}",
    }
