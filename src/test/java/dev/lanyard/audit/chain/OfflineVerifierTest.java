package dev.lanyard.audit.chain;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.bouncycastle.crypto.signers.Ed25519Signer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The offline verifier over the committed golden files (src/test/resources/audit, see its README). */
class OfflineVerifierTest {

    static final Path GOLDEN = Path.of("src/test/resources/audit");
    static final String KEY = GOLDEN.resolve("public-key.b64").toString();
    static final String CHECKPOINTS = GOLDEN.resolve("checkpoints.jsonl").toString();
    /** signed_at of the checkpoint at 20 in checkpoints.jsonl. */
    static final String SIGNED_AT_20 = "2026-11-23T11:19:58.891263Z";
    /** What a valid verdict adds about the golden files' rows, all of format 2 (written before writer seals). */
    static final String LEGACY_20 = "; up to seq 20 written before writer seals (format 2): chained, not sealed";

    @TempDir
    Path tmp;

    record Run(int exit, String out, String err) {
    }

    static Run run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit = OfflineVerifier.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    static String golden(String name) {
        return GOLDEN.resolve(name).toString();
    }

    @Test
    void theGoldenExportIsValid() {
        Run run = run(golden("valid.jsonl"), KEY, CHECKPOINTS);
        assertThat(run.out()).isEqualTo("valid up to 20, signed at " + SIGNED_AT_20 + LEGACY_20 + "\n");
        assertThat(run.exit()).isZero();
        assertThat(run.err()).isEmpty();
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            changed-field.jsonl  | broken at seq 7: hash mismatch
            deleted-row.jsonl    | broken at seq 8: sequence gap: expected 8, found 9
            inserted-row.jsonl   | broken at seq 9: hash mismatch
            reordered.jsonl      | broken at seq 12: out of order: expected 12, found 13
            rechained.jsonl      | broken at seq 20: checkpoint at 20 does not match the log
            """)
    void eachCorruptedExportFailsAtItsFirstBadSeq(String file, String summary) {
        Run run = run(golden(file), KEY, CHECKPOINTS);
        assertThat(run.out()).isEqualTo(summary + "\n");
        assertThat(run.exit()).isEqualTo(1);
    }

    @Test
    void aSealedExportIsValidAndSaysWhichRowsPredateSeals() {
        Run run = run(golden("sealed.jsonl"), KEY, golden("sealed-checkpoints.jsonl"));
        assertThat(run.out()).isEqualTo("valid up to 20, signed at " + SIGNED_AT_20
                + "; up to seq 10 written before writer seals (format 2): chained, not sealed\n");
        assertThat(run.exit()).isZero();
    }

    /** Rows nobody with the key wrote are refused however correct their hashes: each file's first such seq is named. */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            forged-head.jsonl         | broken at seq 21: seq 21 carries no writer seal: not written by Lanyard
            chained-on-forged.jsonl   | broken at seq 21: seq 21 carries no writer seal: not written by Lanyard
            bad-seal.jsonl            | broken at seq 15: the writer seal at 18 does not verify
            legacy-after-sealed.jsonl | broken at seq 21: a format 2 row after sealed rows: not written by Lanyard
            """)
    void rowsNoWriterSealedAreRefused(String file, String summary) {
        for (String scope : List.of("excerpt", "--whole-log")) {
            Run run = scope.equals("excerpt") ? run(golden(file), KEY, golden("sealed-checkpoints.jsonl"))
                    : run(scope, golden(file), KEY, golden("sealed-checkpoints.jsonl"));
            assertThat(run.out()).as(scope).isEqualTo(summary + "\n");
            assertThat(run.exit()).as(scope).isEqualTo(1);
        }
    }

    @Test
    void anExportIsCheckedForWhatItHoldsAndSaysWhatItDoesNotCover() {
        // An export taken before the newest checkpoint was signed: valid as far as it goes, and it says so.
        Run run = run(golden("truncated-tail.jsonl"), KEY, CHECKPOINTS);
        assertThat(run.out()).isEqualTo("valid up to 17, signed at 2026-11-23T11:19:43.521193Z up to seq 10;"
                + " not covered: seq 18 to 20 (checkpoint signed at " + SIGNED_AT_20 + ") are beyond these events"
                + "; up to seq 17 written before writer seals (format 2): chained, not sealed\n");
        assertThat(run.exit()).isZero();
    }

