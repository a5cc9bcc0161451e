"""Whole models: quantize_ (in place, all-or-nothing), fused projections, and the quantized checkpoint
(save_quantized / load_quantized: safetensors + a JSON manifest with a checksum of every tensor)."""
import contextlib
import dataclasses
import hashlib
import json
import logging
import os
from typing import Callable, Optional

import torch
from torch import nn

from . import layouts
from ._extras import require
from .nn import FusedProjection, FusedSlice, QuantizedLinear

log = logging.getLogger("xeon_kernels")

# Fusion of sibling projections that read one input, for module classes whose forward calls them in this
# order on the same tensor (checked in the transformers source: LlamaAttention / Qwen2Attention call q, k, v;
# LlamaMLP / Qwen2MLP call gate, then up). Other classes stay unfused.
FUSIONS = {
    "LlamaAttention": ("qkv_proj", ("q_proj", "k_proj", "v_proj")),
    "Qwen2Attention": ("qkv_proj", ("q_proj", "k_proj", "v_proj")),
    "LlamaMLP": ("gate_up_proj", ("gate_proj", "up_proj")),
    "Qwen2MLP": ("gate_up_proj", ("gate_proj", "up_proj")),
}
# Leaf names of projections the fusion table knows, to tell an unknown architecture's candidates apart.
_FUSABLE_NAMES = {n for _, names in FUSIONS.values() for n in names}
CHECKPOINT_FORMAT = 1
WEIGHTS_FILE, MANIFEST_FILE = "model.safetensors", "xeon_quantization.json"
# Models with fewer linear layers than this quantize without a progress bar.
_PROGRESS_MIN_LAYERS = 16


@dataclasses.dataclass
class QuantizationSummary:
    scheme: str
    group_size: Optional[int]
    converted: list  # qualified names of the linears now running xeon kernels
    skipped: dict  # name -> why it stays float
    fused: list  # "parent.fused_name <- a, b, c"
    unfused: list  # why fusion did not apply where it was asked for
    bytes_before: int  # weight bytes of the converted linears as float
    bytes_after: int  # their packed bytes (codes and parameters)

    def __str__(self):
        lines = [f"xeon_kernels.quantize_: {len(self.converted)} linear layers -> {self.scheme}"
                 + (f" (group {self.group_size})" if self.group_size else "")
                 + f", weights {self.bytes_before / 2**20:.1f} MiB -> {self.bytes_after / 2**20:.1f} MiB"]
        lines += [f"  fused: {f}" for f in self.fused]
        lines += [f"  unfused: {u}" for u in self.unfused]
        lines += [f"  kept float: {name}: {why}" for name, why in self.skipped.items()]
        return "\n".join(lines)


def _nbytes(*tensors) -> int:
    return sum(t.numel() * t.element_size() for t in tensors if t is not None)


def _default_filter(model: nn.Module) -> Callable:
    """LLM defaults: every nn.Linear but the output projection (lm_head), which stays float; embeddings are not
    linears and stay float too."""
    out = model.get_output_embeddings() if hasattr(model, "get_output_embeddings") else None

    def keep(module, name):
        return module is not out and name.split(".")[-1] != "lm_head"
    return keep


def _check_model(model: nn.Module) -> None:
    from torch.utils._python_dispatch import is_traceable_wrapper_subclass
    for name, m in model.named_modules():
        if isinstance(m, (QuantizedLinear, FusedProjection)):
            raise ValueError(f"model: already quantized by xeon_kernels ({name} is a {type(m).__name__})")
        w = getattr(m, "weight", None)
        if isinstance(w, torch.Tensor) and is_traceable_wrapper_subclass(w):
            raise ValueError(f"model: {name}.weight is a {type(w).__name__} (quantized by torchao?); "
                             "xeon_kernels.quantize_ takes a float model")
    for name, t in [*model.named_parameters(), *model.named_buffers()]:
        if t.device.type != "cpu":
            raise ValueError(f"model: {name} is on {t.device}; the xeon kernels run on the CPU (move the model to "
                             "the CPU first)")


def _checked_scheme(scheme, group_size, act_symmetric):
    if scheme not in layouts.SCHEMES:
        raise ValueError(f"scheme: expected one of {list(layouts.SCHEMES)}, got {scheme!r}")
    if scheme in layouts.INT8_SCHEMES and group_size is not None:
        raise ValueError(f"group_size: the {scheme} scheme quantizes per output channel; expected None, "
                         f"got {group_size}")
    if scheme in layouts.INT4_SCHEMES:
        group_size = 128 if group_size is None else group_size
        if group_size not in layouts.INT4_GROUP_SIZES:
            raise ValueError(f"group_size: expected one of {layouts.INT4_GROUP_SIZES} for {scheme}, got {group_size}")
    sym = bool(act_symmetric) if scheme in layouts.DYNAMIC_SCHEMES else None
    return group_size, sym


