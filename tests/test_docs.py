"""The README and docs/*.md follow the code: the key tables and the file paths they name.

Reads README.md and docs/*.md; writes nothing.
"""

import dataclasses
import re
from pathlib import Path

import pytest

from custsim.experiments.compare.config import CompareConfig
from custsim.experiments.optimize.config import OptimizeConfig
from custsim.experiments.sensitivity.config import SensitivityConfig
from custsim.sim.config import PopulationConfig

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()
DOCS = {p.name: p.read_text() for p in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]}
#: a table row's first two cells: `key` and its default
ROW = re.compile(r"^\| `([a-z_.<>]+)` \| ([^|]*) \|", re.MULTILINE)
#: a path in backticks under one of the project's folders
PATH = re.compile(r"`((?:sim|agents|policies|experiments|conf|tests|scripts)/[\w/.<>-]+)`")


KEY_TABLE = "| key | default | allowed | meaning |"


def _key_tables() -> str:
    """The README's key tables (header `KEY_TABLE`), one after another."""
    parts = README.split(KEY_TABLE)[1:]
    return "\n".join(part[: part.index("\n\n")] for part in parts)


def _rows(prefix: str) -> dict[str, str]:
    """The key tables' rows whose key starts with `prefix`: key -> default cell."""
    return {k: d.strip() for k, d in ROW.findall(_key_tables()) if k.startswith(prefix)}


def _shown(value: object) -> str:
    """A default as the README's tables write it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, list):
        return "[" + ", ".join(map(str, value)) + "]"
    return str(value)


def test_mechanism_blocks_rows_are_the_schema_with_its_defaults() -> None:
    """Every population.<block>.<key> row is a field of its block, with the block's default."""
    rows = {k: d for k, d in _rows("population.").items() if k.count(".") == 2}
    population = PopulationConfig()
    checked = 0
    for key, default in rows.items():
        _, block, name = key.split(".")
        if not dataclasses.is_dataclass(getattr(population, block, None)):
            continue  # traits.<trait>, segments.<name>: not a block
        value = getattr(getattr(population, block), name)  # AttributeError: not in the schema
        shown = float(default) if isinstance(value, float) else default
        assert shown == (value if isinstance(value, float) else _shown(value)), key
        checked += 1
    assert checked >= 13  # occasions, inventory, satisfaction, urgency, winback, loyalty


@pytest.mark.parametrize(
    "prefix,schema",
    [
        ("compare.", CompareConfig),
        ("optimize.", OptimizeConfig),
        ("sensitivity.", SensitivityConfig),
    ],
)
def test_each_tool_documents_its_own_keys(prefix: str, schema: type) -> None:
    """A tool's key table names only its config's fields, with their scalar defaults."""
    rows = _rows(prefix)
    assert rows, prefix
    defaults = schema()
    for key, default in rows.items():
        name = key.removeprefix(prefix)
        value = getattr(defaults, name)  # AttributeError: not a field
        if name != "params":  # None there stands for the tool's own search space
            assert default == _shown(value), key


def test_no_tool_key_in_the_run_table() -> None:
    """The plain run's configuration reference holds no tool's key (they live in their roots)."""
    start = README.index("## Configuration reference")
    table = README[README.index(KEY_TABLE, start) :]
    table = table[: table.index("\n\n")]
    for tool in ("compare.", "optimize.", "sensitivity.", "finding."):
        assert f"| `{tool}" not in table, tool


@pytest.mark.parametrize("doc", sorted(DOCS))
def test_named_paths_exist(doc: str) -> None:
    """Every project path a document names in backticks exists (placeholders as a glob)."""
    missing = []
    for path in sorted(set(PATH.findall(DOCS[doc]))):
        pattern = re.sub(r"<[^>]+>", "*", path).rstrip("/")
        if not any(ROOT.glob(pattern)):
            missing.append(path)
    assert not missing, missing
