package dev.lanyard.audit.chain;

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

/** Canonical encoding, format 2, and the chain, against test vectors written out by hand from docs/audit-chain.md. */
class CanonicalFormTest {

    /**
     * The first test vector of docs/audit-chain.md ("Test vectors"): a caller's read. The time carries nanoseconds on
     * purpose: they must be truncated, not rounded (…438123999 → …438123).
     */
    static final ChainedEvent VECTOR = new ChainedEvent(2, 1, Instant.parse("2026-11-23T11:19:29.438123999Z"), "req-1",
            "caller", "token:ci", null, "read", "secret", "vault", "kv/é", null, null, null, "success", 200, null, "10.0.0.7",
            null, null);

    /** canonical(VECTOR), one field a line, written out from the spec's table, not produced by the code. */
    static final String VECTOR_CANONICAL = String.join("",
            "0002",                                                     //    format 2, int16 big-endian
            "0000000000000001",                                         //  1 seq = 1, int64 big-endian
            "0000001b",                                                 //  2 occurred_at: 27 bytes
            "323032362d31312d32335431313a31393a32392e3433383132335a",   //    "2026-11-23T11:19:29.438123Z"
            "00000005" + "7265712d31",                                  //  3 request_id "req-1"
            "00000006" + "63616c6c6572",                                //  4 actor_kind "caller"
            "00000008" + "746f6b656e3a6369",                            //  5 subject "token:ci"
            "00000004" + "72656164",                                    //  6 operation "read"
            "00000006" + "736563726574",                                //  7 target_kind "secret"
            "00000005" + "7661756c74",                                  //  8 backend "vault"
            "00000005" + "6b762fc3a9",                                  //  9 path "kv/é": 4 characters, 5 bytes
            "ffffffff",                                                 // 10 detail null
            "ffffffff",                                                 // 11 version null
            "ffffffff",                                                 // 12 lease_hmac null
            "00000007" + "73756363657373",                              // 13 outcome "success"
            "01" + "000000c8",                                          // 14 status present: 200, int32 big-endian
            "ffffffff",                                                 // 15 error_code null
            "00000008" + "31302e302e302e37");                           // 16 client_address "10.0.0.7"

    /**
     * SHA-256(32 zero bytes || canonical), computed outside Java from the hex above (Python's hashlib; and
     * {@code (head -c 32 /dev/zero; xxd -r -p vector.hex) | sha256sum}).
     */
    static final String VECTOR_HASH = "abcd7cb3eec8d0d92c7fd02aa59fa6bfa49ac13bd4a264066899063893a000f9";

    /** The second vector: Lanyard's own start-up fact, chained after the first; no HTTP status, no client. */
    static final ChainedEvent SYSTEM_VECTOR = new ChainedEvent(2, 2, Instant.parse("2026-11-23T11:19:30Z"), "startup",
            "system", "system", null, "policy.load", "policy", "lanyard", "policies/demo", null, null, null, "success", null,
            null, null, null, null);

    static final String SYSTEM_VECTOR_CANONICAL = String.join("",
            "0002",
            "0000000000000002",
            "0000001b" + "323032362d31312d32335431313a31393a33302e3030303030305a", // "2026-11-23T11:19:30.000000Z"
            "00000007" + "73746172747570",                              // request_id "startup"
            "00000006" + "73797374656d",                                // actor_kind "system"
            "00000006" + "73797374656d",                                // subject "system"
            "0000000b" + "706f6c6963792e6c6f6164",                      // operation "policy.load"
            "00000006" + "706f6c696379",                                // target_kind "policy"
            "00000007" + "6c616e79617264",                              // backend "lanyard"
            "0000000d" + "706f6c69636965732f64656d6f",                  // path "policies/demo"
            "ffffffff", "ffffffff", "ffffffff",                         // detail, version, lease_hmac null
            "00000007" + "73756363657373",                              // outcome "success"
            "00",                                                       // status absent
            "ffffffff", "ffffffff");                                    // error_code, client_address null

    /** SHA-256(VECTOR_HASH || SYSTEM_VECTOR_CANONICAL), computed outside Java the same way. */
    static final String SYSTEM_VECTOR_HASH = "e1232c95bfc534876bb0ac5c1ed4acecee70554ca43cab670a5193ae983252b4";