def _cannot_take(linear: nn.Linear, scheme: str, group_size) -> Optional[str]:
    k = linear.in_features
    if scheme in layouts.INT4_SCHEMES and k % group_size:
        return f"K = {k} is not a multiple of group_size {group_size}"
    if scheme == "da8w8" and k > layouts.MAX_K_DA8W8:
        return f"K = {k} exceeds {layouts.MAX_K_DA8W8} (int32 accumulators)"
    if linear.weight.dtype not in (torch.float32, torch.bfloat16, torch.float16):
        return f"weight dtype {linear.weight.dtype}"
    if not torch.isfinite(linear.weight).all():
        return "weight holds NaN or Inf"
    return None


def _progress(items, enabled, desc):
    if not enabled or len(items) < _PROGRESS_MIN_LAYERS:
        return items
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return items
    return tqdm(items, desc=desc, unit="layer")


def quantize_(model: nn.Module, scheme: str, *, group_size: Optional[int] = None, act_symmetric: bool = True,
              filter_fn: Optional[Callable] = None, fuse: bool = True, progress: bool = True) -> nn.Module:
    """Converts the model's nn.Linear layers to QuantizedLinear (scheme "da8w8", "a16w8", "da8w4", "a16w4") in
    place and returns the model; `model.xeon_summary` (also logged) says what was converted, fused or kept.

    group_size: int4 schemes, default 128; None for the int8 schemes. act_symmetric: da8w8 / da8w4 only.
    filter_fn(module, name) -> bool chooses the linears (default: all but lm_head / the output embeddings).
    fuse: q/k/v and gate/up of known architectures (Llama, Qwen2) become one GEMM each (same outputs).
    All layers are packed before any is swapped, so an error leaves the model as it was; a layer the scheme
    cannot take (K not a multiple of the group, say) stays float and is named in the summary.
    """
    group_size, sym = _checked_scheme(scheme, group_size, act_symmetric)
    if not isinstance(model, nn.Module):
        raise TypeError(f"model: expected an nn.Module, got {type(model).__name__}")
    _check_model(model)
    keep = filter_fn or _default_filter(model)
    modules = dict(model.named_modules())
    chosen = {name: m for name, m in modules.items() if isinstance(m, nn.Linear) and keep(m, name)}
    if not chosen:
        raise ValueError("model: no nn.Linear layer to quantize" + (" (after filter_fn)" if filter_fn else ""))
    skipped = {name: why for name, m in chosen.items() if (why := _cannot_take(m, scheme, group_size))}
    units, unfused, grouped = [], [], set()
    if fuse:
        for parent_name, parent in modules.items():
            fusion = FUSIONS.get(type(parent).__name__)
            if fusion is None:
                if any(f"{parent_name}.{c}".lstrip(".") in chosen for c in _FUSABLE_NAMES if hasattr(parent, c)):
                    unfused.append(f"{parent_name}: {type(parent).__name__} is not a known architecture")
                continue
            fused_name, names = fusion
            full = [f"{parent_name}.{n}" if parent_name else n for n in names]
            parts = [chosen.get(f) for f in full]
            if any(p is None or f in skipped for p, f in zip(parts, full)) or \
                    len({(p.in_features, p.bias is not None, p.weight.dtype) for p in parts}) != 1:
                unfused.append(f"{parent_name}: {', '.join(names)} not all quantized alike")
                continue
            units.append((parent_name, fused_name, names, parts))
            grouped.update(full)
    units += [(name, None, None, [m]) for name, m in chosen.items() if name not in grouped and name not in skipped]
    unfused = sorted(set(unfused))

    # Phase 1: pack everything (nothing in the model changes; an exception here leaves it as it was).
    built = []
    for parent_name, fused_name, names, parts in _progress(units, progress, f"quantize_ {scheme}"):
        if fused_name is None:
            built.append((parent_name, None, None, QuantizedLinear.from_linear(parts[0], scheme, group_size, sym),
                          _nbytes(parts[0].weight)))
            continue
        weight = torch.cat([p.weight.detach() for p in parts])
        bias = torch.cat([p.bias.detach() for p in parts]) if parts[0].bias is not None else None
        fused = nn.Linear(weight.shape[1], weight.shape[0], bias=bias is not None, device="meta")
        fused.weight, fused.bias = nn.Parameter(weight), nn.Parameter(bias) if bias is not None else None
        q = QuantizedLinear.from_linear(fused, scheme, group_size, sym)
        built.append((parent_name, fused_name, (names, [p.out_features for p in parts]), q, _nbytes(weight)))

    # Phase 2: swap (plain attribute assignments).
    converted, fused_report, before, after = [], [], 0, 0
    for parent_name, fused_name, names, q, nbytes in built:
        before += nbytes
        after += _nbytes(q.packed, q.scale, q.zero, q.compensation)
        if fused_name is None:
            _set_module(model, parent_name, q)
            converted.append(parent_name)
            continue
        slice_names, sizes = names
        install_fused(model, parent_name, fused_name, slice_names, sizes, q)
        converted += [f"{parent_name}.{n}" for n in slice_names]
        fused_report.append(f"{parent_name}.{fused_name} <- {', '.join(slice_names)}")
    summary = QuantizationSummary(scheme, group_size, converted, skipped, fused_report, unfused, before, after)
    model.xeon_summary = summary
    log.info("%s", summary)
    return model


