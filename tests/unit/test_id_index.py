"""The in-memory index of a batch's ids (warehouse/id_index.BatchIndex): what it finds, after
any number of merges of its sorted runs."""

import numpy as np

from dagster_project.warehouse.id_index import BatchIndex


def test_a_batch_finds_each_key_of_another_period_and_none_of_its_own_period() -> None:
    rng = np.random.default_rng(7)
    batch = BatchIndex({})
    days = {f"2024-01-{d:02d}": rng.integers(0, 2**63, 500, dtype=np.uint64) for d in range(1, 12)}
    for period, keys in days.items():  # 11 additions: runs of every size merged along the way
        batch.add(keys, f"load-{period}", period)
    assert len(batch.runs) < len(days)
    probe = np.array([days["2024-01-03"][17], days["2024-01-09"][499], days["2024-01-05"][0], 12345], dtype=np.uint64)
    found = batch.matches(probe, "2024-01-05")  # the new version of 2024-01-05 restates its own ids
    assert sorted(found) == [(0, "load-2024-01-03", "2024-01-03"), (1, "load-2024-01-09", "2024-01-09")]
    assert batch.periods == set(days)
