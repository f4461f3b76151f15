#!/usr/bin/env python3
"""CPU cost of hostile requests against a running Vitrine, next to a normal product page.

Usage: bench/hostile.py HOST:PORT PID [requests_per_kind=200]

Each kind is sent over one keep-alive connection; the server's CPU time (utime+stime from
/proc/PID/stat) is read before and after, so the figure is what the server spent, not the
client. Every answer is checked (status and an expected substring). Prints a Markdown table.
"""
import http.client
import json
import os
import random
import sys

host, port = sys.argv[1].split(":")
pid = sys.argv[2]
n = int(sys.argv[3]) if len(sys.argv) > 3 else 200
ticks = os.sysconf("SC_CLK_TCK")


def cpu_seconds():
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / ticks


PDP = ('query Pdp($id: ID!) { product(id: $id) { id title brand description categories images '
       'hsCode availableForSale priceRange { minVariantPrice { amount currencyCode } maxVariantPrice '
       '{ amount currencyCode } } variants { sku title size color price { amount currencyCode } '
       'compareAtPrice { amount currencyCode } quantityAvailable availableForSale } } }')


def pdp(i):
    return {"query": PDP, "variables": {"id": "p%06d" % random.randrange(10000)}}


def alias_flood(i):
    fields = " ".join('a%d:products(first:0,filter:{query:"x"}){totalCount}' % k for k in range(1100))
    return {"query": "{ %s }" % fields}


def distinct_junk(i):
    # 1,000 distinct ~60 KiB documents of one repeated field: parse-cache pressure.
    return {"query": "{ a%d %s }" % (i, "a " * 30000)}


def deep_nesting(i):
    return {"query": "{a" * 20000 + "}" * 20000}


def fragment_bomb(i):
    frags = " ".join("fragment F%d on QueryRoot { a%d: __typename ...F%d ...F%d }" % (k, k, k + 1, k + 1) for k in range(25))
    return {"query": "{ ...F0 } %s fragment F25 on QueryRoot { __typename }" % frags}


def directive_flood(i):
    return {"query": "{ %s }" % " ".join("__typename @skip(if: false)" for _ in range(2000))}


def one_listing_first_zero(i):
    return {"query": '{ products(first: 0, filter: {query: "x%d"}) { totalCount } }' % i}


def widest_allowed_listing(i):
    return {"query": "{ products(first: 90, sortKey: PRICE) { totalCount edges { cursor node { id title "
                     "brand priceRange { minVariantPrice { amount } } availableForSale } } } }"}


def batch_of_ten(i):
    return [pdp(i) for _ in range(10)]


def batch_of_eleven(i):
    return [pdp(i) for _ in range(11)]


KINDS = [
    ("product page (baseline)", pdp, 200, '"product"'),
    ("1,100 aliased listings (64 KiB)", alias_flood, 200, "MAX_TOKENS_LIMIT"),
    ("distinct 60 KiB junk documents", distinct_junk, 200, "MAX_TOKENS_LIMIT"),
    ("20,000-deep nesting", deep_nesting, 200, "MAX_NESTING_LIMIT"),
    ("fragment bomb (2^25 expansions)", fragment_bomb, 200, "LIMIT"),
    ("2,000 directives", directive_flood, 200, "LIMIT"),
    ("listing first: 0 (full scan)", one_listing_first_zero, 200, '"totalCount"'),
    ("widest allowed listing (90 items)", widest_allowed_listing, 200, '"edges"'),
    ("batch of 10 product pages", batch_of_ten, 200, '"product"'),
    ("batch of 11 (over the limit)", batch_of_eleven, 400, "BATCH_TOO_LARGE"),
]

conn = http.client.HTTPConnection(host, int(port), timeout=60)
rows = []
for name, make, status, expect in KINDS:
    bodies = [json.dumps(make(i)).encode() for i in range(n)]
    for body in bodies[:5]:  # warm-up
        conn.request("POST", "/graphql", body, {"content-type": "application/json"})
        conn.getresponse().read()
    before = cpu_seconds()
    for body in bodies:
        conn.request("POST", "/graphql", body, {"content-type": "application/json"})
        response = conn.getresponse()
        answer = response.read().decode()
        if response.status != status or expect not in answer:
            sys.exit(f"{name}: unexpected {response.status} {answer[:300]}")
    spent = cpu_seconds() - before
    rows.append((name, len(bodies[0]), spent / n * 1e6))

base = rows[0][2]
print("| request | body bytes | server CPU per request | vs product page |")
print("|---|---:|---:|---:|")
for name, size, micros in rows:
    print(f"| {name} | {size:,} | {micros:,.0f} µs | {micros / base:.1f}x |")