    @Test
    void claimedToBeTheWholeLogATruncatedExportFails() {
        Run run = run("--whole-log", golden("truncated-tail.jsonl"), KEY, CHECKPOINTS);
        assertThat(run.out()).isEqualTo("broken at seq 18: log ends at 17 but a checkpoint signed at " + SIGNED_AT_20
                + " covers 20\n");
        assertThat(run.exit()).isEqualTo(1);
    }

    @Test
    void aTornLastLineOfTheCheckpointFileIsSkipped() throws IOException {
        List<String> lines = checkpointLines();
        Path torn = Files.writeString(tmp.resolve("torn.jsonl"), lines.get(0) + "\n" + lines.get(1) + "\n"
                + lines.get(1).substring(0, 40));
        Run run = run(golden("valid.jsonl"), KEY, torn.toString());
        assertThat(run.out()).isEqualTo("valid up to 20, signed at " + SIGNED_AT_20 + LEGACY_20 + "\n");
        assertThat(run.exit()).isZero();

        Path tornInTheMiddle = Files.writeString(tmp.resolve("middle.jsonl"), lines.get(0).substring(0, 40) + "\n"
                + lines.get(1) + "\n");
        run = run(golden("valid.jsonl"), KEY, tornInTheMiddle.toString());
        assertThat(run.exit()).isEqualTo(2);
        assertThat(run.err()).contains("line 1");
    }

    @Test
    void theRechainedCopyIsInternallyConsistent() throws IOException {
        // Without checkpoints it passes: the checkpoint file is what catches it.
        Path none = Files.writeString(tmp.resolve("none.jsonl"), "");
        Run run = run(golden("rechained.jsonl"), KEY, none.toString());
        assertThat(run.out()).isEqualTo("valid up to 20, no signed checkpoint covers it" + LEGACY_20 + "\n");
        assertThat(run.exit()).isZero();
    }

    @Test
    void aPrunedExportVerifiesFromTheCheckpointAtItsAnchor() {
        Run run = run(golden("pruned.jsonl"), KEY, CHECKPOINTS);
        assertThat(run.out()).isEqualTo("valid up to 20, signed at " + SIGNED_AT_20 + LEGACY_20 + "\n");
        assertThat(run.exit()).isZero();
    }

    @Test
    void aPrunedExportWithoutItsAnchorCheckpointFails() throws IOException {
        Path onlyAt20 = Files.writeString(tmp.resolve("cp.jsonl"), checkpointLines().get(1) + "\n");
        Run run = run(golden("pruned.jsonl"), KEY, onlyAt20.toString());
        assertThat(run.out()).isEqualTo("broken at seq 11: no signed anchor for the first exported event"
                + " (no validly signed checkpoint at 10)\n");
        assertThat(run.exit()).isEqualTo(1);
    }

    @Test
    void aPrunedExportWithAForgedAnchorFails() throws IOException {
        List<String> lines = checkpointLines();
        Path forged = Files.writeString(tmp.resolve("cp.jsonl"), forgeSignature(lines.get(0)) + "\n" + lines.get(1));
        Run run = run(golden("pruned.jsonl"), KEY, forged.toString());
        assertThat(run.out()).startsWith("broken at seq 11: no signed anchor for the first exported event");
        assertThat(run.exit()).isEqualTo(1);
    }

    @Test
    void aForgedCheckpointSignatureFails() throws IOException {
        List<String> lines = checkpointLines();
        Path forged = Files.writeString(tmp.resolve("cp.jsonl"), lines.get(0) + "\n" + forgeSignature(lines.get(1)));
        Run run = run(golden("valid.jsonl"), KEY, forged.toString());
        assertThat(run.out()).isEqualTo("broken at seq 20: checkpoint at 20: bad signature\n");
        assertThat(run.exit()).isEqualTo(1);
    }

    @Test
    void aCheckpointRewrittenForTheTruncatedLogFails() throws IOException {
        // The attacker cut the tail and moves the newest checkpoint back to 17 with 17's hash: the signature breaks.
        List<String> lines = checkpointLines();
        String line17 = lines.get(1).replace("\"seq\":20", "\"seq\":17").replaceFirst("\"hash\":\"[0-9a-f]{64}\"",
                "\"hash\":\"" + hashOfLine(golden("valid.jsonl"), 17) + "\"");
        Path moved = Files.writeString(tmp.resolve("cp.jsonl"), lines.get(0) + "\n" + line17 + "\n");
        Run run = run(golden("truncated-tail.jsonl"), KEY, moved.toString());
        assertThat(run.out()).isEqualTo("broken at seq 17: checkpoint at 17: bad signature\n");
        assertThat(run.exit()).isEqualTo(1);
    }

