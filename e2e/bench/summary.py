#!/usr/bin/env python3
"""summary.py DIR: median (lowest–highest) of each point's runs that
record.sh wrote into DIR (NAME-1.json, NAME-2.json, …)."""
import glob
import json
import os
import re
import statistics
import sys

FIELDS = [
    "delivered_per_s", "e2e.p50_ms", "e2e.p99_ms", "warmup_e2e.p99_ms",
    "first_message.e2e.p50_ms", "first_message.e2e.p99_ms",
    "follow_up.e2e.p50_ms", "follow_up.e2e.p99_ms", "follow_up.delivered_per_s",
    "first_message.p50_ms", "first_message.p99_ms", "follow_up.p50_ms", "follow_up.p99_ms",
    "open_seconds", "rss_before_mb", "rss_held_mb", "rss_per_connection_kb",
    "agent_to_app.p50_ms", "agent_to_app.p99_ms", "rate_achieved",
    "agent_to_app_at_rate.p50_ms", "agent_to_app_at_rate.p99_ms",
    "hub_rss_end_mb", "resent", "lost", "duplicated", "late", "dropped_sockets", "replies_missing",
    "cold_start_ms", "idle_rss_kb", "restart_ms",
]


def get(d, path):
    for k in path.split("."):
        if not isinstance(d, dict) or k not in d:
            return None
        d = d[k]
    return d if isinstance(d, (int, float)) else None


def main(out):
    groups = {}
    for f in sorted(glob.glob(os.path.join(out, "*.json"))):
        name = re.sub(r"-\d+\.json$", "", os.path.basename(f))
        with open(f) as fh:
            try:
                report = json.load(fh)
            except json.JSONDecodeError:
                print(f"{os.path.basename(f)}: no report (run failed or still running)")
                continue
        groups.setdefault(name, []).append(report)
    for name, runs in groups.items():
        parts = []
        for field in FIELDS:
            vals = [get(r, field) for r in runs]
            if any(v is None for v in vals):
                continue
            med, lo, hi = statistics.median(vals), min(vals), max(vals)
            parts.append(f"{field} {med:.4g} ({lo:.4g}–{hi:.4g})")
        print(f"{name} [{len(runs)} runs]: " + "; ".join(parts))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else ".")
