#!/usr/bin/env python3
"""An independent implementation of Lanyard's audit chain, formats 2 and 3 (docs/audit-chain.md), sharing no code with it.

    audit_chain.py canonical EXPORT              print each line's canonical encoding as hex, one per line
    audit_chain.py verify EXPORT PUBLIC_KEY CHECKPOINTS
                                                 recompute the chain from genesis, check every checkpoint's and every
                                                 writer seal's Ed25519 signature; print "valid up to N" or
                                                 "broken at seq N: why"

Written from the specification only, so that Lanyard's Java encoder and this one agreeing byte for byte on the test
vectors and the golden files shows the document is precise enough to re-implement.
"""
import base64
import hashlib
import json
import struct
import sys

LEGACY, CURRENT = 2, 3
GENESIS = bytes(32)
TEXT_FIELDS = {
    LEGACY: ["occurred_at", "request_id", "actor_kind", "subject", "operation", "target_kind",
             "backend", "path", "detail", "version", "lease_hmac", "outcome"],
    CURRENT: ["occurred_at", "request_id", "actor_kind", "subject", "credential_id", "operation", "target_kind",
              "backend", "path", "detail", "version", "lease_hmac", "outcome"],
}
TEXT_FIELDS_AFTER_STATUS = ["error_code", "client_address"]


def text(value):
    if value is None:
        return b"\xff\xff\xff\xff"
    data = value.encode("utf-8")
    return struct.pack(">I", len(data)) + data


def canonical(event):
    fmt = event["format"]
    if fmt not in TEXT_FIELDS:
        raise ValueError("format %r" % fmt)
    out = struct.pack(">h", fmt) + struct.pack(">q", event["seq"])
    for name in TEXT_FIELDS[fmt]:
        out += text(event[name])
    status = event["status"]
    out += b"\x00" if status is None else b"\x01" + struct.pack(">i", status)
    for name in TEXT_FIELDS_AFTER_STATUS:
        out += text(event[name])
    return out


def seal_message(first, last, hash_hex):
    return ("lanyard-audit-seal-v1\n%d\n%d\n%s" % (first, last, hash_hex)).encode("utf-8")


def events(path):
    with open(path, encoding="utf-8") as lines:
        for line in lines:
            if line.strip():
                yield json.loads(line)


def signed_by(key, signature_b64, message):
    try:
        key.verify(base64.b64decode(signature_b64), message)
        return True
    except Exception:
        return False


def unsealed(first, last):
    return ("seq %d carries" % first if first == last else "seq %d to %d carry" % (first, last)) \
        + " no writer seal: not written by Lanyard"


def verify(export, public_key_file, checkpoints_file):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    key = Ed25519PublicKey.from_public_bytes(base64.b64decode(open(public_key_file).read().strip()))
    signed = {}
    for line in open(checkpoints_file, encoding="utf-8"):
        if not line.strip():
            continue
        c = json.loads(line)
        message = "lanyard-audit-checkpoint-v1\n%d\n%s\n%s" % (c["seq"], c["hash"], c["signed_at"])
        if not signed_by(key, c["signature"], message.encode("utf-8")):
            return "broken at seq %d: checkpoint at %d: bad signature" % (c["seq"], c["seq"])
        signed[c["seq"]] = c["hash"]
    previous, expected = GENESIS, 1
    open_batch, sealed_seen = None, False
    for event in events(export):
        if event["seq"] != expected:
            return "broken at seq %d: expected seq %d, found %d" % (expected, expected, event["seq"])
        digest = hashlib.sha256(previous + canonical(event)).hexdigest()
        if digest != event["hash"]:
            return "broken at seq %d: hash mismatch" % expected
        if expected in signed and signed[expected] != digest:
            return "broken at seq %d: checkpoint at %d does not match the log" % (expected, expected)
        if event["format"] == LEGACY:
            if sealed_seen:
                return "broken at seq %d: a format 2 row after sealed rows: not written by Lanyard" % expected
        else:
            sealed_seen = True
            if open_batch is None:
                open_batch = expected
            seal = event["seal"]
            if seal is not None:
                if seal["first_seq"] > open_batch:
                    return "broken at seq %d: %s" % (open_batch, unsealed(open_batch, seal["first_seq"] - 1))
                if seal["first_seq"] != open_batch:
                    return "broken at seq %d: the writer seal at %d claims seq %d to %d, but its batch starts at %d" % (
                        open_batch, expected, seal["first_seq"], expected, open_batch)
                if not signed_by(key, seal["signature"], seal_message(seal["first_seq"], expected, digest)):
                    return "broken at seq %d: the writer seal at %d does not verify" % (open_batch, expected)
                open_batch = None
        previous, expected = bytes.fromhex(digest), expected + 1
    if open_batch is not None:
        return "broken at seq %d: %s" % (open_batch, unsealed(open_batch, expected - 1))
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
