#!/usr/bin/env python3
"""Runs the commands the documents tell a reader to paste, so a document cannot drift from the code.

Every fenced block a reader would paste (sh, bash, shell, console, sql, properties, hcl, promql) in a tracked
Markdown file carries a mark on the line before it, an HTML comment GitHub does not show:

    <!-- doc-test: ENV [options] -->

ENV says where the block runs (docs/tests.md, "The documents are tested too", has the table):

    dev-stack   bash from the repository root against the dev stack; http://127.0.0.1:8200 is that stack's URL.
                Options: expect="REGEX", allow-http-errors, prelude (run first in every file of the same folder)
    scratch     bash against a throw-away PostgreSQL standing in for db.internal:5432; /etc/lanyard and
                /var/lib/lanyard in a temporary folder; port 8200 (127.0.0.1:8200, quarkus.http.port=8200) a free one.
                Options: expect, allow-http-errors
    moto        bash; 127.0.0.1:5000 on a free port for the moto_server the block starts. Options: expect
    kube        bash; kubectl talks to a fresh kube-apiserver (one per file). Options: expect
    config      every lanyard.* key must exist; options: start (the dev stack starts with the block),
                file=PATH in=ENV (written to PATH in that environment's session, in order)
    bao-policy  written with `bao policy write` to the dev stack's OpenBao
    promql      each line parses (promtool) and names only metrics the dev stack exports
    skip REASON not run; the reason is printed and counted

The blocks of one file and one environment run in one bash session, in document order (a variable set in one block
is there in the next), with `set -eEuo pipefail`: a command that fails, or a curl answered 4xx/5xx (unless
allow-http-errors), fails the block, reported as FILE:LINE with its output; the blocks after it in that session do
not run. Files left in the checkout by a session are removed and named.

    doc-tests.py check --config-keys FILE      marks, configuration keys, vocabularies (no peers)
    doc-tests.py start-options                 the -D options of the `config start` blocks, for the dev stack
    doc-tests.py run ENV                       runs ENV's sessions (the environment comes from scripts/check-docs.sh)
    doc-tests.py promql --scrape F --promtool P
    doc-tests.py openapi --openapi F           every documented curl's status is declared by the OpenAPI document
    doc-tests.py summary                       what ran, what was skipped and why; exit 1 if anything failed
"""
import argparse
import dataclasses
import importlib.util
import json
import os
import re
import shlex
import signal
import subprocess
import sys
import tempfile
import time
import types

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COMMAND_INFOS = {"sh", "bash", "shell", "console", "sql", "properties", "hcl", "promql"}
SHELL_INFOS = {"sh", "bash", "shell"}
SHELL_ENVS = {"dev-stack", "scratch", "moto", "kube"}
ENV_OPTIONS = {
    "dev-stack": {"expect", "allow-http-errors", "prelude"},
    "scratch": {"expect", "allow-http-errors"},
    "moto": {"expect"},
    "kube": {"expect"},
    "config": {"start", "file", "in"},
    "bao-policy": set(),
    "promql": set(),
}
ENV_INFOS = {"config": {"properties"}, "bao-policy": {"hcl"}, "promql": {"promql"}}
FENCE = re.compile(r"^(\s*)(```+|~~~+)\s*([^`\s]*)")
MARK = re.compile(r"^\s*<!--\s*doc-test:\s*(.*?)\s*-->\s*$")
# Names in backticks that look like configuration keys and are not, with what they are.
NOT_CONFIG = {
    "lanyard.authenticate": "a span name", "lanyard.cache.lookup": "a span name", "lanyard.backend.call": "a span name",
    "lanyard.audit.append": "a span name", "lanyard.audit.commit": "a span name",
    "lanyard.bao": "a system property of the dev stack and the tests (LANYARD_BAO)",
    "lanyard.rotation.relay": "the relay's old key, named where the documents say it is refused at start-up",
}
# Keys the documents already name that the code on this branch does not have yet. Each entry says why; the check
# fails once the code has the key, so the entry cannot outlive its reason.
PENDING_KEYS = {}
KEY = re.compile(r"(?<![\w./-])(lanyard\.[a-z0-9][A-Za-z0-9_.\"<>*\[\]-]*[A-Za-z0-9_\"*\]>])")
FILE_NAME = re.compile(r"\.(hcl|properties|md|json|jsonl|yaml|key|token|pem|log)$")


