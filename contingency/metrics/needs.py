"""Daily needs per centre and per region from Sphere minimums (maps/sphere.csv)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from contingency.metrics.gaps import centre_present


def daily_needs(
    centres: pd.DataFrame, transported: pd.DataFrame, sphere: pd.DataFrame, *, bus_seats: int
) -> pd.DataFrame:
    """Long table: day (0-based), level (centre|region), facility, resource, value.

    People present are everyone at the centre (in beds, in overflow, registering) at the
    day's peak hour; a region's figure adds up its centres' daily peaks (a planning upper
    bound). Each per-person figure in ``sphere`` multiplies them (latrines and beds round up).
    Buses are the day's transfers into the centre divided by seats, rounded up.
    """
    present = centres.assign(
        day=(centres["time_h"] - 1) // 24,
        persons=centre_present(centres),
    )
    peak = present.groupby(["day", "centre", "region"], as_index=False)["persons"].max()
    rows = []
    for level, keys in (("centre", ["day", "centre"]), ("region", ["day", "region"])):
        base = (
            peak
            if level == "centre"
            else peak.groupby(["day", "region"], as_index=False)["persons"].sum()
        )
        for resource, per in sphere["per_person_per_day"].items():
            value = base["persons"] * per
            if resource in ("latrines", "beds"):
                value = np.ceil(value)
            rows.append(
                pd.DataFrame(
                    {
                        "day": base["day"],
                        "level": level,
                        "facility": base[keys[1]],
                        "resource": resource,
                        "value": value,
                    }
                )
            )
    trips = transported.melt(id_vars="day", var_name="facility", value_name="persons")
    region_of = centres.drop_duplicates("centre").set_index("centre")["region"]
    trips["value"] = np.ceil(trips["persons"] / bus_seats)
    rows.append(
        trips.assign(level="centre", resource="buses")[
            ["day", "level", "facility", "resource", "value"]
        ]
    )
    reg = (
        trips.assign(facility=trips["facility"].map(region_of))
        .groupby(["day", "facility"], as_index=False)["value"]
        .sum()
    )
    rows.append(
        reg.assign(level="region", resource="buses")[
            ["day", "level", "facility", "resource", "value"]
        ]
    )
    return pd.concat(rows, ignore_index=True)


def peak_needs(needs: pd.DataFrame, level: str) -> dict[str, dict[str, float]]:
    """{facility: {resource: peak per day}} for one level."""
    sub = needs[needs["level"] == level]
    table = sub.groupby(["facility", "resource"])["value"].max().unstack(fill_value=0)
    return {str(f): {str(r): float(v) for r, v in row.items()} for f, row in table.iterrows()}
