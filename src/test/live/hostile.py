"""Hostile requests against a running Lanyard, as an attacker would send them.

Every request must be answered without a 5xx. Every request for /v1 must be answered with problem+json when it
is refused, carry its request id, and have exactly one audit row recording the status that was sent. Methods
other than GET and HEAD on /q/* are refused with 405. Raw paths never become metric labels, and no client
mistake is logged at ERROR or with a stack trace.

Environment: LANYARD_PORT, LANYARD_TOKEN_FILE (a caller with read/issue/renew/revoke/audit:read), LANYARD_OTHER_TOKEN_FILE
(a caller with no policy), LANYARD_DB_PORT (PostgreSQL superuser over loopback), LANYARD_LOG_FILE (Lanyard's output).
"""

import json
import re
import uuid

from lanyard_live import Target, finish, request, send, audit_rows

SECRET = "/v1/secrets/openbao/secret/live/config"
CREDS = "/v1/creds/openbao/database/creds/app"

# Refusals that happen before an HTTP request exists, so Lanyard has nothing to answer or record. Each is explained
# in SECURITY.md ("What the audit log cannot record"). The suite fails if one of these starts behaving like an
# ordinary request (the list would then claim more than is true) or if anything else behaves like them.
ANSWERLESS = {
    "chunked: connection closed before the last chunk",  # the client left: there is no one to answer
}
# The HTTP/1.1 decoder refuses a request line or header block it cannot parse (control characters, bytes outside
# ASCII, a backslash, duplicate or non-numeric Content-Length) with a bare 400 and closes the connection; the
# request never reaches Lanyard.
DECODER = {
    "traversal /v1/secrets/openbao/..\\sys", "traversal /v1/secrets/openbao/secret/live/\uff0e\uff0e/config",
    "raw byte b'\\x01' in path", "raw byte b'\\x01' in query", "raw byte b'\\x7f' in path",
    "raw byte b'\\x7f' in query", "raw byte b'\\x1b[31m' in path", "raw byte b'\\x1b[31m' in query",
    "raw byte b'\\\\' in path", "raw byte b'\\\\' in query", "request id b'abc\\x01def'", "request id b'abc\\x7f'",
    "header with NUL", "header name with space", "authorization control char", "two content-lengths",
    "content-length not a number",
}

SQL = ["' OR '1'='1", "1; drop table audit_event; --", "%", "_", "\\", "*", "**", "\"", "$$", "'||pg_sleep(3)||'",
       "1 union select * from api_token", "x' --"]
AUDIT_FILTERS = ["from", "to", "subject", "path", "operation", "outcome", "backend", "lease_id", "request_id", "after",
                 "limit"]
CONTROL = ["%00", "%01", "%0a", "%0d%0a", "%1b%5b31m", "%7f", "%c2%85", "%e2%80%a8"]


def q(value):
    """Percent-encodes everything but unreserved characters, so the value arrives exactly as written."""
    return "".join(c if re.match(r"[A-Za-z0-9_.~-]", c) else "".join(f"%{b:02X}" for b in c.encode("utf-8"))
                   for c in value)


