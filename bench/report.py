#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Write docs/benchmarks.md from the results of scripts/bench.

usage: bench/report.py --dir build/bench --out docs/benchmarks.md KVER...

Reads DIR/MODE/KVER/result.txt (the result lines of the in-guest programs,
see bench/bench.h) and meta.txt for MODE in pt, nopt. Every figure is the
median over the repetitions (or rounds) of one boot, with its spread
(min-max); every headline is a ratio of two things measured in the same
boot. Goals are marked met or missed on the median; nothing is rounded
away. The prose (method, analysis) comes from bench/notes.md.
"""
import argparse
import os
import random
import re
import statistics
import sys

MODES = ("pt", "nopt")


def tag(kver):
    m = re.match(r"(\d+\.\d+)", kver)
    return m.group(1) if m else kver


def parse(path):
    """{figure: [{key: value}]}, info dicts, errors, end rc."""
    figs, infos, errors, end = {}, [], [], None
    if not os.path.exists(path):
        return None
    with open(path, errors="replace") as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            words = line.split()
            name, kv = words[0], {}
            for w in words[1:]:
                if "=" not in w:
                    continue
                k, v = w.split("=", 1)
                try:
                    kv[k] = float(v)
                except ValueError:
                    kv[k] = v
            if name == "info":
                infos.append(kv)
            elif name == "error":
                errors.append(line)
            elif name == "end":
                end = kv.get("rc")
            elif re.match(r"^[a-z_0-9]+$", name):
                figs.setdefault(name, []).append(kv)
    return {"figs": figs, "infos": infos, "errors": errors, "end": end}


def meta(path):
    d = {}
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                if "=" in line:
                    k, v = line.rstrip("\n").split("=", 1)
                    d[k] = v
    return d


def values(rows, key):
    return [r[key] for r in rows if isinstance(r.get(key), float)]


def p25(v):
    return quantile(v, 0.25)


def quantile(v, q):
    v = sorted(v)
    if not v:
        return None
    i = (len(v) - 1) * q
    lo, hi = int(i), min(int(i) + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (i - lo)


class Stat:
    """median, min-max and quartiles of a list of numbers"""

    def __init__(self, v):
        self.v = list(v)
        self.n = len(self.v)
        self.med = statistics.median(self.v) if self.v else None
        self.lo = min(self.v) if self.v else None
        self.hi = max(self.v) if self.v else None
        self.q1 = quantile(self.v, 0.25)
        self.q3 = quantile(self.v, 0.75)


def fmt_us(ns):
    if ns is None:
        return "–"
    us = ns / 1000.0
    if us >= 100:
        return "%.0f" % us
    if us >= 10:
        return "%.1f" % us
    return "%.2f" % us


def fmt_ratio(x):
    return "–" if x is None else "%.2f" % x


def fmt_pct(x):
    return "–" if x is None else "%.1f%%" % (100.0 * x)


def spread(s, f):
    if s.med is None:
        return "–"
    if s.n == 1:
        return f(s.med)
    return "%s [%s–%s]" % (f(s.med), f(s.lo), f(s.hi))


def spread_iqr(s, f):
    if s.med is None:
        return "–"
    if s.n == 1:
        return f(s.med)
    return "%s (IQR %s, %s)" % (f(s.med), f(s.q1), f(s.q3))


def fmt_added(r):
    return "–" if r is None else "%+.1f%%" % (100.0 * (r - 1))


def fmt_ms(ns):
    return "–" if ns is None else "%.0f" % (ns / 1e6) if ns >= 1e8 else "%.1f" % (ns / 1e6)


def resolved(s, ctl):
    """' not resolved (control ±x%)' when the control's min-max, around 1,
    reaches as far as the figure's median does; '' otherwise"""
    if s.med is None or ctl.med is None:
        return ""
    floor = max(abs(ctl.lo - 1), abs(ctl.hi - 1))
    if abs(s.med - 1) <= floor:
        return " not resolved (control ±%.0f%%)" % (100 * floor)
    return " resolved (control ±%.0f%%)" % (100 * floor)


def verdict(value, goal):
    """goal: ('<=', x) or ('<', x); value compared on its median"""
    if value is None or goal is None:
        return ""
    op, x = goal
    ok = value <= x if op == "<=" else value < x
    return " met" if ok else " **missed**"


