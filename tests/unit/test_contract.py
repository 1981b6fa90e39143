"""The contract the project ships (docs/contract.md) and the claims the lab checks agree."""

import os
import re

import pytest

pytest.importorskip("mininet", reason="each mode declares its column next to its topology")

from topos.contract.claims import CLAIMS  # noqa: E402
from topos.modes.registry import column, columns  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CONTRACT = os.path.join(ROOT, "docs", "contract.md")


def table_rows():
    """{claim number: {column name: cell}} from the contract's table, by its header's names
    ("nat per VM" is the column nat_per_vm)."""
    rows, names = {}, None
    for line in open(CONTRACT).read().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if cells[:2] == ["#", "claim"]:
            names = [c.replace(" ", "_").replace("VM", "vm") for c in cells[2:]]
        elif names and len(cells) == 2 + len(names) and cells[0].isdigit():
            rows[int(cells[0])] = dict(zip(names, cells[2:]))
    return rows


def expected(cell):
    cell = cell.replace("*", "").lower()
    if cell.startswith("yes"):
        return True
    if cell.startswith("no"):
        return False
    return None  # "-" or a description (claims 11, 12: what the far end sees)


def test_every_claim_has_its_row_with_the_same_expectations():
    rows = table_rows()
    assert sorted(rows) == [c.number for c in CLAIMS]
    for claim in CLAIMS:
        for name, cell in rows[claim.number].items():
            want = column(name).expected(claim.number)
            if claim.number in (11, 12):
                assert (cell != "-") == (want is not None), (claim.number, name, cell)
            else:
                assert expected(cell) == want, (claim.number, name, cell)
    # every column the modes declare is in the table, and no other
    assert set(rows[1]) == {c.name for c in columns()}


def test_readme_and_code_point_at_the_contract_the_project_carries():
    readme = open(os.path.join(ROOT, "README.md")).read()
    assert "docs/contract.md" in readme
    for folder in ("topos", "controllers", "tests", "vm"):
        for base, _dirs, files in os.walk(os.path.join(ROOT, folder)):
            for name in files:
                if name.endswith((".py", ".sh", ".md")):
                    text = open(os.path.join(base, name), errors="replace").read()
                    assert not re.search(r"DESIGN(\.md| §)", text), os.path.join(base, name)