def cases(t):
    tok = t.token
    out = []

    def v1(name, method, path, **kw):
        out.append(("v1", name, method, path, kw))

    def edge(name, method, path, **kw):
        out.append(("q", name, method, path, kw))

    # Encoded traversal and separators.
    for path in [
        "/v1/secrets/openbao/secret/%2e%2e/sys/raw", "/v1/secrets/openbao/secret/%252e%252e/sys",
        "/v1/secrets/openbao/secret/..%2fsys", "/v1/secrets/openbao/secret/%c0%ae%c0%ae/sys",
        "/v1/secrets/openbao/secret/live/..;/config", "/v1/secrets/openbao/..\\sys", "/v1/./secrets/openbao/secret/live/config",
        "/v1/secrets/openbao/secret/live/config/..", "//v1/secrets/openbao/secret/live/config",
        "/v1/secrets/openbao/secret%2flive%2fconfig", "/v1/secrets/openbao/secret/live/config%00",
        "/v1/secrets/openbao/secret/live/\uff0e\uff0e/config", "/v1/secrets/open%62ao/secret/live/config",
        "/v1/secrets/openbao/secret/live/config;x=1", "/v1/secrets/openbao;x=1/secret/live/config",
        "/v1/secrets/openbao/secret/live/config?version=1;x=2", "/v1/secrets/openbao/secret/live/config#frag",
        "/q/%2e%2e/v1/secrets/openbao/secret/live/config", "/q/../v1/secrets/openbao/secret/live/config",
        "/q/health/%2e%2e/%2e%2e/v1/secrets/openbao/secret/live/config",
        "/v1/secrets/" + "a" * 65 + "/x", "/v1/secrets/bad%20name/x", "/v1/secrets/bad!name/x",
        "/v1/secrets/openbao/" + "a/" * 300 + "x",
        "/v1/secrets/openbao/secret/live/config?version=-1", "/v1/secrets/openbao/secret/live/config?version=banana",
        "/v1/secrets/openbao/secret/live/config?version=99999999999999999999",
        "/v1/secrets/openbao/secret/live/config?version=%00",
        "/v1/secrets/openbao/secret/live/config?version=1&version=2",
    ]:
        v1("traversal " + path, "GET", path, token=tok)
    v1("absolute-form target", "GET", f"http://{t.host}:{t.port}{SECRET}", token=tok)
    v1("absolute-form target, other host", "GET", f"http://evil.example{SECRET}", token=tok)

    # Raw control and non-ASCII bytes in the path, the query and recorded headers.
    for raw in [b"\x01", b"\x7f", b"\x1b[31m", b"\t", "\u00e9".encode("utf-8"), b"\xff\xfe", b"\\"]:
        v1(f"raw byte {raw!r} in path", "GET", SECRET.encode() + raw, token=tok)
        v1(f"raw byte {raw!r} in query", "GET", SECRET.encode() + b"?version=" + raw, token=tok)
    for ctl in CONTROL:
        v1(f"control {ctl} in version", "GET", SECRET + "?version=" + ctl, token=tok)
        v1(f"control {ctl} in backend", "GET", "/v1/secrets/open" + ctl + "bao/secret/live/config", token=tok)
        for name in ["subject", "path", "operation", "outcome", "backend", "lease_id", "request_id"]:
            v1(f"control {ctl} in audit filter {name}", "GET", f"/v1/audit/events?{name}=a{ctl}", token=tok)
        v1(f"control {ctl} in export subject", "GET", f"/v1/audit/export?subject=a{ctl}", token=tok)
        v1(f"control {ctl} in holders path", "GET", f"/v1/audit/holders?path=openbao/a{ctl}&from=2026-01-01T00:00:00Z",
           token=tok)
        v1(f"control {ctl} in holders lease", "GET",
           f"/v1/audit/holders?path=openbao/secret/live/config&from=2026-01-01T00:00:00Z&lease_id=a{ctl}", token=tok)
    for value in [b"abc\x01def", b"abc\x7f", "\u00e9t\u00e9".encode("utf-8"), b"x" * 65, b"a b", b""]:
        v1(f"request id {value!r}", "GET", SECRET, token=tok, headers=[("X-Request-Id", value)], request_id=False)
    v1("obs-fold header", "GET", SECRET, token=tok, headers=[("X-Other", b"a\r\n continued")])
    v1("header with NUL", "GET", SECRET, token=tok, headers=[("X-Other", b"a\x00b")])
    v1("header name with space", "GET", SECRET, token=tok, headers=[(b"X Bad", b"1")])

    # Huge headers, URIs and bodies.
    v1("20 KiB header", "GET", SECRET, token=tok, headers=[("X-Big", "a" * 20_000)])
    v1("200 headers", "GET", SECRET, token=tok, headers=[(f"X-H{i}", "v" * 100) for i in range(200)])
    v1("10 KiB URI", "GET", SECRET + "?version=" + "1" * 10_000, token=tok)
    v1("20 KiB URI", "GET", "/v1/secrets/openbao/" + "a" * 20_000, token=tok)
    v1("10 KiB bearer", "GET", SECRET, token="a" * 10_000)
    big = json.dumps({"lease_id": "x" * 17_000})
    v1("17 KiB body", "POST", "/v1/leases/revoke", token=tok, headers=[("Content-Type", "application/json")], body=big)
    v1("1 MiB body", "POST", "/v1/leases/renew", token=tok, headers=[("Content-Type", "application/json")],
       body=json.dumps({"lease_id": "x" * 1_048_576}))
    v1("17 KiB chunked body", "POST", "/v1/leases/revoke", token=tok,
       headers=[("Content-Type", "application/json"), ("Transfer-Encoding", "chunked")],
       body=chunked(big.encode(), 4096))
    v1("17 KiB body, unauthenticated", "POST", "/v1/leases/revoke",
       headers=[("Content-Type", "application/json")], body=big)

    # Deep and odd JSON, and bodies of the wrong shape.
    for name, body in [
        ("deep arrays", "[" * 5000 + "]" * 5000), ("deep objects", '{"a":' * 3000 + "1" + "}" * 3000),
        ("deep lease id", '{"lease_id":' + "[" * 2000 + "]" * 2000 + "}"),
        ("array", "[1,2,3]"), ("string", '"lease"'), ("number", "42"), ("null", "null"), ("empty", ""),
        ("true", "true"), ("lease id number", '{"lease_id": 123}'), ("lease id array", '{"lease_id": ["a"]}'),
        ("lease id object", '{"lease_id": {"a": 1}}'), ("increment text", '{"lease_id": "x", "increment": "abc"}'),
        ("increment huge", '{"lease_id": "x", "increment": 1e400}'),
        ("increment bignum", '{"lease_id": "x", "increment": 99999999999999999999999}'),
        ("increment fraction", '{"lease_id": "x", "increment": 1.5}'),
        ("duplicate increment", '{"lease_id": "x", "increment": 1, "increment": -5}'),
        ("duplicate lease id", '{"lease_id": "a", "lease_id": "b"}'),
        ("trailing garbage", '{"lease_id": "x"} {"lease_id": "y"}'), ("comment", '{"lease_id": "x" /* c */}'),
        ("single quotes", "{'lease_id': 'x'}"), ("NaN", '{"lease_id": "x", "increment": NaN}'),
        ("NUL in lease id", '{"lease_id": "a\\u0000b"}'), ("raw NUL", '{"lease_id": "a\x00b"}'),
        ("invalid UTF-8", b'{"lease_id": "\xff\xfe"}'), ("BOM", "\ufeff" + '{"lease_id": "x"}'),
        ("unknown field", '{"lease_id": "x", "surprise": true}'), ("long key", '{"' + "k" * 10_000 + '": 1}'),
        ("long number", '{"lease_id": "x", "increment": ' + "9" * 10_000 + "}"),
    ]:
        for route in ["/v1/leases/renew", "/v1/leases/revoke"]:
            v1(f"body {name} to {route}", "POST", route, token=tok, headers=[("Content-Type", "application/json")],
               body=body)

    # Wrong content types.
    for ctype in ["text/plain", "application/xml", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
                  "application/json; charset=utf-16", "application/json; charset=nonsense", "*/*", "", "json"]:
        v1(f"content type {ctype!r}", "POST", "/v1/leases/renew", token=tok, headers=[("Content-Type", ctype)],
           body='{"lease_id": "x"}')
    v1("no content type", "POST", "/v1/leases/revoke", token=tok, body='{"lease_id": "x"}')
    v1("body on a GET", "GET", SECRET, token=tok, headers=[("Content-Type", "application/json")], body='{"a":1}')
    v1("body on issue", "POST", CREDS, token=tok, headers=[("Content-Type", "text/plain")], body="hello")
    v1("odd accept", "GET", SECRET, token=tok, headers=[("Accept", "application/xml")])

    # Duplicate and odd Authorization headers.
    for name, headers in [
        ("two valid", [("Authorization", "Bearer " + tok), ("Authorization", "Bearer " + tok)]),
        ("valid then bogus", [("Authorization", "Bearer " + tok), ("Authorization", "Bearer bogus")]),
        ("bogus then valid", [("Authorization", "Bearer bogus"), ("Authorization", "Bearer " + tok)]),
        ("comma joined", [("Authorization", "Bearer " + tok + ", Bearer bogus")]),
        ("lower-case scheme", [("Authorization", "bearer " + tok)]), ("no token", [("Authorization", "Bearer")]),
        ("two spaces", [("Authorization", "Bearer  " + tok)]), ("trailing junk", [("Authorization", "Bearer " + tok + " x")]),
        ("basic", [("Authorization", "Basic dXNlcjpwYXNz")]), ("empty", [("Authorization", "")]),
        ("control char", [("Authorization", b"Bearer \x01" + tok.encode())]),
        ("non-ASCII", [("Authorization", "Bearer \u00e9" + tok)]),
        ("JWT none", [("Authorization", "Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.")]),
        ("SQL", [("Authorization", "Bearer ' OR '1'='1")]),
        ("token id with SQL", [("Authorization", "Bearer lnt_x' or '1'='1.secret")]),
        ("other caller", [("Authorization", "Bearer " + t.other_token)]),
    ]:
        v1(f"authorization {name}", "GET", SECRET, headers=headers)

    # SQL metacharacters in every query parameter.
    for value in SQL:
        enc = q(value)
        for name in AUDIT_FILTERS:
            v1(f"sql {value!r} in events {name}", "GET", f"/v1/audit/events?{name}={enc}", token=tok)
        v1(f"sql {value!r} in export subject", "GET", f"/v1/audit/export?subject={enc}&path={enc}&lease_id={enc}"
           f"&request_id={enc}&backend={enc}", token=tok)
        for name in ["path", "from", "to", "version", "lease_id"]:
            params = {"path": "openbao/secret/live/config", "from": "2026-01-01T00:00:00Z"}
            params[name] = value
            v1(f"sql {value!r} in holders {name}", "GET",
               "/v1/audit/holders?" + "&".join(f"{k}={q(v)}" for k, v in params.items()), token=tok)
        v1(f"sql {value!r} in verify", "POST", f"/v1/audit/verify?from_seq={enc}&to_seq={enc}", token=tok)
        v1(f"sql {value!r} in version", "GET", f"{SECRET}?version={enc}", token=tok)

    # Instants far outside any useful range.
    for value in ["+1000000000-01-01T00:00:00Z", "-999999999-01-01T00:00:00Z", "+999999999-12-31T23:59:59.999999999Z",
                  "10000-01-01T00:00:00Z", "0000-01-01T00:00:00Z", "2026-13-45T25:61:61Z", "2026-01-01", "now",
                  "1e30", "2026-01-01T00:00:00+25:00"]:
        enc = q(value)
        v1(f"instant {value} in events", "GET", f"/v1/audit/events?from={enc}&to={enc}", token=tok)
        v1(f"instant {value} in export", "GET", f"/v1/audit/export?from={enc}", token=tok)
        v1(f"instant {value} in holders", "GET", f"/v1/audit/holders?path=openbao/secret/live/config&from={enc}&to={enc}",
           token=tok)
    for value in ["-1", "0", "9223372036854775807", "9223372036854775808", "1e3", ""]:
        v1(f"number {value!r} in after/limit", "GET", f"/v1/audit/events?after={q(value)}&limit={q(value)}", token=tok)
        v1(f"number {value!r} in verify", "POST", f"/v1/audit/verify?from_seq={q(value)}&to_seq={q(value)}", token=tok)

    # Malformed chunked bodies.
    jh = [("Content-Type", "application/json"), ("Transfer-Encoding", "chunked")]
    for name, body in [
        ("size not hex", b"zz\r\n{}\r\n0\r\n\r\n"), ("negative size", b"-1\r\n{}\r\n0\r\n\r\n"),
        ("huge size", b"ffffffffffffffffffff\r\n{}\r\n0\r\n\r\n"), ("size too small", b"1\r\n{\"lease_id\":\"x\"}\r\n0\r\n\r\n"),
        ("no CRLF after data", b"2\r\n{}0\r\n\r\n"), ("bad extension", b"2;\x01=\x02\r\n{}\r\n0\r\n\r\n"),
        ("connection closed before the last chunk", b"10\r\n{\"lease_id\":"),
    ]:
        v1(f"chunked: {name}", "POST", "/v1/leases/renew", token=tok, headers=jh, body=body)
    v1("chunked: empty body", "POST", "/v1/leases/renew", token=tok, headers=jh, body=b"0\r\n\r\n")
    v1("content-length 0 to renew", "POST", "/v1/leases/renew", token=tok,
       headers=[("Content-Type", "application/json"), ("Content-Length", "0")])
    v1("content-length 0 without type", "POST", "/v1/leases/revoke", token=tok, headers=[("Content-Length", "0")])
    v1("content-length and chunked", "POST", "/v1/leases/renew", token=tok,
       headers=[("Content-Type", "application/json"), ("Content-Length", "4"), ("Transfer-Encoding", "chunked")],
       body=b"2\r\n{}\r\n0\r\n\r\n")
    v1("two content-lengths", "POST", "/v1/leases/renew", token=tok,
       headers=[("Content-Type", "application/json"), ("Content-Length", "2"), ("Content-Length", "3")], body=b"{} ")
    v1("transfer-encoding gzip", "POST", "/v1/leases/renew", token=tok,
       headers=[("Content-Type", "application/json"), ("Transfer-Encoding", "gzip")], body=b"{}")
    v1("transfer-encoding twice", "POST", "/v1/leases/renew", token=tok,
       headers=[("Content-Type", "application/json"), ("Transfer-Encoding", "chunked"), ("Transfer-Encoding", "chunked")],
       body=b"2\r\n{}\r\n0\r\n\r\n")
    v1("content-length not a number", "POST", "/v1/leases/renew", token=tok,
       headers=[("Content-Type", "application/json"), ("Content-Length", "abc")], body=b"{}")
    v1("content-encoding gzip garbage", "POST", "/v1/leases/renew", token=tok,
       headers=[("Content-Type", "application/json"), ("Content-Encoding", "gzip")], body=b"not gzip at all")

    # Odd methods and request lines.
    for method in ["TRACE", "PUT", "DELETE", "PATCH", "FOO", "OPTIONS", "HEAD", "PROPFIND", "CONNECT"]:
        v1(f"method {method} on secrets", method, SECRET, token=tok)
        v1(f"method {method} on renew", method, "/v1/leases/renew", token=tok)
        v1(f"method {method} unauthenticated", method, SECRET)
        for path in ["/q/health", "/q/health/ready", "/q/metrics", "/q/openapi", "/q/nothing"]:
            edge(f"method {method} on {path}", method, path)
    v1("method GET on renew", "GET", "/v1/leases/renew", token=tok)
    v1("OPTIONS preflight", "OPTIONS", SECRET, token=tok,
       headers=[("Origin", "http://evil.example"), ("Access-Control-Request-Method", "GET")])
    v1("no Host header", "GET", SECRET, token=tok, host=False)
    v1("two Host headers", "GET", SECRET, token=tok, headers=[("Host", "other.example")])
    v1("HTTP/1.0 without Host", "GET", SECRET, token=tok, host=False, version="HTTP/1.0")
    v1("HTTP/9.9", "GET", SECRET, token=tok, version="HTTP/9.9")
    v1("lower-case method", "get", SECRET, token=tok)
    v1("bad If-Modified-Since", "GET", SECRET, token=tok, headers=[("If-Modified-Since", "yesterday at noon")])
    v1("bad Date", "GET", SECRET, token=tok, headers=[("Date", "not a date")])
    edge("bad If-Modified-Since on /q/openapi", "GET", "/q/openapi", headers=[("If-Modified-Since", "not a date")])
    edge("no Host header on /q/health", "GET", "/q/health", host=False)
    v1("unknown route", "GET", "/v1/nothing/here", token=tok)
    v1("unknown route, unauthenticated", "GET", "/v1/nothing/here")
    v1("revoke an unknown lease", "POST", "/v1/leases/revoke", token=tok, headers=[("Content-Type", "application/json")],
       body='{"lease_id": "database/creds/app/nope"}')
    return out