def boot_strap_ratio(num, den, q=p25, iters=2000, seed=1):
    """90% interval of q(num)/q(den), resampling rounds (pairs kept)"""
    rnd = random.Random(seed)
    n = len(num)
    if n < 3:
        return None, None
    out = []
    for _ in range(iters):
        idx = [rnd.randrange(n) for _ in range(n)]
        a, b = q([num[i] for i in idx]), q([den[i] for i in idx])
        if b:
            out.append(a / b)
    out.sort()
    return out[int(0.05 * len(out))], out[int(0.95 * len(out)) - 1]


# --- figures ------------------------------------------------------------------


def probe_est(rows, state, op="bind"):
    """(p25 ratio of state to unloaded, 90% interval, per-round ratio Stat)"""
    num = values(rows, "%s_%s_ns" % (state, op))
    den = values(rows, "unloaded_%s_ns" % op)
    if not num or len(num) != len(den):
        return None, (None, None), Stat([])
    r = p25(num) / p25(den) if p25(den) else None
    return r, boot_strap_ratio(num, den), Stat(values(rows, "%s_%s_ratio" % (state, op)))


def fmt_overhead(r, ci):
    if r is None:
        return "–"
    s = "%+.1f%%" % (100.0 * (r - 1))
    if ci[0] is not None:
        s += " [%+.1f%%, %+.1f%%]" % (100.0 * (ci[0] - 1), 100.0 * (ci[1] - 1))
    return s


class Run:
    def __init__(self, d, mode, kver):
        self.mode, self.kver = mode, kver
        self.dir = os.path.join(d, mode, kver)
        self.res = parse(os.path.join(self.dir, "result.txt"))
        self.meta = meta(os.path.join(self.dir, "meta.txt"))

    @property
    def ok(self):
        return self.res is not None

    def fig(self, name):
        return self.res["figs"].get(name, []) if self.res else []

    def stat(self, fig, key, scale=1.0):
        return Stat(x * scale for x in values(self.fig(fig), key))

    def info(self, key, fig=None):
        for i in self.res["infos"] if self.res else []:
            if (fig is None and "figure" not in i) or i.get("figure") == fig:
                if key in i:
                    v = i[key]
                    return int(v) if isinstance(v, float) and v.is_integer() else v
        return None


# --- the document ---------------------------------------------------------------

def cell_stat(s, f, goal=None):
    if s.med is None:
        return "–"
    return spread(s, f) + verdict(s.med, goal)