def install_fused(model: nn.Module, parent_name: str, fused_name: str, slice_names, sizes, q: QuantizedLinear):
    """parent.fused_name becomes the FusedProjection of q (its outputs split into sizes), and each of
    parent.slice_names the FusedSlice that returns its part."""
    parent = model.get_submodule(parent_name) if parent_name else model
    projection = FusedProjection(q, sizes, fused_name)
    setattr(parent, fused_name, projection)
    for i, n in enumerate(slice_names):
        setattr(parent, n, FusedSlice(projection, i))


def _set_module(model: nn.Module, name: str, module: nn.Module) -> None:
    parent_name, _, leaf = name.rpartition(".")
    setattr(model.get_submodule(parent_name) if parent_name else model, leaf, module)


# ---- checkpoints ----

def _sha256(t: torch.Tensor) -> str:
    data = t.detach().contiguous().view(-1).view(torch.uint8) if t.numel() else torch.empty(0, dtype=torch.uint8)
    return hashlib.sha256(data.numpy().data).hexdigest()


def _structure(model: nn.Module) -> dict:
    """The quantized layers and fused projections of a model, as the manifest records them."""
    layers, fused = {}, []
    for name, m in model.named_modules():
        if isinstance(m, QuantizedLinear):
            layers[name] = {"scheme": m.scheme, "group_size": m.group_size, "act_symmetric": m.act_symmetric,
                            "in_features": m.in_features, "out_features": m.out_features,
                            "bias": m.bias is not None,
                            "bias_dtype": str(m.bias.dtype).split(".")[-1] if m.bias is not None else None}
        elif isinstance(m, FusedProjection):
            parent_name, _, attr = name.rpartition(".")
            parent = model.get_submodule(parent_name) if parent_name else model
            slices = [n for n, c in parent.named_children() if isinstance(c, FusedSlice) and c._fused[0] is m]
            slices.sort(key=lambda n: getattr(parent, n).index)
            fused.append({"parent": parent_name, "name": attr, "slices": slices, "sizes": m.sizes})
    return {"layers": layers, "fused": fused}


def save_quantized(model: nn.Module, directory: str) -> None:
    """Writes a quantized model to `directory`: model.safetensors (every tensor of its state dict: packed codes,
    scales, zero points, sums, float parameters), xeon_quantization.json (format version, package version, the
    quantized layers and fused projections with their shapes, tied tensors, a SHA-256 of every tensor) and, for
    a transformers model, its config.json."""
    require("safetensors", "models", "save_quantized")
    from safetensors.torch import save_file
    from . import __version__
    structure = _structure(model)
    if not structure["layers"]:
        raise ValueError("model: no QuantizedLinear in it; quantize it with xeon_kernels.quantize_ first")
    os.makedirs(directory, exist_ok=True)
    tensors, ties, seen = {}, {}, {}
    for name, t in model.state_dict(keep_vars=False).items():
        key = (t.data_ptr(), t.dtype, tuple(t.shape), tuple(t.stride())) if t.numel() else None
        if key is not None and key in seen:
            ties[name] = seen[key]  # a tied tensor (lm_head.weight = embed_tokens.weight): stored once
            continue
        if key is not None:
            seen[key] = name
        tensors[name] = t.detach().contiguous()
    manifest = {"format": "xeon_kernels.quantized", "format_version": CHECKPOINT_FORMAT, "package_version": __version__,
                **structure, "ties": ties,
                "tensors": {n: {"dtype": str(t.dtype).split(".")[-1], "shape": list(t.shape), "sha256": _sha256(t)}
                            for n, t in tensors.items()}}
    save_file(tensors, os.path.join(directory, WEIGHTS_FILE), metadata={"format": "pt"})
    with open(os.path.join(directory, MANIFEST_FILE), "w") as f:
        json.dump(manifest, f, indent=1)
    if hasattr(model, "config") and hasattr(model.config, "save_pretrained"):
        model.config.save_pretrained(directory)


