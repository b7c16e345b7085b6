"""The coverage table: operations each service implements against the operations in its model.

``python -m cloudlet.coverage`` prints it; ``--write README.md`` replaces the table
between the coverage markers (a test keeps the README's copy current).
"""

from __future__ import annotations

import argparse
import importlib
import re

from cloudlet.protocol.models import SERVICES, load_service
from cloudlet.services import PROVIDERS

START, END = "<!-- coverage:start -->", "<!-- coverage:end -->"


def unbuilt(service: str) -> list[str]:
    """The operations of ``service``'s model that its provider does not implement yet."""
    operations = load_service(service).operation_names
    if service not in PROVIDERS:
        return list(operations)
    module_name, class_name = PROVIDERS[service].split(":")
    provider = getattr(importlib.import_module(module_name), class_name)
    return [op for op in operations if not provider.implements(op)]


def coverage() -> list[tuple[str, int, int]]:
    """(service, implemented, in model) for every service Cloudlet routes."""
    rows = []
    for name in SERVICES:
        total = len(load_service(name).operation_names)
        rows.append((name, total - len(unbuilt(name)), total))
    return rows


def table() -> str:
    rows = coverage()
    lines = ["| service | operations implemented | in the model |", "|---|---:|---:|"]
    lines += [f"| {name} | {done} | {total} |" for name, done, total in rows]
    done = sum(r[1] for r in rows)
    total = sum(r[2] for r in rows)
    lines.append(f"| **all {len(rows)} services** | **{done}** | **{total}** |")
    return "\n".join(lines)


def replace_table(text: str) -> str:
    block = f"{START}\n{table()}\n{END}"
    return re.sub(re.escape(START) + ".*?" + re.escape(END), lambda _: block, text, flags=re.S)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--write", metavar="FILE", help="replace the table between the markers in FILE")
    args = parser.parse_args()
    if args.write:
        with open(args.write, encoding="utf-8") as f:
            text = f.read()
        with open(args.write, "w", encoding="utf-8") as f:
            f.write(replace_table(text))
    else:
        print(table())


if __name__ == "__main__":
    main()
