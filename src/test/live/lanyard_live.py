"""What the live checks share: a raw HTTP/1.1 client, the audit rows read straight from PostgreSQL, and findings.

Nothing here comes from Lanyard. Requests are written byte by byte on a socket, so nothing normalises, encodes or
refuses them on the way out, and responses are parsed just far enough to judge them.
"""

import json
import os
import socket
import sys
import time
from dataclasses import dataclass, field

import pg8000.native


@dataclass
class Response:
    status: int
    headers: dict  # lower-case name -> list of values
    body: bytes

    def header(self, name):
        values = self.headers.get(name.lower())
        return values[0] if values else None

    def media_type(self):
        value = self.header("content-type") or ""
        return value.split(";")[0].strip().lower()

    def json(self):
        return json.loads(self.body.decode("utf-8"))


@dataclass
class Target:
    host: str
    port: int
    token: str
    other_token: str
    db_port: int
    db_name: str
    log_file: str = None
    findings: list = field(default_factory=list)

    @staticmethod
    def from_environment():
        return Target(
            host="127.0.0.1",
            port=int(os.environ["LANYARD_PORT"]),
            token=read_file(os.environ["LANYARD_TOKEN_FILE"]),
            other_token=read_file(os.environ["LANYARD_OTHER_TOKEN_FILE"]),
            db_port=int(os.environ["LANYARD_DB_PORT"]),
            db_name=os.environ.get("LANYARD_DB_NAME", "lanyard"),
            log_file=os.environ.get("LANYARD_LOG_FILE"),
        )

    @property
    def base(self):
        return f"http://{self.host}:{self.port}"

    def find(self, check, what):
        self.findings.append(f"[{check}] {what}")

    def database(self):
        # The auditor with database access: the embedded PostgreSQL's superuser, whose password the test passes on.
        return pg8000.native.Connection("postgres", host=self.host, port=self.db_port, database=self.db_name,
                                        password=os.environ["LANYARD_DB_PASSWORD"])


def read_file(path):
    with open(path, encoding="utf-8") as f:
        return f.read().strip()


def send(target, raw, timeout=10.0, half_close=False):
    """Writes raw bytes and reads one response; None when the server closed without answering."""
    with socket.create_connection((target.host, target.port), timeout=timeout) as s:
        try:
            s.sendall(raw)
            if half_close:
                s.shutdown(socket.SHUT_WR)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server may refuse before reading everything; its answer is still there to read
        chunks = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                data = s.recv(65536)
            except ConnectionResetError:
                break
            except socket.timeout:
                break
            if not data:
                break
            chunks.append(data)
            if response_complete(b"".join(chunks)):
                break
    return parse(b"".join(chunks))


def response_complete(data):
    head, sep, rest = data.partition(b"\r\n\r\n")
    if not sep:
        return False
    headers = parse_headers(head)
    if "content-length" in headers:
        return len(rest) >= int(headers["content-length"][0])
    if "chunked" in ",".join(headers.get("transfer-encoding", [])).lower():
        return rest.endswith(b"0\r\n\r\n")
    return False


def parse_headers(head):
    headers = {}
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        headers.setdefault(name.decode("latin-1").strip().lower(), []).append(value.decode("latin-1").strip())
    return headers


def parse(data):
    if not data:
        return None
    head, _, rest = data.partition(b"\r\n\r\n")
    status_line = head.split(b"\r\n")[0].decode("latin-1")
    parts = status_line.split(" ")
    if len(parts) < 2 or not parts[1].isdigit():
        return Response(0, {}, data)
    headers = parse_headers(head)
    if "chunked" in ",".join(headers.get("transfer-encoding", [])).lower():
        body, rest2 = b"", rest
        while rest2:
            size_line, _, rest2 = rest2.partition(b"\r\n")
            try:
                size = int(size_line.split(b";")[0], 16)
            except ValueError:
                break
            if size == 0:
                break
            body += rest2[:size]
            rest2 = rest2[size + 2:]
        rest = body
    return Response(int(parts[1]), headers, rest)


def request(target, method, path, headers=None, body=b"", token=None, request_id=None, host=True,
            version="HTTP/1.1"):
    """Builds a request from parts. headers is a list of (name, value) pairs, kept as given (duplicates too)."""
    lines = [f"{method} ".encode() + (path if isinstance(path, bytes) else path.encode("utf-8")) + f" {version}".encode()]
    if host:
        lines.append(f"Host: {target.host}:{target.port}".encode())
    if token is not None:
        lines.append(b"Authorization: Bearer " + token.encode())
    if request_id is not None:
        lines.append(b"X-Request-Id: " + request_id.encode())
    for name, value in headers or []:
        lines.append((name if isinstance(name, bytes) else name.encode()) + b": "
                     + (value if isinstance(value, bytes) else value.encode("utf-8")))
    if isinstance(body, str):
        body = body.encode("utf-8")
    framed = {(n.decode("latin-1") if isinstance(n, bytes) else n).lower() for n, _ in headers or []}
    if body and not framed & {"content-length", "transfer-encoding"}:
        lines.append(f"Content-Length: {len(body)}".encode())
    lines.append(b"Connection: close")
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


def audit_rows(target, request_ids):
    """request id -> list of recorded statuses, read as a superuser straight from the table."""
    if not request_ids:
        return {}
    db = target.database()
    try:
        rows = db.run("select request_id, status from audit_event where request_id = any(:ids) order by seq",
                      ids=list(request_ids))
    finally:
        db.close()
    found = {rid: [] for rid in request_ids}
    for rid, status in rows:
        found[rid].append(status)
    return found


def finish(target, name):
    for finding in target.findings:
        print(finding)
    print(f"{name}: {len(target.findings)} finding(s)")
    sys.exit(1 if target.findings else 0)
