"""The settings issue 24 added: where partitions start, how long a run waits for the writer
slot, where a failed run is told, and the writer pool named from the warehouse's path."""

from pathlib import Path

import pytest

from dagster_project.settings import Settings, WarehousePaths, earliest_catalog_period


def test_partitions_start_at_the_catalogs_earliest_baseline_unless_set(tmp_path: Path) -> None:
    catalog = tmp_path / "measure_catalog.csv"
    catalog.write_text('measure_id,baseline_period\n1,"2021-09/2022-09"\n2,2022\n3,2020-11-29\n4,\n', encoding="utf-8")
    assert earliest_catalog_period(catalog) == "2020-11"
    assert Settings.from_env({}).partitions_start == earliest_catalog_period()  # the committed catalog's
    assert Settings.from_env({"EHELSE_PARTITIONS_START": "2019-01"}).partitions_start == "2019-01"
    with pytest.raises(ValueError, match="EHELSE_PARTITIONS_START='2019': expected YYYY-MM"):
        Settings.from_env({"EHELSE_PARTITIONS_START": "2019"})


def test_the_writer_wait_and_the_alert_targets_come_from_the_environment() -> None:
    settings = Settings.from_env(
        {
            "EHELSE_WRITER_WAIT_SECONDS": "90",
            "EHELSE_ALERT_SMTP_HOST": "smtp.helse.local",
            "EHELSE_ALERT_EMAIL_TO": "vakt@example.no, data@example.no",
            "EHELSE_ALERT_WEBHOOK_URL": "https://hooks.example.no/x",
        }
    )
    assert settings.writer_wait_seconds == 90
    assert settings.alerts.smtp_host == "smtp.helse.local" and settings.alerts.smtp_port == 25
    assert settings.alerts.email_to == ("vakt@example.no", "data@example.no")
    assert settings.alerts.enabled
    assert not Settings.from_env({}).alerts.enabled
    assert Settings.from_env({}).writer_wait_seconds == 1800


def test_each_warehouse_names_its_own_writer_pool(tmp_path: Path) -> None:
    one, other = WarehousePaths(tmp_path / "a" / "warehouse"), WarehousePaths(tmp_path / "b" / "warehouse")
    assert one.writer_pool != other.writer_pool
    assert one.writer_pool == WarehousePaths(tmp_path / "a" / "x" / ".." / "warehouse").writer_pool
    assert one.writer_pool.startswith("ehelse_writer-warehouse-")
    # Also a run tag value: at most 63 characters of letters, digits, - _ and .
    assert len(one.writer_pool) <= 63 and one.writer_pool.replace("-", "").replace("_", "").replace(".", "").isalnum()
