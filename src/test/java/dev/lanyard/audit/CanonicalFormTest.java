package dev.lanyard.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** Canonical encoding v1 and the chain, against a test vector written out by hand from docs/audit-chain.md. */
class CanonicalFormTest {

    /**
     * The test vector of docs/audit-chain.md ("Test vector"). The time carries nanoseconds on purpose: they must be
     * truncated, not rounded (…438123999 → …438123).
     */
    static final ChainedEvent VECTOR = new ChainedEvent(1, Instant.parse("2026-11-23T11:19:29.438123999Z"), "req-1",
            "token:ci", "read", "vault", "kv/é", null, null, "success", 200, null, "10.0.0.7", null);

    /** canonical(VECTOR), one field a line, written out from the spec's table, not produced by the code. */
    static final String VECTOR_CANONICAL = String.join("",
            "0000000000000001",                                         //  1 seq = 1, int64 big-endian
            "0000001b",                                                 //  2 occurred_at: 27 bytes
            "323032362d31312d32335431313a31393a32392e3433383132335a",   //    "2026-11-23T11:19:29.438123Z"
            "00000005" + "7265712d31",                                  //  3 request_id "req-1"
            "00000008" + "746f6b656e3a6369",                            //  4 subject "token:ci"
            "00000004" + "72656164",                                    //  5 operation "read"
            "00000005" + "7661756c74",                                  //  6 backend "vault"
            "00000005" + "6b762fc3a9",                                  //  7 path "kv/é": 4 characters, 5 bytes
            "ffffffff",                                                 //  8 version null
            "ffffffff",                                                 //  9 lease_hmac null
            "00000007" + "73756363657373",                              // 10 outcome "success"
            "000000c8",                                                 // 11 status 200, int32 big-endian
            "ffffffff",                                                 // 12 error_code null
            "00000008" + "31302e302e302e37");                           // 13 client_address "10.0.0.7"

    /** SHA-256(32 zero bytes || canonical), computed outside Java: (head -c 32 /dev/zero; cat vector.bin) | sha256sum */
    static final String VECTOR_HASH = "7c7e495619011f73742c2144d47b79d963c9d3dbf56701d3eb4d0d9ffe70f995";

    @Test
    void theTestVectorEncodesByteForByte() {
        assertThat(HexFormat.of().formatHex(CanonicalForm.encode(VECTOR))).isEqualTo(VECTOR_CANONICAL);
        assertThat(HexFormat.of().formatHex(VECTOR.canonical())).isEqualTo(VECTOR_CANONICAL);
        assertThat(VECTOR_CANONICAL).hasSize(2 * 125);
    }

    @Test
    void theTestVectorChainsFromGenesis() {
        assertThat(HexFormat.of().formatHex(CanonicalForm.chain(CanonicalForm.GENESIS, VECTOR.canonical())))
                .isEqualTo(VECTOR_HASH);
        assertThat(HexFormat.of().formatHex(VECTOR.chainedAfter(CanonicalForm.GENESIS))).isEqualTo(VECTOR_HASH);
    }

    @Test
    void theStoredHashIsNotPartOfTheEncoding() {
        assertThat(VECTOR.withHash(new byte[32]).canonical()).isEqualTo(VECTOR.canonical());
    }

    @Test
    void genesisIs32ZeroBytes() {
        assertThat(CanonicalForm.GENESIS).hasSize(32).containsOnly(0);
    }