    @Test
    void anotherPublicKeyRejectsEveryCheckpoint() throws IOException {
        CheckpointSigner other = CheckpointSigner.fromBase64Seed(CheckpointSigner.generateSeed());
        Path key = Files.writeString(tmp.resolve("other.b64"),
                java.util.Base64.getEncoder().encodeToString(other.publicKey()));
        Run run = run(golden("valid.jsonl"), key.toString(), CHECKPOINTS);
        assertThat(run.out()).startsWith("broken at seq 10: checkpoint at 10: bad signature (its key id is 56475aa75463474c");
        assertThat(run.exit()).isEqualTo(1);
    }

    @Test
    void aMalformedExportLineIsABreakAtItsSeq() throws IOException {
        List<String> lines = Files.readAllLines(Path.of(golden("valid.jsonl")));
        lines.set(4, lines.get(4).replace("\"status\":200", "\"status\":\"200\""));
        Path export = Files.write(tmp.resolve("export.jsonl"), lines);
        Run run = run(export.toString(), KEY, CHECKPOINTS);
        assertThat(run.out()).isEqualTo("broken at seq 5: malformed export line 5: \"status\" is not a 32-bit integer\n");
        assertThat(run.exit()).isEqualTo(1);
    }

    @Test
    void crlfLineEndsAndBlankLinesAreTolerated() throws IOException {
        List<String> lines = Files.readAllLines(Path.of(golden("valid.jsonl")));
        Path export = Files.writeString(tmp.resolve("export.jsonl"), String.join("\r\n", lines) + "\r\n\r\n");
        Path key = Files.writeString(tmp.resolve("key.b64"), "  " + Files.readString(Path.of(KEY)).strip() + "\r\n");
        Run run = run(export.toString(), key.toString(), CHECKPOINTS);
        assertThat(run.out()).isEqualTo("valid up to 20, signed at " + SIGNED_AT_20 + LEGACY_20 + "\n");
        assertThat(run.exit()).isZero();
    }

    @Test
    void anEmptyExportIsCaughtByTheCheckpoints() throws IOException {
        Path empty = Files.writeString(tmp.resolve("empty.jsonl"), "");
        Run run = run("--whole-log", empty.toString(), KEY, CHECKPOINTS);
        assertThat(run.out()).isEqualTo("broken at seq 1: log ends at 0 but a checkpoint signed at " + SIGNED_AT_20
                + " covers 20\n");
        assertThat(run.exit()).isEqualTo(1);
    }

    @Test
    void wrongUsageExitsTwo() {
        Run run = run(golden("valid.jsonl"), KEY);
        assertThat(run.exit()).isEqualTo(2);
        assertThat(run.err()).startsWith("usage: audit-verify");
        assertThat(run.out()).isEmpty();
    }

    @Test
    void unreadableInputsExitTwo() throws IOException {
        String missing = tmp.resolve("missing.jsonl").toString();
        assertThat(run(missing, KEY, CHECKPOINTS).exit()).isEqualTo(2);
        assertThat(run(missing, KEY, CHECKPOINTS).err()).contains("no such file");
        assertThat(run(golden("valid.jsonl"), missing, CHECKPOINTS).exit()).isEqualTo(2);
        assertThat(run(golden("valid.jsonl"), KEY, missing).exit()).isEqualTo(2);

        Path notBase64 = Files.writeString(tmp.resolve("key1"), "not a key!");
        assertThat(run(golden("valid.jsonl"), notBase64.toString(), CHECKPOINTS).exit()).isEqualTo(2);
        Path shortKey = Files.writeString(tmp.resolve("key2"), java.util.Base64.getEncoder().encodeToString(new byte[31]));
        Run run = run(golden("valid.jsonl"), shortKey.toString(), CHECKPOINTS);
        assertThat(run.exit()).isEqualTo(2);
        assertThat(run.err()).contains("holds 31 bytes");

        Path badCheckpoints = Files.writeString(tmp.resolve("cp.jsonl"), checkpointLines().get(0) + "\n{\"seq\":20}\n");
        run = run(golden("valid.jsonl"), KEY, badCheckpoints.toString());
        assertThat(run.exit()).isEqualTo(2);
        assertThat(run.err()).contains("line 2").contains("missing \"hash\"");
        assertThat(run.out()).isEmpty();

        Path notUtf8 = Files.write(tmp.resolve("latin1.jsonl"), new byte[] {'{', (byte) 0xE9, '}', '\n'});
        assertThat(run(notUtf8.toString(), KEY, CHECKPOINTS).exit()).isEqualTo(2);
    }

