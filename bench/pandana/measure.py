"""Runs one command and records its wall time and peak memory as JSON.

Peak memory is the child's ru_maxrss from getrusage(RUSAGE_CHILDREN) after it exits (this
wrapper starts no other child, so it is exactly that process's peak). Output and exit status
are passed through.

    python3 bench/pandana/measure.py --json out.json -- target/release/livingcircle access ...
"""

import argparse
import json
import resource
import subprocess
import sys
import time


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--json", required=True, help="where to write {wall_s, peak_rss_bytes, ...}")
    ap.add_argument("cmd", nargs=argparse.REMAINDER, help="-- command and arguments")
    a = ap.parse_args()
    cmd = a.cmd[1:] if a.cmd[:1] == ["--"] else a.cmd
    if not cmd:
        ap.error("no command given")
    t0 = time.perf_counter()
    rc = subprocess.run(cmd).returncode
    wall = time.perf_counter() - t0
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    scale = 1 if sys.platform == "darwin" else 1024
    out = {
        "cmd": cmd,
        "exit_code": rc,
        "wall_s": wall,
        "user_s": ru.ru_utime,
        "sys_s": ru.ru_stime,
        "peak_rss_bytes": ru.ru_maxrss * scale,
    }
    with open(a.json, "w") as f:
        json.dump(out, f, indent=2)
    sys.exit(rc)


if __name__ == "__main__":
    main()
