#!/usr/bin/env python3
"""Checks a built wheel before it can be published: its platform tag is manylinux_2_28 or older, the op
library needs no glibc symbol newer than 2.28 (torch's own wheels' floor), the metadata is complete (summary,
license, torch requirement, extras) and the version is the package's __version__.

    python scripts/check_wheel.py dist/xeon_kernels-*.whl
"""
import email
import os
import re
import subprocess
import sys
import tempfile
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MAX_GLIBC = (2, 28)
EXTRAS = {"torchao", "models", "bench", "dev"}


def package_version() -> str:
    with open(os.path.join(ROOT, "xeon_kernels", "__init__.py")) as f:
        return re.search(r'^__version__ = "([^"]+)"', f.read(), re.M).group(1)


def glibc_versions(so_path: str) -> list:
    out = subprocess.run(["objdump", "-T", so_path], capture_output=True, text=True, check=True).stdout
    return sorted({tuple(int(v) for v in m.split(".")) for m in re.findall(r"GLIBC_(\d+\.\d+(?:\.\d+)?)", out)})


def main(path: str) -> int:
    problems = []
    name = os.path.basename(path)
    m = re.match(r"xeon_kernels-([^-]+)-cp310-abi3-(.+)\.whl$", name)
    if not m:
        return print(f"check_wheel: {name}: not an xeon_kernels cp310-abi3 wheel name", file=sys.stderr) or 1
    version, platforms = m.group(1), m.group(2).split(".")
    tags = [re.match(r"manylinux_(\d+)_(\d+)_x86_64$", p) for p in platforms]
    if not any(t and (int(t.group(1)), int(t.group(2))) <= MAX_GLIBC for t in tags):
        problems.append(f"platform tag {m.group(2)}: expected manylinux_2_28_x86_64 or older")
    if version != package_version():
        problems.append(f"wheel version {version} != xeon_kernels.__version__ {package_version()}")
    with zipfile.ZipFile(path) as z, tempfile.TemporaryDirectory() as tmp:
        libs = [n for n in z.namelist() if re.match(r"xeon_kernels/_C.*\.so$", n)]
        if len(libs) != 1:
            problems.append(f"expected one op library in xeon_kernels/, found {libs}")
        else:
            so = z.extract(libs[0], tmp)
            newest = glibc_versions(so)[-1]
            if newest > MAX_GLIBC:
                problems.append(f"{libs[0]} needs GLIBC_{'.'.join(map(str, newest))} (at most "
                                f"{'.'.join(map(str, MAX_GLIBC))} allowed)")
            print(f"check_wheel: {libs[0]}: newest glibc symbol version {'.'.join(map(str, newest))}")
        # every module of the source package ships (a subpackage missing from pyproject's list would not)
        root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        sources = {os.path.relpath(os.path.join(d, f), root).replace(os.sep, "/")
                   for d, _, files in os.walk(os.path.join(root, "xeon_kernels")) for f in files if f.endswith(".py")}
        missing = sorted(sources - set(z.namelist()))
        if missing:
            problems.append(f"modules missing from the wheel: {missing}")
        meta_name = next(n for n in z.namelist() if n.endswith(".dist-info/METADATA"))
    # auditwheel's verdict on the symbol versions (it calls the whole wheel linux_x86_64 only because the torch
    # libraries it links, excluded at repair, come from the torch wheel)
    auditwheel = os.path.join(os.path.dirname(sys.executable), "auditwheel")
    show = subprocess.run([auditwheel, "show", path], capture_output=True, text=True).stdout.replace("\n", " ")
    c = re.search(r'constrains the platform tag to "manylinux_(\d+)_(\d+)_x86_64"', show)
    if not c or (int(c.group(1)), int(c.group(2))) > MAX_GLIBC:
        problems.append(f"auditwheel show: {show.strip()[:300]}")
    else:
        print(f"check_wheel: auditwheel show: symbol versions constrain the tag to manylinux_{c.group(1)}_{c.group(2)}")
    with zipfile.ZipFile(path) as z:
        meta = email.message_from_bytes(z.read(meta_name))
    if not meta.get("Summary"):
        problems.append("no Summary")
    if meta.get("License-Expression") != "BSD-3-Clause":
        problems.append(f"License-Expression {meta.get('License-Expression')!r}")
    requires = meta.get_all("Requires-Dist") or []
    if not any(re.match(r"torch\s*>=\s*2\.10", r) for r in requires):
        problems.append(f"no Requires-Dist torch>=2.10 in {requires}")
    missing = EXTRAS - set(meta.get_all("Provides-Extra") or [])
    if missing:
        problems.append(f"extras missing: {sorted(missing)}")
    if "xeon-kernels" not in (meta.get_payload() or "").lower():
        problems.append("the README is not the long description")
    for p in problems:
        print(f"check_wheel: {name}: {p}", file=sys.stderr)
    print(f"check_wheel: {name}: {'ok' if not problems else f'{len(problems)} problems'}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]) if len(sys.argv) == 2 else 2)
