"""Proves scripts/scan-image.py finds what it looks for, in files and inside (nested) jars, and lets a clean
image through. Builds small image filesystems as tar streams in memory; no container engine needed.

    python3 test_scan_image.py
"""
import importlib.util
import io
import os
import tarfile
import unittest
import zipfile

_spec = importlib.util.spec_from_file_location(
    "scan_image", os.path.join(os.path.dirname(os.path.abspath(__file__)), "scan-image.py"))
scan_image = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(scan_image)

# Made-up values of the right shapes; none of them was ever a real key or token.
PEM = b"-----BEGIN PRIVATE KEY-----\n" + b"MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7" * 2 + b"\n-----END PRIVATE KEY-----\n"
TOKEN = b"lyt_0123456789abcdef_" + b"A" * 43
AWS_KEY = b"AKIA" + b"Z" * 16
CANARY = "lanyard-canary-0f0f0f0f"


def jar(entries):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def scan(files, canaries=()):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    buffer.seek(0)
    result = scan_image.Scan(list(canaries))
    with tarfile.open(fileobj=buffer, mode="r|*") as tar:
        for member in tar:
            result.name(member.name, member.name)
            if member.isfile():
                result.content(member.name, tar.extractfile(member).read())
    return result.findings


CLEAN = {
    "opt/lanyard/quarkus-run.jar": jar({"META-INF/MANIFEST.MF": b"Main-Class: x\n"}),
    "opt/java/lib/security/cacerts": b"public certificates only",
    "etc/passwd": b"lanyard:x:10001:10001::/nonexistent:/usr/sbin/nologin\n",
}


class ScanImageTest(unittest.TestCase):
    def test_a_clean_image_passes(self):
        self.assertEqual([], scan(CLEAN, [CANARY]))

    def test_a_private_key_in_a_file(self):
        self.assertIn("private key in opt/lanyard/config/tls.pem", scan({**CLEAN, "opt/lanyard/config/tls.pem": PEM}))

    def test_a_token_in_a_nested_jar(self):
        inner = jar({"application.properties": b"lanyard.auth.bootstrap-tokens.x=" + TOKEN})
        findings = scan({**CLEAN, "opt/lanyard/lib/main/app.jar": jar({"BOOT-INF/lib/inner.jar": inner})})
        self.assertIn("Lanyard API token in opt/lanyard/lib/main/app.jar!/BOOT-INF/lib/inner.jar!/application.properties",
                      findings)

    def test_an_aws_access_key_id(self):
        self.assertIn("AWS access key id in etc/environment", scan({**CLEAN, "etc/environment": b"KEY=" + AWS_KEY}))

    def test_a_canary_anywhere(self):
        findings = scan({**CLEAN, "opt/lanyard/.cache/x": CANARY.encode()}, [CANARY])
        self.assertIn("a canary value the check generated is in opt/lanyard/.cache/x", findings)

    def test_secret_like_file_names(self):
        findings = scan({**CLEAN, "opt/lanyard/.cache/dev/demo-token": b"x", "etc/lanyard/store.key": b"x"})
        self.assertIn("secret-like file name: opt/lanyard/.cache/dev/demo-token", findings)
        self.assertIn("secret-like file name: etc/lanyard/store.key", findings)

    def test_postgresql_binaries_and_archives(self):
        findings = scan({**CLEAN, "usr/lib/postgresql/15/bin/postgres": b"\x7fELF",
                         "opt/lanyard/lib/main/binaries.jar": jar({"postgres-linux-x86_64.txz": b"xz"})})
        self.assertIn("PostgreSQL binary or archive: usr/lib/postgresql/15/bin/postgres", findings)
        self.assertIn("PostgreSQL binary or archive: opt/lanyard/lib/main/binaries.jar!/postgres-linux-x86_64.txz", findings)

    def test_dev_stack_classes_and_libraries(self):
        findings = scan({**CLEAN,
                         "opt/lanyard/app/lanyard.jar": jar({"dev/lanyard/devstack/DevStackLauncher.class": b"\xca\xfe",
                                                            "dev/lanyard/rest/SecretResource.class": b"\xca\xfe"}),
                         "opt/lanyard/lib/main/io.zonky.test.embedded-postgres-2.2.2.jar": jar({"x": b"y"}),
                         "opt/lanyard/lib/main/org.testcontainers.testcontainers-2.0.5.jar": jar({"x": b"y"})})
        self.assertEqual(sorted([
            "dev-stack class or library: opt/lanyard/app/lanyard.jar!/dev/lanyard/devstack/DevStackLauncher.class",
            "dev-stack class or library: opt/lanyard/lib/main/io.zonky.test.embedded-postgres-2.2.2.jar",
            "dev-stack class or library: opt/lanyard/lib/main/org.testcontainers.testcontainers-2.0.5.jar"]),
            sorted(f for f in findings if f.startswith("dev-stack")))

    def test_a_library_probe_key_passes_only_where_the_library_keeps_it(self):
        netty = "opt/lanyard/lib/main/io.netty.netty-handler-4.1.130.Final.jar"
        self.assertEqual([], scan({**CLEAN, netty: jar({"io/netty/handler/ssl/OpenSsl.class": PEM})}))
        elsewhere = "opt/lanyard/lib/main/dev.lanyard.lanyard-1.0.jar"
        self.assertIn(f"private key in {elsewhere}!/dev/lanyard/Keys.class",
                      scan({**CLEAN, elsewhere: jar({"dev/lanyard/Keys.class": PEM})}))


if __name__ == "__main__":
    unittest.main(argv=["test_scan_image", "-v"])
