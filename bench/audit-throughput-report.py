"""Figures of one bench/audit-throughput.sh run: reads the phases it measured (OUT/*.phase.json, run.json,
jvm-*.json), writes OUT/summary.json and prints the table, ending with issue 12's targets.

Called by the script only after every check passed; it computes and prints, it never decides whether a run counts.
Usage: audit-throughput-report.py OUT AUDIT_QUERIES_RESULT_FILE
"""

import json
import sys
from pathlib import Path

PHASES = {
    "A": "OpenBao KV v2 read, direct",
    "B": "Lanyard cache hit, group-commit audit",
    "D": "Lanyard cached credential (POST)",
    "C": "Lanyard cache hit, per-request audit",
}
SERVER = {"A": ("openbao",), "B": ("lanyard", "postgres"), "D": ("lanyard", "postgres")}
GLOB_TARGET_ROWS = 10_000_000
MIB = 1024


def load(path):
    return json.loads(Path(path).read_text())


def per_thousand(phase, parts):
    """CPU seconds per 1,000 2xx responses of the phase, summed over the named processes."""
    return sum(phase["cpu_s"][part] for part in parts) / phase["ok"] * 1000


def jit_share(phase):
    """The share of the Lanyard JVM's CPU in the run that its JIT compiler threads took, in percent."""
    total = phase["cpu_s"]["lanyard"]
    return phase["lanyard_threads_cpu_s"]["jit"] / total * 100 if total > 0 else 0


def rss_peak_mib(phase):
    """The run's peak RSS: VmHWM when it was reset at the run's start, else the largest 1 s sample."""
    samples = [phase["rss_max_kib"] or 0]
    if phase["vmhwm_since"] == "run" and phase["vmhwm_kib"]:
        samples.append(phase["vmhwm_kib"])
    return max(samples) / MIB


def verdict(value, op, target, unit="", absent="not measured"):
    if value is None:
        return None, absent
    if op == ">=":
        margin = value - target
        met = margin >= 0
        return met, f"{'met' if met else 'MISSED'}, margin {margin:+.2f}{unit} ({margin / target * 100:+.0f}% of target)"
    margin = target - value
    met = margin >= 0
    if met:
        return met, f"met, {margin:.2f}{unit} under ({margin / target * 100:.0f}% below target)"
    return met, f"MISSED, {-margin:.2f}{unit} over ({-margin / target * 100:.0f}% above target)"


def path_glob(result_file):
    """The path-glob median from bench/audit-queries.sh's last results file, if there is one."""
    path = Path(result_file)
    if not path.is_file():
        return None
    facts, median = {}, None
    for line in path.read_text().splitlines():
        fields = line.split("\t")
        if fields[0] == "query" and len(fields) == 4 and fields[1].startswith("path="):
            median = float(fields[3])
        elif len(fields) == 2:
            facts[fields[0]] = fields[1]
    if median is None:
        return None
    return {"median_ms": median, "query": "path glob", "measured": facts.get("measured"),
            "rows_loaded": int(facts.get("rows_loaded", 0)), "audit_event_rows": int(facts.get("audit_event_rows", 0)),
            "file": str(path)}


def jvm_line(jvm):
    """The JVM options on the command line, and the collector and heap bounds in effect (given or chosen)."""
    options = " ".join(jvm["jvm_options"]) or "(no JVM options: the JVM's defaults)"
    options += "".join(f"; {name}={value}" for name, value in jvm["environment_options"].items())
    shown = []
    for flag in jvm["flags_in_effect"]:
        name, _, value = flag.partition("=")
        if name.startswith("-XX:+Use") and name.endswith("GC"):
            shown.append(flag)
        elif name in ("-XX:InitialHeapSize", "-XX:MaxHeapSize", "-XX:MaxMetaspaceSize") and value.isdigit():
            shown.append(f"{name}={int(value) // (1024 * 1024)}m")
    return options, " ".join(shown) or "(jcmd VM.flags unavailable)"


