#!/usr/bin/env python3
"""`make fuzz`: the property-based suite (tests/test_fuzz.py) at scale. Runs `--groups` groups, each in its own
pytest process with its own hypothesis seed, until at least `--cases` cases ran. Each case is logged before it
runs, so a group that crashes (a signal, not an exception) is reported with the case it died on.

    python scripts/fuzz.py --cases 10000 --groups 10
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cases", type=int, default=10_000, help="at least this many cases in all")
    ap.add_argument("--groups", type=int, default=10)
    ap.add_argument("--seed", type=int, default=int(time.time()), help="seed of the first group")
    args = ap.parse_args()
    # two properties per group (every-path and malformed calls), each drawing `per` examples
    per = -(-args.cases // (2 * args.groups))
    totals = {"linear": 0, "malformed": 0}
    failed = []
    for g in range(args.groups):
        seed = args.seed + g
        with tempfile.NamedTemporaryFile("w+", suffix=".jsonl", delete=False) as log:
            log_path = log.name
        env = dict(os.environ, XEON_FUZZ_EXAMPLES=str(per), XEON_FUZZ_LOG=log_path)
        t0 = time.time()
        r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--hypothesis-seed={seed}",
                            os.path.join(ROOT, "tests", "test_fuzz.py")], cwd=ROOT, env=env, capture_output=True,
                           text=True)
        with open(log_path) as f:
            cases = [json.loads(line) for line in f if line.strip()]
        os.unlink(log_path)
        for c in cases:
            totals[c["kind"]] += 1
        status = "ok" if r.returncode == 0 else ("CRASH" if r.returncode < 0 else "FAIL")
        print(f"group {g} (seed {seed}): {len(cases)} cases, {time.time() - t0:.0f} s, {status}", flush=True)
        if r.returncode < 0:
            failed.append(f"group {g}: killed by signal {-r.returncode} during case {cases[-1] if cases else None}")
        elif r.returncode != 0:
            failed.append(f"group {g} (rerun with --seed {seed} --groups 1):\n" + r.stdout[-4000:] + r.stderr[-2000:])
    print(f"fuzz: {totals['linear']} every-path cases, {totals['malformed']} malformed calls, "
          f"{len(failed)} failing groups of {args.groups}")
    for f in failed:
        print(f, file=sys.stderr)
    if sum(totals.values()) < args.cases and not failed:
        print(f"fuzz: only {sum(totals.values())} cases ran (asked for {args.cases})", file=sys.stderr)
        return 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
