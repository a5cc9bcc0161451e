"""xeon-kernels: AMX and AVX-512 quantized linear kernels for PyTorch on Xeon CPUs (torch.ops.xeon.*)."""
__version__ = "0.2.0"

from . import _library

_library.load()

from . import _fakes  # noqa: E402,F401  (registers the ops' fake kernels)
from . import _autograd  # noqa: E402,F401  (registers the linear ops' gradients)
from . import _paths  # noqa: E402
from ._paths import info, set_path, use_path  # noqa: E402,F401
from .api import linear, pack_weight  # noqa: E402,F401
from .packed import PackedWeight  # noqa: E402,F401
from .nn import QuantizedLinear  # noqa: E402,F401
from .models import load_quantized, quantize_, save_quantized  # noqa: E402,F401
from .quant import quantize_per_token  # noqa: E402,F401
from .reference import reference_linear  # noqa: E402,F401
from . import tuning  # noqa: E402
from .tuning import set_tile_k_chunk, tile_k_chunk  # noqa: E402,F401

_paths.init_from_env()
tuning.init_from_env()

from . import torchao_compat  # noqa: E402

torchao_compat.register()

__all__ = ["info", "set_path", "use_path", "linear", "pack_weight", "PackedWeight", "QuantizedLinear", "quantize_",
           "save_quantized", "load_quantized", "quantize_per_token", "reference_linear", "set_tile_k_chunk",
           "tile_k_chunk"]


def __getattr__(name):
    # torchao's flow imports torchao (slow and loud): only when first used
    if name in ("XeonQuantConfig", "from_torchao"):
        from ._extras import require
        require("torchao", "torchao", f"xeon_kernels.{name}")
        from . import torchao_flow
        return getattr(torchao_flow, name)
    raise AttributeError(f"module 'xeon_kernels' has no attribute {name!r}")
