"""The schemes and their packed layouts, as the op library defines them (csrc/pack/layouts.h): names,
which are int4 and dynamic, and each packed weight's parts (dtype and shape) for given N, K and group."""
import torch

from . import _library

_INFO = _library.info()
SCHEMES = tuple(s["name"] for s in _INFO["schemes"])
SCHEME_IDS = {s["name"]: s["id"] for s in _INFO["schemes"]}
INT4_SCHEMES = tuple(s["name"] for s in _INFO["schemes"] if s["int4"])
INT8_SCHEMES = tuple(s["name"] for s in _INFO["schemes"] if not s["int4"])
DYNAMIC_SCHEMES = tuple(s["name"] for s in _INFO["schemes"] if s["dynamic"])
# (scheme, symmetric) -> (quant_min, quant_max) of the dynamic schemes' per-token activation codes
ACT_RANGES = {(s["name"], sym): tuple(s["act_range_symmetric" if sym else "act_range_asymmetric"])
              for s in _INFO["schemes"] if s["dynamic"] for sym in (True, False)}
INT4_GROUP_SIZES = tuple(_INFO["int4_group_sizes"])
MAX_K_DA8W8 = _INFO["max_k_da8w8"]
INT4_N_BLOCK = _INFO["int4_n_block"]  # channels per int4 N-block: packed int4 N is a multiple of it
# The parts of a packed weight in the order the pack op returns the present ones.
PARTS = ("codes", "scale", "zero", "sum")


def _group_id(group_size):
    return 0 if group_size is None else int(group_size)


def spec(scheme: str, n: int, k: int, group_size) -> dict:
    """{part: (dtype, shape)} of a packed weight; raises the op library's error for an impossible geometry."""
    parts = _library.packed_spec(SCHEME_IDS[scheme], int(n), int(k), _group_id(group_size))
    return {name: (getattr(torch, p["dtype"]), tuple(p["shape"])) for name, p in parts.items()}


def pack(scheme: str, codes: torch.Tensor, scale: torch.Tensor, zero, group_size) -> dict:
    """Packs codes [N, K], scale [N] or [N, G] and zero [N, G] (int4) with xeon::pack_weight: {part: tensor}."""
    tensors = torch.ops.xeon.pack_weight(codes, scale, zero, SCHEME_IDS[scheme], _group_id(group_size))
    names = [p for p in PARTS if p in spec(scheme, codes.shape[0], codes.shape[1], group_size)]
    return dict(zip(names, tensors))


def dequantize(scheme: str, parts: dict, n: int, k: int, group_size) -> torch.Tensor:
    """The weight the packed codes stand for, [N, K] fp32: code * scale (int8 schemes), (code - zero) * scale
    (da8w4), (code - 8) * scale + zero (a16w4). Exact in fp64 terms up to one fp32 rounding per element."""
    codes, scale, zero = unpack(scheme, parts, n, k, group_size)
    if scheme in INT8_SCHEMES:
        return codes.float() * scale[:, None]
    g = codes.float().view(n, -1, group_size)
    s = scale[..., None]
    w = (g - zero.float()[..., None]) * s if scheme == "da8w4" else (g - 8) * s + zero[..., None]
    return w.view(n, k)


def unpack(scheme: str, parts: dict, n: int, k: int, group_size):
    """(codes [N, K], scale [N] or [N, G], zero [N, G] or None) from packed parts (xeon::unpack_weight)."""
    out = torch.ops.xeon.unpack_weight(parts["codes"], parts["scale"], parts.get("zero"), SCHEME_IDS[scheme], n, k,
                                       _group_id(group_size))
    return out[0], out[1], (out[2] if len(out) > 2 else None)
