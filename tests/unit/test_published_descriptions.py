"""Every published column carries a real description (issue 24): dbt's for the marts, publish.py's for
the publication's own tables. A formula symbol (`b.`, `T.`) or an empty description is not one."""

import yaml

from dagster_project.publication.publish import (
    PUBLICATION_COLUMN_COMMENTS,
    PUBLICATION_TABLE_COMMENTS,
    PUBLISHED_TABLES,
)
from dagster_project.settings import DBT_PROJECT_DIR

MARTS_YML = DBT_PROJECT_DIR / "models" / "marts" / "_marts__models.yml"
# A sentence-like minimum: "The month, as YYYY-MM." passes, "b." and "Kommunenavn." do not.
MIN_WORDS = 3


def is_real_description(text: str | None) -> bool:
    return len((text or "").split()) >= MIN_WORDS


def test_is_real_description_refuses_symbols_and_single_words() -> None:
    assert not is_real_description(None)
    assert not is_real_description("  ")
    assert not is_real_description("b.")
    assert not is_real_description("Month, YYYY-MM.")
    assert is_real_description("The month, as YYYY-MM.")


def test_every_column_of_every_published_mart_has_a_real_description() -> None:
    models = {m["name"]: m for m in yaml.safe_load(MARTS_YML.read_text())["models"]}
    assert set(PUBLISHED_TABLES) <= set(models)
    weak = [
        f"{table}.{column['name']}: {column.get('description')!r}"
        for table in PUBLISHED_TABLES
        for column in models[table].get("columns", [])
        if not is_real_description(column.get("description"))
    ]
    assert weak == []
    assert all(is_real_description(models[t].get("description")) for t in PUBLISHED_TABLES)


def test_every_column_of_the_publications_own_tables_has_a_real_description() -> None:
    assert set(PUBLICATION_COLUMN_COMMENTS) == set(PUBLICATION_TABLE_COMMENTS)
    weak = [
        f"{table}.{column}: {text!r}"
        for table, columns in PUBLICATION_COLUMN_COMMENTS.items()
        for column, text in columns.items()
        if not is_real_description(text)
    ]
    assert weak == [] and all(PUBLICATION_COLUMN_COMMENTS.values())
