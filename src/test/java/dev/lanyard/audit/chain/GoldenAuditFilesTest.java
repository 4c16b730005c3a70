package dev.lanyard.audit.chain;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * Generates the golden audit files in {@code src/test/resources/audit} from a fixed key seed, so that they are
 * reproducible byte for byte (Ed25519 signatures are deterministic). A normal run only checks that the committed files
 * are exactly what this generator writes; {@code -Dlanyard.regenerate-golden=true} rewrites them first:
 *
 * <pre>./mvnw -B -ntp -o test -Dtest=GoldenAuditFilesTest -Dlanyard.regenerate-golden=true</pre>
 *
 * The expected verdict for each file is in {@code src/test/resources/audit/README.md} and {@link OfflineVerifierTest}.
 */
class GoldenAuditFilesTest {

    static final Path DIR = Path.of("src/test/resources/audit");

    /** The test signing key: bytes 00 01 02 ... 1f. Public, of course: never use it for anything else. */
    static final byte[] SEED = HexFormat.of().parseHex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");

    static final Instant BASE = Instant.parse("2026-11-23T11:19:29.438123Z");

    /** The 20 events of {@code valid.jsonl}, chained from genesis. */
    static List<ChainedEvent> events() {
        List<ChainedEvent> unchained = List.of(
                event(1, "read", "token:ci", "vault", "kv/apps/billing/db", "3", null, "success", 200, null, "10.0.0.7"),
                event(2, "read", "token:ci", "vault", "kv/apps/billing/api-key", "7", null, "success", 200, null, "10.0.0.7"),
                event(3, "issue", "sa:payments/api", "vault", "database/creds/payments", null, lease(3), "success", 200, null, "10.1.4.22"),
                event(4, "authenticate", "anonymous", null, null, null, null, "unauthenticated", 401, "UNAUTHENTICATED", "203.0.113.9"),
                event(5, "read", "sa:payments/api", "vault", "kv/équipe/clé-🔑", "1", null, "success", 200, null, "2001:db8::17"),
                event(6, "renew", "sa:payments/api", "vault", null, null, lease(3), "success", 200, null, "10.1.4.22"),
                event(7, "read", "token:ci", "local", "kv/apps/billing/missing", null, null, "not_found", 404, "not_found", "10.0.0.7"),
                event(8, "read", "token:dev", "vault", "kv/apps/billing/db", null, null, "denied", 403, "forbidden", "10.0.0.8"),
                event(9, "issue", "sa:reports/etl", "vault", "database/creds/reports", null, null, "failed", 502, "backend_unavailable", "10.1.9.3"),
                event(10, "revoke", "sa:payments/api", "vault", null, null, lease(3), "success", 204, null, "10.1.4.22"),
                systemEvent(11, "policy.load", "policy", "policies/billing"),
                event(12, "read", "token:ci", "vault", "kv/apps/billing/db", "4", null, "success", 200, null, "10.0.0.7"),
                event(13, "issue", "sa:reports/etl", "vault", "database/creds/reports", null, lease(13), "success", 200, null, "10.1.9.3"),
                event(14, "read", "token:ci", "vault", "kv/apps/shipping/../billing", null, null, "invalid", 400, "invalid_path", "10.0.0.7"),
                event(15, "renew", "sa:reports/etl", "vault", null, null, lease(13), "success", 200, null, "10.1.9.3"),
                event(16, "read", "sa:payments/api", "vault", "kv/équipe/clé-🔑", "2", null, "success", 200, null, "2001:db8::17"),
                event(17, "authenticate", "anonymous", null, null, null, null, "unauthenticated", 401, "unauthenticated", "198.51.100.23"),
                event(18, "read", "token:ci", "local", "kv/local/feature-flags", "12", null, "success", 200, null, "127.0.0.1"),
                event(19, "revoke", "sa:reports/etl", "vault", null, null, lease(13), "success", 204, null, "10.1.9.3"),
                event(20, "read", "token:ci", "vault", "kv/apps/billing/db", "4", null, "success", 200, null, "10.0.0.7"));
        return rechain(unchained, CanonicalForm.GENESIS);
    }

