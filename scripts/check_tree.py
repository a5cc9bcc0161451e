#!/usr/bin/env python3
"""Refuses stray files in the repository: every tracked path must have a portable name (letters, digits,
'.', '_', '-', '+'; no spaces, brackets, colons or other characters that break checkouts on some systems),
and the root may hold only the entries listed here. Run by `make test` (so by CI) before the test suite.

    python scripts/check_tree.py        # exit 1 and a list of offenders, or exit 0
"""
import re
import subprocess
import sys

ROOT_ENTRIES = {".ci", ".gitignore", "CHANGELOG.md", "CMakeLists.txt", "LICENSE", "MANIFEST.in", "Makefile",
                "README.md", "benchmarks", "csrc",
                "pyproject.toml", "requirements.txt", "scripts", "setup.py", "tests", "xeon_kernels"}
PORTABLE = re.compile(r"^[A-Za-z0-9._+-]+$")


def main() -> int:
    try:
        out = subprocess.run(["git", "ls-files", "-z"], capture_output=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError) as e:
        print(f"check_tree: needs a git checkout ({e})", file=sys.stderr)
        return 1
    paths = [p for p in out.decode("utf-8", "replace").split("\0") if p]
    bad = []
    for path in paths:
        parts = path.split("/")
        if parts[0] not in ROOT_ENTRIES:
            bad.append(f"{path!r}: not an expected root entry (scripts/check_tree.py ROOT_ENTRIES)")
        elif not all(PORTABLE.match(p) for p in parts):
            bad.append(f"{path!r}: not a portable file name")
    for line in bad:
        print(f"check_tree: {line}", file=sys.stderr)
    print(f"check_tree: {len(paths)} tracked files, {len(bad)} refused")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