    /**
     * The third vector, in format 3: a read by one of two tokens named {@code security}, told apart by its id, chained
     * after the second. Format 3 inserts {@code credential_id} after {@code subject}.
     */
    static final ChainedEvent TOKEN_VECTOR = new ChainedEvent(3, 3, Instant.parse("2026-11-23T11:19:31Z"), "req-3",
            "caller", "token:security", "3f9a0c1d2e4b5a67", "read", "secret", "vault", "kv/payments/db", null, "7", null,
            "success", 200, null, "10.0.0.9", null, null);

    static final String TOKEN_VECTOR_CANONICAL = String.join("",
            "0003",                                                     //    format 3
            "0000000000000003",                                         //  1 seq = 3
            "0000001b" + "323032362d31312d32335431313a31393a33312e3030303030305a", // "2026-11-23T11:19:31.000000Z"
            "00000005" + "7265712d33",                                  //  3 request_id "req-3"
            "00000006" + "63616c6c6572",                                //  4 actor_kind "caller"
            "0000000e" + "746f6b656e3a7365637572697479",                //  5 subject "token:security"
            "00000010" + "33663961306331643265346235613637",            //  6 credential_id "3f9a0c1d2e4b5a67"
            "00000004" + "72656164",                                    //  7 operation "read"
            "00000006" + "736563726574",                                //  8 target_kind "secret"
            "00000005" + "7661756c74",                                  //  9 backend "vault"
            "0000000e" + "6b762f7061796d656e74732f6462",                // 10 path "kv/payments/db"
            "ffffffff",                                                 // 11 detail null
            "00000001" + "37",                                          // 12 version "7"
            "ffffffff",                                                 // 13 lease_hmac null
            "00000007" + "73756363657373",                              // 14 outcome "success"
            "01" + "000000c8",                                          // 15 status 200
            "ffffffff",                                                 // 16 error_code null
            "00000008" + "31302e302e302e39");                           // 17 client_address "10.0.0.9"

    /** SHA-256(SYSTEM_VECTOR_HASH || TOKEN_VECTOR_CANONICAL), computed outside Java (Python's hashlib). */
    static final String TOKEN_VECTOR_HASH = "18c5a0cb10c927e7210110daba46f889eb8e22fc37e425d245c4d3c2aa117384";

    @Test
    void theFormat3VectorEncodesTheCredentialIdAfterTheSubject() {
        assertThat(HexFormat.of().formatHex(TOKEN_VECTOR.canonical())).isEqualTo(TOKEN_VECTOR_CANONICAL);
        assertThat(TOKEN_VECTOR_CANONICAL).hasSize(2 * 188);
        assertThat(HexFormat.of().formatHex(TOKEN_VECTOR.chainedAfter(HexFormat.of().parseHex(SYSTEM_VECTOR_HASH))))
                .isEqualTo(TOKEN_VECTOR_HASH);
    }

    @Test
    void twoTokensOfOneNameAreToldApart() {
        ChainedEvent other = Row.from(TOKEN_VECTOR).with(r -> r.credentialId = "b2c4d6e8f0a1c3e5").build();
        ChainedEvent none = Row.from(TOKEN_VECTOR).with(r -> r.credentialId = null).build();
        assertThat(other.canonical()).isNotEqualTo(TOKEN_VECTOR.canonical());
        assertThat(none.canonical()).isNotEqualTo(TOKEN_VECTOR.canonical()).isNotEqualTo(other.canonical());
    }