def chunked(data, size):
    out = b""
    for i in range(0, len(data), size):
        piece = data[i:i + size]
        out += f"{len(piece):x}\r\n".encode() + piece + b"\r\n"
    return out + b"0\r\n\r\n"


def run(t):
    sent = []
    for kind, name, method, path, kw in cases(t):
        rid = None
        if kw.pop("request_id", True) is not False:
            rid = "hostile-" + uuid.uuid4().hex
        raw = request(t, method, path, request_id=rid, **kw)
        try:
            response = send(t, raw, half_close=name in ANSWERLESS)
        except OSError as e:
            response = None
            if name not in ANSWERLESS:
                t.find("no-answer", f"{name}: {type(e).__name__}")
            continue
        sent.append((kind, name, method, rid, response))
        if response is None:
            if name not in ANSWERLESS:
                t.find("no-answer", f"{name}: connection closed without a response")
            continue
        if response.status >= 500 or response.status < 100:
            t.find("5xx", f"{name}: {response.status} {response.body[:200]!r}")
        decoder_refusal = response.status == 400 and not response.body and response.header("x-request-id") is None
        if name in DECODER:
            if not decoder_refusal:
                t.find("decoder", f"{name}: listed as refused by the HTTP decoder, but answered {response.status} "
                                  f"{response.media_type()}: update DECODER and SECURITY.md")
            continue
        if decoder_refusal:
            t.find("decoder", f"{name}: a bare 400 that never reached Lanyard (not in the documented list)")
        if kind == "q" and method not in ("GET", "HEAD") and response.status != 405:
            t.find("q-method", f"{name}: {response.status}, expected 405")
        if kind == "v1" and response.status >= 400 and response.media_type() != "application/problem+json":
            t.find("problem+json", f"{name}: {response.status} {response.media_type() or 'no content type'}")
        if kind == "v1" and response.status >= 400 and response.media_type() == "application/problem+json" \
                and method != "HEAD":
            try:
                problem = response.json()
            except ValueError:
                t.find("problem+json", f"{name}: body is not JSON: {response.body[:200]!r}")
                continue
            if not re.fullmatch(r"[A-Z][A-Z0-9_]+", str(problem.get("code"))) or problem.get("status") != response.status:
                t.find("problem+json", f"{name}: problem body {problem}")
            if re.search(r"Exception|\bat [a-z]+\.|\.java:", response.body.decode("utf-8", "replace")):
                t.find("problem+json", f"{name}: internals in {response.body[:200]!r}")
    check_audit(t, sent)
    check_metrics(t)
    check_log(t)
    print(f"hostile: sent {len(sent)} requests")