@dataclasses.dataclass
class Block:
    file: str
    line: int          # the opening fence
    info: str
    body: list
    env: str = None
    options: dict = dataclasses.field(default_factory=dict)
    reason: str = None
    mark_error: str = None

    @property
    def where(self):
        return f"{self.file}:{self.line}"


def tracked_markdown():
    out = subprocess.run(["git", "-C", ROOT, "ls-files", "-z", "*.md"], check=True, capture_output=True).stdout
    files = [f for f in out.decode().split("\0") if f]
    # README first, then docs/ (the runbooks after the pages they lean on), then the rest.
    def order(f):
        return (0 if f == "README.md" else 1 if f.startswith("docs/") and "/runbooks/" not in f
                else 2 if f.startswith("docs/") else 3, f)
    return sorted(files, key=order)


def parse(file):
    with open(os.path.join(ROOT, file), encoding="utf-8") as handle:
        lines = handle.read().split("\n")
    blocks = []
    i = 0
    while i < len(lines):
        match = FENCE.match(lines[i])
        if not match:
            i += 1
            continue
        indent, fence, info = len(match.group(1)), match.group(2), match.group(3).lower()
        start = i
        body = []
        i += 1
        while i < len(lines) and not (lines[i].strip().startswith(fence[0] * len(fence))
                                      and lines[i].strip().strip(fence[0]) == ""):
            body.append(lines[i][indent:] if lines[i][:indent].strip() == "" else lines[i].lstrip())
            i += 1
        i += 1
        block = Block(file, start + 1, info, body)
        previous = start - 1
        while previous >= 0 and not lines[previous].strip():
            previous -= 1
        mark = MARK.match(lines[previous]) if previous >= 0 else None
        if mark:
            read_mark(block, mark.group(1))
        blocks.append(block)
    return blocks


def read_mark(block, text):
    if text.startswith("skip"):
        block.env, block.reason = "skip", text[4:].strip()
        if not block.reason:
            block.mark_error = "a skip needs its reason"
        return
    try:
        words = shlex.split(text)
    except ValueError as e:
        block.mark_error = f"unreadable mark: {e}"
        return
    block.env = words[0] if words else None
    if block.env not in ENV_OPTIONS:
        block.mark_error = f"unknown environment {block.env!r}"
        return
    for word in words[1:]:
        key, _, value = word.partition("=")
        if key not in ENV_OPTIONS[block.env]:
            block.mark_error = f"{block.env} takes no option {key!r}"
            return
        block.options[key] = value if value else True
    allowed = ENV_INFOS.get(block.env, SHELL_INFOS)
    if block.info not in allowed:
        block.mark_error = f"a {block.env} block must be one of {sorted(allowed)}, not {block.info or 'plain'}"
    if "expect" in block.options:
        try:
            re.compile(block.options["expect"])
        except re.error as e:
            block.mark_error = f"expect is not a regular expression: {e}"
    if block.env == "config" and ("file" in block.options) != ("in" in block.options):
        block.mark_error = "config file=PATH needs in=ENV, and in=ENV needs file=PATH"


def all_blocks():
    return [block for file in tracked_markdown() for block in parse(file)]


# --- static checks ---------------------------------------------------------------------------------------------

def mark_problems(blocks):
    problems = []
    for block in blocks:
        if block.mark_error:
            problems.append(f"{block.where}: {block.mark_error}")
        elif block.env is None and block.info in COMMAND_INFOS:
            problems.append(f"{block.where}: a {block.info} block without a doc-test mark (run it, or skip it with a reason)")
        elif block.env is not None and block.info not in COMMAND_INFOS:
            problems.append(f"{block.where}: a doc-test mark on a {block.info or 'plain'} block, which is not a command")
    return problems