    @Test
    void chainIsSha256OfThePreviousHashFollowedByTheCanonicalBytes() throws Exception {
        byte[] previous = HexFormat.of().parseHex(VECTOR_HASH);
        byte[] canonical = {1, 2, 3};
        byte[] expected = MessageDigest.getInstance("SHA-256").digest(HexFormat.of().parseHex(VECTOR_HASH + "010203"));
        assertThat(CanonicalForm.chain(previous, canonical)).isEqualTo(expected);
        assertThatThrownBy(() -> CanonicalForm.chain(new byte[31], canonical)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void timestampsHaveExactlySixDigitsAndAreTruncatedNotRounded() {
        assertThat(CanonicalForm.timestamp(Instant.parse("2026-11-23T11:19:29.438123999Z")))
                .isEqualTo("2026-11-23T11:19:29.438123Z");
        assertThat(CanonicalForm.timestamp(Instant.parse("2026-12-31T23:59:59.999999999Z")))
                .isEqualTo("2026-12-31T23:59:59.999999Z");
        assertThat(CanonicalForm.timestamp(Instant.parse("2026-01-02T03:04:05Z")))
                .isEqualTo("2026-01-02T03:04:05.000000Z");
        assertThat(CanonicalForm.timestamp(Instant.parse("2026-01-02T03:04:05.1Z")))
                .isEqualTo("2026-01-02T03:04:05.100000Z");
        assertThat(CanonicalForm.truncate(Instant.parse("2026-01-02T03:04:05.000000999Z")))
                .isEqualTo(Instant.parse("2026-01-02T03:04:05Z"));
    }

    @Test
    void timestampsOutsideFourDigitYearsAreRefused() {
        assertThatThrownBy(() -> CanonicalForm.timestamp(Instant.parse("+10000-01-01T00:00:00Z")))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> CanonicalForm.timestamp(Instant.parse("-0001-12-31T23:59:59Z")))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @ParameterizedTest
    @ValueSource(strings = {"2026-11-23T11:19:29.438Z", "2026-11-23T11:19:29.4381230Z", "2026-11-23T11:19:29Z",
            "2026-11-23T11:19:29.438123+00:00", "2026-11-23 11:19:29.438123Z", "2026-13-23T11:19:29.438123Z",
            "2026-11-23T11:19:29.438123z"})
    void onlyTheExactSixDigitFormParses(String text) {
        assertThatThrownBy(() -> CanonicalForm.parseTimestamp(text)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void theSixDigitFormParsesBack() {
        assertThat(CanonicalForm.parseTimestamp("2026-11-23T11:19:29.438123Z"))
                .isEqualTo(Instant.parse("2026-11-23T11:19:29.438123Z"));
    }

    @Test
    void nullAndEmptyTextDiffer() {
        ChainedEvent empty = new ChainedEvent(1, VECTOR.occurredAt(), "req-1", "token:ci", "read", "vault", "kv/é", "",
                null, "success", 200, null, "10.0.0.7", null);
        String encoded = HexFormat.of().formatHex(empty.canonical());
        // version is field 8: after the path's bytes come 00000000 (empty) instead of ffffffff (null).
        assertThat(encoded).isEqualTo(VECTOR_CANONICAL.replace("6b762fc3a9ffffffff", "6b762fc3a900000000"));
    }

    @Test
    void textLengthsCountUtf8BytesIncludingFourByteCharacters() {
        ChainedEvent key = new ChainedEvent(1, VECTOR.occurredAt(), "req-1", "token:ci", "read", "vault", "🔑", null,
                null, "success", 200, null, "10.0.0.7", null);
        assertThat(HexFormat.of().formatHex(key.canonical())).contains("00000004" + "f09f9491");
    }

    @Test
    void negativeNumbersAreTwosComplement() {
        ChainedEvent odd = new ChainedEvent(-2, VECTOR.occurredAt(), "r", "s", "o", null, null, null, null, "failed",
                -1, null, null, null);
        String encoded = HexFormat.of().formatHex(odd.canonical());
        assertThat(encoded).startsWith("fffffffffffffffe").contains("00000006" + "6661696c6564" + "ffffffff" + "ffffffff");
    }

    @Test
    void unpairedSurrogatesAreRefusedRatherThanReplaced() {
        ChainedEvent broken = new ChainedEvent(1, VECTOR.occurredAt(), "req-1", "token:ci", "read", "vault", "kv/\uD800",
                null, null, "success", 200, null, null, null);
        assertThatThrownBy(broken::canonical).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void everyFieldChangesTheEncoding() {
        ChainedEvent e = VECTOR;
        List<ChainedEvent> variants = new ArrayList<>(List.of(
                e,
                new ChainedEvent(2, e.occurredAt(), e.requestId(), e.subject(), e.operation(), e.backend(), e.path(), e.version(), e.leaseHmac(), e.outcome(), e.status(), e.errorCode(), e.clientAddress(), null),
                new ChainedEvent(e.seq(), e.occurredAt().plusNanos(1000), e.requestId(), e.subject(), e.operation(), e.backend(), e.path(), e.version(), e.leaseHmac(), e.outcome(), e.status(), e.errorCode(), e.clientAddress(), null),
                new ChainedEvent(e.seq(), e.occurredAt(), "req-2", e.subject(), e.operation(), e.backend(), e.path(), e.version(), e.leaseHmac(), e.outcome(), e.status(), e.errorCode(), e.clientAddress(), null),
                new ChainedEvent(e.seq(), e.occurredAt(), e.requestId(), "token:cj", e.operation(), e.backend(), e.path(), e.version(), e.leaseHmac(), e.outcome(), e.status(), e.errorCode(), e.clientAddress(), null),
                new ChainedEvent(e.seq(), e.occurredAt(), e.requestId(), e.subject(), "issue", e.backend(), e.path(), e.version(), e.leaseHmac(), e.outcome(), e.status(), e.errorCode(), e.clientAddress(), null),
                new ChainedEvent(e.seq(), e.occurredAt(), e.requestId(), e.subject(), e.operation(), null, e.path(), e.version(), e.leaseHmac(), e.outcome(), e.status(), e.errorCode(), e.clientAddress(), null),
                new ChainedEvent(e.seq(), e.occurredAt(), e.requestId(), e.subject(), e.operation(), e.backend(), "kv/e", e.version(), e.leaseHmac(), e.outcome(), e.status(), e.errorCode(), e.clientAddress(), null),
                new ChainedEvent(e.seq(), e.occurredAt(), e.requestId(), e.subject(), e.operation(), e.backend(), e.path(), "1", e.leaseHmac(), e.outcome(), e.status(), e.errorCode(), e.clientAddress(), null),
                new ChainedEvent(e.seq(), e.occurredAt(), e.requestId(), e.subject(), e.operation(), e.backend(), e.path(), e.version(), "ab", e.outcome(), e.status(), e.errorCode(), e.clientAddress(), null),
                new ChainedEvent(e.seq(), e.occurredAt(), e.requestId(), e.subject(), e.operation(), e.backend(), e.path(), e.version(), e.leaseHmac(), "denied", e.status(), e.errorCode(), e.clientAddress(), null),
                new ChainedEvent(e.seq(), e.occurredAt(), e.requestId(), e.subject(), e.operation(), e.backend(), e.path(), e.version(), e.leaseHmac(), e.outcome(), 201, e.errorCode(), e.clientAddress(), null),
                new ChainedEvent(e.seq(), e.occurredAt(), e.requestId(), e.subject(), e.operation(), e.backend(), e.path(), e.version(), e.leaseHmac(), e.outcome(), e.status(), "x", e.clientAddress(), null),
                new ChainedEvent(e.seq(), e.occurredAt(), e.requestId(), e.subject(), e.operation(), e.backend(), e.path(), e.version(), e.leaseHmac(), e.outcome(), e.status(), e.errorCode(), null, null)));
        Set<String> encodings = new HashSet<>();
        for (ChainedEvent variant : variants) {
            encodings.add(HexFormat.of().formatHex(variant.canonical()));
        }
        assertThat(encodings).hasSize(variants.size());
    }

    @Test
    void fieldBoundariesCannotBeShifted() {
        // "ab"+"c" and "a"+"bc" concatenate alike; the length prefixes keep them apart.
        ChainedEvent one = new ChainedEvent(1, VECTOR.occurredAt(), "r", "ab", "c", null, null, null, null, "success",
                200, null, null, null);
        ChainedEvent two = new ChainedEvent(1, VECTOR.occurredAt(), "r", "a", "bc", null, null, null, null, "success",
                200, null, null, null);
        assertThat(one.canonical()).isNotEqualTo(two.canonical());
    }

    @Test
    void anAuditEventMapsToItsRowWithTheLowerCaseOutcomeAndTruncatedTime() {
        AuditEvent event = new AuditEvent(Instant.parse("2026-11-23T11:19:29.438123999Z"), "req-1", "token:ci", "read",
                "vault", "kv/é", null, null, AuditEvent.Outcome.NOT_FOUND, 404, "not_found", "10.0.0.7");
        ChainedEvent row = ChainedEvent.of(5, event, null);
        assertThat(row.seq()).isEqualTo(5);
        assertThat(row.occurredAt()).isEqualTo(Instant.parse("2026-11-23T11:19:29.438123Z"));
        assertThat(row.outcome()).isEqualTo("not_found");
        assertThat(row.status()).isEqualTo(404);
        assertThat(row.errorCode()).isEqualTo("not_found");
        assertThat(row.path()).isEqualTo("kv/é");
        assertThat(row.clientAddress()).isEqualTo("10.0.0.7");
        assertThat(row.hash()).isNull();

        AuditEvent success = new AuditEvent(VECTOR.occurredAt(), "req-1", "token:ci", "read", "vault", "kv/é", null, null,
                AuditEvent.Outcome.SUCCESS, 200, null, "10.0.0.7");
        assertThat(HexFormat.of().formatHex(ChainedEvent.of(1, success, null).canonical())).isEqualTo(VECTOR_CANONICAL);
    }

    @Test
    void theExportLineHasEveryColumnInCanonicalOrder() {
        ChainedEvent chained = VECTOR.withHash(HexFormat.of().parseHex(VECTOR_HASH));
        assertThat(chained.toJsonLine()).isEqualTo("{\"seq\":1,\"occurred_at\":\"2026-11-23T11:19:29.438123Z\","
                + "\"request_id\":\"req-1\",\"subject\":\"token:ci\",\"operation\":\"read\",\"backend\":\"vault\","
                + "\"path\":\"kv/é\",\"version\":null,\"lease_hmac\":null,\"outcome\":\"success\",\"status\":200,"
                + "\"error_code\":null,\"client_address\":\"10.0.0.7\",\"hash\":\"" + VECTOR_HASH + "\"}");
        assertThat(ChainedEvent.fromJsonLine(chained.toJsonLine())).isEqualTo(chained);
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "\"version\":null,", // a missing column: nulls are written, never omitted
            "\"occurred_at\":\"2026-11-23T11:19:29.438123Z\",",
            "\"hash\":\"" + VECTOR_HASH + "\"",
    })
    void exportLinesWithAMissingColumnAreRefused(String removed) {
        String line = VECTOR.withHash(HexFormat.of().parseHex(VECTOR_HASH)).toJsonLine().replace(removed, "");
        assertThat(line).doesNotContain(removed);
        assertThatThrownBy(() -> ChainedEvent.fromJsonLine(line.replace(",}", "}")))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "\"path\":\"kv/é\"|\"path\":\"kv/é\",\"path\":\"kv/x\"",         // duplicate key
            "\"status\":200|\"status\":\"200\"",                                 // status as text
            "\"status\":200|\"status\":200.0",
            "\"seq\":1|\"seq\":1.5",
            "\"seq\":1|\"seq\":99999999999999999999",
            "\"occurred_at\":\"2026-11-23T11:19:29.438123Z\"|\"occurred_at\":\"2026-11-23T11:19:29.438Z\"",
            "\"subject\":\"token:ci\"|\"subject\":null",                        // a required column is null
            "\"path\":\"kv/é\"|\"path\":7",
            "7c7e4956|7C7E4956",                                                 // hash in upper case
            "}|} {}",                                                            // trailing content
    })
    void malformedExportLinesAreRefused(String substitution) {
        String[] parts = substitution.split("\\|", 2);
        String good = VECTOR.withHash(HexFormat.of().parseHex(VECTOR_HASH)).toJsonLine();
        String bad = good.replace(parts[0], parts[1]);
        assertThat(bad).isNotEqualTo(good);
        assertThatThrownBy(() -> ChainedEvent.fromJsonLine(bad)).isInstanceOf(IllegalArgumentException.class);
    }
}
