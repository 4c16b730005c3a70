#!/usr/bin/env python3
"""An independent implementation of Lanyard's audit chain, format 2 (docs/audit-chain.md), sharing no code with it.

    audit_chain.py canonical EXPORT              print each line's canonical encoding as hex, one per line
    audit_chain.py verify EXPORT PUBLIC_KEY CHECKPOINTS
                                                 recompute the chain from genesis and check every checkpoint's
                                                 Ed25519 signature; print "valid up to N" or "broken at seq N: why"

Written from the specification only, so that Lanyard's Java encoder and this one agreeing byte for byte on the test
vectors and the golden files shows the document is precise enough to re-implement.
"""
import base64
import hashlib
import json
import struct
import sys

FORMAT = 2
GENESIS = bytes(32)
TEXT_FIELDS_BEFORE_STATUS = ["occurred_at", "request_id", "actor_kind", "subject", "operation", "target_kind",
                             "backend", "path", "detail", "version", "lease_hmac", "outcome"]
TEXT_FIELDS_AFTER_STATUS = ["error_code", "client_address"]


def text(value):
    if value is None:
        return b"\xff\xff\xff\xff"
    data = value.encode("utf-8")
    return struct.pack(">I", len(data)) + data


def canonical(event):
    if event["format"] != FORMAT:
        raise ValueError("format %r" % event["format"])
    out = struct.pack(">h", FORMAT) + struct.pack(">q", event["seq"])
    for name in TEXT_FIELDS_BEFORE_STATUS:
        out += text(event[name])
    status = event["status"]
    out += b"\x00" if status is None else b"\x01" + struct.pack(">i", status)
    for name in TEXT_FIELDS_AFTER_STATUS:
        out += text(event[name])
    return out


def events(path):
    with open(path, encoding="utf-8") as lines:
        for line in lines:
            if line.strip():
                yield json.loads(line)


def verify(export, public_key_file, checkpoints_file):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    key = Ed25519PublicKey.from_public_bytes(base64.b64decode(open(public_key_file).read().strip()))
    signed = {}
    for line in open(checkpoints_file, encoding="utf-8"):
        if not line.strip():
            continue
        c = json.loads(line)
        message = "lanyard-audit-checkpoint-v1\n%d\n%s\n%s" % (c["seq"], c["hash"], c["signed_at"])
        try:
            key.verify(base64.b64decode(c["signature"]), message.encode("utf-8"))
        except Exception:
            return "broken at seq %d: checkpoint at %d: bad signature" % (c["seq"], c["seq"])
        signed[c["seq"]] = c["hash"]
    previous, expected = GENESIS, 1
    for event in events(export):
        if event["seq"] != expected:
            return "broken at seq %d: expected seq %d, found %d" % (expected, expected, event["seq"])
        digest = hashlib.sha256(previous + canonical(event)).hexdigest()
        if digest != event["hash"]:
            return "broken at seq %d: hash mismatch" % expected
        if expected in signed and signed[expected] != digest:
            return "broken at seq %d: checkpoint at %d does not match the log" % (expected, expected)
        previous, expected = bytes.fromhex(digest), expected + 1
    return "valid up to %d" % (expected - 1)


def main(argv):
    if len(argv) == 2 and argv[0] == "canonical":
        for event in events(argv[1]):
            print(canonical(event).hex())
        return 0
    if len(argv) == 4 and argv[0] == "verify":
        result = verify(*argv[1:])
        print(result)
        return 0 if result.startswith("valid") else 1
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
