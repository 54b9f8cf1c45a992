#!/usr/bin/env python3
"""Reads Styrhub's OData service with an independent OData v4 client (python-odata): the client
reflects the model from $metadata, reads every entity set to its end through @odata.nextLink,
and must get the same rows (by key) as the whole-table CSV export of the same table.

Usage: python3 tools/odata_client.py http://127.0.0.1:8080   (exit status 1 on any difference)
"""
import csv
import io
import json
import sys
import urllib.request

from odata import ODataService


def snake(name):
    return "".join("_" + c.lower() if c.isupper() else c for c in name).lstrip("_")


def main():
    base = sys.argv[1].rstrip("/")
    service = ODataService(base + "/odata/", reflect_entities=True)
    sets = json.load(urllib.request.urlopen(base + "/odata/"))["value"]
    failures = 0
    for s in sets:
        name = s["name"]
        entity = service.entities.get(name)
        if entity is None:
            print(f"{name}: the client found no entity type for the set in $metadata")
            failures += 1
            continue
        table = snake(name)
        text = urllib.request.urlopen(f"{base}/api/v1/export/{table}.csv").read().decode()
        rows = list(csv.reader(io.StringIO(text)))
        header, body = rows[0], rows[1:]
        # The key: the first column of every table but the two link tables, keyed by both,
        # and the statuses, keyed by indicator, area and period.
        width = {"goal_edges": 2, "goal_indicators": 2, "statuses": 3}.get(table, 1)
        key = header[:width]
        expected = sorted(tuple(r[header.index(k)] for k in key) for r in body)
        got = sorted(tuple(str(getattr(e, k)) for k in key) for e in service.query(entity))
        status = "ok" if got == expected else "DIFFERENT"
        if got != expected:
            failures += 1
        print(f"{name}: {len(got)} rows through the client, {len(expected)} in the export: {status}")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
