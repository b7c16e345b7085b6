"""Suite-wide reporting: the protocol round-trip coverage, printed at the end of every run."""

from __future__ import annotations

import re
from collections import defaultdict

import pytest

_ROUNDTRIP = re.compile(r"tests/protocol/test_(\w+)_roundtrip\.py::test_(\w+)\[([\w-]+)\.(\w+)\]")
_KINDS = (("request", "requests parse"), ("output", "outputs parse in botocore"), ("error", "errors reach botocore"))
_passed: dict[str, dict[str, set[tuple[str, str]]]] = defaultdict(lambda: defaultdict(set))


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when != "call" or not report.passed:
        return
    match = _ROUNDTRIP.match(report.nodeid)
    if match is None:
        return
    protocol, test, service, operation = match.groups()
    for kind, _ in _KINDS:
        if kind in test:
            _passed[protocol][kind].add((service, operation))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not _passed:
        return
    write = terminalreporter.write_line
    write("")
    write("protocol round trips against botocore (operations passing, by protocol):")
    everything: set[tuple[str, str]] = set()
    for protocol in sorted(_passed):
        counts = ", ".join(f"{len(_passed[protocol][kind])} {label}" for kind, label in _KINDS)
        services = {service for kinds in _passed[protocol].values() for service, _ in kinds}
        write(f"  {protocol:6} {counts} ({len(services)} services)")
        for operations in _passed[protocol].values():
            everything |= operations
    services = {service for service, _ in everything}
    write(f"  distinct operations round-tripped: {len(everything)} of {len(services)} services")
