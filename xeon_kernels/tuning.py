"""Tuning knobs of the kernels, process-wide. One so far: the AMX tile kernels' K-chunk
(csrc/kernels/tile_k_chunk.h), the bytes of each activation row one pass of a tile task covers.

    xeon_kernels.set_tile_k_chunk(1024)          # 0: all of K in one pass
    with xeon_kernels.tile_k_chunk(0): ...       # for a block of code (process-wide, not per thread)
    XEON_KERNELS_TILE_K_CHUNK=1024 python ...    # read at import

Outputs do not depend on it (every chunking gives the same bits: the tiles continue the same sums in the same
order); only speed does, and only on the amx path (the vector kernels stream K in one pass).
"""
import contextlib
import os

import torch

from . import _library

ENV_VAR = "XEON_KERNELS_TILE_K_CHUNK"


def tile_k_chunk_multiple() -> int:
    return _library.info()["tile_k_chunk_multiple"]


def get_tile_k_chunk() -> int:
    """The current K-chunk in bytes (0: all of K in one pass)."""
    return int(torch.ops.xeon.tile_k_chunk())


def set_tile_k_chunk(nbytes: int) -> int:
    """Sets the K-chunk of the AMX tile kernels in bytes of an activation row: 0 (all of K in one pass) or a
    positive multiple of 64 (one tile row). Returns the previous value."""
    multiple = tile_k_chunk_multiple()
    if isinstance(nbytes, bool) or not isinstance(nbytes, int) or nbytes < 0 or nbytes % multiple:
        raise ValueError(f"tile_k_chunk: expected 0 (all of K in one pass) or a positive multiple of {multiple} "
                         f"bytes, got {nbytes!r}")
    return int(torch.ops.xeon.set_tile_k_chunk(nbytes))


@contextlib.contextmanager
def tile_k_chunk(nbytes: int):
    """set_tile_k_chunk(nbytes) within the block; the previous value returns on exit."""
    previous = set_tile_k_chunk(nbytes)
    try:
        yield
    finally:
        set_tile_k_chunk(previous)


def init_from_env() -> None:
    value = os.environ.get(ENV_VAR)
    if value is None or value == "":
        return
    try:
        nbytes = int(value)
    except ValueError:
        raise ValueError(f"{ENV_VAR}: expected an integer number of bytes, got {value!r}") from None
    try:
        set_tile_k_chunk(nbytes)
    except ValueError as e:
        raise ValueError(f"{ENV_VAR}: {e}") from None