def main(out, queries_result):
    out = Path(out)
    run = load(out / "run.json")
    chains = load(out / "chains.json")
    phases = {p.name[: -len(".phase.json")]: load(p) for p in sorted(out.glob("*.phase.json"))}
    jvm = load(out / "jvm-group-commit.json")
    settings = run["settings"]
    conc = settings["concurrency"]

    def phase(name):
        return phases.get(name)

    def ratio(a, b):
        return a / b if a is not None and b else None

    figures = {}
    for gen in ("wrk", "vegeta"):
        a, b, d = phase(f"A-{gen}"), phase(f"B-{gen}"), phase(f"D-{gen}")
        figures[f"B/A {gen}"] = ratio(b["rps"], a["rps"])
        figures[f"D/A {gen}"] = ratio(d["rps"], a["rps"])
        figures[f"CPU B/A {gen}"] = ratio(per_thousand(b, SERVER["B"]), per_thousand(a, SERVER["A"]))
    half = phase("B-half")
    c = phase("C")
    rss = max(rss_peak_mib(phase("B-wrk")), rss_peak_mib(phase("B-vegeta")))
    rss_anywhere = max(rss_peak_mib(p) for p in phases.values() if p["kind"] != "A")
    half_reached = half["rate_achieved"] >= 0.98 * half["rate_asked"]
    glob = path_glob(queries_result)
    glob_value = glob["median_ms"] if glob else None

    targets = []

    def target(figure, value, op, goal, unit="", note=None):
        met, text = verdict(value, op, goal, unit, note)
        note = None if value is None else note
        targets.append({"figure": figure, "value": value, "op": op, "target": goal, "unit": unit.strip(),
                        "met": met, "verdict": text, "note": note})

    def rates(*names):
        return " vs ".join(f"{phase(n)['rps']:.0f}" for n in names) + " req/s"

    for gen in ("wrk", "vegeta"):
        target(f"B/A req/s, audited cache hit / OpenBao read ({gen})", figures[f"B/A {gen}"], ">=", 3,
               note=rates(f"B-{gen}", f"A-{gen}"))
    for gen in ("wrk", "vegeta"):
        target(f"D/A req/s, audited cached credential / OpenBao read ({gen})", figures[f"D/A {gen}"], ">=", 3,
               note=rates(f"D-{gen}", f"A-{gen}"))
    for gen in ("wrk", "vegeta"):
        target(f"CPU s/1k req, (Lanyard + PostgreSQL) / OpenBao, B vs A ({gen})", figures[f"CPU B/A {gen}"], "<=", 0.33,
               note=f"{per_thousand(phase(f'B-{gen}'), SERVER['B']):.3f} vs "
                    f"{per_thousand(phase(f'A-{gen}'), SERVER['A']):.3f} s per 1,000; "
                    f"JIT {jit_share(phase(f'B-{gen}')):.0f}% of Lanyard's")
    target("p99 of B at constant half peak (ms)", half["p99_ms"], "<=", 5, " ms",
           f"at {half['rate_achieved']:.0f}/s of {half['rate_asked']}/s asked, p50 {half['p50_ms']:.2f} ms" if half_reached
           else f"only {half['rate_achieved']:.0f}/s of {half['rate_asked']}/s reached: not at half peak")
    target("Lanyard RSS, max during the B peak runs (MiB)", rss, "<=", 400, " MiB",
           f"B-wrk {rss_peak_mib(phase('B-wrk')):.0f}, B-vegeta {rss_peak_mib(phase('B-vegeta')):.0f}; "
           f"max of all Lanyard runs {rss_anywhere:.0f}")
    target("audit rows = 2xx responses; chain verifies after every stack", None, "holds", None)
    targets[-1].update(value="holds", met=True, verdict="met (checked before any figure was printed)")
    if glob_value is not None:
        rows = glob["audit_event_rows"] or glob["rows_loaded"]
        note = f"not measured in this run: bench/audit-queries.sh, {glob['measured']}, {rows:,} rows"
        if rows < GLOB_TARGET_ROWS:
            note += ", fewer than 10 million"
        target("auditor path-glob query, median at 10M rows (ms)", glob_value, "<=", 100, " ms", note)
    else:
        target("auditor path-glob query, median at 10M rows (ms)", None, "<=", 100, " ms",
               "not measured in this run: run bench/audit-queries.sh")
    if c:
        target("B/C req/s, group commit / per-request audit (vegeta)", ratio(phase("B-vegeta")["rps"], c["rps"]), ">=", 5,
               note=rates("B-vegeta", "C"))
    else:
        target("B/C req/s, group commit / per-request audit (vegeta)", None, ">=", 5,
               note="not measured: BENCH_SKIP_PER_REQUEST=1")

    summary = {"run": run, "jvm": {mode.stem[len("jvm-"):]: load(mode) for mode in sorted(out.glob("jvm-*.json"))},
               "jit_warmup": {mode: load(out / f"jit-{mode}.json") for mode in ("group-commit", "per-request")
                              if (out / f"jit-{mode}.json").is_file()},
               "chains_verified": chains, "phases": phases, "figures": figures,
               "rss_max_mib": {"B_peak": rss, "any_lanyard_phase": rss_anywhere},
               "half_peak": {"asked": half["rate_asked"], "achieved": half["rate_achieved"], "reached": half_reached},
               "path_glob": glob, "targets": targets}
    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")

    # --- human table -------------------------------------------------------------------------------------------
    print(f"Lanyard hot path, {run['started']}, {run['cpus']} CPUs, load average {run['load_average_start']} at start, "
          f"{run['load_average_end']} at end")
    print(f"Load generators: {run['generators']['wrk']} (1 thread, {conc} connections) and "
          f"{run['generators']['vegeta']} ({conc} closed-loop workers); {settings['duration_s']} s measured after "
          f"{settings['warmup_s']} s warm-up in every phase (not counted).")
    for mode, warmup in summary["jit_warmup"].items():
        shares = ", ".join(f"{kind} {pct}%" for kind, pct in (warmup["last_round_jit_pct"] or {}).items())
        if warmup["max_seconds"] == 0:
            print(f"JIT warm-up on the {mode} stack: none (BENCH_JIT_WARMUP=0).")
        elif warmup["settled"]:
            print(f"JIT warm-up on the {mode} stack: {warmup['load_seconds']} s of load (not counted) until the compiler "
                  f"took under {warmup['settled_below_pct']}% of the JVM's CPU ({shares}).")
        else:
            print(f"JIT warm-up on the {mode} stack: stopped at its cap of {warmup['max_seconds']} s with the compiler "
                  f"still at {shares} of the JVM's CPU.")
    print()

    order = ["A-wrk", "B-wrk", "D-wrk", "A-vegeta", "B-vegeta", "D-vegeta", "B-half", "C"]
    print(f"{'phase':<46} {'gen':<6} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'2xx':>8} {'errors':>6} "
          f"{'audit rows':>10} {'rows-2xx':>8}")
    for name in order:
        p = phase(name)
        if not p:
            continue
        code, label = p["kind"], PHASES[p["kind"]]
        if name == "B-half":
            code, label = "B/2", f"B at constant {p['rate_asked']}/s (half peak)"
        elif name == "C":
            code, label = "C", PHASES["C"]
        rows = p["audit_rows"]
        print(f"{code:<4} {label:<41} {p['generator']:<6} {p['rps']:>9.1f} {p['p50_ms']:>8.2f} {p['p99_ms']:>8.2f} "
              f"{p['ok']:>8} {p['non_2xx'] + p['transport_errors']:>6} {'-' if rows is None else rows:>10} "
              f"{'-' if rows is None else rows - p['ok']:>8}")
    print("req/s = 2xx responses per second; errors = non-2xx responses and transport errors.")
    if not half_reached:
        print(f"Note: B/2 reached only {half['rate_achieved']:.1f}/s of the {half['rate_asked']}/s asked; "
              "its p99 is not the p99 at half peak.")

    print(f"\nCPU over each measured run, from the processes' own accounting (/proc/<pid>/stat), "
          f"seconds per 1,000 2xx responses:")
    print(f"{'phase':<13} {'OpenBao':>8} {'Lanyard':>8} {'its JIT':>8} {'its GC':>7} {'Postgres':>9} {'Lan+PG':>8} "
          f"{'generator':>10} {'busy of ' + str(run['cpus']) + ' CPUs':>15} {'RSS MiB':>8} {'VmHWM MiB':>10}")
    compiling = []
    for name in order:
        p = phase(name)
        if not p:
            continue
        k = {part: per_thousand(p, (part,)) for part in p["cpu_s"]}
        threads = {part: seconds / p["ok"] * 1000 for part, seconds in p["lanyard_threads_cpu_s"].items()}
        if p["kind"] != "A" and jit_share(p) > 5:
            compiling.append(f"{name} {jit_share(p):.0f}%")
        busy = sum(p["cpu_s"].values()) / p["duration_s"] / run["cpus"] * 100
        rss_text = "-" if p["rss_max_kib"] is None else f"{p['rss_max_kib'] / MIB:.1f}"
        hwm_text = "-"
        if p["vmhwm_kib"] is not None:
            hwm_text = f"{p['vmhwm_kib'] / MIB:.1f}" + ("" if p["vmhwm_since"] == "run" else "*")
        print(f"{name:<13} {k['openbao']:>8.3f} {k['lanyard']:>8.3f} {threads['jit']:>8.3f} {threads['gc']:>7.3f} "
              f"{k['postgres']:>9.3f} "
              f"{k['lanyard'] + k['postgres']:>8.3f} {k['generator']:>10.3f} {busy:>14.0f}% "
              f"{rss_text:>8} {hwm_text:>10}")
    print("OpenBao = its server process; Lanyard = its JVM, of which its JIT compiler threads and its GC threads (G1's,\n"
          "and the VM thread); Postgres = the postmaster (with the backends that exited, reaped into its cutime/cstime)\n"
          "plus every live backend; generator = the load generator's own CPU.\n"
          "busy = all four over the run's wall time. RSS = largest VmRSS sampled each second; VmHWM = peak RSS of the\n"
          "run (reset through /proc/<pid>/clear_refs at its start" +
          ("; * = since the JVM started, the reset failed)." if any(
              p["vmhwm_since"] == "start" for p in phases.values() if p["kind"] != "A") else ")."))
    if compiling:
        print(f"Note: the JIT compiler took over 5% of Lanyard's CPU in {', '.join(compiling)}:\n"
              "the JVM was still compiling during those runs, which inflates their CPU per request.")

    b, cc = phase("B-vegeta"), c
    if b["commits"]:
        line = f"\nrows/commit on database \"lanyard\" (pg_stat_database.xact_commit, ALL commits): B (vegeta) " \
               f"{b['audit_rows'] / b['commits']:.1f} ({b['audit_rows']} rows / {b['commits']} commits)"
        if cc and cc["commits"]:
            line += f", C {cc['audit_rows'] / cc['commits']:.1f} ({cc['audit_rows']} / {cc['commits']})"
        print(line + ".")
        if cc and cc["commits"] and cc["commits"] >= cc["audit_rows"]:
            other = (cc["commits"] - cc["audit_rows"]) / cc["ok"]
            audit_commits = b["commits"] - other * b["ok"]
            if other >= 0.05 and audit_commits > 0:
                print(f"C made {other:.2f} non-audit commits per request; if B makes as many, B wrote about "
                      f"{b['audit_rows'] / audit_commits:.1f} audit rows per audit commit (estimate).")
        if cc and cc["commits"] and b["audit_rows"] / b["commits"] <= 1.2 * cc["audit_rows"] / cc["commits"]:
            print("Warning: B wrote no more audit rows per commit than C; group commit does not seem to be in effect.")
        if cc and cc["commits"] and cc["audit_rows"] / cc["commits"] > 1.2:
            print("Warning: C wrote more than one audit row per commit; per-request mode does not seem to be in effect.")

    vegeta_rows = ", ".join(f"{n.replace('-vegeta', '').replace('B-half', 'B/2')} {phase(n)['audit_rows']}"
                            for n in ("B-vegeta", "D-vegeta", "B-half", "C") if phase(n))
    wrk_rows = ", ".join(f"{n.replace('-wrk', '')} +{phase(n)['audit_rows'] - phase(n)['ok']} ({phase(n)['audit_rows']} rows, "
                         f"{phase(n)['ok']} counted)" for n in ("B-wrk", "D-wrk"))
    print("\nChecks passed (no figure is printed without them):")
    print(f"  vegeta runs: audit rows written = 2xx responses: {vegeta_rows}.")
    print(f"  wrk runs: 0 <= audit rows - counted 2xx <= {conc}: {wrk_rows}.\n"
          "    (wrk stops with up to one request per connection in flight and does not count them; Lanyard audits\n"
          "    each of them it goes on to serve.)")
    print("  no non-2xx response or transport error in any measured run (wrk's \"Non-2xx or 3xx\": 0).")
    print(f"  the audit chain verifies after each stack (POST /v1/audit/verify \"valid\": true): {', '.join(chains)}.")

    options, in_effect = jvm_line(jvm)
    print("\nTargets of issue 12 (reported, never enforced)")
    width = max(len(t["figure"]) for t in targets)
    for t in targets:
        value = t["value"]
        shown = value if isinstance(value, str) else ("-" if value is None else f"{value:.2f}")
        goal = "must hold" if t["op"] == "holds" else f"{t['op']} {t['target']:g}{' ' + t['unit'] if t['unit'] else ''}"
        line = f"  {t['figure']:<{width}} {shown:>8}   target {goal:<10} {t['verdict']}"
        if t.get("note"):
            line += f" [{t['note']}]"
        print(line)
        if t["figure"].startswith("Lanyard RSS"):
            print(f"  {'':<{width}}            p99 and RSS come from the same Lanyard JVM (pid {jvm['pid']}):")
            print(f"  {'':<{width}}            java {options} -jar quarkus-run.jar, {jvm['system_properties']} -D settings")
            print(f"  {'':<{width}}            in effect (jcmd VM.flags): {in_effect}")
    print(f"\nRaw reports, logs and summary.json: {run['out']}")


if __name__ == "__main__":
    main(*sys.argv[1:3])
