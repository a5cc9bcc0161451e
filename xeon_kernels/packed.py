"""PackedWeight: a weight quantized and packed once into the kernels' layout."""
from dataclasses import dataclass
from typing import Optional

import torch

from . import int4_layout

FORMAT_VERSION = 1
# Layout ids shared with csrc/common/block_sizes.h (Layout).
LAYOUT_INT8_VNNI4 = 0
LAYOUT_INT8_KMAJOR = 1
N_BLOCK = 16
K_PAD_INT8 = 64

INT8_SCHEMES = {"da8w8": LAYOUT_INT8_VNNI4, "a16w8": LAYOUT_INT8_KMAJOR}
INT4_SCHEMES = {"da8w4": "vnni4", "a16w4": "kmajor"}
SCHEMES = (*INT8_SCHEMES, *INT4_SCHEMES)


@dataclass
class PackedWeight:
    """A quantized, packed weight for `xeon_kernels.linear`.

    scheme: "da8w8", "a16w8", "da8w4" or "a16w4"; shape: the original (N, K); group_size: None (per
    channel) for the int8 schemes, the K-group of the int4 schemes; act_symmetric: symmetric (True) or
    asymmetric (False) dynamic activations (da8w8, da8w4).
    Tensors: packed (the kernel layout); scale fp32 (int8: [N]; int4: [Npad/32, G, 32]);
    compensation int32 (da8w8: per-channel code sums [roundup(N, 16)]; da8w4: per-group sums of
    (code - zero point) [Npad/32, G, 32]); zero (da8w4: int8 zero points; a16w4: fp32 float-domain zeros).
    """

    scheme: str
    shape: tuple
    group_size: Optional[int]
    act_symmetric: bool
    packed: torch.Tensor
    scale: torch.Tensor
    compensation: Optional[torch.Tensor] = None
    zero: Optional[torch.Tensor] = None
    format_version: int = FORMAT_VERSION

    @property
    def out_features(self) -> int:
        return self.shape[0]

    @property
    def in_features(self) -> int:
        return self.shape[1]

    def int_codes(self) -> torch.Tensor:
        """The integer weight codes [N, K] (int8, or uint8 in [0, 15] for int4), unpacked from the layout."""
        n, k = self.shape
        if self.scheme in INT4_SCHEMES:
            return int4_layout.unpack_codes(self.packed, n, INT4_SCHEMES[self.scheme])
        npad = -(-n // N_BLOCK) * N_BLOCK
        if self.scheme == "da8w8":
            kpad = -(-k // K_PAD_INT8) * K_PAD_INT8
            w = self.packed.view(npad // N_BLOCK, kpad // 4, N_BLOCK, 4).permute(0, 2, 1, 3)
            return w.reshape(npad, kpad)[:n, :k].contiguous()
        w = self.packed.view(npad // N_BLOCK, k, N_BLOCK).permute(0, 2, 1)
        return w.reshape(npad, k)[:n].contiguous()

    def scales(self) -> torch.Tensor:
        """fp32 scales: [N] per channel (int8 schemes) or [N, K / group_size] per group (int4 schemes)."""
        if self.scheme in INT4_SCHEMES:
            return int4_layout.unpack_params(self.scale, self.shape[0])
        return self.scale

    def zero_points(self) -> Optional[torch.Tensor]:
        """[N, G] zero points (da8w4: integer, as int8; a16w4: float domain, fp32), None for int8 schemes."""
        return None if self.zero is None else int4_layout.unpack_params(self.zero, self.shape[0])

    def state_dict(self) -> dict:
        d = {"packed": self.packed, "scale": self.scale,
             "meta": torch.tensor([self.format_version, self.shape[0], self.shape[1],
                                   -1 if self.group_size is None else self.group_size, int(self.act_symmetric)]),
             "scheme": torch.tensor(list(self.scheme.encode()), dtype=torch.uint8)}
        if self.compensation is not None:
            d["compensation"] = self.compensation
        if self.zero is not None:
            d["zero"] = self.zero
        return d

    @classmethod
    def from_state_dict(cls, d: dict) -> "PackedWeight":
        version, n, k, group, sym = (int(v) for v in d["meta"])
        if version != FORMAT_VERSION:
            raise ValueError(f"PackedWeight: format version {version} is not supported (expected {FORMAT_VERSION}); "
                             "repack the float weight with xeon_kernels.pack_weight")
        scheme = bytes(d["scheme"].tolist()).decode()
        return cls(scheme, (n, k), None if group < 0 else group, bool(sym), d["packed"], d["scale"],
                   d.get("compensation"), d.get("zero"), version)


torch.serialization.add_safe_globals([PackedWeight])
