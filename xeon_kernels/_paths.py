"""Kernel path selection (XEON_KERNELS_PATH, set_path) and xeon_kernels.info(). The paths themselves, their
ids and what they need of the CPU are described by the op library (csrc/ops/paths.cpp) through xeon::info."""
import contextlib
import os
import threading
import warnings

import torch

from . import _library

ENV_VAR = "XEON_KERNELS_PATH"
_OLD_ENV_VAR = "XEON_KERNELS_ISA"  # the name before 0.2; still read, with a warning

_forced = None  # path id forced by set_path() or the environment, else None (auto): process-wide
_local = threading.local()  # .path: the id forced by use_path() in this thread
_scopes_open = 0  # use_path() scopes open in any thread (while 0, forced_id() reads no thread-local state)
_scopes_lock = threading.Lock()
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


def _runnable_id(name: str) -> int:
    pid = path_id(name)
    if name not in supported_paths():
        raise RuntimeError(f"{ENV_VAR}/path: this CPU cannot run the {name!r} path "
                           f"(it runs {supported_paths()}; features: {features()})")
    return pid


def set_path(name) -> None:
    """Forces a kernel path by name (see xeon_kernels.info()['paths']) for the whole process (every thread),
    or None for auto (the best this CPU runs: amx > avx512 > avx2 > ref). use_path() forces one for a block
    of code in one thread."""
    global _forced
    _forced = None if name is None or name == "" else _runnable_id(name)


@contextlib.contextmanager
def use_path(name: str):
    """Forces a kernel path within the block, in the calling thread only (other threads keep theirs);
    blocks nest, and the previous choice returns on exit."""
    global _scopes_open
    pid = _runnable_id(name)
    previous = getattr(_local, "path", None)
    _local.path = pid
    with _scopes_lock:
        _scopes_open += 1
    try:
        yield
    finally:
        _local.path = previous
        with _scopes_lock:
            _scopes_open -= 1


def forced_id() -> int:
    """The path id handed to the ops: this thread's use_path(), else set_path()'s, else -1 (the best this CPU
    runs)."""
    if _scopes_open:
        scoped = getattr(_local, "path", None)
        if scoped is not None:
            return scoped
    return -1 if _forced is None else _forced


def selected_path() -> str:
    """The path this thread's calls run."""
    pid = forced_id()
    return _paths()[pid]["name"] if pid >= 0 else _library.info()["best_path"]


def init_from_env() -> None:
    _warn_if_amx_refused()
    name = os.environ.get(ENV_VAR)
    if not name and os.environ.get(_OLD_ENV_VAR):
        warnings.warn(f"xeon_kernels: {_OLD_ENV_VAR} is now called {ENV_VAR}", FutureWarning, stacklevel=3)
        name = os.environ[_OLD_ENV_VAR]
    set_path(name or None)


def info() -> dict:
    """Detected CPU features, the paths this CPU runs, the selected one, the AMX tile kernels' K-chunk
    (xeon_kernels.set_tile_k_chunk), torch and the stable-ABI target."""
    from .tuning import get_tile_k_chunk
    lib = _library.info()
    major, minor = lib["stable_abi_target"]
    return {
        "features": features(),
        "supported_paths": supported_paths(),
        "selected_path": selected_path(),
        "paths": {p["name"]: p["what"] for p in lib["paths"]},
        "tile_k_chunk_bytes": get_tile_k_chunk(),
        "torch_version": torch.__version__,
        "stable_abi_target": f"{major}.{minor}",
    }