def headline_rows(run):
    """[(label, goal text, cell)] for one run"""
    rows = []
    c = run.fig("cycle")
    rows.append(("Claim cycle, dmaown / VFIO (open, claim, release, close)", "≤ 0.30",
                 cell_stat(run.stat("cycle", "ratio"), fmt_ratio, ("<=", 0.30)) if c else "–"))
    rows.append(("Claim cycle, dmaown with the file kept open / VFIO", "–",
                 cell_stat(run.stat("cycle", "ratio_keep"), fmt_ratio) if c else "–"))
    rows.append(("Claim cycle, dmaown kept open / VFIO with its container kept open", "–",
                 cell_stat(run.stat("cycle", "ratio_keep_keep"), fmt_ratio) if c else "–"))
    rows.append(("dmaown's own part of GROUP_CLAIM (outside the IOMMU core)", "≤ 5%",
                 cell_stat(run.stat("core", "claim_own"), fmt_pct, ("<=", 0.05))))
    rows.append(("dmaown's own part of GROUP_RELEASE", "≤ 5%",
                 cell_stat(run.stat("core", "release_own"), fmt_pct, ("<=", 0.05))))
    for fig, drv in (("probe_nic", "e1000e (NIC driver)"), ("probe", "pci-stub (empty probe)")):
        rows_p = run.fig(fig)
        owned = run.info("owned", fig) or "?"
        states = [("loaded", "dmaown loaded, no claim", ("<", 0.02)),
                  ("owned", "%s other groups owned" % owned, ("<", 0.02)),
                  ("control", "control: unloaded again (noise floor)", None)]
        ctl = Stat(values(rows_p, "control_bind_ratio"))
        # What two identical states differ by: the resolution of this figure.
        floor = max(abs(ctl.q1 - 1), abs(ctl.q3 - 1)) if ctl.med is not None else None
        for state, what, goal in states:
            st = Stat(values(rows_p, "%s_bind_ratio" % state))
            cell = spread_iqr(st, fmt_added)
            if st.med is not None and goal:
                if floor is not None and floor > goal[1] and abs(st.med - 1) < floor:
                    cell += " not resolved (control ±%.0f%%)" % (100 * floor)
                else:
                    cell += verdict(st.med - 1, goal)
            rows.append(("Bind of %s, %s: time added" % (drv, what), "< 2%" if goal else "–",
                         cell if rows_p else "–"))
    # The guard and the notifier do not depend on the driver: pci-stub's
    # added time, over e1000e's bind time, is what e1000e pays.
    stub, nic = run.fig("probe"), run.fig("probe_nic")
    for state, what in (("loaded", "dmaown loaded"), ("owned", "64 other groups owned")):
        cell = "–"
        r = Stat(values(stub, "%s_bind_ratio" % state))
        base, nb = Stat(values(stub, "unloaded_bind_ns")), Stat(values(nic, "unloaded_bind_ns"))
        if r.med is not None and base.med and nb.med:
            added = (r.med - 1) * base.med
            cell = "%+.0f ns of %s µs: %+.3f%%" % (added, fmt_us(nb.med), 100.0 * added / nb.med)
            cell += verdict(added / nb.med, ("<", 0.02))
        rows.append(("Bind of e1000e, %s: pci-stub's added time / e1000e's bind time" % what,
                     "< 2%", cell))
    depth = run.fig("depth")
    dmax = None
    if depth:
        ds = [int(m.group(1)) for m in (re.match(r"one_claim_d(\d+)_ns", k) for k in depth[0]) if m]
        dmax = max(ds) if ds else None
    for key, what in (("one_claim_ratio", "Claim at %s claimed groups / at 1, one file"),
                      ("many_claim_ratio", "Claim at %s claimed groups / at 1, one file each"),
                      ("one_release_ratio", "Release at %s claimed groups / at 1, one file"),
                      ("one_status_ratio", "Status at %s claimed groups / at 1"),
                      ("one_claim_own_ratio", "dmaown's own part of a claim at %s / at 1"),
                      ("toggle_ratio", "Control without dmaown: QEMU memory-map update at %s / at 1")):
        goal = ("<=", 1.2) if key in ("one_claim_ratio", "many_claim_ratio", "one_release_ratio") else None
        rows.append((what % (dmax or "N"), "≤ 1.2" if goal else "–",
                     cell_stat(run.stat("depth", key), fmt_ratio, goal) if depth else "–"))
    # The hand-off: ratios within a round, against a plain-again control.
    ho = run.fig("handoff")
    hs = (run.fig("handoff_setup") or [{}])[0]
    how = ""
    if hs.get("window") == 1:
        how = " (handoff_window=1: %s default domain)" % hs.get("type", "?")
    for key, ctl_key, what in (
            ("ratio", "control_ratio",
             "QEMU start → device usable (first DMA lands), quarantined / plain"),
            ("start_ratio", "start_control_ratio",
             "QEMU start → VFIO set up (qtest answers), quarantined / plain"),
            ("total_ratio", "total_control_ratio",
             "vfio-pci bind → device usable in QEMU, quarantined / plain")):
        st, ctl = run.stat("handoff", key), run.stat("handoff", ctl_key)
        cell = "–"
        if ho:
            cell = spread(st, fmt_ratio) + resolved(st, ctl) + how
        rows.append(("Hand-off: " + what, "–", cell))
    # Ready for QEMU: plain once the bind returns, quarantined once handed off.
    br = Stat(r["quar_handoff_ns"] / r["plain_bind_ns"] for r in ho
              if r.get("plain_bind_ns") and isinstance(r.get("quar_handoff_ns"), float))
    bc = Stat(r["plain2_bind_ns"] / r["plain_bind_ns"] for r in ho
              if r.get("plain_bind_ns") and isinstance(r.get("plain2_bind_ns"), float))
    rows.append(("Hand-off: vfio-pci bind → ready for QEMU (quarantined: handed off), "
                 "quarantined / plain", "–",
                 spread(br, fmt_ratio) + resolved(br, bc) + how if ho else "–"))
    rows.append(("Hand-off: control, plain again / plain (QEMU start → usable)", "–",
                 cell_stat(run.stat("handoff", "control_ratio"), fmt_ratio) if ho else "–"))
    rows.append(("Hand-off: vfio-pci bind → DMAOWN_GROUP_HANDED_OFF, µs", "–",
                 cell_stat(run.stat("handoff", "quar_handoff_ns"), fmt_us) + how if ho else "–"))
    # Leftovers of the measurement (kernfs nodes RCU frees late) only add
    # to a repetition: the smallest repetition is the claim's own share.
    mem = run.stat("mem", "slab_b")
    rows.append(("Slab bytes per claimed group, later claims: least repetition (median)", "≤ 512 B",
                 "%.0f B (%.0f B)%s" % (mem.lo, mem.med, verdict(mem.lo, ("<=", 512)))
                 if mem.med is not None else "–"))
    first = run.stat("mem_first", "slab_b")
    rows.append(("Slab bytes per claimed group, first claims since boot", "–",
                 "%.0f B" % first.med if first.med is not None else "–"))
    return rows


