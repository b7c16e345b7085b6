#!/usr/bin/env python3
"""The two commands of the quick start, on a fresh machine with only Python 3.11+ and pip.

    python3 dev.py start [cloudlet start options]   install what Cloudlet needs, then run it
    python3 dev.py test  [pytest options]           install what the tests need, then run them all

Everything is installed into ./.venv, once; a change to pyproject.toml installs again.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv

ROOT = os.path.dirname(os.path.abspath(__file__))
VENV = os.path.join(ROOT, ".venv")
BIN = os.path.join(VENV, "Scripts" if os.name == "nt" else "bin")
PYTHON = os.path.join(BIN, "python.exe" if os.name == "nt" else "python")


def ensure(extras: str) -> None:
    if sys.version_info < (3, 11):  # noqa: UP036 - dev.py may be run by an older Python
        sys.exit(f"Cloudlet needs Python 3.11 or newer; this is {sys.version.split()[0]}")
    if not os.path.exists(PYTHON):
        print("creating .venv ...", flush=True)
        try:
            venv.create(VENV, with_pip=True)
        except Exception as e:  # e.g. Debian without python3-venv
            sys.exit(f"could not create a virtual environment ({e}); install your Python's venv module")
    with open(os.path.join(ROOT, "pyproject.toml"), "rb") as f:
        stamp = hashlib.sha256(f.read() + extras.encode()).hexdigest()[:16]
    marker = os.path.join(VENV, f".installed-{stamp}")
    if os.path.exists(marker):
        return
    target = f"{ROOT}[{extras}]" if extras else ROOT
    print(f"installing {'cloudlet and its test tools' if extras else 'cloudlet'} into .venv ...", flush=True)
    subprocess.run(
        [PYTHON, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-e", target], check=True
    )
    for old in os.listdir(VENV):
        if old.startswith(".installed-"):
            os.unlink(os.path.join(VENV, old))
    open(marker, "w").close()


def main() -> int:
    command, args = (sys.argv[1], sys.argv[2:]) if len(sys.argv) > 1 else ("", [])
    if command == "start":
        ensure("")
        argv = [os.path.join(BIN, "cloudlet"), "start", *args]
        if os.name == "nt":
            return subprocess.call(argv)
        os.execv(argv[0], argv)  # Cloudlet itself receives Ctrl-C / SIGTERM and flushes its state
    if command == "test":
        ensure("test")
        lint = subprocess.call([os.path.join(BIN, "ruff"), "check", "src", "tests", "bench", "dev.py"], cwd=ROOT)
        if lint:
            return lint
        return subprocess.call([PYTHON, "-m", "pytest", *args], cwd=ROOT)
    print(__doc__.strip())
    return 2


if __name__ == "__main__":
    sys.exit(main())