    static ChainedEvent event(long seq, String operation, String subject, String backend, String path, String version,
            String leaseHmac, String outcome, int status, String errorCode, String clientAddress) {
        // Sub-microsecond digits on purpose: the record truncates them, as the writer does.
        Instant at = BASE.plus(Duration.ofMillis(1_537 * (seq - 1))).plusNanos(7_000 * seq + 999);
        String targetKind = backend == null ? (leaseHmac == null ? "none" : "lease") : leaseHmac != null && path == null
                ? "lease" : "secret";
        return new ChainedEvent(CanonicalForm.LEGACY_FORMAT, seq, at, "req-%04d".formatted(seq), "caller", subject, null,
                operation, targetKind, backend, path, null, version, leaseHmac, outcome, status, errorCode, clientAddress, null,
                null);
    }

    /** Lanyard's own start-up fact: no HTTP status, no client address. */
    static ChainedEvent systemEvent(long seq, String operation, String targetKind, String path) {
        Instant at = BASE.plus(Duration.ofMillis(1_537 * (seq - 1))).plusNanos(7_000 * seq + 999);
        return new ChainedEvent(CanonicalForm.LEGACY_FORMAT, seq, at, "startup", "system", "system", null, operation,
                targetKind, "lanyard", path, null, null, null, "success", null, null, null, null, null);
    }

    static String lease(int n) {
        return HexFormat.of().formatHex(CanonicalForm.sha256().digest(("lease-" + n).getBytes(StandardCharsets.UTF_8)));
    }

    /** Recomputes every hash from {@code previous}: what an attacker who knows the algorithm can do. */
    static List<ChainedEvent> rechain(List<ChainedEvent> events, byte[] previous) {
        List<ChainedEvent> chained = new ArrayList<>();
        for (ChainedEvent e : events) {
            ChainedEvent withHash = e.withHash(e.chainedAfter(previous));
            chained.add(withHash);
            previous = withHash.hash();
        }
        return chained;
    }

    static CheckpointSigner signer() {
        return new CheckpointSigner(SEED);
    }

    static Checkpoint checkpointAt(List<ChainedEvent> events, int seq) {
        ChainedEvent head = events.get(seq - 1);
        return signer().sign(seq, head.hash(), head.occurredAt().plusMillis(250).plusNanos(333));
    }

    /**
     * The 20 events of {@code sealed.jsonl}: the first 10 of {@link #events()} (format 2, written before seals), then 10
     * in format 3 from callers with token ids, committed in four batches (11-13, 14, 15-18, 19-20), each sealed on its
     * last row.
     */
    static List<ChainedEvent> sealedEvents() {
        List<ChainedEvent> legacy = events().subList(0, 10);
        List<ChainedEvent> current = new ArrayList<>();
        String[] subjects = {"token:security", "token:security", "sa:payments/api", "token:ci", "token:security",
                "token:security", "anonymous", "token:ci", "sa:reports/etl", "token:security"};
        String[] tokenIds = {"3f9a0c1d2e4b5a67", "b2c4d6e8f0a1c3e5", null, "0011223344556677", "3f9a0c1d2e4b5a67",
                "b2c4d6e8f0a1c3e5", null, "0011223344556677", null, "3f9a0c1d2e4b5a67"};
        for (int i = 0; i < 10; i++) {
            long seq = 11 + i;
            ChainedEvent e = event(seq, i == 6 ? "authenticate" : "read", subjects[i], i == 6 ? null : "vault",
                    i == 6 ? null : "kv/apps/security/" + (i % 3), i == 6 ? null : Integer.toString(i), null,
                    i == 6 ? "unauthenticated" : "success", i == 6 ? 401 : 200, i == 6 ? "UNAUTHENTICATED" : null, "10.2.0." + i);
            current.add(Row.from(e).with(r -> {
                r.format = CanonicalForm.FORMAT;
                r.credentialId = tokenIds[(int) (seq - 11)];
            }).build());
        }
        List<ChainedEvent> chained = new ArrayList<>(rechain(legacy, CanonicalForm.GENESIS));
        chained.addAll(sealed(rechain(current, legacy.getLast().hash()), List.of(13L, 14L, 18L, 20L)));
        return chained;
    }

