"""The README's main command (`make demo`): a small Llama-shaped model built locally (random weights, nothing
downloaded), quantized with each scheme by xeon_kernels.quantize_, generating greedily beside bf16. One table:
prefill and decode tokens per second, speed-up over bf16, and agreement with bf16 (top-1 next-token agreement
over the prompt's positions, cosine of the prompt logits). Medians of a few runs; the machine is named.

    python benchmarks/demo_generate.py [--layers 4] [--hidden 1024] [--prompt 128] [--new 32]
"""
import argparse
import copy
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import xeon_kernels as xk  # noqa: E402
from common import machine_description, median_time  # noqa: E402

SCHEMES = [("da8w8", None), ("a16w8", None), ("da8w4", 128), ("a16w4", 128)]


def build(args):
    from transformers import LlamaConfig, LlamaForCausalLM
    torch.manual_seed(0)
    config = LlamaConfig(hidden_size=args.hidden, intermediate_size=args.hidden * 11 // 4,
                         num_hidden_layers=args.layers, num_attention_heads=args.hidden // 64,
                         num_key_value_heads=max(1, args.hidden // 256), vocab_size=args.vocab,
                         max_position_embeddings=args.prompt + args.new + 8, torch_dtype=torch.bfloat16)
    return LlamaForCausalLM(config).to(torch.bfloat16).eval()


def timed(fn, reps):
    return median_time(fn, min_reps=reps, max_reps=reps)


def measure(model, ids, args):
    with torch.no_grad():
        prefill = timed(lambda: model(ids), args.reps)
        logits = model(ids).logits[0].float()
        gen = dict(max_new_tokens=args.new, min_new_tokens=args.new, do_sample=False)
        total = timed(lambda: model.generate(ids, **gen), args.reps)
    return {"prefill_tok_s": ids.shape[1] / prefill, "decode_tok_s": args.new / max(total - prefill, 1e-9),
            "logits": logits}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--layers", type=int, default=4)
    ap.add_argument("--hidden", type=int, default=1024)
    ap.add_argument("--vocab", type=int, default=8192)
    ap.add_argument("--prompt", type=int, default=128)
    ap.add_argument("--new", type=int, default=32)
    ap.add_argument("--reps", type=int, default=3)
    args = ap.parse_args()
    m = machine_description()
    print(f"# {m['cpu']} | {m['torch_threads']} threads | torch {m['torch_version']} | path {m['selected_path']}")
    base = build(args)
    print(f"# Llama-shaped: {args.layers} layers, hidden {args.hidden}, intermediate {args.hidden * 11 // 4}, "
          f"vocab {args.vocab}, bf16, random weights; prompt {args.prompt}, {args.new} new tokens, batch 1, greedy")
    ids = torch.randint(0, args.vocab, (1, args.prompt), generator=torch.Generator().manual_seed(1))
    rows = [("bf16", measure(base, ids, args))]
    for scheme, group in SCHEMES:
        model = xk.quantize_(copy.deepcopy(base), scheme, group_size=group, progress=False)
        rows.append((scheme + (f" g{group}" if group else ""), measure(model, ids, args)))
        del model
    ref = rows[0][1]
    print(f"{'model':10} {'prefill tok/s':>14} {'x bf16':>7} {'decode tok/s':>13} {'x bf16':>7} "
          f"{'top-1 agree':>12} {'logits cos':>11}")
    for name, r in rows:
        agree = (r["logits"].argmax(-1) == ref["logits"].argmax(-1)).float().mean().item()
        cos = torch.nn.functional.cosine_similarity(r["logits"].double().flatten(), ref["logits"].double().flatten(),
                                                    dim=0).item()
        print(f"{name:10} {r['prefill_tok_s']:14.1f} {r['prefill_tok_s'] / ref['prefill_tok_s']:7.2f} "
              f"{r['decode_tok_s']:13.1f} {r['decode_tok_s'] / ref['decode_tok_s']:7.2f} {agree:12.3f} {cos:11.4f}")


if __name__ == "__main__":
    main()