def table(header, rows):
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    for r in rows:
        out.append("| " + " | ".join(str(x) for x in r) + " |")
    return "\n".join(out) + "\n"


def headlines(runs_by_mode, kernels):
    out = []
    for mode in MODES:
        runs = [runs_by_mode[mode].get(k) for k in kernels]
        if not any(r and r.ok for r in runs):
            continue
        out.append("### iommu=%s\n" % mode)
        per = [headline_rows(r) if r and r.ok else None for r in runs]
        base = next(p for p in per if p)
        rows = []
        for i, (label, goal, _) in enumerate(base):
            rows.append([label, goal] + [p[i][2] if p else "not run" for p in per])
        out.append(table(["Figure", "Goal"] + [tag(k) for k in kernels], rows))
    return "\n".join(out)


def detail_cycle(runs):
    rows = []
    for r in runs:
        if not r.fig("cycle"):
            continue
        rows.append([tag(r.kver), r.mode,
                     spread(r.stat("cycle", "dmaown_ns"), fmt_us),
                     spread(r.stat("cycle", "dmaown_keep_ns"), fmt_us),
                     spread(r.stat("cycle", "vfio_ns"), fmt_us),
                     spread(r.stat("cycle", "vfio_keep_ns"), fmt_us),
                     spread(r.stat("cycle", "ratio"), fmt_ratio),
                     spread(r.stat("cycle", "ratio_keep"), fmt_ratio),
                     spread(r.stat("cycle", "ratio_keep_keep"), fmt_ratio)])
    return table(["Kernel", "iommu", "dmaown µs", "dmaown kept open µs", "VFIO µs",
                  "VFIO container kept µs", "dmaown/VFIO", "kept/VFIO", "kept/kept"], rows)


def detail_core(runs):
    rows = []
    for r in runs:
        if not r.fig("core"):
            continue
        rows.append([tag(r.kver), r.mode,
                     spread(r.stat("core", "claim_ns"), fmt_us),
                     spread(r.stat("core", "claim_core_ns"), fmt_us),
                     spread(r.stat("core", "claim_own"), fmt_pct),
                     spread(r.stat("core", "release_ns"), fmt_us),
                     spread(r.stat("core", "release_core_ns"), fmt_us),
                     spread(r.stat("core", "release_own"), fmt_pct)])
    return table(["Kernel", "iommu", "claim µs", "of which IOMMU core µs", "dmaown's part",
                  "release µs", "of which IOMMU core µs", "dmaown's part"], rows)


def detail_probe(runs, fig):
    rows = []
    for r in runs:
        rp = r.fig(fig)
        if not rp:
            continue
        states = [s for s in ("unloaded", "loaded", "owned1", "owned", "control")
                  if values(rp, "%s_bind_ns" % s)]
        for s in states:
            b, u = values(rp, "%s_bind_ns" % s), values(rp, "%s_unbind_ns" % s)
            row = [tag(r.kver), r.mode, s, spread_iqr(Stat(b), fmt_us), fmt_us(p25(b)),
                   spread_iqr(Stat(u), fmt_us)]
            if s == "unloaded":
                row += ["(base)", "(base)", "(base)"]
            else:
                rb, cib, st = probe_est(rp, s, "bind")
                su = Stat(values(rp, "%s_unbind_ratio" % s))
                row += [spread_iqr(st, fmt_added), fmt_overhead(rb, cib), spread_iqr(su, fmt_added)]
            rows.append(row)
    return table(["Kernel", "iommu", "state", "bind µs, median (IQR) over rounds", "bind µs, p25",
                  "unbind µs", "bind: time added, median of per-round ratios (IQR)",
                  "bind: time added, p25 / p25 (90% bootstrap)", "unbind: time added"], rows)


