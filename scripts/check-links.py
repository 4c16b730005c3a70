#!/usr/bin/env python3
"""Checks that every relative link in every tracked Markdown file resolves, anchors included. No network.

    python3 scripts/check-links.py            # from anywhere in the checkout; exits 1 listing FILE:LINE of each broken link
    python3 scripts/check-links.py --self-test

A link is `[text](target)`, `![alt](target)` or a reference definition `[id]: target`, outside code. A target with a
scheme (https:, mailto:) is left alone. A path must name a tracked file or a directory holding one (a fresh clone has
nothing else), relative to the linking file; `#anchor` must be a heading of the target Markdown file (GitHub's
anchors: lower-case, punctuation dropped, spaces to hyphens, `-1`, `-2` for repeats) or an explicit `id`/`name`.
"""
import os
import re
import subprocess
import sys
import tempfile
import unicodedata

FENCE = re.compile(r"^\s*(```+|~~~+)")
HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
INLINE_LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\[\]]*\])*\]\(\s*<?([^)\s>]*)>?(?:\s+(?:\"[^\"]*\"|'[^']*'))?\s*\)")
REFERENCE = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s.*)?$")
CODE_SPAN = re.compile(r"(`+)(?:.+?)\1")
EXPLICIT_ANCHOR = re.compile(r"<a\s+(?:name|id)=\"([^\"]+)\"|\sid=\"([^\"]+)\"")


def slug(text):
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)     # a link in a heading counts by its text
    text = re.sub(r"<[^>]+>", "", text)                       # and HTML tags not at all
    text = text.strip().lower()
    kept = []
    for ch in text:
        category = unicodedata.category(ch)
        if ch in "-_ " or category[0] in "LN" or category == "Mn":
            kept.append(ch)
    return "".join(kept).replace(" ", "-")


def lines_outside_code(text, blank_code_spans=True):
    """(line number, line) of every line not inside a fenced block, with code spans blanked out unless asked not to."""
    fence = None
    for number, line in enumerate(text.split("\n"), 1):
        match = FENCE.match(line)
        if fence:
            if match and match.group(1)[0] == fence[0] and len(match.group(1)) >= len(fence):
                fence = None
            continue
        if match:
            fence = match.group(1)
            continue
        yield number, CODE_SPAN.sub(lambda m: " " * len(m.group(0)), line) if blank_code_spans else line


def anchors(text):
    seen = {}
    found = set()
    for _, line in lines_outside_code(text, blank_code_spans=False):
        heading = HEADING.match(line)
        if heading:
            base = slug(heading.group(2))
            count = seen.get(base, 0)
            seen[base] = count + 1
            found.add(base if count == 0 else f"{base}-{count}")
        for match in EXPLICIT_ANCHOR.finditer(line):
            found.add(match.group(1) or match.group(2))
    return found


def tracked_files(root):
    out = subprocess.run(["git", "-C", root, "ls-files", "-z"], check=True, capture_output=True).stdout
    return [f for f in out.decode().split("\0") if f]


def check(root, files):
    """Broken links as (file, line, target, why) over the tracked `files` (paths relative to `root`)."""
    tracked = set(files)
    directories = {os.path.dirname(f) for f in files}
    for f in files:
        parts = f.split("/")
        directories.update("/".join(parts[:i]) for i in range(1, len(parts)))
    anchor_cache = {}

    def anchors_of(path):
        if path not in anchor_cache:
            with open(os.path.join(root, path), encoding="utf-8") as handle:
                anchor_cache[path] = anchors(handle.read())
        return anchor_cache[path]

    broken = []
    for source in sorted(f for f in files if f.endswith(".md")):
        with open(os.path.join(root, source), encoding="utf-8") as handle:
            text = handle.read()
        for number, line in lines_outside_code(text):
            targets = [m.group(1) for m in INLINE_LINK.finditer(line)]
            reference = REFERENCE.match(line)
            if reference:
                targets.append(reference.group(1))
            for target in targets:
                if not target or re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", target):
                    continue
                path, _, anchor = target.partition("#")
                if path:
                    resolved = os.path.normpath(os.path.join(os.path.dirname(source), path)).replace(os.sep, "/")
                    if resolved.startswith("../"):
                        broken.append((source, number, target, "points outside the repository"))
                        continue
                    if resolved not in tracked and resolved not in directories:
                        broken.append((source, number, target, f"no tracked file or directory {resolved}"))
                        continue
                else:
                    resolved = source
                if anchor and resolved.endswith(".md") and resolved in tracked and anchor not in anchors_of(resolved):
                    broken.append((source, number, target, f"no heading #{anchor} in {resolved}"))
    return broken


def self_test():
    with tempfile.TemporaryDirectory() as root:
        def write(path, text):
            os.makedirs(os.path.dirname(os.path.join(root, path)) or root, exist_ok=True)
            with open(os.path.join(root, path), "w", encoding="utf-8") as handle:
                handle.write(text)
        write("README.md", "# Top\n## Vault / OpenBao\n## Rotation (`lanyard.rotation`)\n## Top\n"
                           "[a](docs/a.md#the-local-stores-encryption) [b](#vault--openbao) [c](#rotation-lanyardrotation)\n"
                           "[d](#top-1) [e](docs/) [f](https://example.com/x#y) `[g](nowhere.md)`\n"
                           "```\n[h](nowhere.md)\n```\n"
                           "[i](docs/a.md#missing) [j](nowhere.md) [k](#gone)\n[l]: docs/b.md\n")
        write("docs/a.md", "# A\n## The local store's encryption\n[up](../README.md#top)\n")
        subprocess.run(["git", "init", "-q", root], check=True)
        subprocess.run(["git", "-C", root, "add", "."], check=True)
        found = {(f, target) for f, _, target, _ in check(root, tracked_files(root))}
        expected = {("README.md", "docs/a.md#missing"), ("README.md", "nowhere.md"), ("README.md", "#gone"),
                    ("README.md", "docs/b.md")}
        if found != expected:
            print(f"check-links self-test FAILED: found {sorted(found)}, expected {sorted(expected)}", file=sys.stderr)
            return 1
    print("check-links self-test: finds each kind of broken link and accepts the good ones")
    return 0


def main(argv):
    if "--self-test" in argv:
        return self_test()
    root = subprocess.run(["git", "rev-parse", "--show-toplevel"], check=True, capture_output=True,
                          cwd=os.path.dirname(os.path.abspath(__file__))).stdout.decode().strip()
    files = tracked_files(root)
    broken = check(root, files)
    for source, number, target, why in broken:
        print(f"{source}:{number}: broken link {target}: {why}", file=sys.stderr)
    markdown = sum(1 for f in files if f.endswith(".md"))
    if broken:
        print(f"check-links: {len(broken)} broken link(s) in {markdown} Markdown files", file=sys.stderr)
        return 1
    print(f"check-links: every relative link and anchor in {markdown} Markdown files resolves")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
