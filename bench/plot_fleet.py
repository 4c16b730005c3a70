"""Draws a fleet simulation (bench/fleet-simulation.sh): backend reads and Lanyard answers per second, per mode.

Usage: plot_fleet.py SUMMARY_CSV OUT_PNG [NOTE]
SUMMARY_CSV has one row per mode (written by FleetSimulation.java); each mode's per-second figures are in
fleet-<mode>.csv beside it. NOTE (optional) is added to the title, for example non-default Lanyard options.
"""
import csv
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (the backend must be chosen first)

COLOURS = {"refresh-after": "tab:blue", "expiry": "tab:orange"}
LABELS = {"refresh-after": "clients refresh at refresh_after", "expiry": "clients refresh at expires_at"}


def read_rows(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def main(summary_path, out_path, note=""):
    summary = read_rows(summary_path)
    if not summary:
        sys.exit(f"{summary_path} has no runs")
    first = summary[0]
    duration = int(first["duration_s"])
    ttl = int(first["ttl_s"])
    fig, (backend, answers) = plt.subplots(2, 1, figsize=(12, 8), sharex=True, height_ratios=[3, 2])
    for run in summary:
        mode = run["mode"]
        seconds = [r for r in read_rows(Path(summary_path).parent / f"fleet-{mode}.csv") if int(r["second"]) < duration]
        x = [int(r["second"]) for r in seconds]
        colour = COLOURS[mode]
        backend.plot(x, [int(r["backend_reads"] or r["backend_reads_lanyard_metric"]) for r in seconds], color=colour,
                     linewidth=1, label=f"{LABELS[mode]}: mean {float(run['steady_backend_mean_per_s']):.1f}/s, "
                                        f"max {run['steady_backend_max_per_s']}/s after the rollout "
                                        f"(s \u2265 {run['steady_from_s']})")
        answers.plot(x, [int(r["answers"]) for r in seconds], color=colour, linewidth=1,
                     label=f"{LABELS[mode]}: {float(run['answers_per_s']):.0f}/s mean, peak {run['answers_peak_per_s']}/s, "
                           f"non-2xx {run['non_2xx']}, failed {run['failed']}, "
                           f"{run['sent_after_expiry']} sent with an expired value")
        if mode == "refresh-after":
            backend.axhline(float(run["expected_scopes_per_interval"]), color=colour, linestyle=":", linewidth=1.2,
                            label=f"scopes / mean refresh_after interval ({float(run['refresh_interval_mean_s']):.1f} s)"
                                  f" = {float(run['expected_scopes_per_interval']):.1f}/s")
    backend.axhline(float(first["expected_scopes_per_ttl"]), color="grey", linestyle="--", linewidth=1.2,
                    label=f"scopes / TTL = {float(first['expected_scopes_per_ttl']):.1f}/s")
    for axis in (backend, answers):
        for boundary in range(ttl, duration, ttl):
            axis.axvline(boundary, color="lightgrey", linewidth=0.8, zorder=0)
        axis.grid(axis="y", color="#eeeeee")
        axis.legend(loc="upper right", fontsize=8)
    backend.set_ylabel("backend reads / s (OpenBao audit log)")
    answers.set_ylabel("Lanyard answers / s")
    answers.set_xlabel(f"seconds since the fleet started (grey lines: every TTL = {ttl} s)")
    title = (f"{first['clients']} clients over {first['scopes']} secrets, {ttl} s TTL, {first['start']} start, "
             f"at most {first['concurrency']} requests in flight")
    backend.set_title(title + (f"\nLanyard options: {note}" if note.strip() else ""), fontsize=10)
    fig.tight_layout()
    fig.savefig(out_path, dpi=110)
    print(f"wrote {out_path}")


if __name__ == "__main__":
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__)
    main(*sys.argv[1:])