def detail_depth(runs):
    rows = []
    for r in runs:
        d = r.fig("depth")
        if not d:
            continue
        ds = sorted({int(m.group(1)) for m in (re.match(r"one_claim_d(\d+)_ns$", k) for k in d[0]) if m})
        for who in ("one", "many"):
            for dep in ds:
                tg = r.stat("depth", "toggle_d%d_ns" % dep) if who == "one" else Stat([])
                rows.append([tag(r.kver), r.mode, who, dep] +
                            [spread(r.stat("depth", "%s_%s_d%d_ns" % (who, op, dep)), fmt_us)
                             for op in ("claim", "claim_own", "status", "release", "release_own")] +
                            [spread(tg, fmt_us)])
    return table(["Kernel", "iommu", "holder", "claimed groups", "claim µs", "dmaown's part µs",
                  "status µs", "release µs", "dmaown's part µs",
                  "control: memory-map update µs"], rows)


def guard_probe(run):
    """How the guard's kprobe (on really_probe: src/compat/compat.h) was armed."""
    gp = run.info("guard_probe")
    if not gp or "@really_probe+" not in str(gp):
        return "not recorded"  # results of a guest-run.sh that took another kprobe
    return gp


# --- the scale plot ----------------------------------------------------------------

PLOT_COLOURS = {"5.10": "#1f77b4", "6.1": "#d62728", "6.12": "#2ca02c"}


def depth_curve(run, who, op):
    """[(claimed groups, median over repetitions of time at N / time at 1)]"""
    d = run.fig("depth")
    if not d:
        return []
    ds = sorted({int(m.group(1)) for m in (re.match(r"one_claim_d(\d+)_ns$", k) for k in d[0]) if m})
    pts = []
    for dep in ds:
        rs = [rep["%s_%s_d%d_ns" % (who, op, dep)] / rep["%s_%s_d1_ns" % (who, op)]
              for rep in d if rep.get("%s_%s_d1_ns" % (who, op))]
        if rs:
            pts.append((dep, statistics.median(rs)))
    return pts