def known_key_patterns(config_keys_file):
    patterns = set()
    with open(config_keys_file) as handle:
        patterns.update(line.strip() for line in handle if line.strip())
    with open(os.path.join(ROOT, "src/main/resources/application.properties")) as handle:
        for line in handle:
            key = line.split("=", 1)[0].strip()
            if key.startswith("lanyard.") and not line.lstrip().startswith("#"):
                patterns.add(key)
    # Keys read by name rather than through a mapping: @ConfigProperty(name = "…") and config.getValue("…").
    for folder, _, names in os.walk(os.path.join(ROOT, "src/main/java")):
        for name in names:
            if name.endswith(".java"):
                with open(os.path.join(folder, name), encoding="utf-8") as handle:
                    text = handle.read()
                patterns.update(re.findall(r'@ConfigProperty\(\s*name\s*=\s*"(lanyard\.[^"]+)"', text))
                patterns.update(re.findall(r'get(?:Optional)?Value\(\s*"(lanyard\.[^"]+)"', text))
                # and names kept in a constant first: static final String X = "lanyard.…";
                patterns.update(re.findall(r'static final String [A-Z_]+ = "(lanyard\.[a-z0-9.-]+)";', text))
    return patterns


def normalise_key(key):
    """A documented key in SmallRye's spelling: named segments become *, list indexes [*]."""
    key = re.sub(r'"[^"]*"|<[^>]*>', "*", key)
    key = re.sub(r"\[[^\]]*\]", "[*]", key)
    return key


def key_matches(key, patterns):
    if key in patterns:
        return True
    if key.endswith(".*"):  # a family: lanyard.k8s.leader-election.*
        return any(p.startswith(key[:-1]) for p in patterns)
    # a prefix of real keys (lanyard.rotation, lanyard.audit.lease-hmac-key with a named segment left out)
    if any(p.startswith(key + ".") or p.startswith(key + "[") for p in patterns):
        return True
    # a named segment given as a plain word: lanyard.vault.openbao.address, lanyard.policy.demo.rules[0].paths
    parts = key.split(".")
    for pattern in patterns:
        pattern_parts = pattern.split(".")
        if len(pattern_parts) == len(parts) and all(
                p == k or p == "*" or (p.endswith("[*]") and k.startswith(p[:-3]) and k.endswith("[*]") and k[:-3] == p[:-3])
                for p, k in zip(pattern_parts, parts)):
            return True
    return False


def config_problems(blocks, patterns):
    problems = []
    seen = set()

    def check(key, where):
        key = key.rstrip(".,;:")
        if key in NOT_CONFIG or key.startswith("lanyard.dev") or FILE_NAME.search(key) or (key, where) in seen:
            return
        seen.add((key, where))
        normal = normalise_key(key)
        if normal in PENDING_KEYS:
            return
        if not key_matches(normal, patterns):
            problems.append(f"{where}: {key} is no configuration key of the service")

    for block in blocks:
        if block.info == "properties" and block.env != "skip":
            for offset, line in enumerate(block.body, 1):
                stripped = line.strip()
                if stripped and not stripped.startswith("#") and "=" in stripped:
                    key = stripped.split("=", 1)[0].strip()
                    if key.startswith("lanyard."):
                        check(key, f"{block.file}:{block.line + offset}")
        if block.env in SHELL_ENVS:
            for offset, line in enumerate(block.body, 1):
                for key in re.findall(r"-D(lanyard\.[^=\s]+)=", line):
                    check(key, f"{block.file}:{block.line + offset}")
    for file in tracked_markdown():
        with open(os.path.join(ROOT, file), encoding="utf-8") as handle:
            lines = handle.read().split("\n")
        fence = None
        for number, line in enumerate(lines, 1):
            if FENCE.match(line):
                fence = None if fence else line
                continue
            if fence:
                continue
            for span in re.findall(r"`([^`]+)`", line):
                for key in KEY.findall(span):
                    check(key, f"{file}:{number}")
    for key, why in PENDING_KEYS.items():
        if key_matches(key, patterns):
            problems.append(f"scripts/doc-tests.py: {key} exists now: drop it from PENDING_KEYS ({why})")
    return problems


