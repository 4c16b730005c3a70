package dev.lanyard.audit.chain;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The format is specified well enough to re-implement: an independent Python implementation written from
 * docs/audit-chain.md (src/test/live/audit_chain.py, sharing no code with Lanyard) encodes every golden line byte for byte
 * as this code does, and reaches the same verdicts, including on the test vectors of the document.
 */
class CrossLanguageTest {

    private static final Path PYTHON_IMPLEMENTATION = Path.of("src/test/live/audit_chain.py");

    @Test
    void bothImplementationsEncodeEveryGoldenLineTheSame() throws Exception {
        for (String file : List.of("valid.jsonl", "pruned.jsonl", "rechained.jsonl", "sealed.jsonl", "forged-head.jsonl")) {
            Path export = GoldenAuditFilesTest.DIR.resolve(file);
            List<String> java = new ArrayList<>();
            for (String line : Files.readAllLines(export, StandardCharsets.UTF_8)) {
                java.add(HexFormat.of().formatHex(ChainedEvent.fromJsonLine(line).canonical()));
            }
            assertThat(python("canonical", export.toString()).lines().toList()).as(file).isEqualTo(java);
        }
    }

    @Test
    void theDocumentsTestVectorsEncodeTheSameInPython() throws Exception {
        Path vectors = Files.createTempFile("vectors", ".jsonl");
        Files.writeString(vectors, CanonicalFormTest.VECTOR.withHash(HexFormat.of().parseHex(CanonicalFormTest.VECTOR_HASH)).toJsonLine()
                + "\n" + CanonicalFormTest.SYSTEM_VECTOR.withHash(HexFormat.of().parseHex(CanonicalFormTest.SYSTEM_VECTOR_HASH))
                .toJsonLine() + "\n" + CanonicalFormTest.TOKEN_VECTOR.withHash(HexFormat.of().parseHex(
                        CanonicalFormTest.TOKEN_VECTOR_HASH)).toJsonLine() + "\n");
        assertThat(python("canonical", vectors.toString()).lines().toList())
                .containsExactly(CanonicalFormTest.VECTOR_CANONICAL, CanonicalFormTest.SYSTEM_VECTOR_CANONICAL,
                        CanonicalFormTest.TOKEN_VECTOR_CANONICAL);
    }

    @Test
    void bothImplementationsRefuseRowsNoWriterSealed() throws Exception {
        String key = GoldenAuditFilesTest.DIR.resolve("public-key.b64").toString();
        String checkpoints = GoldenAuditFilesTest.DIR.resolve("sealed-checkpoints.jsonl").toString();
        assertThat(python("verify", GoldenAuditFilesTest.DIR.resolve("sealed.jsonl").toString(), key, checkpoints))
                .isEqualTo("valid up to 20\n");
        for (String file : List.of("forged-head.jsonl", "chained-on-forged.jsonl", "bad-seal.jsonl", "legacy-after-sealed.jsonl")) {
            Path export = GoldenAuditFilesTest.DIR.resolve(file);
            ChainVerifier.Result java = OfflineVerifier.verify(new OfflineVerifier.ExportLines(Files.newBufferedReader(export)),
                    OfflineVerifier.readPublicKey(Path.of(key)), CheckpointFile.read(Path.of(checkpoints)),
                    ChainVerifier.Scope.WHOLE_LOG);
            assertThat(python("verify", export.toString(), key, checkpoints)).as(file).isEqualTo(java.summary() + "\n");
        }
    }

    @Test
    void bothImplementationsReachTheSameVerdicts() throws Exception {
        String key = GoldenAuditFilesTest.DIR.resolve("public-key.b64").toString();
        String checkpoints = GoldenAuditFilesTest.DIR.resolve("checkpoints.jsonl").toString();
        assertThat(python("verify", GoldenAuditFilesTest.DIR.resolve("valid.jsonl").toString(), key, checkpoints))
                .isEqualTo("valid up to 20\n");
        assertThat(python("verify", GoldenAuditFilesTest.DIR.resolve("changed-field.jsonl").toString(), key, checkpoints))
                .isEqualTo("broken at seq 7: hash mismatch\n");
        assertThat(python("verify", GoldenAuditFilesTest.DIR.resolve("rechained.jsonl").toString(), key, checkpoints))
                .isEqualTo("broken at seq 20: checkpoint at 20 does not match the log\n");
    }

    private static String python(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(python().toString(), PYTHON_IMPLEMENTATION.toString()));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return output;
    }

    /** The project's venv Python, which has the pinned cryptography package (scripts/peers.sh installs it). */
    private static Path python() {
        String venv = System.getenv().getOrDefault("LANYARD_VENV", ".cache/venv");
        Path python = Path.of(venv, "bin", "python");
        assertThat(python).as("the venv Python (scripts/peers.sh, lanyard_install_live_checks) is needed").isExecutable();
        return python;
    }
}
