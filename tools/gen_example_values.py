#!/usr/bin/env python3
"""Generates demo/alingsas/observations.csv: example values 2015-2023 for the indicators of the
Alingsås demo that have no Kolada KPI (the municipality's own measures), stored with the source
`example` so that no one mistakes them for real figures.

Indicators linked to a Kolada KPI (`kpi = "…"`) get no generated value at all: their real
values come from demo/kolada/values.csv (tools/extract_kolada_demo.py), and a year Kolada has
no value for stays without one, so the API says "no data" rather than showing an invented figure.

Magnitudes are plausible, per indicator: national levels from demo/kolada/README.md where it
gives one (pupils' attendance about 90 % or more, user satisfaction in elderly care 77-89 %,
result as a share of tax revenue 2.5-7.1 % …), a guess of the size of Alingsås (about 42,000
inhabitants) for counts. Shares, rates and indexes get a national (0000) series too; counts
and amounts are Alingsås's own and get none.

Reproducible: a fixed seed per indicator key, so re-running gives the same file. Run from the
repository root:  python3 tools/gen_example_values.py
"""
import csv
import glob
import hashlib
import random
import tomllib

YEARS = range(2015, 2024)

# key: (level, yearly spread, lowest, highest, has a national series)
MAGNITUDES = {
    "kf1-trygga-i-skolan": (82.0, 1.5, 60.0, 95.0, True),
    "kf1-halsobesvar": (38.0, 1.5, 20.0, 60.0, True),
    "kf1-studiero": (64.0, 1.5, 45.0, 80.0, True),
    "kf1-elevnarvaro": (93.0, 0.5, 90.0, 97.0, True),
    "kf1-fast-omsorgskontakt": (72.0, 2.0, 50.0, 90.0, True),
    "kf1-fallskador-80": (45.0, 1.5, 30.0, 60.0, True),
    "kf1-trygg-utomhus": (6.4, 0.15, 5.0, 8.0, True),
    "kf2-foreningsbidrag": (120.0, 4.0, 90.0, 150.0, False),
    "kf2-foreningslivsklimat": (66.0, 1.5, 50.0, 80.0, True),
    "kf2-sommarjobb": (300.0, 20.0, 200.0, 400.0, False),
    "kf2-elever-paverka": (60.0, 1.5, 45.0, 75.0, True),
    "kf2-medborgardialog": (15.0, 2.0, 5.0, 30.0, False),
    "kf2-frivilliginsatser": (400.0, 25.0, 250.0, 550.0, False),
    "kf3-agenda2030-kunskap": (50.0, 3.0, 30.0, 75.0, False),
    "kf3-plastprodukter": (20.0, 1.0, 12.0, 28.0, False),
    "kf3-fornybar-energi": (18.0, 1.5, 5.0, 35.0, False),
    "kf3-narproducerad-mat": (25.0, 1.5, 15.0, 40.0, False),
    "kf3-cykelresor": (10.0, 1.0, 4.0, 18.0, False),
    "kf3-vattendrag": (12.0, 0.6, 8.0, 16.0, False),
    "kf3-soptunnor": (600.0, 20.0, 500.0, 750.0, False),
    "kf4-parker-gronomraden": (70.0, 1.5, 55.0, 85.0, True),
    "kf4-skyddad-natur": (2600.0, 40.0, 2400.0, 3000.0, False),
    "kf4-traditionell-arkitektur": (2.0, 0.6, 0.0, 5.0, False),
    "kf4-flerfamiljshus-tra": (3.0, 0.8, 0.0, 7.0, False),
    "kf4-kulturhistorisk-bebyggelse": (40.0, 2.0, 20.0, 60.0, False),
    "kf4-tillsynsarenden": (75.0, 2.5, 55.0, 95.0, False),
    "kf4-naturminnen": (40.0, 0.5, 35.0, 45.0, False),
    "kf4-tillganglig-mark": (20000.0, 2500.0, 8000.0, 35000.0, False),
    "kf4-paborjade-planer": (6.0, 1.2, 1.0, 12.0, False),
    "kf5-nojd-inflytandeindex": (40.0, 1.0, 30.0, 50.0, True),
    "kf5-delaktighetsindex": (66.0, 2.5, 40.0, 90.0, True),
    # A part of total sick leave (6.7-8.3 % nationally): the first 14 days of each case.
    "kf5-korttidssjukfranvaro": (3.0, 0.2, 2.2, 4.0, True),
    "kf5-nojd-medarbetarindex": (72.0, 1.0, 62.0, 80.0, True),
    "kf5-digital-service": (55.0, 3.0, 30.0, 80.0, True),
    "kf5-ej-aterakt-barn": (75.0, 2.0, 60.0, 90.0, True),
    "kf5-ej-aterakt-ungdomar": (70.0, 2.0, 55.0, 85.0, True),
    "kf5-utredningstid-lss": (85.0, 8.0, 40.0, 140.0, True),
    "fin-strukturellt-resultat": (2.5, 0.6, 0.5, 5.0, True),
    "fin-nettokostnadsutveckling": (0.0, 0.8, -2.5, 2.5, True),
    "fin-positiv-kostnadsavvikelse": (0.0, 1.5, -5.0, 5.0, False),
    "fin-extern-laneskuld": (3.2, 0.12, 2.5, 4.2, False),
    "fin-soliditet-koncern": (30.0, 1.0, 20.0, 40.0, True),
    "op-elever-klarar-skolgangen": (75.0, 1.5, 65.0, 85.0, True),
    "op-brukarnojdhet-aldreomsorg": (84.0, 1.2, 77.0, 89.0, True),
    "op-nojda-brukare-lss": (85.0, 1.5, 75.0, 95.0, True),
}


