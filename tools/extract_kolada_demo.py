#!/usr/bin/env python3
"""Extracts the demo's real Kolada figures into demo/kolada/ from a copy of the Kolada scrape
(the folder described in demo/kolada/README.md: values.csv, kpi.json, catalogue.csv).

- values.csv: the values of the KPIs the demo's indicators link to (`kpi = "…"` in
  demo/*/*.toml), for the demo's areas (below), every year and gender the scrape has, in the
  CSV layout of `styrhub ingest file` with the column `source` = kolada.
- kpi.json: Kolada's metadata for those KPIs and a few more, copied as it is.
- catalogue.csv: the whole KPI catalogue, copied as it is.

Reproducible: the same scrape and the same demo packages give the same files, rows sorted.
Run from the repository root:

    python3 tools/extract_kolada_demo.py /path/to/kolada/real [demo/kolada]
"""
import csv
import glob
import shutil
import sys
import tomllib
from pathlib import Path

# The seed municipalities, the country and the region of Alingsås, then the members of the
# demo's comparison group "Alingsås jämförelsekommuner" (demo/alingsas/groups.toml).
AREAS = {
    "1489": "Alingsås",
    "0000": "Riket",
    "0764": "Alvesta",
    "1490": "Borås",
    "0486": "Strängnäs",
    "0014": "Västra Götalandsregionen",
    "1440": "Ale",
    "1441": "Lerum",
    "1482": "Kungälv",
    "1463": "Mark",
    "1487": "Vänersborg",
    "1415": "Stenungsund",
    "1401": "Härryda",
}
GENDERS = {"T", "K", "M"}


def linked_kpis(demo):
    """Every KPI an indicator of a demo package links to."""
    kpis = set()
    for path in sorted(glob.glob(str(demo / "*" / "*.toml"))):
        with open(path, "rb") as f:
            for ind in tomllib.load(f).get("indicators", []):
                if ind.get("kpi"):
                    kpis.add(ind["kpi"])
    return kpis


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    source = Path(sys.argv[1])
    out = Path(sys.argv[2]) if len(sys.argv) == 3 else Path("demo/kolada")
    kpis = linked_kpis(Path("demo"))
    rows = []
    with open(source / "values.csv", newline="", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            if r["kpi"] in kpis and r["area"] in AREAS and r["gender"] in GENDERS:
                rows.append((r["kpi"], r["area"], int(r["period"]), r["gender"], r["value"]))
    rows.sort()
    found = {r[0] for r in rows}
    for k in sorted(kpis - found):
        print(f"warning: {k} is linked but the scrape has no values for the demo's areas", file=sys.stderr)
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "values.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["kpi", "area", "period", "gender", "value", "source"])
        for kpi, area, period, gender, value in rows:
            w.writerow([kpi, area, period, gender, value, "kolada"])
    for name in ("kpi.json", "catalogue.csv"):
        shutil.copyfile(source / name, out / name)
    print(f"{len(rows)} values of {len(found)} KPIs for {len(AREAS)} areas")


if __name__ == "__main__":
    main()