def scale_svg(runs):
    """An SVG of claim, release and status time against the number of claimed groups."""
    panels = (("claim", "one", "GROUP_CLAIM, one file"), ("claim", "many", "GROUP_CLAIM, one file each"),
              ("release", "one", "GROUP_RELEASE"), ("status", "one", "GROUP_STATUS"))
    pw, ph, ml, mt, mb, gap = 300, 220, 46, 30, 40, 20
    xmax = max([p[0] for r in runs for p in depth_curve(r, "one", "claim")] or [64])
    ymax = 2.0
    out = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" '
           'font-size="11">' % (len(panels) * (pw + ml + gap) + 10, ph + mt + mb + 40),
           '<rect width="100%" height="100%" fill="white"/>']

    def px(x0, x):
        return x0 + ml + pw * (x - 1) / max(1, xmax - 1)

    def py(y):
        return mt + ph * (1 - min(y, ymax) / ymax)

    for i, (op, who, title) in enumerate(panels):
        x0 = i * (pw + ml + gap)
        out.append('<text x="%d" y="16" font-weight="bold">%s</text>' % (x0 + ml, title))
        out.append('<rect x="%d" y="%d" width="%d" height="%d" fill="none" stroke="#888"/>'
                   % (x0 + ml, mt, pw, ph))
        for y in (0.5, 1.0, 1.5, 2.0):
            out.append('<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#eee"/>'
                       % (x0 + ml, py(y), x0 + ml + pw, py(y)))
            out.append('<text x="%d" y="%.1f" text-anchor="end">%.1f</text>' % (x0 + ml - 4, py(y) + 4, y))
        out.append('<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#000" stroke-dasharray="2,3"/>'
                   % (x0 + ml, py(1.2), x0 + ml + pw, py(1.2)))
        out.append('<text x="%d" y="%.1f" text-anchor="end">goal 1.2</text>' % (x0 + ml + pw - 2, py(1.2) - 3))
        for x in sorted({p[0] for r in runs for p in depth_curve(r, who, op)}):
            out.append('<text x="%.1f" y="%d" text-anchor="middle">%d</text>' % (px(x0, x), mt + ph + 14, x))
        out.append('<text x="%d" y="%d" text-anchor="middle">claimed groups</text>'
                   % (x0 + ml + pw / 2, mt + ph + 30))
        for r in runs:
            pts = depth_curve(r, who, op)
            if not pts:
                continue
            colour = PLOT_COLOURS.get(tag(r.kver), "#555")
            dash = ' stroke-dasharray="5,3"' if r.mode == "pt" else ""
            out.append('<polyline fill="none" stroke="%s" stroke-width="1.5"%s points="%s"/>'
                       % (colour, dash, " ".join("%.1f,%.1f" % (px(x0, x), py(y)) for x, y in pts)))
            for x, y in pts:
                out.append('<circle cx="%.1f" cy="%.1f" r="2.5" fill="%s"/>' % (px(x0, x), py(y), colour))
    ly = ph + mt + mb + 25
    lx = ml
    for r in runs:
        colour = PLOT_COLOURS.get(tag(r.kver), "#555")
        dash = ' stroke-dasharray="5,3"' if r.mode == "pt" else ""
        out.append('<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s" stroke-width="1.5"%s/>'
                   % (lx, ly - 4, lx + 24, ly - 4, colour, dash))
        out.append('<text x="%d" y="%d">%s iommu=%s</text>' % (lx + 28, ly, tag(r.kver), r.mode))
        lx += 130
    out.append('<text x="%d" y="%d">time at N claimed groups / time at 1 (median over repetitions; '
               'capped at %.1f)</text>' % (lx + 10, ly, ymax))
    out.append("</svg>")
    return "\n".join(out) + "\n"


def detail_batch(runs):
    rows = []
    for r in runs:
        if not r.fig("batch"):
            continue
        rows.append([tag(r.kver), r.mode, r.info("pci_devices") or "?"] +
                    [spread(r.stat("batch", k), fmt_us) for k in
                     ("one_claim_ns", "one_status_ns", "one_release_ns", "many_claim_ns",
                      "many_status_ns", "many_close_ns", "free_status_ns")])
    return table(["Kernel", "iommu", "PCI devices", "claim (1 file)", "status (owned)",
                  "release", "open+claim (a file each)", "status (owned elsewhere)",
                  "close", "status (free)"], rows)


def detail_lookup(runs):
    rows = []
    for r in runs:
        lk = r.fig("lookup")
        if not lk:
            continue
        rows.append([tag(r.kver), r.mode,
                     "%d / %d" % (lk[0].get("near_pos", 0), lk[0].get("pci_devices", 0)),
                     "%d / %d" % (lk[0].get("far_pos", 0), lk[0].get("pci_devices", 0)),
                     spread(r.stat("lookup", "near_own_ns"), fmt_us),
                     spread(r.stat("lookup", "far_own_ns"), fmt_us),
                     spread(r.stat("lookup", "ns_per_device"), lambda x: "%.0f" % x)])
    return table(["Kernel", "iommu", "near group: position", "far group: position",
                  "dmaown's part, near µs", "dmaown's part, far µs", "ns per device walked"], rows)