def main():
    indicators = []
    for path in sorted(glob.glob("demo/alingsas/*.toml")):
        with open(path, "rb") as f:
            indicators.extend(tomllib.load(f).get("indicators", []))
    own = [i for i in indicators if not i.get("kpi")]
    missing = [i["key"] for i in own if i["key"] not in MAGNITUDES]
    if missing:
        raise SystemExit(f"no magnitude for {missing}: add them to MAGNITUDES")
    rows = []
    for ind in own:
        key = ind["key"]
        seed = int(hashlib.sha256(key.encode()).hexdigest()[:12], 16)
        rng = random.Random(seed)
        level, step, lo, hi, has_national = MAGNITUDES[key]
        measure_first = "mätas" in (ind.get("desired") or "")
        # Both series wander around their level (pulled back a third of the way each year),
        # the local one around an offset of its own, so that neither drifts out of range.
        national = level + rng.uniform(-1, 1) * step
        offset = rng.uniform(-2, 2) * step
        local = national + offset
        areas = ["1489", "0000"] if has_national else ["1489"]
        for year in YEARS:
            national += (level - national) / 3 + rng.uniform(-0.5, 0.5) * step
            local += (national + offset - local) / 3 + rng.uniform(-1.0, 1.0) * step
            # "ska mätas och öka": no baseline before the plan period.
            no_baseline = measure_first and year < 2021
            # The latest year is often only partly reported: leave a few gaps.
            late = year == 2023 and rng.random() < 0.1
            for area, v in (("1489", local), ("0000", national)):
                if area not in areas:
                    continue
                v = min(hi, max(lo, v))
                missing = no_baseline or late
                value = "" if missing else f"{v:.0f}" if abs(v) >= 1000 else f"{v:.1f}" if abs(v) >= 10 else f"{v:.2f}"
                status = "Missing" if missing else ""
                rows.append([key, "", area, year, "T", value, status, "example"])
    with open("demo/alingsas/observations.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["indicator", "kpi", "area", "period", "gender", "value", "status", "source"])
        w.writerows(rows)
    print(f"{len(rows)} rows for {len(own)} of {len(indicators)} indicators (the others have a Kolada KPI)")


if __name__ == "__main__":
    main()
