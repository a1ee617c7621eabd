#!/usr/bin/env python3
"""Plot throughput vs size for pmem_memcpy_persist: ours vs PMDK vs the
non-temporal-store ceiling (plus glibc memcpy and memcpy+clwb+sfence as thin
reference lines), from a pmembench CSV.  Pure Python 3, writes SVG by hand.

usage: python3 bench/plot.py [results.csv] [out.svg]
defaults: bench/results/latest.csv -> bench/results/throughput.svg
"""
import csv
import math
import os
import sys


def load(path):
    meta, rows = "", []
    with open(path) as f:
        lines = f.readlines()
    body = []
    for ln in lines:
        if ln.startswith("# pmembench"):
            meta = ln[2:].strip()
        elif ln.startswith("#"):
            continue
        else:
            body.append(ln)
    for r in csv.DictReader(body):
        rows.append(r)
    return meta, rows


def series(rows):
    s = {}
    inrow = {}

    def add(key, size, gbps):
        s.setdefault(key, []).append((size, gbps))

    for r in rows:
        if r.get("status") != "ok":
            continue
        size = int(r["size"])
        if r["row"] == "memcpy_persist":
            suffix = "" if r["align"] == "al" else " (misaligned)"
            add("PMDK" + suffix, size, size / float(r["pmdk_ns"]))
            add("ours" + suffix, size, size / float(r["ours_ns"]))
            if r["align"] == "al" and r.get("ref_gbps"):
                # ceiling interleaved into this very row (>= 1 MiB)
                inrow[size] = float(r["ref_gbps"])
        elif r["row"].startswith("ref_nt_") and r["ref_gbps"]:
            # one row per NT loop width; the fastest one, flagged, is the ceiling
            # (older CSVs: a single ref_nt_ceiling row)
            if r["flags"] == "ceiling" or r["row"] == "ref_nt_ceiling":
                add("ref_nt_ceiling", size, float(r["ref_gbps"]))
        elif r["row"].startswith("ref_") and r["ref_gbps"]:
            add(r["row"], size, float(r["ref_gbps"]))
    if "ref_nt_ceiling" in s:
        s["ref_nt_ceiling"] = [(x, inrow.get(x, y)) for x, y in s["ref_nt_ceiling"]]
    for k in s:
        s[k].sort()
    return s


STYLE = [
    # key, label, colour, width, dash
    ("ref_nt_ceiling", "NT-store ceiling (fastest loop)", "#2ca02c", 2.5, "6,4"),
    ("PMDK", "PMDK 1.12.1 pmem_memcpy_persist", "#d62728", 2.5, ""),
    ("ours", "ours pmem_memcpy_persist", "#1f77b4", 2.5, ""),
    ("PMDK (misaligned)", "PMDK, misaligned dst/src", "#d62728", 1.2, "3,3"),
    ("ours (misaligned)", "ours, misaligned dst/src", "#1f77b4", 1.2, "3,3"),
    ("ref_glibc_memcpy", "glibc memcpy (not persistent)", "#999999", 1.2, "2,3"),
    ("ref_memcpy_clwb_sfence", "memcpy + clwb loop + sfence", "#8c564b", 1.2, "8,3,2,3"),
]