def detail_handoff(runs):
    rows = []
    for r in runs:
        if not r.fig("handoff"):
            continue
        hs = (r.fig("handoff_setup") or [{}])[0]
        dom = str(hs.get("type", "?"))
        if hs.get("type_before") not in (None, hs.get("type")):
            dom = "%s (was %s)" % (dom, hs.get("type_before"))
        how = "zero-window" if hs.get("zero_window") == 1 else (
            "window: handoff_window=1" if hs.get("window") == 1 else "?")
        rows.append([tag(r.kver), r.mode, dom, how, len(r.fig("handoff"))] +
                    [spread(r.stat("handoff", "%s_usable_ns" % p), fmt_ms)
                     for p in ("plain", "quar", "plain2")] +
                    [spread(r.stat("handoff", k), fmt_ratio)
                     for k in ("ratio", "control_ratio", "start_ratio", "start_control_ratio")] +
                    [spread(r.stat("handoff", "%s_bind_ns" % p), fmt_us) for p in ("plain", "quar")] +
                    [spread(r.stat("handoff", "quar_handoff_ns"), fmt_us),
                     spread(r.stat("handoff", "quar_handoff_polls"), lambda x: "%.0f" % x),
                     spread(r.stat("handoff", "total_ratio"), fmt_ratio),
                     spread(r.stat("handoff", "total_control_ratio"), fmt_ratio)])
    return table(["Kernel", "iommu", "default domain", "hand-off", "rounds",
                  "plain: start → usable ms", "quarantined ms", "plain again ms",
                  "quar / plain", "control: plain again / plain",
                  "VFIO setup: quar / plain", "VFIO setup: control",
                  "bind µs, plain", "bind µs, quarantined", "bind → handed off µs",
                  "status polls before", "bind → usable: quar / plain", "bind → usable: control"],
                 rows)


def cache_lines(run):
    path = os.path.join(run.dir, "result.txt")
    out = []
    with open(path, errors="replace") as f:
        for line in f:
            m = re.match(r"# mem rep=(\d+): caches that grew by >= \d+ objects: (.*)", line.strip())
            if m:
                out.append((int(m.group(1)), m.group(2)))
    return out


