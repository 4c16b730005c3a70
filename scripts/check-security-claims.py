#!/usr/bin/env python3
"""Holds SECURITY.md to its rule: every claim names the test that checks it, and every test it names exists.

  python3 scripts/check-security-claims.py              # checks SECURITY.md
  python3 scripts/check-security-claims.py --self-test  # shows that a made-up test name and an untested claim fail

What counts as naming a test, in backticks:
  `FooTest.someMethod` / `FooIT.someMethod`  a method `void someMethod(` in src/test/java/**/FooTest.java
  `FooTest` / `FooIT`                        that test class exists
  `src/test/live/x.py`, `scripts/x`          that file exists (the live checks and the check scripts)
  `scripts/x.py::name`                       that file defines `def name(`

Between `<!-- claims -->` and `<!-- /claims -->`, every paragraph, list item and numbered item must name at least one
test (headings, tables, code blocks and HTML comments are not claims). Everywhere in the file, every test named must
exist. Exits 1 and lists each failure by line.
"""
import os
import re
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TEST_CLASS = re.compile(r"^[A-Z][A-Za-z0-9_]*(?:Test|IT)$")
TICKED = re.compile(r"`([^`\n]+)`")
ITEM = re.compile(r"^(?:- |\d+\. )")


def test_classes(root):
    classes = {}
    for base, _, files in os.walk(os.path.join(root, "src", "test", "java")):
        for name in files:
            if name.endswith(".java"):
                classes.setdefault(name[:-5], []).append(os.path.join(base, name))
    return classes


def names_test(token, root, classes):
    """None if `token` is not a test reference; otherwise (True, '') when it exists or (False, why)."""
    if "::" in token:
        path, _, func = token.partition("::")
        if not (path.startswith("scripts/") or path.startswith("src/test/")):
            return None
        full = os.path.join(root, path)
        if not os.path.isfile(full):
            return False, f"{path} does not exist"
        with open(full, encoding="utf-8") as f:
            if not re.search(r"^\s*def " + re.escape(func) + r"\(", f.read(), re.M):
                return False, f"{path} defines no {func}"
        return True, ""
    if "*" in token:  # a pattern such as `src/test/live/*.py` describes tests; it names none
        return None
    if token.startswith("src/test/") or re.match(r"^scripts/(check-|test_|audit-verify)", token):
        path = token.split()[0]
        return (True, "") if os.path.exists(os.path.join(root, path)) else (False, f"{path} does not exist")
    cls, dot, method = token.partition(".")
    if not TEST_CLASS.match(cls):
        return None
    if not dot:
        return (True, "") if cls in classes else (False, f"no test class {cls} in src/test/java")
    if not re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", method):
        return None
    if cls not in classes:
        return False, f"no test class {cls} in src/test/java"
    for path in classes[cls]:
        with open(path, encoding="utf-8") as f:
            if re.search(r"\bvoid\s+" + re.escape(method) + r"\s*\(", f.read()):
                return True, ""
    return False, f"{cls} has no method {method}"


def blocks(lines):
    """Yields (first line number, text) for each paragraph or list item; skips code, tables, headings, comments."""
    current, start, fenced, comment = [], 0, False, False
    for number, line in enumerate(lines, 1):
        stripped = line.strip()
        if stripped.startswith("```"):
            fenced = not fenced
            if current:
                yield start, "\n".join(current)
            current = []
            continue
        if fenced:
            continue
        if comment or stripped.startswith("<!--"):
            comment = "-->" not in stripped
            continue
        new_item = bool(ITEM.match(line))
        if not stripped or stripped.startswith("#") or stripped.startswith("|") or new_item:
            if current:
                yield start, "\n".join(current)
            current = []
            if not new_item:
                continue
        if not current:
            start = number
        current.append(line)
    if current:
        yield start, "\n".join(current)


def check(path, root):
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    classes = test_classes(root)
    failures = []
    for number, line in enumerate(lines, 1):
        for token in TICKED.findall(line):
            verdict = names_test(token.strip(), root, classes)
            if verdict and not verdict[0]:
                failures.append(f"{os.path.basename(path)}:{number}: `{token}`: {verdict[1]}")
    region, inside = [], False
    for line in lines:
        if line.strip() == "<!-- claims -->":
            inside = True
            region.append("")
            continue
        if line.strip() == "<!-- /claims -->":
            inside = False
        region.append(line if inside else "")
    if not any(region):
        failures.append(f"{os.path.basename(path)}: no <!-- claims --> region")
    for number, text in blocks(region):
        if not any(names_test(t.strip(), root, classes) == (True, "") for t in TICKED.findall(text)):
            first = text.strip().split("\n")[0][:70]
            failures.append(f"{os.path.basename(path)}:{number}: a claim that names no test: {first}")
    return failures


def self_test():
    good = ("<!-- claims -->\n- Policies deny by default (`PolicyEngineTest.nothingIsAllowedWithoutPolicies`).\n"
            "<!-- /claims -->\n")
    cases = {
        "good": (good, 0),
        "made-up method": (good.replace("nothingIsAllowedWithoutPolicies", "aMethodNobodyWrote"), 1),
        "made-up class": (good.replace("PolicyEngineTest", "PolicyEngineNoSuchTest"), 1),
        "untested claim": (good.replace(" (`PolicyEngineTest.nothingIsAllowedWithoutPolicies`)", ""), 1),
        "made-up script": ("<!-- claims -->\nChecked by `scripts/check-nothing.sh`.\n<!-- /claims -->\n", 1),
        "made-up function": ("<!-- claims -->\nChecked by `scripts/check-manifests.py::no_such_def`.\n<!-- /claims -->\n", 1),
    }
    ok = True
    for name, (text, expected) in cases.items():
        with tempfile.NamedTemporaryFile("w", suffix=".md", delete=False) as f:
            f.write(text)
        try:
            got = len(check(f.name, ROOT))
        finally:
            os.unlink(f.name)
        if (got > 0) != (expected > 0):
            print(f"check-security-claims self-test: {name}: {got} failures, expected {'some' if expected else 'none'}")
            ok = False
    return ok


def main(argv):
    if "--self-test" in argv:
        if not self_test():
            return 1
        print("check-security-claims: self-test passed")
        return 0
    failures = check(os.path.join(ROOT, "SECURITY.md"), ROOT)
    for failure in failures:
        print(f"check-security-claims: {failure}")
    if failures:
        return 1
    print("check-security-claims: every claim in SECURITY.md names a test, and every test it names exists")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
