"""The in-memory index of a batch's ids (warehouse/id_index.BatchIndex): what it finds, after
any number of merges of its sorted runs, and with runs that stop merging at their cap."""

import numpy as np
import pytest

from dagster_project.warehouse.id_index import RUN_CAP, BatchIndex


@pytest.mark.parametrize("run_cap", [RUN_CAP, 1_500])
def test_a_batch_finds_each_key_it_holds_and_names_the_other_periods_loads(run_cap: int) -> None:
    rng = np.random.default_rng(7)
    batch = BatchIndex({}, run_cap=run_cap)
    days = {f"2024-01-{d:02d}": rng.integers(0, 2**63, 500, dtype=np.uint64) for d in range(1, 12)}
    for period, keys in days.items():  # 11 additions: runs of every size merged along the way
        batch.add(keys, f"load-{period}", period)
    batch.add(np.array([], dtype=np.uint64), "load-empty", "2024-01-12")  # a file whose rows were all quarantined
    assert len(batch.runs) < len(days)
    assert max(len(run) for run in batch.runs) <= run_cap
    assert all(np.all(run[:-1] <= run[1:]) for run in batch.runs)
    probe = np.array([days["2024-01-03"][17], days["2024-01-09"][499], days["2024-01-05"][0], 12345], dtype=np.uint64)
    assert batch.held(probe).tolist() == [0, 1, 2]
    # The new version of 2024-01-05 restates its own ids: its own period's load is not "another".
    others = batch.loads_of_other_periods("2024-01-05")
    assert "load-2024-01-05" not in others and {"load-2024-01-03", "load-2024-01-09"} <= others
    assert batch.periods == set(days) | {"2024-01-12"}