def detail_mem(runs):
    rows = []
    for r in runs:
        if not r.fig("mem") and not r.fig("mem_first"):
            continue
        caches = cache_lines(r)
        first = next((c for n, c in caches if n == 1), "–")
        steady = [c for n, c in caches if n > 1]
        common = max(set(steady), key=steady.count) if steady else "–"
        rows.append([tag(r.kver), r.mode,
                     spread(r.stat("mem_first", "slab_b"), lambda x: "%.0f" % x),
                     spread(r.stat("mem", "slab_b"), lambda x: "%.0f" % x),
                     spread(r.stat("mem", "sunreclaim_b"), lambda x: "%.0f" % x),
                     spread(r.stat("mem", "memfree_b"), lambda x: "%.0f" % x),
                     "`%s`" % first.strip(), "`%s`" % common.strip()])
    return table(["Kernel", "iommu", "slab B/group, first claims", "slab B/group, later",
                  "SUnreclaim B/group", "MemFree drop B/group",
                  "caches grown, first (objects for all groups)", "caches grown, later (most common)"], rows)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("kernels", nargs="+")
    a = ap.parse_args()
    here = os.path.dirname(os.path.abspath(__file__))

    runs_by_mode = {m: {k: Run(a.dir, m, k) for k in a.kernels} for m in MODES}
    allruns = [runs_by_mode[m][k] for k in a.kernels for m in MODES if runs_by_mode[m][k].ok]
    if not allruns:
        sys.exit("report.py: no results under %s" % a.dir)
    m0 = next((r.meta for r in allruns if r.meta), {})
    wall = ""
    wp = os.path.join(a.dir, "wall.txt")
    if os.path.exists(wp):
        wall = open(wp).read().strip().split("=", 1)[-1]

    doc = []
    doc.append("<!-- Generated by scripts/bench (bench/report.py) from build/bench/; "
               "do not edit: edit bench/notes.md or the programs. -->\n")
    doc.append("# dmaown benchmarks\n")
    doc.append("Measured by `scripts/bench` (`make bench`): QEMU TCG guests, one boot per kernel and "
               "IOMMU mode. Under TCG absolute times mean little, so every headline is a **ratio of two "
               "things measured in the same boot**, interleaved. Each cell is the median over the "
               "repetitions of that boot, with [min–max] of those repetitions; a goal is marked met or "
               "**missed** on the median. Results are recorded, never asserted.\n")
    if any(r.meta.get("quick") == "1" for r in allruns):
        doc.append("> **Quick run** (`--quick`): small counts, rough numbers.\n")
    doc.append("## Run\n")
    rows = []
    for r in allruns:
        rows.append([r.kver, r.mode, r.meta.get("date", "?"), r.meta.get("seconds", "?") + " s",
                     r.info("pci_devices") or "?", r.info("iommu_groups") or "?",
                     r.info("clocksource") or "?", guard_probe(r),
                     r.meta.get("host_load", "?").split(" ")[0],
                     "ok" if r.res["end"] == 0 and not r.res["errors"] else
                     "**incomplete**: " + "; ".join(r.res["errors"] or ["no end line"])])
    doc.append(table(["Kernel", "iommu=", "Date (UTC)", "Boot + run", "PCI devices",
                      "IOMMU groups", "Clock", "Guard's kprobe", "Host load (1 min) at the end",
                      "Status"], rows))
    doc.append("- QEMU: %s, `-M q35,kernel-irqchip=split -accel tcg -cpu max -smp 2 -m 1G "
               "-device intel-iommu,intremap=on,caching-mode=on`; guest cmdline `intel_iommu=on "
               "iommu=pt|nopt tsc=reliable no_timer_check`." % m0.get("qemu", "?"))
    doc.append("- Host: %s, %s CPUs, shared with other jobs (their load shows up as spread: "
               "see the load column)." % (m0.get("host_cpu", "?"), m0.get("host_cpus", "?")))
    doc.append("- Counts: `%s`." % m0.get("counts", "?"))
    if wall:
        doc.append("- Wall time of the whole `scripts/bench` run that produced this file: %s s." % wall)
    doc.append("")
    doc.append("## Headlines\n")
    doc.append(headlines(runs_by_mode, a.kernels))
    doc.append("Bind overheads: the median over rounds of each round's ratio to the unloaded state "
               "(IQR over rounds); the control row is the same ratio between two unloaded states. "
               "When the control's IQR reaches past the goal and the figure lies inside it, the figure "
               "is marked *not resolved* rather than met or missed (see *Probe path* in the notes). "
               "Hand-off ratios: *not resolved* when the control (a plain phase again, over the "
               "plain phase of the same round) spreads, over the rounds, at least as far from 1 as "
               "the figure's median lies.\n")

    doc.append("## Details\n")
    doc.append("Times in µs, median [min–max] over repetitions.\n")
    doc.append("### Claim cycle against VFIO (lone edu, bound to vfio-pci)\n")
    doc.append(detail_cycle(allruns))
    doc.append("### dmaown's part of a claim (debugfs `claim` − `claim_core`)\n")
    doc.append(detail_core(allruns))
    doc.append("### Probe path: bind/unbind of pci-stub on a lone edu\n")
    doc.append(detail_probe(allruns, "probe"))
    doc.append("### Probe path: bind/unbind of e1000e on a lone NIC\n")
    doc.append(detail_probe(allruns, "probe_nic"))
    doc.append("### Scale: one claim while N groups are claimed\n")
    svg = os.path.splitext(a.out)[0] + "-scale.svg"
    with open(svg + ".tmp", "w") as f:
        f.write(scale_svg(allruns))
    os.replace(svg + ".tmp", svg)
    doc.append("![claim, release and status time against the number of claimed groups](%s)\n"
               % os.path.basename(svg))
    doc.append(detail_depth(allruns))
    nb = sorted({"%d" % b["groups"] for r in allruns for b in r.fig("batch") if "groups" in b})
    doc.append("### Scale: %s groups at once (mean µs per group)\n" % (" / ".join(nb) or "N"))
    doc.append(detail_batch(allruns))
    doc.append("### Scale: finding the group (dmaown's part of a claim by position of the "
               "group's device in the PCI device list)\n")
    doc.append(detail_lookup(allruns))
    doc.append("### Kernel memory per claimed group\n")
    doc.append(detail_mem(allruns))
    doc.append("### Quarantine hand-off to the guest's QEMU (lone edu, vfio-pci)\n")
    doc.append("QEMU times in ms, bind times in µs; ratios within a round, median "
               "[min–max] over rounds.\n")
    doc.append(detail_handoff(allruns))

    notes = os.path.join(here, "notes.md")
    if os.path.exists(notes):
        doc.append(open(notes).read())
    text = "\n".join(doc).rstrip() + "\n"
    text = re.sub(r"\n{3,}", "\n\n", text)
    with open(a.out + ".tmp", "w") as f:
        f.write(text)
    os.replace(a.out + ".tmp", a.out)


if __name__ == "__main__":
    main()
