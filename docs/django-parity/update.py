#!/usr/bin/env python3
"""Marks the ported tests in inventory.tsv and regenerates the counts in ../django-parity.md.

A test is ported when tests/django/<module>.rs has a function under a `/// Django:
<module>.<file>.<Class>.<test>` doc comment and lists it in its `suite!(...)`. A `needs-api` test
becomes `portable` once every API label it waits for is in SUPPORTED (add a label there when
teapot gains that API). Run from the repository root: python3 docs/django-parity/update.py
"""
import collections
import glob
import os
import re

INV = "docs/django-parity/inventory.tsv"
DOC = "docs/django-parity.md"

# API labels teapot has now: the tests that waited only for these can be ported.
SUPPORTED = {
    "F-expressions", "reverse-fk-filter", "Subquery/Exists/OuterRef", "subquery-in", "in_bulk",
    "qs.none()", "qs.reverse()", "order_by-clear", "nulls-first-last", "having", "select_for_update",
    "upsert", "batch_size", "m2m-set", "m2m-add-by-key", "date-transforms",
    "meta-ordering", "values()-dicts", "aggregate-default", "reverse-m2m", "update-set-null", "Prefetch-objects",
    "Case/When", "only/defer", "aggregate-filter", "aggregate-expressions", "order-by-expression", "value-lhs-arith",
    "choices",
}


def ported():
    out = {}
    for path in sorted(glob.glob("tests/django/*.rs")):
        src = open(path).read()
        m = re.search(r"suite!\((.*?)\);", src, re.S)
        if not m:
            continue
        suite = set(re.findall(r"\w+", m.group(1)))
        for dj, fn in re.findall(r"/// Django: (\S+)\n(?:\s*///.*\n|\s*//.*\n)*\s*async fn (\w+)", src):
            if fn in suite:
                out[tuple(dj.split("."))] = path
    return out


def main():
    rows = [l.rstrip("\n").split("\t") for l in open(INV)]
    head, rows = rows[0], rows[1:]
    done = ported()
    seen = set()
    for r in rows:
        module, file, cls, test, status, note = r
        key = (module, file[:-3] if file.endswith(".py") else file, cls, test)
        if key in done:
            seen.add(key)
            r[4] = "ported"
            tag = "tests/" + done[key].split("tests/", 1)[1]
            if tag not in note:
                r[5] = f"{note}; {tag}" if note else tag
    for r in rows:
        if r[4] != "needs-api":
            continue
        waits = {x.strip() for x in r[5].split(";")[0].split(",") if x.strip()}
        if waits and waits <= SUPPORTED:
            r[4] = "portable"
            rest = r[5].split(";", 1)[1].strip() if ";" in r[5] else ""
            r[5] = "now expressible (" + ", ".join(sorted(waits)) + ")" + (f"; {rest}" if rest else "")
    missing = set(done) - seen
    if missing:
        raise SystemExit(f"ported tests not in the inventory: {sorted(missing)}")
    with open(INV, "w") as f:
        for r in [head] + rows:
            f.write("\t".join(r) + "\n")

    def labels(note):
        return [x.strip() for x in note.split(";")[0].split(",") if x.strip()]

    modules = []
    for r in rows:
        if r[0] not in modules:
            modules.append(r[0])
    doc = open(DOC).read()
    # Keep the document's module order.
    order = re.findall(r"^- \*\*(\w+)\*\*:", doc, re.M)
    modules = [m for m in order if m in modules] + [m for m in modules if m not in order]
    status = collections.Counter(r[4] for r in rows)
    total = (f"**Totals:** {len(rows)} tests: {status['ported']} ported, {status['portable']} portable (not yet ported), "
             f"{status['needs-api']} needs-api, {status['n/a']} n/a.")
    doc = re.sub(r"^\*\*Totals:\*\*.*$", total, doc, flags=re.M)
    lines = []
    for m in modules:
        rs = [r for r in rows if r[0] == m]
        c = collections.Counter(r[4] for r in rs)
        lab = collections.Counter(l for r in rs if r[4] == "needs-api" for l in labels(r[5]))
        labs = ", ".join(f"{k} {v}" for k, v in sorted(lab.items(), key=lambda kv: (-kv[1], kv[0])))
        na = f"{c['needs-api']} needs-api ({labs})" if labs else f"{c['needs-api']} needs-api"
        lines.append(f"- **{m}**: {len(rs)} tests; {c['ported']} ported; {c['portable']} portable; {na}; {c['n/a']} n/a.")
    doc = re.sub(r"(## Per module\n\n)(?:- \*\*.*\n)+", lambda mo: mo.group(1) + "\n".join(lines) + "\n", doc)
    need = collections.Counter()
    alone = collections.Counter()
    for r in rows:
        if r[4] == "needs-api":
            ls = labels(r[5])
            need.update(ls)
            if len(ls) == 1:
                alone[ls[0]] += 1
    table = "| label | tests needing it | alone |\n|---|---:|---:|\n" + "".join(
        f"| `{k}` | {v} | {alone[k]} |\n" for k, v in sorted(need.items(), key=lambda kv: (-kv[1], -alone[kv[0]], kv[0])))
    doc = re.sub(r"\| label \| tests needing it \| alone \|\n(?:\|.*\n)+", lambda mo: table, doc)
    open(DOC, "w").write(doc)
    print(f"{status['ported']} ported; per module: " + ", ".join(
        f"{m} {sum(1 for r in rows if r[0] == m and r[4] == 'ported')}" for m in modules if any(r[0] == m and r[4] == 'ported' for r in rows)))


if __name__ == "__main__":
    os.chdir(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
    main()