    /** The events, each batch sealed on its last row; {@code batchEnds} are the seqs that end a batch. */
    static List<ChainedEvent> sealed(List<ChainedEvent> events, List<Long> batchEnds) {
        List<ChainedEvent> out = new ArrayList<>();
        long first = events.getFirst().seq();
        for (ChainedEvent e : events) {
            if (batchEnds.contains(e.seq())) {
                out.add(e.withSeal(signer().seal(first, e.seq(), e.hash())));
                first = e.seq() + 1;
            } else {
                out.add(e);
            }
        }
        return out;
    }

    /**
     * A row appended by someone with the database password: correctly chained on {@code after} (the algorithm is
     * public), in format 3, claiming a successful read of the payments database by {@code token:security}, with no seal.
     */
    static ChainedEvent forged(ChainedEvent after) {
        ChainedEvent e = Row.from(after).with(r -> {
            r.seq = after.seq() + 1;
            r.occurredAt = after.occurredAt().plusMillis(3);
            r.requestId = "req-forged";
            r.actorKind = "caller";
            r.subject = "token:security";
            r.credentialId = "3f9a0c1d2e4b5a67";
            r.operation = "read";
            r.targetKind = "secret";
            r.backend = "vault";
            r.path = "kv/apps/payments/db";
            r.detail = null;
            r.version = "9";
            r.leaseHmac = null;
            r.outcome = "success";
            r.status = 200;
            r.errorCode = null;
            r.clientAddress = "10.0.0.66";
            r.hash = null;
            r.seal = null;
        }).build();
        return e.withHash(e.chainedAfter(after.hash()));
    }

    /** File name → content, in the order they are listed in the README. */
    static Map<String, String> generate() {
        List<ChainedEvent> valid = events();
        Map<String, String> files = new LinkedHashMap<>();
        files.put("public-key.b64", Base64.getEncoder().encodeToString(signer().publicKey()) + "\n");
        files.put("checkpoints.jsonl", lines(List.of(checkpointAt(valid, 10).toJsonLine(),
                checkpointAt(valid, 20).toJsonLine())));
        files.put("valid.jsonl", export(valid));

        // The path of seq 7 is changed in place; its stored hash is kept.
        files.put("changed-field.jsonl", export(replace(valid, 7, e -> e.withPath("kv/apps/billing/db"))));

        // Seq 8 is deleted.
        List<ChainedEvent> deleted = new ArrayList<>(valid);
        deleted.remove(7);
        files.put("deleted-row.jsonl", export(deleted));

        // A forged event is inserted after seq 7 as seq 8 with a correct hash over seq 7 (the algorithm is public);
        // the rows after it are renumbered 9..21 and keep their stored hashes, so seq 9 is the first that breaks.
        List<ChainedEvent> inserted = new ArrayList<>(valid.subList(0, 7));
        ChainedEvent forged = event(8, "read", "token:ci", "vault", "kv/apps/billing/db", "4", null, "success", 200,
                null, "10.0.0.7");
        inserted.add(forged.withHash(forged.chainedAfter(valid.get(6).hash())));
        for (ChainedEvent e : valid.subList(7, 20)) {
            inserted.add(renumber(e, e.seq() + 1));
        }
        files.put("inserted-row.jsonl", export(inserted));

        // The lines of seq 12 and 13 are swapped.
        List<ChainedEvent> reordered = new ArrayList<>(valid);
        reordered.set(11, valid.get(12));
        reordered.set(12, valid.get(11));
        files.put("reordered.jsonl", export(reordered));

        // The last three rows (18, 19, 20) are gone; the checkpoint at 20 remains.
        files.put("truncated-tail.jsonl", export(valid.subList(0, 17)));

        // Seq 13's subject is changed and every hash from 13 on recomputed: internally consistent, but not what the
        // checkpoint at 20 signed.
        List<ChainedEvent> rechained = new ArrayList<>(valid.subList(0, 12));
        List<ChainedEvent> tail = new ArrayList<>(valid.subList(12, 20));
        ChainedEvent e13 = tail.get(0);
        tail.set(0, e13.withSubject("sa:payments/api").withHash(null));
        rechained.addAll(rechain(tail, valid.get(11).hash()));
        files.put("rechained.jsonl", export(rechained));

        // Retention pruned 1..10: the export starts at 11 and is anchored by the checkpoint at 10.
        files.put("pruned.jsonl", export(valid.subList(10, 20)));

        // Format 3: rows 11..20 sealed per batch, after ten format 2 rows.
        List<ChainedEvent> sealed = sealedEvents();
        files.put("sealed-checkpoints.jsonl", lines(List.of(checkpointAt(sealed, 10).toJsonLine(),
                checkpointAt(sealed, 20).toJsonLine())));
        files.put("sealed.jsonl", export(sealed));

        // Someone with the database password appends a correctly hashed row at the head: no seal covers it.
        List<ChainedEvent> forgedHead = new ArrayList<>(sealed);
        forgedHead.add(forged(sealed.getLast()));
        files.put("forged-head.jsonl", export(forgedHead));

        // ... and a writer that did not check the head chained a sealed batch (22..23) onto it.
        List<ChainedEvent> chainedOn = new ArrayList<>(forgedHead);
        ChainedEvent forgedRow = forgedHead.getLast();
        List<ChainedEvent> batch = new ArrayList<>();
        for (long seq = 22; seq <= 23; seq++) {
            long n = seq;
            batch.add(Row.from(sealed.get(12)).with(r -> {
                r.seq = n;
                r.occurredAt = forgedRow.occurredAt().plusMillis(n);
                r.requestId = "req-" + n;
                r.hash = null;
                r.seal = null;
            }).build());
        }
        chainedOn.addAll(sealed(rechain(batch, forgedRow.hash()), List.of(23L)));
        files.put("chained-on-forged.jsonl", export(chainedOn));

        // The seal of the batch 15..18 with one bit of its signature flipped.
        files.put("bad-seal.jsonl", export(replace(sealed, 18, e -> {
            byte[] signature = e.seal().signature();
            signature[0] ^= 0x01;
            return e.withSeal(new Seal(e.seal().firstSeq(), e.seal().keyId(), signature));
        })));

        // A correctly hashed row in the unsealed format 2 after the sealed ones.
        List<ChainedEvent> legacyAfter = new ArrayList<>(sealed);
        ChainedEvent old = Row.from(forged(sealed.getLast())).with(r -> {
            r.format = CanonicalForm.LEGACY_FORMAT;
            r.credentialId = null;
        }).build();
        legacyAfter.add(old.withHash(old.chainedAfter(sealed.getLast().hash())));
        files.put("legacy-after-sealed.jsonl", export(legacyAfter));
        return files;
    }

