"""docs/migration/hyperparameters.md is generated from the key table and the installed tasks' aliases (every task
package is installed here, so the page lists them all)."""

from __future__ import annotations

from pathlib import Path

from automm.core.autogluon_docs import page


def test_migration_page_is_generated_from_the_table() -> None:
    committed = Path(__file__).resolve().parents[1] / "docs" / "migration" / "hyperparameters.md"
    assert committed.read_text() == page(), "regenerate: python -m automm.core.autogluon_docs > " + str(committed)