class CheckpointError(ValueError):
    """A quantized checkpoint that cannot be loaded: names the file and, where it applies, the tensor."""


def _read_manifest(directory: str) -> dict:
    path = os.path.join(directory, MANIFEST_FILE)
    try:
        with open(path) as f:
            manifest = json.load(f)
    except FileNotFoundError:
        raise CheckpointError(f"{path}: missing (not a checkpoint of xeon_kernels.save_quantized)") from None
    except json.JSONDecodeError as e:
        raise CheckpointError(f"{path}: not valid JSON ({e})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != "xeon_kernels.quantized":
        raise CheckpointError(f"{path}: not an xeon_kernels quantized-model manifest")
    if manifest.get("format_version") != CHECKPOINT_FORMAT:
        raise CheckpointError(f"{path}: format version {manifest.get('format_version')} is not supported "
                              f"(expected {CHECKPOINT_FORMAT})")
    for key in ("layers", "fused", "ties", "tensors"):
        if key not in manifest:
            raise CheckpointError(f"{path}: no {key!r} entry")
    return manifest


def _read_tensors(directory: str, manifest: dict, verify: bool) -> dict:
    """The checkpoint's tensors (memory-mapped by safetensors), checked against the manifest."""
    from safetensors import SafetensorError
    from safetensors.torch import safe_open
    path = os.path.join(directory, WEIGHTS_FILE)
    try:
        f = safe_open(path, framework="pt")
        keys = set(f.keys())
    except FileNotFoundError:
        raise CheckpointError(f"{path}: missing") from None
    except (SafetensorError, OSError, ValueError) as e:
        raise CheckpointError(f"{path}: unreadable safetensors file ({e})") from None
    tensors = {}
    for name, want in manifest["tensors"].items():
        if name not in keys:
            raise CheckpointError(f"{path}: tensor {name!r} is missing")
        try:
            t = f.get_tensor(name)
        except (SafetensorError, OSError, ValueError, RuntimeError) as e:
            raise CheckpointError(f"{path}: tensor {name!r} is unreadable ({e}); the file may be truncated") from None
        if str(t.dtype).split(".")[-1] != want["dtype"] or list(t.shape) != want["shape"]:
            raise CheckpointError(f"{path}: tensor {name!r} is {t.dtype} {list(t.shape)}, the manifest says "
                                  f"{want['dtype']} {want['shape']}")
        if verify and _sha256(t) != want["sha256"]:
            raise CheckpointError(f"{path}: tensor {name!r} does not match its checksum (the file is corrupted); "
                                  "load_quantized(..., verify=False) skips the check")
        tensors[name] = t
    extra = keys - set(manifest["tensors"])
    if extra:
        raise CheckpointError(f"{path}: tensors the manifest does not list: {sorted(extra)[:5]}")
    return tensors


def _skeleton_from_config(directory: str) -> nn.Module:
    require("transformers", "models", "load_quantized without a model skeleton")
    from transformers import AutoConfig, AutoModelForCausalLM
    try:
        config = AutoConfig.from_pretrained(directory)
    except (OSError, ValueError) as e:
        raise CheckpointError(f"{os.path.join(directory, 'config.json')}: no usable model config ({e}); pass a "
                              "model skeleton to load_quantized") from None
    with torch.device("meta"):
        return AutoModelForCausalLM.from_config(config)


def load_quantized(directory: str, model: Optional[nn.Module] = None, *, verify: bool = True) -> nn.Module:
    """Loads a checkpoint of save_quantized. Without `model`, builds the transformers model of the directory's
    config on the meta device (no float weights are ever materialised); with `model` (a float or meta skeleton
    of the same architecture) loads into it. The packed tensors are assigned as safetensors maps them, never
    requantized. verify=False skips the SHA-256 check of every tensor (it reads the whole file once).
    A bad checkpoint raises CheckpointError naming the file and tensor, before `model` is changed."""
    require("safetensors", "models", "load_quantized")
    manifest = _read_manifest(directory)
    tensors = _read_tensors(directory, manifest, verify)
    skeleton = model if model is not None else _skeleton_from_config(directory)
    modules = dict(skeleton.named_modules())
    for name, spec in manifest["layers"].items():
        fused_owner = any(name == (f"{f['parent']}.{f['name']}.linear" if f["parent"] else f"{f['name']}.linear")
                          for f in manifest["fused"])
        if not fused_owner and not isinstance(modules.get(name), (nn.Linear, QuantizedLinear)):
            raise CheckpointError(f"{os.path.join(directory, MANIFEST_FILE)}: layer {name!r} has no nn.Linear in the "
                                  "model (another architecture?)")
        if not fused_owner and (modules[name].in_features, modules[name].out_features) != \
                (spec["in_features"], spec["out_features"]):
            raise CheckpointError(f"{os.path.join(directory, MANIFEST_FILE)}: layer {name!r} is "
                                  f"{spec['out_features']} x {spec['in_features']}, the model's is "
                                  f"{modules[name].out_features} x {modules[name].in_features}")
    _check_layer_tensors(directory, manifest, tensors)
    # Everything is checked: build the structure on meta and assign the tensors.
    for f in manifest["fused"]:
        key = f"{f['parent']}.{f['name']}.linear" if f["parent"] else f"{f['name']}.linear"
        install_fused(skeleton, f["parent"], f["name"], f["slices"], f["sizes"], _meta_layer(manifest["layers"][key]))
    fused_keys = {f"{f['parent']}.{f['name']}.linear" if f["parent"] else f"{f['name']}.linear"
                  for f in manifest["fused"]}
    for name, spec in manifest["layers"].items():
        if name not in fused_keys:
            _set_module(skeleton, name, _meta_layer(spec))
    state = dict(tensors)
    for name, source in manifest["ties"].items():
        state[name] = tensors[source]
    skeleton.load_state_dict(state, strict=True, assign=True)
    if hasattr(skeleton, "tie_weights"):
        with contextlib.suppress(Exception):
            skeleton.tie_weights()
    _materialize_meta_buffers(skeleton)
    return skeleton


def _check_layer_tensors(directory: str, manifest: dict, tensors: dict) -> None:
    """Each quantized layer's tensors are exactly the parts its scheme and shape give (layouts.spec)."""
    path = os.path.join(directory, WEIGHTS_FILE)
    for name, spec in manifest["layers"].items():
        try:
            want = layouts.spec(spec["scheme"], spec["out_features"], spec["in_features"], spec["group_size"])
        except (KeyError, RuntimeError, ValueError) as e:
            raise CheckpointError(f"{os.path.join(directory, MANIFEST_FILE)}: layer {name!r}: {e}") from None
        for buffer, part in (("packed", "codes"), ("scale", "scale"), ("zero", "zero"), ("compensation", "sum")):
            key = f"{name}.{buffer}"
            if part not in want:
                if key in tensors:
                    raise CheckpointError(f"{path}: tensor {key!r} does not belong to a {spec['scheme']} layer")
                continue
            t = tensors.get(key)
            if t is None:
                raise CheckpointError(f"{path}: tensor {key!r} is missing")
            if (t.dtype, tuple(t.shape)) != want[part]:
                raise CheckpointError(f"{path}: tensor {key!r} is {t.dtype} {tuple(t.shape)}; a {spec['scheme']} layer "
                                      f"of {spec['out_features']} x {spec['in_features']} needs {want[part][0]} "
                                      f"{want[part][1]}")


def _meta_layer(spec: dict) -> QuantizedLinear:
    return QuantizedLinear(spec["in_features"], spec["out_features"], spec["scheme"], spec["group_size"],
                           spec["act_symmetric"], spec["bias"], getattr(torch, spec["bias_dtype"] or "float32"),
                           device="meta")


def _materialize_meta_buffers(model: nn.Module) -> None:
    """Buffers left on meta are the non-persistent ones a module computes at construction (rotary embedding
    frequencies): rebuild those modules from the config on the CPU (they hold no parameters)."""
    for name, m in list(model.named_modules()):
        if any(b.device.type == "meta" for b in m.buffers(recurse=False)):
            if any(True for _ in m.parameters(recurse=False)) or not hasattr(m, "config"):
                raise CheckpointError(f"model: {name} has buffers that the checkpoint does not hold and that cannot "
                                      "be recomputed")
            _set_module(model, name, type(m)(m.config))
    leftover = [n for n, t in [*model.named_parameters(), *model.named_buffers()] if t.device.type == "meta"]
    if leftover:
        raise CheckpointError(f"model: tensors not in the checkpoint: {leftover[:5]}")