def fmt_size(b):
    for unit, v in (("M", 1 << 20), ("K", 1 << 10)):
        if b >= v and b % v == 0:
            return "%d%s" % (b // v, unit)
    return str(b)


def esc(t):
    return t.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def plot(meta, s, out):
    W, H = 980, 540
    L, R, T, B = 70, 300, 50, 60
    pw, ph = W - L - R, H - T - B
    sizes = sorted({x for v in s.values() for x, _ in v})
    if not sizes:
        raise SystemExit("plot.py: no memcpy_persist / reference rows in the CSV")
    xmin, xmax = math.log2(min(sizes)), math.log2(max(sizes))
    if xmax == xmin:
        xmax = xmin + 1
    ymax = max(y for v in s.values() for _, y in v)
    step = 5 if ymax > 20 else 2 if ymax > 8 else 1
    ytop = step * math.ceil(ymax * 1.08 / step)

    def X(size):
        return L + (math.log2(size) - xmin) / (xmax - xmin) * pw

    def Y(g):
        return T + ph - g / ytop * ph

    o = []
    o.append('<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" '
             'viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">' % (W, H, W, H))
    o.append('<rect width="100%" height="100%" fill="white"/>')
    o.append('<text x="%d" y="22" font-size="15" font-weight="bold">'
             'pmem_memcpy_persist throughput vs size: ours vs PMDK vs NT ceiling</text>' % L)
    o.append('<text x="%d" y="40" font-size="10" fill="#555">%s</text>' % (L, esc(meta[:150])))
    # grid + axes
    g = 0
    while g <= ytop + 1e-9:
        y = Y(g)
        o.append('<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#e5e5e5"/>' % (L, y, L + pw, y))
        o.append('<text x="%d" y="%.1f" text-anchor="end">%g</text>' % (L - 6, y + 4, g))
        g += step
    for sz in sizes:
        x = X(sz)
        o.append('<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#e5e5e5"/>' % (x, T, x, T + ph))
        o.append('<text x="%.1f" y="%d" text-anchor="middle">%s</text>' % (x, T + ph + 16, fmt_size(sz)))
    o.append('<rect x="%d" y="%d" width="%d" height="%d" fill="none" stroke="#333"/>' % (L, T, pw, ph))
    o.append('<text x="%d" y="%d" text-anchor="middle">copy size (bytes, log scale)</text>'
             % (L + pw // 2, H - 18))
    o.append('<text transform="translate(18,%d) rotate(-90)" text-anchor="middle">GB/s</text>'
             % (T + ph // 2))
    # series
    ly = T + 10
    for key, label, col, w, dash in STYLE:
        pts = s.get(key)
        if not pts:
            continue
        d = " ".join("%.1f,%.1f" % (X(a), Y(b)) for a, b in pts)
        da = ' stroke-dasharray="%s"' % dash if dash else ""
        o.append('<polyline points="%s" fill="none" stroke="%s" stroke-width="%s"%s/>'
                 % (d, col, w, da))
        if w >= 2:
            for a, b in pts:
                o.append('<circle cx="%.1f" cy="%.1f" r="3" fill="%s"/>' % (X(a), Y(b), col))
        o.append('<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s" stroke-width="%s"%s/>'
                 % (L + pw + 12, ly, L + pw + 42, ly, col, w, da))
        o.append('<text x="%d" y="%d" font-size="11">%s</text>' % (L + pw + 48, ly + 4, esc(label)))
        ly += 20
    o.append('<text x="%d" y="%d" font-size="10" fill="#555">Each point: median of paired'
             '</text>' % (L + pw + 12, ly + 10))
    o.append('<text x="%d" y="%d" font-size="10" fill="#555">samples in one run; large sizes'
             '</text>' % (L + pw + 12, ly + 24))
    o.append('<text x="%d" y="%d" font-size="10" fill="#555">rotate over more than the LLC.'
             '</text>' % (L + pw + 12, ly + 38))
    o.append('<text x="%d" y="%d" font-size="10" fill="#555">Ceiling at &gt;= 1M: measured'
             '</text>' % (L + pw + 12, ly + 52))
    o.append('<text x="%d" y="%d" font-size="10" fill="#555">interleaved in the same rows.'
             '</text>' % (L + pw + 12, ly + 66))
    o.append("</svg>")
    with open(out, "w") as f:
        f.write("\n".join(o) + "\n")


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    src = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "results", "latest.csv")
    out = sys.argv[2] if len(sys.argv) > 2 else os.path.join(here, "results", "throughput.svg")
    meta, rows = load(src)
    plot(meta, series(rows), out)
    print("plot: %s" % out)


if __name__ == "__main__":
    main()
