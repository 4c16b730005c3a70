"""Scans a container image's filesystem for secret material, PostgreSQL server binaries and the dev stack.

Reads the image's files as a tar stream (`podman export` of a created container, or `podman image save`'s
flattened rootfs) and looks into every file, and into every entry of every jar/zip inside it, recursively:

  * secret material: private keys (PEM blocks with a body), Lanyard API tokens, AWS access key ids, files
    named like key or token material, and the canaries given with --canary (values the check generated and
    put where a careless build would pick them up; none may appear in any file);
  * PostgreSQL: server binaries (postgres, initdb, pg_ctl), their packaged archives (the zonky
    embedded-postgres-binaries jars hold postgres-*.txz) and a PostgreSQL lib directory;
  * the dev stack: its classes (src/dev/java, package dev.lanyard.devstack, compiled with the tests only) and the
    libraries only it and the tests use (zonky embedded-postgres, Testcontainers).

Exits 1 and lists every finding when there is one. Usage:
    podman export <ctr> | python3 scan-image.py [--canary VALUE]... -
"""
import argparse
import io
import re
import sys
import tarfile
import zipfile

PRIVATE_KEY = re.compile(rb"-----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED )?PRIVATE KEY-----\r?\n[A-Za-z0-9+/=]{40,}")
LANYARD_TOKEN = re.compile(rb"lyt_[0-9a-f]{16}_[A-Za-z0-9_-]{43}")
AWS_ACCESS_KEY = re.compile(rb"(?<![A-Z0-9])(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Z0-9])")
# Names that hold key or token material in this project (the dev stack writes demo-token, *.key).
SECRET_NAME = re.compile(r"(^|/)(demo-token|[^/]*\.key|[^/]*\.token|id_rsa|id_ed25519|\.env|credentials)$")
# PostgreSQL server programs, zonky's packaged binaries, and Debian's layout.
POSTGRES_NAME = re.compile(
    r"(^|/)(postgres|initdb|pg_ctl|pg_basebackup)$"
    r"|(^|/)postgres-[^/]*\.txz$"
    r"|embedded-postgres-binaries"
    r"|(^|/)usr/lib/postgresql/")
# The dev stack's classes, wherever they are, and the test-scoped libraries it runs on.
DEV_STACK_NAME = re.compile(
    r"(^|/)dev/lanyard/devstack/[^/]+\.class$"
    r"|(^|/)(io\.zonky\.test\.|org\.testcontainers\.)[^/]*\.jar$")
# Private keys that libraries ship on purpose, in public, and never use to protect anything: Netty's OpenSSL
# probe key (io.netty.handler.ssl.OpenSsl and friends) and GnuTLS's FIPS self-test keys. Matched by where they
# are, so a key anywhere else, even the same one, is still a finding.
PUBLIC_PROBE_KEYS = re.compile(
    r"^opt/lanyard/lib/main/io\.netty\.netty-handler-[^/]*\.jar!/io/netty/handler/ssl/[A-Za-z]+\.class$"
    r"|^usr/lib/x86_64-linux-gnu/libgnutls\.so[.0-9]*$")
# Archives to open; nested jars inside jars count too (Spring-style fat jars, zonky's binaries).
ARCHIVE = re.compile(r"\.(jar|zip|war)$")
# Reading whole files above this size gains nothing: large binaries are checked by name only.
MAX_CONTENT = 64 * 1024 * 1024


class Scan:
    def __init__(self, canaries):
        self.canaries = [c.encode() for c in canaries if c]
        self.findings = []
        self.files = 0

    def name(self, path, own_name):
        """own_name is the entry's name inside its archive (the path itself outside any archive)."""
        if SECRET_NAME.search(own_name):
            self.findings.append(f"secret-like file name: {path}")
        if POSTGRES_NAME.search(own_name):
            self.findings.append(f"PostgreSQL binary or archive: {path}")
        if DEV_STACK_NAME.search(own_name):
            self.findings.append(f"dev-stack class or library: {path}")

    def content(self, path, data):
        self.files += 1
        # An archive is judged by its entries (a stored, uncompressed entry would otherwise be judged twice, and
        # without the entry's own name); one that does not open is read as plain bytes.
        if ARCHIVE.search(path) and self.archive(path, data):
            return
        for label, pattern in (("private key", PRIVATE_KEY), ("Lanyard API token", LANYARD_TOKEN),
                               ("AWS access key id", AWS_ACCESS_KEY)):
            if pattern.search(data) and not (pattern is PRIVATE_KEY and PUBLIC_PROBE_KEYS.search(path)):
                self.findings.append(f"{label} in {path}")
        for canary in self.canaries:
            if canary in data:
                self.findings.append(f"a canary value the check generated is in {path}")

    def archive(self, path, data):
        """Scans every entry; False when the data is not a readable archive."""
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                for entry in archive.infolist():
                    if entry.is_dir():
                        continue
                    inner = f"{path}!/{entry.filename}"
                    self.name(inner, entry.filename)
                    if entry.file_size <= MAX_CONTENT and not entry.filename.endswith(".txz"):
                        self.content(inner, archive.read(entry))
            return True
        except zipfile.BadZipFile:
            return False


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--canary", action="append", default=[])
    parser.add_argument("tar", help="'-' for standard input")
    args = parser.parse_args()
    scan = Scan(args.canary)
    stream = sys.stdin.buffer if args.tar == "-" else open(args.tar, "rb")
    with tarfile.open(fileobj=stream, mode="r|*") as tar:
        for member in tar:
            path = member.name.lstrip("./")
            scan.name(path, path)
            if member.isfile() and member.size <= MAX_CONTENT:
                scan.content(path, tar.extractfile(member).read())
    for finding in scan.findings:
        print(f"scan-image: {finding}")
    print(f"scan-image: {scan.files} files checked (jar entries included), {len(scan.findings)} findings")
    sys.exit(1 if scan.findings else 0)


if __name__ == "__main__":
    main()
