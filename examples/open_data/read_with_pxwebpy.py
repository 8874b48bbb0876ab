"""A municipality's analyst reads the e-health strategy's figures with pxwebpy (docs/open-data.md).

python examples/open_data/read_with_pxwebpy.py http://127.0.0.1:8080
"""

import sys

import pandas as pd
from pxweb import PxApi


def measure_series(base_url: str, measure: str = "4.2.6", region: str = "0") -> pd.DataFrame:
    """A measure's last twelve periods for one region: period, value (NaN where withheld)."""
    api = PxApi(base_url + "/api/pxwebapi/v2", language="no")
    rows = api.get_table_data(
        "fct_measure_value",
        value_codes={"measure": measure, "Region": region, "ContentsCode": "value", "Tid": "top(12)"},
        show="code",
    )
    return pd.DataFrame(rows).rename(columns={"periode": "period"})[["period", "value"]]


if __name__ == "__main__":
    print(measure_series(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8080"))
