"""Renders lanyard-dashboard.json to a PNG from a real Prometheus: each panel's own queries, over the given window,
through the Prometheus HTTP API (query_range), drawn with matplotlib on the dashboard's own grid. Grafana is not
packaged for this machine's registries; this draws the same queries against the same data.

usage: render_dashboard.py PROMETHEUS_URL DASHBOARD_JSON OUTPUT_PNG START_UNIX END_UNIX
"""
import json
import sys
import urllib.parse
import urllib.request
from datetime import datetime, timezone

import matplotlib

matplotlib.use("Agg")
import matplotlib.dates as mdates  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402

STEP = 5
UNITS = {"s": "seconds", "percentunit": "share", "reqps": "requests/s", "ops": "calls/s", "short": ""}


def query_range(prometheus, expr, start, end):
    # The dashboard's variables: every job, and a rate window of four scrape intervals.
    expr = expr.replace('job=~"$job"', 'job=~".*"').replace("$__rate_interval", "20s")
    params = urllib.parse.urlencode({"query": expr, "start": start, "end": end, "step": STEP})
    with urllib.request.urlopen(f"{prometheus}/api/v1/query_range?{params}", timeout=30) as answer:
        body = json.load(answer)
    if body.get("status") != "success":
        raise RuntimeError(f"{expr}: {body}")
    return body["data"]["result"]


def legend(template, labels):
    text = template
    for key, value in labels.items():
        text = text.replace("{{" + key + "}}", value)
    return text


def main(prometheus, dashboard_file, output, start, end):
    dashboard = json.load(open(dashboard_file))
    panels = dashboard["panels"]
    rows = max(p["gridPos"]["y"] + p["gridPos"]["h"] for p in panels)
    figure = plt.figure(figsize=(24, rows * 0.55), facecolor="#111217")
    grid = figure.add_gridspec(rows, 24, hspace=1.6, wspace=1.2, top=0.965, bottom=0.02, left=0.03, right=0.99)
    for panel in panels:
        g = panel["gridPos"]
        axes = figure.add_subplot(grid[g["y"]:g["y"] + g["h"] - 1, g["x"]:g["x"] + g["w"]])
        axes.set_facecolor("#181b1f")
        axes.set_title(panel["title"], color="#d8d9da", fontsize=10, loc="left")
        axes.tick_params(colors="#8e8e8e", labelsize=7)
        for spine in axes.spines.values():
            spine.set_color("#2c3235")
        drawn = 0
        for target in panel["targets"]:
            for series in query_range(prometheus, target["expr"], start, end):
                points = [(datetime.fromtimestamp(float(t), timezone.utc), float(v)) for t, v in series["values"]
                          if v not in ("NaN", "+Inf", "-Inf")]
                if points:
                    axes.plot([p[0] for p in points], [p[1] for p in points], linewidth=1.2,
                              label=legend(target.get("legendFormat", ""), series["metric"])[:48])
                    drawn += 1
        if drawn == 0:
            axes.text(0.5, 0.5, "no data in this run", color="#8e8e8e", ha="center", va="center",
                      transform=axes.transAxes)
        else:
            axes.legend(fontsize=6, loc="upper left", facecolor="#181b1f", labelcolor="#d8d9da", framealpha=0.7)
        axes.set_ylabel(UNITS.get(panel["fieldConfig"]["defaults"].get("unit", ""), ""), color="#8e8e8e", fontsize=7)
        axes.xaxis.set_major_formatter(mdates.DateFormatter("%H:%M"))
    stamp = datetime.fromtimestamp(end, timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    figure.suptitle(f"{dashboard['title']} — load run ending {stamp}", color="#d8d9da", fontsize=14, x=0.01, y=0.99, ha="left")
    figure.savefig(output, dpi=80, facecolor=figure.get_facecolor(), bbox_inches="tight")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]))
