#!/usr/bin/env python3
"""Marks inventory rows `portable` once every API label they wait for exists in teapot.

docs/django-parity/inventory.tsv says, per Django test, which missing APIs block it
(`needs-api` with labels). When teapot gains an API, its label goes in SUPPORTED below and this
script moves the rows it alone blocked to `portable` (ported rows are left alone), then prints the
counts for docs/django-parity.md.
"""
import collections
import csv
import sys

SUPPORTED = {
    "F-expressions", "reverse-fk-filter", "Subquery/Exists/OuterRef", "subquery-in", "in_bulk",
    "qs.none()", "qs.reverse()", "order_by-clear", "nulls-first-last", "having", "select_for_update",
    "upsert", "batch_size", "m2m-set", "m2m-add-by-key", "date-transforms", "aggregates-distinct", "meta-ordering", "values()-dicts", "aggregate-default", "reverse-m2m",
}

path = sys.argv[1] if len(sys.argv) > 1 else "docs/django-parity/inventory.tsv"
with open(path, newline="") as f:
    rows = list(csv.reader(f, delimiter="\t"))
header, body = rows[0], rows[1:]
moved = 0
for r in body:
    if r[4] != "needs-api":
        continue
    labels = {l.strip() for l in r[5].split(";")[0].split(",") if l.strip()}
    if labels and labels <= SUPPORTED:
        r[4] = "portable"
        r[5] = "now expressible (" + ", ".join(sorted(labels)) + ")" + (";" + r[5].split(";", 1)[1] if ";" in r[5] else "")
        moved += 1
with open(path, "w", newline="") as f:
    w = csv.writer(f, delimiter="\t", lineterminator="\n")
    w.writerow(header)
    w.writerows(body)
by_module = collections.defaultdict(collections.Counter)
for r in body:
    by_module[r[0]][r[4]] += 1
total = collections.Counter(r[4] for r in body)
print(f"moved {moved} rows to portable")
print("totals:", dict(total))
for m, c in by_module.items():
    print(m, dict(c))
