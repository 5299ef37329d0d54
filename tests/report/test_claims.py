"""Paper claims (report/claims.py): shown only beside their datasets."""

from __future__ import annotations

from pathlib import Path


def test_claims_are_shown_only_beside_their_datasets(tiny_cards: Path) -> None:
    from talkbench.report.claims import load_claims

    claims = {c.path.name: c for c in load_claims()}
    assert claims["wildtalker-table1.json"].measured_on == ["synthetic-portrait-wild"]
    assert {c.condition for c in load_claims("lipsync")} >= {"original", "corrupted"}
    for claim in claims.values():
        for row in claim.rows:
            assert set(row["values"]) <= set(claim.metrics), (claim.path, row)
