"""Makes kubernetes-validate's JSON schemas standalone for kubeconform.

kubernetes-validate ships one schema per kind whose $refs point into a shared _definitions.json. kubeconform
resolves each file alone, so every file here gets the definitions it needs, transitively, embedded under
$defs, and its refs rewritten to #/$defs/<name>.

    python3 k8s-schemas.py <.../vX.Y.Z-local-strict> <out-dir>
"""
import json
import os
import sys

REF = "#/$defs/"


def rewrite(node, needed):
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str) and REF in value:
                name = value.split(REF, 1)[1]
                needed.add(name)
                out[key] = REF + name
            else:
                out[key] = rewrite(value, needed)
        return out
    if isinstance(node, list):
        return [rewrite(item, needed) for item in node]
    return node


def main(src, dst):
    os.makedirs(dst, exist_ok=True)
    with open(os.path.join(src, "_definitions.json")) as f:
        definitions = json.load(f)["$defs"]
    for name in sorted(os.listdir(src)):
        if not name.endswith(".json") or name in ("_definitions.json", "all.json"):
            continue
        with open(os.path.join(src, name)) as f:
            needed = set()
            schema = rewrite(json.load(f), needed)
        embedded, todo = {}, list(needed)
        while todo:
            ref = todo.pop()
            if ref in embedded:
                continue
            more = set()
            embedded[ref] = rewrite(definitions[ref], more)
            todo.extend(more - embedded.keys())
        if embedded:
            schema["$defs"] = embedded
        with open(os.path.join(dst, name), "w") as f:
            json.dump(schema, f)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
