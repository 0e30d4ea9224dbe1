"""docs/architecture.md stays true: the files it names exist, and each figure it gives with a
constant's name, "1 s (`TICK_INTERVAL_S`)", is that constant's value."""

from __future__ import annotations

import re
from pathlib import Path

from app.faust_ext import eos
from app.runtime import agents, state

ROOT = Path(__file__).resolve().parents[1]
DOC = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")


def test_every_file_the_architecture_names_exists() -> None:
    named = set(re.findall(r"\b((?:app|tests|docs)/[\w/]+\.(?:py|md))", DOC))
    assert named
    assert not {path for path in named if not (ROOT / path).is_file()}


def test_every_figure_the_architecture_gives_is_the_code_s() -> None:
    figures = re.findall(r"(\d+(?:\.\d+)?) [a-z ]+\(`([A-Z_]+)`\)", DOC)
    assert len(figures) >= 3
    for value, name in figures:
        [constant] = [getattr(module, name) for module in (agents, state, eos)
                      if hasattr(module, name)]
        assert float(value) == constant, name
