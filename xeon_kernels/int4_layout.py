"""Packing int4 codes and per-group parameters into the kernels' layouts (csrc/common/block_sizes.h).

[Npad/32, K/group, group, 16] uint8: N-blocks of 32 channels, two 16-channel halves sharing each byte
(low nibble: channel j, high nibble: channel 16 + j), one K-block per group. Within a group:
- "vnni4" (DA8W4): quad q is 64 bytes, byte 4j + i holds k = 4q + i, so each nibble plane is the int8
  vpdpbusd / AMX B-tile layout of one half;
- "kmajor" (A16W4): row k is 16 bytes, byte j holds channels j and 16 + j.
Per-group parameters are [Npad/32, K/group, 32]. Padding channels hold code 0 and parameters 0.
"""
import torch

N_BLOCK_INT4 = 32
HALF = 16


def _pad_rows(t: torch.Tensor, npad: int) -> torch.Tensor:
    if t.shape[0] == npad:
        return t
    return torch.cat([t, t.new_zeros((npad - t.shape[0], *t.shape[1:]))])


def padded_n(n: int) -> int:
    return -(-n // N_BLOCK_INT4) * N_BLOCK_INT4


def pack_codes(codes: torch.Tensor, group_size: int, layout: str) -> torch.Tensor:
    n, k = codes.shape
    npad, g = padded_n(n), k // group_size
    c = _pad_rows(codes.to(torch.uint8), npad)
    if layout == "vnni4":
        c = c.view(npad // N_BLOCK_INT4, 2, HALF, g, group_size // 4, 4).permute(0, 3, 4, 2, 5, 1)
    elif layout == "kmajor":
        c = c.view(npad // N_BLOCK_INT4, 2, HALF, g, group_size).permute(0, 3, 4, 2, 1)
    else:
        raise ValueError(f"layout: expected 'vnni4' or 'kmajor', got {layout!r}")
    packed = c[..., 0] | (c[..., 1] << 4)
    return packed.reshape(npad // N_BLOCK_INT4, g, group_size, HALF).contiguous()


def unpack_codes(packed: torch.Tensor, n: int, layout: str) -> torch.Tensor:
    nb, g, group_size, _ = packed.shape
    p = packed.reshape(nb, g, -1)
    planes = torch.stack([p & 0x0F, p >> 4], dim=-1)  # [..., bytes, half]
    if layout == "vnni4":
        c = planes.view(nb, g, group_size // 4, HALF, 4, 2).permute(0, 5, 3, 1, 2, 4)
    else:
        c = planes.view(nb, g, group_size, HALF, 2).permute(0, 4, 3, 1, 2)
    return c.reshape(nb * N_BLOCK_INT4, g * group_size)[:n].contiguous()


def pack_params(p: torch.Tensor) -> torch.Tensor:
    """[N, G] -> [Npad/32, G, 32]."""
    n, g = p.shape
    npad = padded_n(n)
    return _pad_rows(p, npad).view(npad // N_BLOCK_INT4, N_BLOCK_INT4, g).permute(0, 2, 1).contiguous()


def unpack_params(p: torch.Tensor, n: int) -> torch.Tensor:
    """[Npad/32, G, 32] -> [N, G]."""
    nb, g, _ = p.shape
    return p.permute(0, 2, 1).reshape(nb * N_BLOCK_INT4, g)[:n].contiguous()


def da8w4_compensation(codes: torch.Tensor, zero: torch.Tensor, group_size: int) -> torch.Tensor:
    """Per channel and group: sum over the group of (code - zero point), int32 [N, G]."""
    n, k = codes.shape
    sums = codes.view(n, k // group_size, group_size).to(torch.int32).sum(dim=-1, dtype=torch.int32)
    return sums - group_size * zero.to(torch.int32)
