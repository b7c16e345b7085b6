"""The README's generated parts stay true."""

from __future__ import annotations

import os

from cloudlet.coverage import replace_table

README = os.path.join(os.path.dirname(os.path.dirname(__file__)), "README.md")


def test_coverage_table_is_current() -> None:
    with open(README, encoding="utf-8") as f:
        text = f.read()
    assert replace_table(text) == text, "run: python -m cloudlet.coverage --write README.md"


def test_quick_start_has_exactly_two_commands() -> None:
    with open(README, encoding="utf-8") as f:
        text = f.read()
    block = text.split("## Quick start", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    commands = [line for line in block.strip().splitlines() if line.strip()]
    assert [c.split("#")[0].strip() for c in commands] == ["python3 dev.py start", "python3 dev.py test"]
