"""Optional dependencies: importing xeon_kernels needs only torch; a feature that needs more names the extra."""
import importlib


def require(module: str, extra: str, feature: str):
    """Imports `module`, or raises an ImportError saying which extra of xeon_kernels installs it."""
    try:
        return importlib.import_module(module)
    except ImportError as e:
        raise ImportError(f"{feature} needs {module.split('.')[0]}: pip install 'xeon_kernels[{extra}]'") from e
