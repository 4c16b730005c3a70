"""Canary scan: a known secret and every credential Lanyard hands out must appear nowhere but in their own 200s.

A canary value is stored in OpenBao's KV (by the harness) and fetched through every route that serves it; database
credentials are issued, renewed, revoked and asked about through the audit API, and every refusal along the way
is provoked with the real values in it. Afterwards the canary, every issued password and every lease id must
appear in no line of Lanyard's log, nowhere in /q/metrics, in no problem body and in no audit row.

Environment: as hostile.py, plus LANYARD_CANARY (the value) and LANYARD_CANARY_PATH (its KV path in 'openbao').
"""

import json
import os
import uuid

from lanyard_live import Target, finish, request, send

CREDS = "/v1/creds/openbao/database/creds/app"


def call(t, method, path, token=None, body=None, problems=None):
    headers = [("Content-Type", "application/json")] if body is not None else []
    raw = request(t, method, path, headers=headers, body=body if isinstance(body, str) else json.dumps(body) if body else b"",
                  token=token, request_id="canary-" + uuid.uuid4().hex)
    response = send(t, raw)
    if response is None:
        t.find("canary", f"{method} {path}: no response")
    elif response.status >= 400 and problems is not None:
        problems.append((f"{method} {path} -> {response.status}", response.body.decode("utf-8", "replace")
                         + json.dumps(response.headers)))
    return response


def run(t):
    canary = os.environ["LANYARD_CANARY"]
    secret = "/v1/secrets/openbao/" + os.environ["LANYARD_CANARY_PATH"]
    problems = []
    served = []

    for path in [secret, secret + "?version=1", secret + "?version=2"]:
        r = call(t, "GET", path, token=t.token, problems=problems)
        if r is not None and r.status == 200:
            served.append(r.body.decode())
    call(t, "HEAD", secret, token=t.token, problems=problems)
    if not any(canary in body for body in served):
        t.find("canary", "the canary was never served: the scan would prove nothing")
    call(t, "GET", secret, token=t.other_token, problems=problems)
    call(t, "GET", secret + "/missing", token=t.token, problems=problems)
    call(t, "POST", "/v1/creds/openbao/" + os.environ["LANYARD_CANARY_PATH"], token=t.token, problems=problems)

    passwords, leases = [], []

    def issue():
        r = call(t, "POST", CREDS, token=t.token, problems=problems)
        if r is None or r.status != 200:
            t.find("canary", f"issue answered {r and r.status}")
            return None
        grant = r.json()
        passwords.append(grant["data"]["password"])
        leases.append(grant["lease_id"])
        return grant["lease_id"]

    first = issue()
    if first:
        call(t, "POST", "/v1/leases/renew", token=t.token, body={"lease_id": first, "increment": 60}, problems=problems)
        call(t, "POST", "/v1/leases/renew", token=t.other_token, body={"lease_id": first}, problems=problems)
        call(t, "POST", "/v1/leases/revoke", token=t.other_token, body={"lease_id": first}, problems=problems)
        call(t, "POST", "/v1/leases/renew", token=t.token, body={"lease_id": first, "surprise": canary}, problems=problems)
        call(t, "POST", "/v1/leases/renew", token=t.token,
             body='{"lease_id": "%s", "lease_id": "%s"}' % (first, canary), problems=problems)
        call(t, "POST", "/v1/leases/renew", token=t.token, body={"lease_id": first, "increment": -1}, problems=problems)
        call(t, "POST", "/v1/leases/renew", token=t.token, body={"lease_id": first + "\u0000"}, problems=problems)
        for query in ["/v1/audit/events?lease_id=", "/v1/audit/export?lease_id=",
                      "/v1/audit/holders?path=openbao/database/creds/app&from=2000-01-01T00:00:00Z&lease_id="]:
            call(t, "GET", query + first, token=t.token, problems=problems)
        call(t, "GET", "/v1/audit/events?subject=" + canary, token=t.token, problems=problems)
        call(t, "GET", "/v1/audit/events?path=" + canary, token=t.token, problems=problems)
        call(t, "POST", "/v1/leases/revoke", token=t.token, body={"lease_id": first}, problems=problems)
        call(t, "POST", "/v1/leases/renew", token=t.token, body={"lease_id": first}, problems=problems)
        call(t, "POST", "/v1/leases/revoke", token=t.token, body={"lease_id": first}, problems=problems)
    issue()

    needles = {"canary": [canary]}
    needles["password"] = [p for p in passwords if p]
    needles["lease id"] = [lease for lease in leases if lease]

    def scan(where, text):
        for kind, values in needles.items():
            for value in values:
                if value in text:
                    t.find("leak", f"{kind} found in {where}")

    for where, body in problems:
        scan(f"problem body of {where}", body)
    metrics = send(t, request(t, "GET", "/q/metrics"))
    scan("/q/metrics", metrics.body.decode("utf-8", "replace") if metrics else "")
    db = t.database()
    try:
        rows = db.run("select row_to_json(e)::text from audit_event e")
    finally:
        db.close()
    for (row,) in rows:
        scan("an audit row", row)
    if t.log_file:
        with open(t.log_file, encoding="utf-8", errors="replace") as f:
            for number, line in enumerate(f, start=1):
                scan(f"log line {number}", line)
    print(f"canary: {len(problems)} problem bodies, {len(rows)} audit rows, {len(passwords)} passwords, "
          f"{len(leases)} lease ids scanned")


if __name__ == "__main__":
    target = Target.from_environment()
    run(target)
    finish(target, "canary")