def vocabulary_problems():
    problems = []
    source = os.path.join(ROOT, "src/main/java/dev/lanyard")
    with open(os.path.join(source, "audit/AuditOperation.java"), encoding="utf-8") as handle:
        operations = re.findall(r'^\s*[A-Z_]+\("([a-z.-]+)"\)', handle.read(), re.M)
    with open(os.path.join(ROOT, "docs/audit-chain.md"), encoding="utf-8") as handle:
        chain = handle.read()
    problems += [f"docs/audit-chain.md: the audit operation `{op}` (audit/AuditOperation) is not listed"
                 for op in operations if f"`{op}`" not in chain]
    codes = set()
    for folder, _, names in os.walk(os.path.join(source, "rotation")):
        for name in names:
            with open(os.path.join(folder, name), encoding="utf-8") as handle:
                text = handle.read()
            if name == "StepCode.java":
                # rotation's own closed vocabulary: every constant of the enum is a code a run or step can end with
                codes.update(re.findall(r'^\s{4}([A-Z][A-Z_]+)\((?:true|false)\)', text, re.M))
    with open(os.path.join(ROOT, "docs/rotation.md"), encoding="utf-8") as handle:
        rotation = handle.read()
    problems += [f"docs/rotation.md: the rotation step code `{code}` is not explained" for code in sorted(codes)
                 if f"`{code}`" not in rotation]
    if not operations or not codes:
        problems.append("scripts/doc-tests.py: found no audit operations or rotation codes in the source: update the check")
    return problems


def cmd_check(args):
    blocks = all_blocks()
    problems = mark_problems(blocks)
    problems += config_problems(blocks, known_key_patterns(args.config_keys))
    problems += vocabulary_problems()
    for problem in problems:
        print(problem, file=sys.stderr)
    marked = [b for b in blocks if b.info in COMMAND_INFOS]
    print(f"doc-tests: {len(marked)} command blocks in {len(tracked_markdown())} Markdown files; "
          f"{'no problems' if not problems else f'{len(problems)} problem(s)'} with marks, configuration keys and vocabularies")
    return 1 if problems else 0


def cmd_start_options(_args):
    options = []
    for block in all_blocks():
        if block.env == "config" and block.options.get("start"):
            for line in block.body:
                line = line.strip()
                if line and not line.startswith("#"):
                    if re.search(r"\s", line):
                        sys.exit(f"{block.where}: a value with white space cannot be passed to the dev stack: {line}")
                    options.append("-D" + line)
    print(" ".join(options))
    return 0


# --- running sessions ------------------------------------------------------------------------------------------

PRELUDE = r'''
set -eEuo pipefail
__doc_block=""
__doc_allow_http_errors=""
trap '__doc_status=$?; echo "@@DOC-FAIL $LINENO $__doc_status@@"' ERR
__doc_begin() { __doc_block=$1; __doc_allow_http_errors=$2; echo "@@DOC-BEGIN $1@@"; }
__doc_end() { echo "@@DOC-END $1@@"; }
# A curl answered 4xx or 5xx fails its block unless the block allows it; every answer is recorded for the OpenAPI check.
curl() {
  local headers rc=0 status method="" url="" arg previous=""
  headers=$(mktemp "$DOC_TEST_SESSION_DIR/headers.XXXXXX")
  command curl -D "$headers" "$@" || rc=$?
  status=$(awk '/^HTTP\//{s=$2} END{print s}' "$headers" || true)
  rm -f "$headers"
  for arg in "$@"; do
    case "$previous" in -X|--request) method=$arg ;; esac
    case "$arg" in
      http://*|https://*) url=$arg ;;
      -X?*) method=${arg#-X} ;;
      -[a-zA-Z]*X) ;;
      -[a-zA-Z]*X?*) method=${arg#*X} ;;
      -d|--data*|-d?*) [ -n "$method" ] || method=POST ;;
    esac
    case "$arg" in -[a-zA-Z]*X) previous=-X ;; *) previous=$arg ;; esac
  done
  printf '%s\t%s\t%s\t%s\n' "$__doc_block" "${status:-}" "${method:-GET}" "$url" >> "$DOC_TEST_CALLS"
  [ "$rc" -eq 0 ] || return "$rc"
  if [ -n "$status" ] && [ "$status" -ge 400 ] && [ -z "$__doc_allow_http_errors" ]; then
    echo "doc-test: HTTP $status from curl (${method:-GET} $url)" >&2
    return 22
  fi
  return 0
}
'''


