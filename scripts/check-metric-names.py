"""Checks that every PromQL query in rendered manifests names metrics Lanyard really exports.

Reads a scrape of /q/metrics from a running Lanyard (scripts/check-container.sh saves one from the image it
built) and the PromQL of every Argo Rollouts AnalysisTemplate and Prometheus Operator PrometheusRule in the
given manifests, and fails on a metric name the scrape lacks: an analysis that queries a series nobody exports
measures nothing, and a canary would be judged on NaN.

    python3 check-metric-names.py <scrape.txt> <rendered.yaml>...
"""
import re
import sys

import yaml

KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or", "unless",
            "offset", "inf", "nan"}


def exported_names(scrape):
    names = set()
    for line in scrape.splitlines():
        if line and not line.startswith("#"):
            names.add(re.match(r"[a-zA-Z_:][a-zA-Z0-9_:]*", line).group(0))
    return names


def metric_names(query):
    query = re.sub(r'"(?:[^"\\]|\\.)*"', '""', query)          # string literals (label values, Argo args)
    query = re.sub(r"\{[^{}]*\}", "", query)                   # label matchers
    query = re.sub(r"\[[^\]]*\]", "", query)                   # range selectors
    query = re.sub(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", query)
    names = set()
    for match in re.finditer(r"(?<![\w.])([a-zA-Z_:][a-zA-Z0-9_:]*)(\s*\()?", query):
        name, call = match.group(1), match.group(2)
        if not call and name.lower() not in KEYWORDS:
            names.add(name)
    return names


def queries(documents):
    for doc in documents:
        kind, name = doc.get("kind"), doc.get("metadata", {}).get("name")
        if kind in ("AnalysisTemplate", "ClusterAnalysisTemplate"):
            for metric in doc.get("spec", {}).get("metrics", []):
                query = ((metric.get("provider") or {}).get("prometheus") or {}).get("query")
                if query:
                    yield f"{kind}/{name} metric {metric['name']}", query
        elif kind == "PrometheusRule":
            for group in doc.get("spec", {}).get("groups", []):
                for rule in group.get("rules", []):
                    yield f"{kind}/{name} rule {rule.get('alert') or rule.get('record')}", str(rule["expr"])


def main(scrape_path, manifest_paths):
    with open(scrape_path) as f:
        exported = exported_names(f.read())
    documents = []
    for path in manifest_paths:
        with open(path) as f:
            documents.extend(d for d in yaml.safe_load_all(f) if isinstance(d, dict))
    missing, checked = [], 0
    for where, query in queries(documents):
        checked += 1
        for name in sorted(metric_names(query) - exported):
            missing.append(f"{where}: {name} is not exported by Lanyard")
    for line in dict.fromkeys(missing):
        print(f"check-metric-names: {line}")
    print(f"check-metric-names: {checked} queries checked against {len(exported)} exported series names")
    return 1 if missing or not checked else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2:]))