    @Test
    void aFormat2RowKeepsItsOwnEncodingAndCannotCarryACredentialOrASeal() {
        // Old rows still verify: format 2 is encoded as it always was (the vectors above), without credential_id.
        assertThat(HexFormat.of().formatHex(VECTOR.canonical())).startsWith("0002");
        assertThatThrownBy(() -> Row.from(VECTOR).with(r -> r.credentialId = "3f9a0c1d2e4b5a67").build())
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Row.from(VECTOR).with(r -> r.format = 4).build())
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void theFormat3ExportLineCarriesTheCredentialIdAndTheSeal() {
        Seal seal = new CheckpointSigner(CheckpointSignerTest.SEED).seal(3, 3, HexFormat.of().parseHex(TOKEN_VECTOR_HASH));
        ChainedEvent row = TOKEN_VECTOR.withHash(HexFormat.of().parseHex(TOKEN_VECTOR_HASH)).withSeal(seal);
        String line = row.toJsonLine();
        assertThat(line).isEqualTo("{\"format\":3,\"seq\":3,\"occurred_at\":\"2026-11-23T11:19:31.000000Z\","
                + "\"request_id\":\"req-3\",\"actor_kind\":\"caller\",\"subject\":\"token:security\","
                + "\"credential_id\":\"3f9a0c1d2e4b5a67\",\"operation\":\"read\",\"target_kind\":\"secret\","
                + "\"backend\":\"vault\",\"path\":\"kv/payments/db\",\"detail\":null,\"version\":\"7\",\"lease_hmac\":null,"
                + "\"outcome\":\"success\",\"status\":200,\"error_code\":null,\"client_address\":\"10.0.0.9\","
                + "\"hash\":\"" + TOKEN_VECTOR_HASH + "\",\"seal\":{\"first_seq\":3,\"key_id\":\"56475aa75463474c\","
                + "\"signature\":\"" + CheckpointSignerTest.SEAL_SIGNATURE + "\"}}");
        assertThat(ChainedEvent.fromJsonLine(line)).isEqualTo(row);
        // A format 3 line must say whether it is sealed: a missing "seal" or "credential_id" is not the same as null.
        assertThatThrownBy(() -> ChainedEvent.fromJsonLine(line.replace(",\"seal\":{", ",\"x\":{")))
                .hasMessageContaining("missing \"seal\"");
        assertThatThrownBy(() -> ChainedEvent.fromJsonLine(line.replace("\"credential_id\"", "\"x\"")))
                .hasMessageContaining("missing \"credential_id\"");
    }

    @Test
    void theTestVectorEncodesByteForByte() {
        assertThat(HexFormat.of().formatHex(CanonicalForm.encode(VECTOR))).isEqualTo(VECTOR_CANONICAL);
        assertThat(HexFormat.of().formatHex(VECTOR.canonical())).isEqualTo(VECTOR_CANONICAL);
        assertThat(VECTOR_CANONICAL).hasSize(2 * 152);
        assertThat(HexFormat.of().formatHex(SYSTEM_VECTOR.canonical())).isEqualTo(SYSTEM_VECTOR_CANONICAL);
    }

    @Test
    void theTestVectorChainsFromGenesis() {
        assertThat(HexFormat.of().formatHex(CanonicalForm.chain(CanonicalForm.GENESIS, VECTOR.canonical())))
                .isEqualTo(VECTOR_HASH);
        assertThat(HexFormat.of().formatHex(VECTOR.chainedAfter(CanonicalForm.GENESIS))).isEqualTo(VECTOR_HASH);
        assertThat(HexFormat.of().formatHex(SYSTEM_VECTOR.chainedAfter(HexFormat.of().parseHex(VECTOR_HASH))))
                .isEqualTo(SYSTEM_VECTOR_HASH);
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
        ChainedEvent empty = Row.from(VECTOR).with(r -> r.version = "").build();
        String encoded = HexFormat.of().formatHex(empty.canonical());
        // version is field 11, after detail: 00000000 (empty) instead of ffffffff (null).
        assertThat(encoded).isEqualTo(VECTOR_CANONICAL.replace("6b762fc3a9ffffffffffffffff", "6b762fc3a9ffffffff00000000"));
    }

    @Test
    void anAbsentStatusIsNotZero() {
        String absent = HexFormat.of().formatHex(Row.from(VECTOR).with(r -> r.status = null).build().canonical());
        String zero = HexFormat.of().formatHex(Row.from(VECTOR).with(r -> r.status = 0).build().canonical());
        assertThat(absent).contains("73756363657373" + "00" + "ffffffff");
        assertThat(zero).contains("73756363657373" + "01" + "00000000" + "ffffffff");
    }

    @Test
    void textLengthsCountUtf8BytesIncludingFourByteCharacters() {
        ChainedEvent key = Row.from(VECTOR).with(r -> r.path = "🔑").build();
        assertThat(HexFormat.of().formatHex(key.canonical())).contains("00000004" + "f09f9491");
    }