def substitutions(env):
    if env == "dev-stack":
        return [("http://127.0.0.1:8200", os.environ["DOC_TEST_LANYARD"])]
    if env == "scratch":
        scratch = os.environ["DOC_TEST_SCRATCH_DIR"]
        return [("db.internal:5432", "127.0.0.1:" + os.environ["DOC_TEST_SCRATCH_PGPORT"]),
                ("/etc/lanyard", scratch + "/etc/lanyard"), ("/var/lib/lanyard", scratch + "/var/lib/lanyard"),
                ("127.0.0.1:8200", "127.0.0.1:" + os.environ["DOC_TEST_SCRATCH_HTTP_PORT"]),
                ("quarkus.http.port=8200", "quarkus.http.port=" + os.environ["DOC_TEST_SCRATCH_HTTP_PORT"])]
    if env == "moto":
        port = os.environ["DOC_TEST_MOTO_PORT"]
        return [("127.0.0.1:5000", "127.0.0.1:" + port), ("-p 5000", "-p " + port)]
    return []


def substitute(text, env):
    for old, new in substitutions(env):
        text = text.replace(old, new)
    return text


def session_blocks(env, file, blocks, preludes):
    """The blocks one session runs, in order: a folder's preludes first, then the file's own."""
    own = [b for b in blocks if b.file == file and (b.env == env or (b.env == "config" and b.options.get("in") == env)
                                                   or (env == "dev-stack" and b.env == "bao-policy"))]
    if not own:
        return []
    folder = os.path.dirname(file)
    first = [b for b in preludes if os.path.dirname(b.file) == folder and b.file != file] if env == "dev-stack" else []
    return first + own


def script_for(env, blocks):
    """The session's bash script, and for each block the script line its body starts on."""
    lines = PRELUDE.split("\n")
    starts = {}
    for index, block in enumerate(blocks):
        allow = "1" if block.options.get("allow-http-errors") else ""
        lines.append(f"__doc_begin {index} '{allow}'")
        if block.env == "config":
            path = substitute(block.options["file"], env)
            lines.append(f"mkdir -p \"$(dirname {shlex.quote(path)})\"; cat > {shlex.quote(path)} <<'__DOC_CONFIG__'")
            starts[index] = len(lines) + 1
            lines.extend(substitute("\n".join(block.body), env).split("\n"))
            lines.append("__DOC_CONFIG__")
        elif block.env == "bao-policy":
            lines.append("VAULT_ADDR=$(jq -r .openbao_address .cache/dev/stack.json) VAULT_TOKEN=$(cat .cache/dev/openbao-token) "
                         "\"$DOC_TEST_BAO\" policy write doc-test-policy - <<'__DOC_POLICY__'")
            starts[index] = len(lines) + 1
            lines.extend(block.body)
            lines.append("__DOC_POLICY__")
        else:
            starts[index] = len(lines) + 1
            lines.extend(substitute("\n".join(block.body), env).split("\n"))
        lines.append(f"__doc_end {index}")
    return "\n".join(lines) + "\n", starts


def untracked():
    out = subprocess.run(["git", "-C", ROOT, "status", "--porcelain", "--untracked-files=all", "-z"],
                         check=True, capture_output=True).stdout.decode()
    return {entry[3:] for entry in out.split("\0") if entry.startswith("?? ")}