    @Test
    void theChainFormatDependsOnNothingButJavaJacksonAndBouncyCastle() {
        JavaClasses main = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("dev.lanyard");
        classes().that().resideInAPackage("dev.lanyard.audit.chain..").should().onlyDependOnClassesThat(
                        JavaClass.Predicates.resideInAnyPackage("java..", "com.fasterxml.jackson..", "org.bouncycastle..",
                                "dev.lanyard.audit.chain.."))
                .check(main);
    }

    @Test
    void itRunsInAPlainJvmWithOnlyTheChainPackageJacksonAndBouncyCastle() throws Exception {
        // Only the chain package's classes, copied out of the build: nothing else of Lanyard is on the class path.
        Path classes = Path.of(locationOf(OfflineVerifier.class));
        Path chainOnly = tmp.resolve("chain-only");
        Path packageDir = Path.of("dev", "lanyard", "audit", "chain");
        Files.createDirectories(chainOnly.resolve(packageDir));
        try (var entries = Files.list(classes.resolve(packageDir))) {
            for (Path file : entries.filter(f -> f.toString().endsWith(".class")).toList()) {
                Files.copy(file, chainOnly.resolve(packageDir).resolve(file.getFileName()));
            }
        }
        String classPath = String.join(File.pathSeparator, chainOnly.toString(),
                locationOf(ObjectMapper.class), locationOf(JsonParser.class), locationOf(JsonProperty.class),
                locationOf(Ed25519Signer.class));
        assertThat(classPath).doesNotContain("quarkus");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();

        Process valid = new ProcessBuilder(java, "-cp", classPath, OfflineVerifier.class.getName(),
                golden("valid.jsonl"), KEY, CHECKPOINTS).redirectErrorStream(true).start();
        assertThat(valid.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(new String(valid.getInputStream().readAllBytes(), StandardCharsets.UTF_8))
                .isEqualTo("valid up to 20, signed at " + SIGNED_AT_20 + LEGACY_20 + "\n");
        assertThat(valid.exitValue()).isZero();

        Process broken = new ProcessBuilder(java, "-cp", classPath, OfflineVerifier.class.getName(),
                golden("rechained.jsonl"), KEY, CHECKPOINTS).redirectErrorStream(true).start();
        assertThat(broken.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(new String(broken.getInputStream().readAllBytes(), StandardCharsets.UTF_8))
                .isEqualTo("broken at seq 20: checkpoint at 20 does not match the log\n");
        assertThat(broken.exitValue()).isEqualTo(1);

        Process usage = new ProcessBuilder(java, "-cp", classPath, OfflineVerifier.class.getName())
                .redirectErrorStream(true).start();
        assertThat(usage.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(usage.exitValue()).isEqualTo(2);
    }

    private static String locationOf(Class<?> type) throws URISyntaxException {
        return Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
    }

    private static List<String> checkpointLines() throws IOException {
        List<String> lines = Files.readAllLines(Path.of(CHECKPOINTS)).stream().filter(l -> !l.isBlank()).toList();
        assertThat(lines).hasSize(2);
        assertThat(lines.get(0)).startsWith("{\"seq\":10,");
        assertThat(lines.get(1)).startsWith("{\"seq\":20,");
        return lines;
    }

    /** Flips one bit of the decoded signature and re-encodes it: still 64 bytes of valid base64. */
    private static String forgeSignature(String line) {
        Checkpoint c = Checkpoint.fromJsonLine(line);
        byte[] signature = c.signature();
        signature[63] ^= 0x01;
        return new Checkpoint(c.seq(), c.hash(), c.signedAt(), c.keyId(), signature).toJsonLine();
    }

    private static String hashOfLine(String export, long seq) throws IOException {
        for (String line : Files.readAllLines(Path.of(export))) {
            ChainedEvent e = ChainedEvent.fromJsonLine(line);
            if (e.seq() == seq) {
                return java.util.HexFormat.of().formatHex(e.hash());
            }
        }
        throw new AssertionError("no seq " + seq);
    }
}