def check_audit(t, sent):
    ids = set()
    for kind, name, method, rid, response in sent:
        if kind != "v1" or response is None or name in DECODER:
            continue
        answered = response.header("x-request-id")
        if answered is None:
            t.find("request-id", f"{name}: {response.status} without X-Request-Id")
        elif rid is not None and answered != rid:
            t.find("request-id", f"{name}: answered {answered} for {rid}")
        for i in (rid, answered):
            if i:
                ids.add(i)
    rows = audit_rows(t, ids)
    for kind, name, method, rid, response in sent:
        if kind != "v1" or response is None or name in DECODER:
            continue
        key = rid or response.header("x-request-id")
        statuses = rows.get(key, [])
        if len(statuses) != 1:
            t.find("audit", f"{name}: {len(statuses)} audit rows (sent {response.status}, recorded {statuses})")
        elif statuses[0] != response.status:
            t.find("audit", f"{name}: sent {response.status}, recorded {statuses[0]}")


# Labels Micrometer gives requests no route template matched (Lanyard's edge names them /UNMATCHED).
PLACEHOLDER_URIS = {"/UNMATCHED", "NOT_FOUND", "REDIRECTION", "root"}


def route_templates(t):
    """The API's route templates as its own OpenAPI document states them: the only uri labels allowed."""
    response = send(t, request(t, "GET", "/q/openapi?format=json", headers=[("Accept", "application/json")]))
    if response is None or response.status != 200:
        t.find("metrics", f"/q/openapi answered {response and response.status}")
        return set()
    return set(json.loads(response.body)["paths"])


def check_metrics(t):
    response = send(t, request(t, "GET", "/q/metrics"))
    if response is None or response.status != 200:
        t.find("metrics", f"/q/metrics answered {response and response.status}")
        return
    text = response.body.decode("utf-8", "replace")
    uris = set(re.findall(r'uri="((?:[^"\\]|\\.)*)"', text))
    allowed = route_templates(t) | PLACEHOLDER_URIS
    for uri in sorted(uris):
        if uri not in allowed:
            t.find("metrics", f"uri label {uri!r} is not a route template")


def check_log(t):
    if not t.log_file:
        return
    with open(t.log_file, encoding="utf-8", errors="replace") as f:
        lines = f.read().splitlines()
    bad = [(i, line) for i, line in enumerate(lines)
           if re.search(r"\bERROR\b", line) or re.match(r"\s+at [\w.$]+\(", line)]
    for i, line in bad[:20]:
        t.find("log", f"line {i + 1}: {line[:200]}")
    if len(bad) > 20:
        t.find("log", f"... and {len(bad) - 20} more ERROR or stack trace lines")


if __name__ == "__main__":
    target = Target.from_environment()
    run(target)
    finish(target, "hostile")