def start_kube(folder):
    """A fresh kube-apiserver for one file: (process, kubeconfig)."""
    process = subprocess.Popen(["bash", "-c", '. scripts/kube-test-server.sh && trap "kube_test_server_stop; exit 0" TERM '
                                '&& kube_test_server_start "$1" && echo KUBE-READY && while :; do sleep 3600 & wait $!; done',
                                "kube", folder],
                               cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    output = []
    for line in process.stdout:
        output.append(line)
        if line.startswith("KUBE-READY"):
            return process, os.path.join(folder, "kubeconfig")
    raise RuntimeError("the kube-apiserver for the kube blocks did not start:\n" + "".join(output[-20:]))


def stop_group(process, grace=30):
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.time() + grace
    while time.time() < deadline:
        try:
            os.killpg(process.pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.2)
    else:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        pass


def run_session(env, file, blocks, work, results):
    session_dir = tempfile.mkdtemp(prefix="session.", dir=work)
    script, starts = script_for(env, blocks)
    path = os.path.join(session_dir, "session.sh")
    with open(path, "w") as handle:
        handle.write(script)
    environment = dict(os.environ, DOC_TEST_SESSION_DIR=session_dir,
                       DOC_TEST_CALLS=os.path.join(work, f"calls-{env}.tsv"))
    kube = None
    if env == "kube":
        kube, kubeconfig = start_kube(os.path.join(session_dir, "kube"))
        environment["KUBECONFIG"] = kubeconfig
        environment["PATH"] = os.environ["DOC_TEST_KUBE_BIN"] + os.pathsep + environment["PATH"]
    before = untracked()
    started = time.time()
    process = subprocess.Popen(["bash", path], cwd=ROOT, env=environment, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, text=True, start_new_session=True)
    try:
        output, _ = process.communicate(timeout=int(os.environ.get("DOC_TEST_SESSION_TIMEOUT", "300")))
        timed_out = False
    except subprocess.TimeoutExpired:
        timed_out = True
        stop_group(process, grace=5)
        output, _ = process.communicate()
    stop_group(process)
    if kube:
        kube.send_signal(signal.SIGTERM)  # its trap stops the API server, then etcd
        try:
            kube.wait(timeout=20)
        except subprocess.TimeoutExpired:
            pass
        stop_group(kube, grace=5)
    left = sorted(untracked() - before)
    for name in left:
        os.remove(os.path.join(ROOT, name))
    took = time.time() - started

    regions, current, failure = {}, None, None
    for line in output.split("\n"):
        begin = re.match(r"@@DOC-BEGIN (\d+)@@", line)
        end = re.match(r"@@DOC-END (\d+)@@", line)
        fail = re.match(r"@@DOC-FAIL (\d+) (\d+)@@", line)
        if begin:
            current = int(begin.group(1))
            regions[current] = []
        elif end:
            current = None
        elif fail:
            if failure is None and current is not None:
                failure = (current, int(fail.group(1)), int(fail.group(2)))
        elif current is not None:
            regions[current].append(line)
    ok = True
    for index, block in enumerate(blocks):
        text = "\n".join(regions.get(index, []))
        record = {"file": block.file, "line": block.line, "env": block.env, "session": f"{file} ({env})"}
        if index not in regions:
            record["result"] = "not run"
            record["why"] = "an earlier block of the session failed" if not timed_out else "the session timed out"
            ok = False
        elif failure and failure[0] == index:
            doc_line = block.line + (failure[1] - starts[index]) + 1
            record.update(result="failed", why=f"exit status {failure[2]} at {block.file}:{doc_line}", output=text[-4000:])
            ok = False
        elif timed_out and index == max(regions):
            record.update(result="failed", why="the session timed out in this block", output=text[-4000:])
            ok = False
        elif "expect" in block.options and not re.search(block.options["expect"], text, re.M):
            record.update(result="failed", why=f"no line of its output matches {block.options['expect']!r}", output=text[-4000:])
            ok = False
        else:
            record["result"] = "passed"
        results.append(record)
    with open(os.path.join(work, "results.jsonl"), "a") as handle:
        for record in results[-len(blocks):]:
            handle.write(json.dumps(record) + "\n")
    state = "ok" if ok else "FAILED"
    print(f"doc-tests: {env:9} {file}: {len(blocks)} block(s) {state} in {took:.0f}s"
          + (f"; removed {', '.join(left)} left in the checkout" if left else ""))
    for record in results[-len(blocks):]:
        if record["result"] != "passed":
            print(f"  {record['file']}:{record['line']}: {record['result']}: {record['why']}")
            if record.get("output"):
                print("    | " + "\n    | ".join(record["output"].split("\n")[-40:]))
    return ok


def cmd_run(args):
    work = os.environ["DOC_TEST_WORK"]
    blocks = all_blocks()
    preludes = [b for b in blocks if b.env == "dev-stack" and b.options.get("prelude")]
    ok = True
    results = []
    for file in tracked_markdown():
        session = session_blocks(args.env, file, blocks, preludes)
        if session:
            ok = run_session(args.env, file, session, work, results) and ok
    return 0 if ok else 1


# --- PromQL and OpenAPI ----------------------------------------------------------------------------------------

def metric_names_function():
    """scripts/check-metric-names.py's reading of PromQL, so both checks agree on what a metric name is."""
    if importlib.util.find_spec("yaml") is None:
        sys.modules["yaml"] = types.ModuleType("yaml")  # the function used here needs no YAML
    spec = importlib.util.spec_from_file_location("check_metric_names", os.path.join(ROOT, "scripts/check-metric-names.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.metric_names, module.exported_names


def cmd_promql(args):
    metric_names, exported_names = metric_names_function()
    with open(args.scrape) as handle:
        exported = exported_names(handle.read())
    work = os.environ["DOC_TEST_WORK"]
    ok = True
    with open(os.path.join(work, "results.jsonl"), "a") as results:
        for block in all_blocks():
            if block.env != "promql":
                continue
            queries = [q.strip() for q in block.body if q.strip() and not q.strip().startswith("#")]
            rules = {"groups": [{"name": "doc", "rules": [{"record": f"doc:query_{i}", "expr": q} for i, q in enumerate(queries)]}]}
            path = os.path.join(work, "promql-rules.json")
            with open(path, "w") as handle:
                json.dump(rules, handle)
            check = subprocess.run([args.promtool, "check", "rules", path], capture_output=True, text=True)
            problems = [] if check.returncode == 0 else [check.stdout + check.stderr]
            for query in queries:
                missing = sorted(name for name in metric_names(query) if name not in exported)
                if missing:
                    problems.append(f"{query}: {', '.join(missing)} not exported by the dev stack")
            record = {"file": block.file, "line": block.line, "env": "promql", "session": "promql",
                      "result": "failed" if problems else "passed"}
            if problems:
                record["why"] = "; ".join(problems)
                ok = False
                print(f"  {block.where}: failed: {record['why']}")
            results.write(json.dumps(record) + "\n")
    print(f"doc-tests: promql    every query parses and names exported metrics: {'ok' if ok else 'FAILED'}")
    return 0 if ok else 1


def cmd_openapi(args):
    with open(args.openapi) as handle:
        document = json.load(handle)
    base = os.environ["DOC_TEST_LANYARD"]
    templates = []
    for template, item in document.get("paths", {}).items():
        pattern = re.escape(template)
        pattern = pattern.replace(re.escape("{path}"), ".+")
        pattern = re.sub(r"\\\{[^}]+\\\}", "[^/]+", pattern)
        templates.append((len(re.sub(r"\{[^}]+\}", "", template)), re.compile(pattern + "$"), template, item))
    templates.sort(key=lambda t: -t[0])
    problems, checked = [], 0
    calls_file = os.path.join(os.environ["DOC_TEST_WORK"], "calls-dev-stack.tsv")
    seen = set()
    if os.path.exists(calls_file):
        with open(calls_file) as handle:
            for line in handle:
                _, status, method, url = (line.rstrip("\n").split("\t") + ["", "", "", ""])[:4]
                if not url.startswith(base) or not status.startswith("2"):
                    continue
                path = url[len(base):].split("?")[0]
                for _, pattern, template, item in templates:
                    if pattern.match(path):
                        operation = item.get(method.lower())
                        if operation is None:
                            break
                        checked += 1
                        if status not in operation.get("responses", {}) and (method, template, status) not in seen:
                            seen.add((method, template, status))
                            declared = ", ".join(sorted(k for k in operation.get("responses", {}) if k.startswith("2")))
                            problems.append(f"{method} {template} answered {status}; the OpenAPI document declares {declared}")
                        break
    for problem in problems:
        print(f"  {problem}")
    print(f"doc-tests: openapi   {checked} documented calls' statuses against /q/openapi: {'ok' if not problems else 'FAILED'}")
    with open(os.path.join(os.environ["DOC_TEST_WORK"], "results.jsonl"), "a") as results:
        results.write(json.dumps({"file": "(OpenAPI)", "line": 0, "env": "openapi", "session": "openapi",
                                  "result": "failed" if problems else "passed", "why": "; ".join(problems)}) + "\n")
    return 1 if problems else 0


def cmd_summary(_args):
    blocks = [b for b in all_blocks() if b.info in COMMAND_INFOS]
    records = {}
    path = os.path.join(os.environ["DOC_TEST_WORK"], "results.jsonl")
    if os.path.exists(path):
        with open(path) as handle:
            for line in handle:
                record = json.loads(line)
                records.setdefault((record["file"], record["line"]), []).append(record)
    counts, skipped, failed, unrun = {}, {}, [], []
    for block in blocks:
        if block.env == "skip":
            skipped.setdefault(block.reason, []).append(block.where)
            continue
        runs = records.get((block.file, block.line), [])
        if block.env == "config" and not block.options.get("file"):
            label = "config (keys checked" + (", and the dev stack started with it)" if block.options.get("start") else ")")
            counts[label] = counts.get(label, 0) + 1
            continue
        if not runs:
            unrun.append(block.where)
            continue
        if any(r["result"] != "passed" for r in runs):
            failed.append(f"{block.where}: {next(r for r in runs if r['result'] != 'passed').get('why', '')}")
        label = "config (written to a file and used)" if block.env == "config" else block.env
        counts[label] = counts.get(label, 0) + 1
    total_run = sum(counts.values())
    print(f"doc-tests: {len(blocks)} command blocks: {total_run} run or checked, "
          f"{sum(len(v) for v in skipped.values())} skipped, {len(failed)} failed, {len(unrun)} not reached")
    for env, count in sorted(counts.items()):
        print(f"  {count:3} {env}")
    print("  skipped, by reason:")
    for reason, wheres in sorted(skipped.items(), key=lambda kv: -len(kv[1])):
        print(f"  {len(wheres):3} {reason}")
        for where in wheres:
            print(f"        {where}")
    for where in unrun:
        print(f"  NOT REACHED {where}")
    for line in failed:
        print(f"  FAILED {line}")
    openapi = records.get(("(OpenAPI)", 0), [])
    if any(r["result"] != "passed" for r in openapi):
        print(f"  FAILED the OpenAPI check: {openapi[-1]['why']}")
    return 1 if failed or unrun or any(r["result"] != "passed" for r in openapi) else 0


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    check = sub.add_parser("check")
    check.add_argument("--config-keys", required=True)
    sub.add_parser("start-options")
    run = sub.add_parser("run")
    run.add_argument("env", choices=sorted(SHELL_ENVS))
    promql = sub.add_parser("promql")
    promql.add_argument("--scrape", required=True)
    promql.add_argument("--promtool", required=True)
    openapi = sub.add_parser("openapi")
    openapi.add_argument("--openapi", required=True)
    sub.add_parser("summary")
    args = parser.parse_args(argv)
    return {"check": cmd_check, "start-options": cmd_start_options, "run": cmd_run, "promql": cmd_promql,
            "openapi": cmd_openapi, "summary": cmd_summary}[args.command](args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
