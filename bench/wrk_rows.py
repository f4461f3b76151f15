"""The BENCH lines bench/post.lua prints (one per wrk run, prefixed by its row name), grouped by
row, and the median of a field over a row's runs. A run with an error or a bad body stops the
report: no figure from wrong answers."""
import statistics
import sys


def load(path):
    rows = {}
    for line in open(path):
        parts = line.split()
        f = dict(kv.split("=", 1) for kv in parts[2:])
        if int(f["errors"]) or int(f["bad_bodies"]):
            sys.exit(f"{parts[1]}: {f['errors']} errors, {f['bad_bodies']} bad bodies")
        rows.setdefault(parts[1], []).append(f)
    return rows, lambda name, key: statistics.median(float(r[key]) for r in rows[name])
