"""Instructions per iteration of a bench.inproc case, by callgrind: deterministic, so two source
trees can be compared on a shared machine whose CPU-time figures move by 30% from run to run.

    .venv/bin/python -m bench.icount [--case send pair publish10] [--calls 100] [--src OTHER/src ...]

Each case runs twice under ``valgrind --tool=callgrind`` (set-up only, then set-up and ``--calls``
iterations) and the difference is divided by the iterations.  The figure includes boto3's client
side (the same for every tree), so compare differences between trees, not the absolute figure.
``--src`` adds trees to compare (e.g. ``git archive <commit> src | tar -x -C /tmp/old``); this
tree's src is always measured.  Needs valgrind; slow (~1 min per run).
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

from bench.proc import ROOT

_COLLECTED = re.compile(r"Collected : (\d+)")


def instructions(src: str, case: str, calls: int) -> int:
    env = dict(os.environ, PYTHONPATH=f"{src}{os.pathsep}{ROOT}")
    command = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable, "-m",
               "bench.inproc", "--case", case, "--calls", str(calls), "--blocks", str(calls + 1)]
    done = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, check=True)
    return int(_COLLECTED.search(done.stderr)[1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.icount")
    parser.add_argument("--case", nargs="+", default=["send", "pair", "publish10"])
    parser.add_argument("--calls", type=int, default=100)
    parser.add_argument("--src", nargs="*", default=[])
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args(argv)
    trees = [str(ROOT / "src"), *args.src]
    runs = [(src, case, calls) for src in trees for case in args.case for calls in (0, args.calls)]
    with ThreadPoolExecutor(args.jobs) as pool:
        counts = dict(zip(runs, pool.map(lambda run: instructions(*run), runs), strict=True))
    for case in args.case:
        for src in trees:
            per = (counts[src, case, args.calls] - counts[src, case, 0]) / args.calls
            print(f"{case:10s} {per / 1e6:8.3f} M instructions per iteration  {src}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
