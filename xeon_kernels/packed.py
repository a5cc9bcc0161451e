"""PackedWeight: a weight quantized and packed once into the kernels' layout."""
from dataclasses import dataclass
from typing import Optional

import torch

FORMAT_VERSION = 1
# Layout ids shared with csrc/common/block_sizes.h (Layout).
LAYOUT_INT8_VNNI4 = 0
LAYOUT_INT8_KMAJOR = 1
N_BLOCK = 16
K_PAD_INT8 = 64

SCHEME_LAYOUT = {"da8w8": LAYOUT_INT8_VNNI4, "a16w8": LAYOUT_INT8_KMAJOR}


@dataclass
class PackedWeight:
    """A quantized, packed weight for `xeon_kernels.linear`.

    scheme: "da8w8" or "a16w8"; shape: the original (N, K); group_size: None (per channel) for int8 schemes;
    act_symmetric: symmetric int8 (True) or asymmetric int8 with a zero point (False) activations (da8w8).
    Tensors: packed (the kernel layout), scale fp32 [N], weight_sum int32 [roundup(N, 16)] (da8w8 only).
    """

    scheme: str
    shape: tuple
    group_size: Optional[int]
    act_symmetric: bool
    packed: torch.Tensor
    scale: torch.Tensor
    weight_sum: Optional[torch.Tensor] = None
    format_version: int = FORMAT_VERSION

    @property
    def out_features(self) -> int:
        return self.shape[0]

    @property
    def in_features(self) -> int:
        return self.shape[1]

    def int_codes(self) -> torch.Tensor:
        """The int8 weight codes [N, K], unpacked from the kernel layout."""
        n, k = self.shape
        npad = -(-n // N_BLOCK) * N_BLOCK
        if self.scheme == "da8w8":
            kpad = -(-k // K_PAD_INT8) * K_PAD_INT8
            w = self.packed.view(npad // N_BLOCK, kpad // 4, N_BLOCK, 4).permute(0, 2, 1, 3)
            return w.reshape(npad, kpad)[:n, :k].contiguous()
        w = self.packed.view(npad // N_BLOCK, k, N_BLOCK).permute(0, 2, 1)
        return w.reshape(npad, k)[:n].contiguous()

    def scales(self) -> torch.Tensor:
        return self.scale

    def state_dict(self) -> dict:
        d = {"packed": self.packed, "scale": self.scale,
             "meta": torch.tensor([self.format_version, self.shape[0], self.shape[1],
                                   -1 if self.group_size is None else self.group_size, int(self.act_symmetric)])}
        if self.weight_sum is not None:
            d["weight_sum"] = self.weight_sum
        d["scheme"] = torch.tensor(list(self.scheme.encode()), dtype=torch.uint8)
        return d

    @classmethod
    def from_state_dict(cls, d: dict) -> "PackedWeight":
        version, n, k, group, sym = (int(v) for v in d["meta"])
        if version != FORMAT_VERSION:
            raise ValueError(f"PackedWeight: format version {version} is not supported (expected {FORMAT_VERSION}); "
                             "repack the float weight with xeon_kernels.pack_weight")
        scheme = bytes(d["scheme"].tolist()).decode()
        return cls(scheme, (n, k), None if group < 0 else group, bool(sym), d["packed"], d["scale"],
                   d.get("weight_sum"), version)


torch.serialization.add_safe_globals([PackedWeight])
