"""Synthetic people shared by the demo inbox (demo_data.py) and the national-scale
lookup logs (scale_data.py): valid fødselsnumre and D-numre, and who looks them up."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np

from dagster_project.feeds.fnr import control_digits

VIRKSOMHET_WEIGHTS = (0.10, 0.45, 0.08, 0.15, 0.10, 0.06, 0.04, 0.02)


def make_fnr(rng: np.random.Generator, d_number: bool) -> str:
    while True:
        born = date(1925, 1, 1) + timedelta(days=int(rng.integers(0, 365 * 98)))
        day = born.day + (40 if d_number else 0)
        individual = int(rng.integers(0, 1000))
        first_nine = f"{day:02d}{born.month:02d}{born.year % 100:02d}{individual:03d}"
        digits = control_digits(first_nine)
        if digits is not None:
            return first_nine + digits
