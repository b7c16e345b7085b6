"""What every service benchmark's report starts and ends with, so the four read and write alike."""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from bench.run import RESULTS, code_state, machine_info


def arguments(service: str) -> argparse.ArgumentParser:
    """The options every service benchmark takes; each adds its own."""
    parser = argparse.ArgumentParser(prog=f"python -m bench.{service}")
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 8])
    parser.add_argument("--out", type=Path, default=RESULTS)
    return parser


def new_report(args: argparse.Namespace) -> dict:
    """When, on what machine, at which commit and with which settings the run started."""
    return {
        "when": datetime.now().astimezone().isoformat(timespec="seconds"),
        "machine": machine_info(),
        "code": code_state(),
        "settings": vars(args) | {"out": str(args.out)},
    }


def heading(report: dict, title: str) -> list[str]:
    """The markdown title and the run's one-line context (the load at the end says how noisy it was)."""
    code = report["code"]
    return [
        f"# {title}",
        "",
        f"{report['when']} · {report['machine'].get('cpus', '?')} CPUs · code {code.get('commit', '?')}"
        f"{' (uncommitted changes)' if code.get('uncommitted') else ''}"
        f" · load average at the end {', '.join(f'{x:.1f}' for x in report['load_average_end'])}",
        "",
    ]


def save_report(report: dict, out: Path, name: str, markdown: Callable[[dict], str]) -> None:
    """Close the report (load and code at the end) and write ``<name>-latest.json`` and ``.md``."""
    report["load_average_end"] = os.getloadavg()
    report["code_end"] = code_state()
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{name}-latest.json").write_text(json.dumps(report, indent=1, default=str) + "\n")
    text = markdown(report)
    (out / f"{name}-latest.md").write_text(text)
    print(text)
