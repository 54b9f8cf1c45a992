#!/usr/bin/env python3
"""Generates demo/alingsas/observations.csv: example values 2015-2023 for every indicator of the
Alingsås demo, for Alingsås (1489) and the whole country (0000), stored with the source
`example` so that no one mistakes them for real figures.

Reproducible: a fixed seed per indicator key, so re-running gives the same file. Run from the
repository root:  python3 tools/gen_example_values.py
"""
import csv
import glob
import hashlib
import random
import tomllib

YEARS = range(2015, 2024)
AREAS = ["1489", "0000"]


def level_for(unit, title):
    """A plausible level and yearly step for the unit as written."""
    u = (unit or "").lower()
    t = title.lower()
    if "%" in u or "andel" in u or "(%)" in t:
        return 55.0, 2.5, 0.0, 100.0
    if "skala 0-10" in u:
        return 6.5, 0.2, 0.0, 10.0
    if "index" in u or "nki" in u or "index" in t:
        return 72.0, 1.5, 0.0, 100.0
    if "mdkr" in u:
        return 3.2, 0.15, 0.0, None
    if "/1000" in u:
        return 25.0, 1.2, 0.0, None
    if "procentenheter" in u:
        return 0.0, 0.8, None, None
    if "dagar" in u or "dagar" in t:
        return 60.0, 6.0, 0.0, None
    return 120.0, 8.0, 0.0, None


def main():
    indicators = []
    for path in sorted(glob.glob("demo/alingsas/*.toml")):
        with open(path, "rb") as f:
            indicators.extend(tomllib.load(f).get("indicators", []))
    rows = []
    for ind in indicators:
        key = ind["key"]
        seed = int(hashlib.sha256(key.encode()).hexdigest()[:12], 16)
        rng = random.Random(seed)
        level, step, lo, hi = level_for(ind.get("unit"), ind["title"])
        measure_first = "mätas" in (ind.get("desired") or "")
        national = level * rng.uniform(0.85, 1.15) if level else rng.uniform(-1, 1)
        local = national + rng.uniform(-2, 2) * step
        for year in YEARS:
            national += rng.uniform(-0.6, 1.0) * step * 0.5
            local += rng.uniform(-1.0, 1.2) * step
            for area, v in (("1489", local), ("0000", national)):
                if lo is not None:
                    v = max(lo, v)
                if hi is not None:
                    v = min(hi, v)
                # "ska mätas och öka": no baseline before the plan period.
                missing = measure_first and year < 2021
                # The latest year is often only partly reported: leave a few gaps.
                missing = missing or (year == 2023 and rng.random() < 0.1)
                value = "" if missing else f"{v:.1f}" if abs(v) >= 10 else f"{v:.2f}"
                status = "Missing" if missing else ""
                rows.append([key, "", area, year, "T", value, status, "example"])
    with open("demo/alingsas/observations.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["indicator", "kpi", "area", "period", "gender", "value", "status", "source"])
        w.writerows(rows)
    print(f"{len(rows)} rows for {len(indicators)} indicators")


if __name__ == "__main__":
    main()