    static ChainedEvent renumber(ChainedEvent e, long seq) {
        return e.withSeq(seq);
    }

    static List<ChainedEvent> replace(List<ChainedEvent> events, int seq, UnaryOperator<ChainedEvent> change) {
        List<ChainedEvent> copy = new ArrayList<>(events);
        copy.set(seq - 1, change.apply(copy.get(seq - 1)));
        return copy;
    }

    static String export(List<ChainedEvent> events) {
        return lines(events.stream().map(ChainedEvent::toJsonLine).toList());
    }

    static String lines(List<String> lines) {
        return String.join("\n", lines) + "\n";
    }

    @Test
    void theCommittedGoldenFilesAreWhatTheGeneratorWrites() throws IOException {
        Map<String, String> files = generate();
        if (Boolean.getBoolean("lanyard.regenerate-golden")) {
            Files.createDirectories(DIR);
            for (Map.Entry<String, String> file : files.entrySet()) {
                Files.writeString(DIR.resolve(file.getKey()), file.getValue(), StandardCharsets.UTF_8);
            }
        }
        for (Map.Entry<String, String> file : files.entrySet()) {
            Path committed = DIR.resolve(file.getKey());
            assertThat(committed).as("golden file %s (regenerate with -Dlanyard.regenerate-golden=true)", committed)
                    .exists();
            // Compared line by line so that a checkout with CRLF line ends does not fail it.
            assertThat(Files.readAllLines(committed, StandardCharsets.UTF_8))
                    .as("golden file %s (regenerate with -Dlanyard.regenerate-golden=true)", committed)
                    .containsExactlyElementsOf(file.getValue().lines().toList());
        }
    }
}
