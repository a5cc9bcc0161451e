"""PackedWeight: a weight quantized and packed once into the kernels' layout (csrc/pack/layouts.h)."""
from dataclasses import dataclass
from typing import Optional

import torch

from . import layouts

FORMAT_VERSION = 1
# PackedWeight's tensor fields and the layout parts they hold.
_FIELDS = {"packed": "codes", "scale": "scale", "zero": "zero", "compensation": "sum"}


@dataclass
class PackedWeight:
    """A quantized, packed weight for `xeon_kernels.linear`.

    scheme: "da8w8", "a16w8", "da8w4" or "a16w4"; shape: the original (N, K); group_size: None (per
    channel) for the int8 schemes, the K-group of the int4 schemes; act_symmetric: symmetric (True) or
    asymmetric (False) dynamic activations (da8w8, da8w4), None for the schemes without activation
    quantization (a16w8, a16w4).
    Tensors, each of exactly the dtype and shape the layout gives (checked on construction):
    packed (the codes in the kernel layout); scale fp32 (int8: [N]; int4: [Npad/32, G, 32]);
    compensation int32, the weight sums the u8 x s8 kernels subtract (da8w8: per-channel code sums
    [roundup(N, 16)]; da8w4: per-group sums of (code - zero point) [Npad/32, G, 32]), else None;
    zero (da8w4: int8 integer zero points; a16w4: fp32 float-domain zeros; [Npad/32, G, 32]), else None.
    """

    scheme: str
    shape: tuple
    group_size: Optional[int]
    act_symmetric: Optional[bool]
    packed: torch.Tensor
    scale: torch.Tensor
    compensation: Optional[torch.Tensor] = None
    zero: Optional[torch.Tensor] = None
    format_version: int = FORMAT_VERSION

    def __post_init__(self):
        if self.format_version != FORMAT_VERSION:
            raise ValueError(f"PackedWeight: format version {self.format_version} is not supported (expected "
                             f"{FORMAT_VERSION}); repack the float weight with xeon_kernels.pack_weight")
        if self.scheme not in layouts.SCHEMES:
            raise ValueError(f"PackedWeight: unknown scheme {self.scheme!r} (expected one of {layouts.SCHEMES})")
        n, k = (int(v) for v in self.shape)
        self.shape = (n, k)
        int4 = self.scheme in layouts.INT4_SCHEMES
        if (self.group_size is None) == int4:
            raise ValueError(f"PackedWeight: group_size {self.group_size} does not fit the {self.scheme} scheme")
        dynamic = self.scheme in layouts.DYNAMIC_SCHEMES
        if (self.act_symmetric is None) == dynamic:
            raise ValueError(f"PackedWeight: act_symmetric {self.act_symmetric} does not fit the {self.scheme} "
                             "scheme (a bool for da8w8 / da8w4, None for a16w8 / a16w4)")
        try:
            spec = layouts.spec(self.scheme, n, k, self.group_size)
        except RuntimeError as e:
            raise ValueError(f"PackedWeight: {e}") from None
        for field, part in _FIELDS.items():
            t = getattr(self, field)
            if part not in spec:
                if t is not None:
                    raise ValueError(f"PackedWeight: {field} must be None for the {self.scheme} scheme")
                continue
            dtype, shape = spec[part]
            if not isinstance(t, torch.Tensor) or t.dtype != dtype or tuple(t.shape) != shape:
                got = f"{t.dtype} {tuple(t.shape)}" if isinstance(t, torch.Tensor) else type(t).__name__
                raise ValueError(f"PackedWeight: {field} must be {dtype} {shape} for a {self.scheme} weight with "
                                 f"N = {n}, K = {k}, group_size = {self.group_size}; got {got}")
            if t.device.type != "cpu":
                raise ValueError(f"PackedWeight: {field} must be on the CPU, got device {t.device}")

    def __setstate__(self, state):
        # torch.load / pickle: the same checks as construction (a loaded weight could be inconsistent)
        self.__dict__.update(state)
        self.__post_init__()

    @property
    def out_features(self) -> int:
        return self.shape[0]

    @property
    def in_features(self) -> int:
        return self.shape[1]

    def _parts(self) -> dict:
        return {part: getattr(self, f) for f, part in _FIELDS.items() if getattr(self, f) is not None}

    def unpacked(self):
        """(codes [N, K], scale, zero or None) as the pack op takes them (layouts.unpack)."""
        return layouts.unpack(self.scheme, self._parts(), self.shape[0], self.shape[1], self.group_size)

    @classmethod
    def from_parts(cls, scheme: str, shape, group_size, act_symmetric, parts: dict) -> "PackedWeight":
        """A PackedWeight of the {part: tensor} that layouts.pack returns."""
        return cls(scheme, tuple(shape), group_size, act_symmetric, parts["codes"], parts["scale"], parts.get("sum"),
                   parts.get("zero"))

    def int_codes(self) -> torch.Tensor:
        """The integer weight codes [N, K] (int8, or uint8 in [0, 15] for int4), unpacked from the layout."""
        return self.unpacked()[0]

    def scales(self) -> torch.Tensor:
        """fp32 scales: [N] per channel (int8 schemes) or [N, K / group_size] per group (int4 schemes)."""
        return self.unpacked()[1]

    def zero_points(self) -> Optional[torch.Tensor]:
        """[N, G] zero points (da8w4: integer, int32; a16w4: float domain, fp32), None for int8 schemes."""
        return self.unpacked()[2]

    def state_dict(self) -> dict:
        sym = -1 if self.act_symmetric is None else int(self.act_symmetric)
        d = {"packed": self.packed, "scale": self.scale,
             "meta": torch.tensor([self.format_version, self.shape[0], self.shape[1],
                                   -1 if self.group_size is None else self.group_size, sym]),
             "scheme": torch.tensor(list(self.scheme.encode()), dtype=torch.uint8)}
        if self.compensation is not None:
            d["compensation"] = self.compensation
        if self.zero is not None:
            d["zero"] = self.zero
        return d

    @classmethod
    def from_state_dict(cls, d: dict) -> "PackedWeight":
        version, n, k, group, sym = (int(v) for v in d["meta"])
        scheme = bytes(d["scheme"].tolist()).decode()
        if scheme not in layouts.DYNAMIC_SCHEMES:
            sym = -1  # format 1 files of a16w8 / a16w4 recorded a meaningless 1
        return cls(scheme, (n, k), None if group < 0 else group, None if sym < 0 else bool(sym), d["packed"],
                   d["scale"], d.get("compensation"), d.get("zero"), version)


torch.serialization.add_safe_globals([PackedWeight])


def concatenated(packs) -> PackedWeight:
    """One PackedWeight for several of one scheme, K, group size and activation mapping, their outputs stacked
    along N (q/k/v, gate/up): the codes, scales and zero points of each, concatenated and packed again. Every
    scheme quantizes per output channel (or per channel and K-group), so each output is its part's own, bit for
    bit."""
    first = packs[0]
    kinds = {(p.scheme, p.shape[1], p.group_size, p.act_symmetric) for p in packs}
    if len(kinds) != 1:
        raise ValueError(f"packs: expected one scheme, K, group size and activation mapping, got {sorted(kinds)}")
    parts = [p.unpacked() for p in packs]
    codes, scale = torch.cat([c for c, _, _ in parts]), torch.cat([s for _, s, _ in parts])
    zero = torch.cat([z for _, _, z in parts]) if parts[0][2] is not None else None
    return PackedWeight.from_parts(first.scheme, (codes.shape[0], first.shape[1]), first.group_size,
                                   first.act_symmetric, layouts.pack(first.scheme, codes, scale, zero,
                                                                     first.group_size))