    @Test
    void negativeNumbersAreTwosComplement() {
        ChainedEvent odd = Row.from(VECTOR).with(r -> {
            r.seq = -2;
            r.status = -1;
        }).build();
        String encoded = HexFormat.of().formatHex(odd.canonical());
        assertThat(encoded).startsWith("0002" + "fffffffffffffffe").contains("01" + "ffffffff");
    }

    @Test
    void unpairedSurrogatesAreRefusedRatherThanReplaced() {
        ChainedEvent broken = Row.from(VECTOR).with(r -> r.path = "kv/\uD800").build();
        assertThatThrownBy(broken::canonical).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void everyFieldChangesTheEncoding() {
        List<Row.Change> changes = List.of(
                r -> r.seq = 2,
                r -> r.occurredAt = r.occurredAt.plusNanos(1000),
                r -> r.requestId = "req-2",
                r -> r.actorKind = "system",
                r -> r.subject = "token:cj",
                r -> r.operation = "issue",
                r -> r.targetKind = "lease",
                r -> r.backend = null,
                r -> r.path = "kv/e",
                r -> r.detail = "run/1",
                r -> r.version = "1",
                r -> r.leaseHmac = "ab",
                r -> r.outcome = "denied",
                r -> r.status = 201,
                r -> r.status = null,
                r -> r.errorCode = "x",
                r -> r.clientAddress = null);
        Set<String> encodings = new HashSet<>();
        encodings.add(HexFormat.of().formatHex(VECTOR.canonical()));
        for (Row.Change change : changes) {
            encodings.add(HexFormat.of().formatHex(Row.from(VECTOR).with(change).build().canonical()));
        }
        assertThat(encodings).hasSize(changes.size() + 1);
    }

    @Test
    void fieldBoundariesCannotBeShifted() {
        // "ab"+"c" and "a"+"bc" concatenate alike; the length prefixes keep them apart.
        ChainedEvent one = Row.from(VECTOR).with(r -> {
            r.subject = "ab";
            r.operation = "c";
        }).build();
        ChainedEvent two = Row.from(VECTOR).with(r -> {
            r.subject = "a";
            r.operation = "bc";
        }).build();
        assertThat(one.canonical()).isNotEqualTo(two.canonical());
    }

    @Test
    void theExportLineHasTheFormatThenEveryColumnInCanonicalOrder() {
        ChainedEvent chained = VECTOR.withHash(HexFormat.of().parseHex(VECTOR_HASH));
        assertThat(chained.toJsonLine()).isEqualTo("{\"format\":2,\"seq\":1,\"occurred_at\":\"2026-11-23T11:19:29.438123Z\","
                + "\"request_id\":\"req-1\",\"actor_kind\":\"caller\",\"subject\":\"token:ci\",\"operation\":\"read\","
                + "\"target_kind\":\"secret\",\"backend\":\"vault\",\"path\":\"kv/é\",\"detail\":null,\"version\":null,"
                + "\"lease_hmac\":null,\"outcome\":\"success\",\"status\":200,\"error_code\":null,"
                + "\"client_address\":\"10.0.0.7\",\"hash\":\"" + VECTOR_HASH + "\"}");
        assertThat(ChainedEvent.fromJsonLine(chained.toJsonLine())).isEqualTo(chained);
        ChainedEvent system = SYSTEM_VECTOR.withHash(HexFormat.of().parseHex(SYSTEM_VECTOR_HASH));
        assertThat(system.toJsonLine()).contains("\"status\":null,");
        assertThat(ChainedEvent.fromJsonLine(system.toJsonLine())).isEqualTo(system);
    }

    @Test
    void aLineOfAnotherFormatIsRefused() {
        String line = VECTOR.withHash(HexFormat.of().parseHex(VECTOR_HASH)).toJsonLine().replace("\"format\":2", "\"format\":1");
        assertThatThrownBy(() -> ChainedEvent.fromJsonLine(line)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("format 1");
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "\"version\":null,", // a missing column: nulls are written, never omitted
            "\"occurred_at\":\"2026-11-23T11:19:29.438123Z\",",
            "\"hash\":\"" + VECTOR_HASH + "\"",
            "\"format\":2,",
            "\"detail\":null,",
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
            "\"actor_kind\":\"caller\"|\"actor_kind\":null",
            "\"path\":\"kv/é\"|\"path\":7",
            "abcd7cb3|ABCD7CB3",                                                 // hash in upper case
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
