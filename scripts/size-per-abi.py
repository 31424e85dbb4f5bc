#!/usr/bin/env python3
"""The phone library's size per Android ABI and for iOS, ESTIMATED from the x86-64 one.

This machine has no Android NDK, no Xcode and no Rust standard library for other
targets, so the library cannot be built for a phone here. What can be measured for each
instruction set is the C part (SQLite3 Multiple Ciphers, about 40 % of the library):
Debian's cross compilers build the same amalgamation with the defines of
sqlite3mc/build.rs and the cc crate's release flags (-Os, function and data sections,
PIC). The ratio of each instruction set's object size (text + data) to x86-64's is then
applied to the whole stripped x86-64 library, Rust part included: the estimate assumes
Rust code grows or shrinks across instruction sets as C does (LLVM's arm64 code for Rust
tends to run a few per cent larger than that, 32-bit x86 a little larger too).
iOS arm64 is estimated as Android's arm64-v8a (the same instruction set; an app links
the static library and the linker drops what it does not call).

    scripts/size-per-abi.py STRIPPED_X86_64_BYTES
    (scripts/bench-bindings.sh abis builds the phone library, strips it and calls this)

Installs gcc-aarch64-linux-gnu, gcc-arm-linux-gnueabihf and gcc-i686-linux-gnu (with
their C libraries' headers) from Debian when they are missing and it runs as root.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUDGET = 4_000_000

# (ABI, compiler, flags): the instruction sets Android's ABIs and iOS use.
ABIS = [
    ("x86_64", "gcc", ["-m64"]),
    ("arm64-v8a", "aarch64-linux-gnu-gcc", []),
    ("armeabi-v7a", "arm-linux-gnueabihf-gcc",
     ["-march=armv7-a", "-mthumb", "-mfpu=vfpv3-d16", "-mfloat-abi=hard"]),
    ("x86", "i686-linux-gnu-gcc", ["-march=i686"]),
]
PACKAGES = ["gcc-aarch64-linux-gnu", "gcc-arm-linux-gnueabihf", "gcc-i686-linux-gnu",
            "libc6-dev-arm64-cross", "libc6-dev-armhf-cross", "libc6-dev-i386-cross"]


def ensure_compilers():
    if all(shutil.which(cc) for _, cc, _ in ABIS):
        return
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        sys.exit("size-per-abi: missing cross compilers: install " + " ".join(PACKAGES))
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    install = ["apt-get", "install", "-y", "--no-install-recommends", *PACKAGES]
    if subprocess.run(install, env=env).returncode != 0:
        subprocess.run(["apt-get", "update"], env=env, check=True)
        subprocess.run(install, env=env, check=True)


def sqlite3mc_source():
    """The amalgamation cargo builds: sqlite3mc-src's directory, from cargo metadata."""
    meta = json.loads(subprocess.run(
        ["cargo", "metadata", "--format-version", "1", "--locked"],
        cwd=ROOT, check=True, capture_output=True, text=True).stdout)
    for p in meta["packages"]:
        if p["name"] == "sqlite3mc-src":
            return Path(p["manifest_path"]).parent / "sqlite3mc"
    sys.exit("size-per-abi: sqlite3mc-src is not in the workspace's dependencies")


def defines():
    """The -D flags of sqlite3mc/build.rs (its Android temp store: in memory)."""
    text = (ROOT / "sqlite3mc" / "build.rs").read_text()
    flags = []
    for name, value in re.findall(r'\.define\("(\w+)",\s*(None|"[^"]*"|temp_store)\)', text):
        if value == "None":
            flags.append(f"-D{name}")
        else:
            flags.append(f"-D{name}={'3' if value == 'temp_store' else value.strip(chr(34))}")
    return flags


def object_bytes(cc, flags, source, out):
    subprocess.run([cc, *flags, "-c", "-Os", "-ffunction-sections", "-fdata-sections",
                    "-fPIC", *defines(), f"-I{source.parent}", str(source), "-o", str(out)],
                   check=True)
    fields = subprocess.run(["size", str(out)], check=True, capture_output=True,
                            text=True).stdout.splitlines()[1].split()
    return int(fields[0]) + int(fields[1])  # text + data


def main():
    if len(sys.argv) != 2 or not sys.argv[1].isdigit():
        sys.exit(__doc__)
    x86_64 = int(sys.argv[1])
    ensure_compilers()
    source = sqlite3mc_source() / "sqlite3mc_amalgamation.c"
    with tempfile.TemporaryDirectory() as tmp:
        sizes = {abi: object_bytes(cc, flags, source, Path(tmp) / f"{abi}.o")
                 for abi, cc, flags in ABIS}
    print(f"{'ABI':<14}{'sqlite3mc .o (measured)':>26}{'ratio':>8}{'libcordon (estimated)':>24}")
    for abi, _, _ in ABIS:
        ratio = sizes[abi] / sizes["x86_64"]
        estimate = x86_64 * ratio
        what = "measured" if abi == "x86_64" else "estimated"
        print(f"{abi:<14}{sizes[abi]:>26,}{ratio:>8.3f}{round(estimate):>16,} bytes"
              f"  {estimate / 1e6:.2f} MB {what}  {'< 4 MB' if estimate < BUDGET else 'OVER 4 MB'}")
    ios = x86_64 * sizes["arm64-v8a"] / sizes["x86_64"]
    print(f"{'iOS arm64':<14}{'(as arm64-v8a)':>26}{'':>8}{round(ios):>16,} bytes"
          f"  {ios / 1e6:.2f} MB estimated  {'< 4 MB' if ios < BUDGET else 'OVER 4 MB'}")


if __name__ == "__main__":
    main()
