package dev.lanyard.audit.chain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.Base64;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Ed25519 checkpoints. The expected public key, key id and signature were computed outside Java (Python
 * {@code cryptography}: {@code Ed25519PrivateKey.from_private_bytes(bytes(range(32)))}), so they cross-check
 * BouncyCastle and the message layout; they are the checkpoint part of the test vector in docs/audit-chain.md.
 */
class CheckpointSignerTest {

    static final byte[] SEED = HexFormat.of().parseHex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
    static final String PUBLIC_KEY = "A6EHv/POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbg=";
    static final String KEY_ID = "56475aa75463474c";
    static final byte[] HASH = HexFormat.of().parseHex(CanonicalFormTest.VECTOR_HASH);
    static final Instant SIGNED_AT = Instant.parse("2026-11-23T11:19:30.000001Z");
    static final String MESSAGE = "lanyard-audit-checkpoint-v1\n"
            + "1\n"
            + "abcd7cb3eec8d0d92c7fd02aa59fa6bfa49ac13bd4a264066899063893a000f9\n"
            + "2026-11-23T11:19:30.000001Z";
    static final String SIGNATURE =
            "wX9a/sWgSDP74sNSOFJmIE2irgof1Nc2KI9MAuJPaRfZTA76gSyKpKbh4U+/i3yOgf8Zwh2gd+HpztB1ozLtCA==";

    /**
     * The writer seal of the third test vector, a batch of one row (3..3), signed outside Java the same way over
     * {@code "lanyard-audit-seal-v1\n3\n3\n" + TOKEN_VECTOR_HASH}.
     */
    static final String SEAL_MESSAGE = "lanyard-audit-seal-v1\n3\n3\n" + CanonicalFormTest.TOKEN_VECTOR_HASH;
    static final String SEAL_SIGNATURE =
            "IpZWKgyWrGBftapNwKh3+GiGDf8ZLvoPrPd3It5Bz+SznYqpvPJCbQWOh5l/Ml82PNiwqg+5CcbVE9jmqPPLDQ==";

    private final CheckpointSigner signer = new CheckpointSigner(SEED);

    @Test
    void theSealVectorSignsByteForByte() {
        byte[] hash = HexFormat.of().parseHex(CanonicalFormTest.TOKEN_VECTOR_HASH);
        Seal seal = signer.seal(3, 3, hash);
        assertThat(Seal.message(3, 3, hash)).isEqualTo(SEAL_MESSAGE);
        assertThat(Base64.getEncoder().encodeToString(seal.signature())).isEqualTo(SEAL_SIGNATURE);
        assertThat(seal.keyId()).isEqualTo(KEY_ID);
        assertThat(seal.firstSeq()).isEqualTo(3);
        assertThat(CheckpointSigner.verify(seal, 3, hash, Base64.getDecoder().decode(PUBLIC_KEY))).isTrue();
    }

    @Test
    void aSealVouchesForItsRangeAndHashOnly() {
        byte[] hash = HexFormat.of().parseHex(CanonicalFormTest.TOKEN_VECTOR_HASH);
        Seal seal = signer.seal(3, 3, hash);
        byte[] key = signer.publicKey();
        assertThat(CheckpointSigner.verify(seal, 4, hash, key)).as("another last seq").isFalse();
        assertThat(CheckpointSigner.verify(new Seal(2, KEY_ID, seal.signature()), 3, hash, key)).as("another first seq").isFalse();
        assertThat(CheckpointSigner.verify(seal, 3, HASH, key)).as("another hash").isFalse();
        assertThat(CheckpointSigner.verify(seal, 3, hash, CheckpointSigner.fromBase64Seed(CheckpointSigner.generateSeed())
                .publicKey())).as("another key").isFalse();
        assertThat(CheckpointSigner.verify(new Seal(3, KEY_ID, new byte[64]), 3, hash, key)).as("garbage").isFalse();
    }

    @Test
    void aSealAndACheckpointOfTheSameHeadAreNotInterchangeable() {
        // Same key, same seq and hash: the prefixes keep the two statements apart.
        Checkpoint checkpoint = signer.sign(1, HASH, SIGNED_AT);
        Seal seal = signer.seal(1, 1, HASH);
        assertThat(CheckpointSigner.verify(new Seal(1, KEY_ID, checkpoint.signature()), 1, HASH, signer.publicKey())).isFalse();
        assertThat(CheckpointSigner.verify(new Checkpoint(1, HASH, SIGNED_AT, KEY_ID, seal.signature()), signer.publicKey()))
                .isFalse();
    }

    @Test
    void theTestVectorSignsByteForByte() {
        assertThat(Base64.getEncoder().encodeToString(signer.publicKey())).isEqualTo(PUBLIC_KEY);
        assertThat(signer.keyId()).isEqualTo(KEY_ID);

        Checkpoint checkpoint = signer.sign(1, HASH, SIGNED_AT);
        assertThat(checkpoint.message()).isEqualTo(MESSAGE);
        assertThat(Base64.getEncoder().encodeToString(checkpoint.signature())).isEqualTo(SIGNATURE);
        assertThat(checkpoint.keyId()).isEqualTo(KEY_ID);
        assertThat(CheckpointSigner.verify(checkpoint, Base64.getDecoder().decode(PUBLIC_KEY))).isTrue();
    }

    @Test
    void theCheckpointLineHasTheDocumentedShape() {
        Checkpoint checkpoint = signer.sign(1, HASH, SIGNED_AT);
        String line = checkpoint.toJsonLine();
        assertThat(line).isEqualTo("{\"seq\":1,\"hash\":\"" + CanonicalFormTest.VECTOR_HASH + "\","
                + "\"signed_at\":\"2026-11-23T11:19:30.000001Z\",\"key_id\":\"" + KEY_ID + "\","
                + "\"signature\":\"" + SIGNATURE + "\"}");
        assertThat(Checkpoint.fromJsonLine(line)).isEqualTo(checkpoint);
        assertThat(CheckpointSigner.verify(Checkpoint.fromJsonLine(line), signer.publicKey())).isTrue();
    }

    @Test
    void signingTruncatesTheTimeToMicrosecondsBeforeSigning() {
        Checkpoint checkpoint = signer.sign(1, HASH, SIGNED_AT.plusNanos(999));
        assertThat(checkpoint.signedAt()).isEqualTo(SIGNED_AT);
        assertThat(Base64.getEncoder().encodeToString(checkpoint.signature())).isEqualTo(SIGNATURE);
    }

    @Test
    void aChangedSignatureDoesNotVerify() {
        Checkpoint good = signer.sign(1, HASH, SIGNED_AT);
        byte[] signature = good.signature();
        signature[10] ^= 0x01;
        assertThat(CheckpointSigner.verify(withSignature(good, signature), signer.publicKey())).isFalse();
        assertThat(CheckpointSigner.verify(withSignature(good, new byte[64]), signer.publicKey())).isFalse();
        assertThat(CheckpointSigner.verify(withSignature(good, new byte[0]), signer.publicKey())).isFalse();
        assertThat(CheckpointSigner.verify(withSignature(good, java.util.Arrays.copyOf(good.signature(), 65)),
                signer.publicKey())).isFalse();
    }

    @Test
    void aSignatureDoesNotCarryOverToAnotherSeqHashOrTime() {
        Checkpoint good = signer.sign(1, HASH, SIGNED_AT);
        byte[] otherHash = HASH.clone();
        otherHash[31] ^= 0x01;
        assertThat(CheckpointSigner.verify(new Checkpoint(2, HASH, SIGNED_AT, KEY_ID, good.signature()),
                signer.publicKey())).isFalse();
        assertThat(CheckpointSigner.verify(new Checkpoint(1, otherHash, SIGNED_AT, KEY_ID, good.signature()),
                signer.publicKey())).isFalse();
        assertThat(CheckpointSigner.verify(new Checkpoint(1, HASH, SIGNED_AT.plusNanos(1000), KEY_ID, good.signature()),
                signer.publicKey())).isFalse();
        // The key id is not signed: relabelling does not break the signature (and does not make a forgery).
        assertThat(CheckpointSigner.verify(new Checkpoint(1, HASH, SIGNED_AT, "0000000000000000", good.signature()),
                signer.publicKey())).isTrue();
    }

    @Test
    void anotherKeyDoesNotVerify() {
        CheckpointSigner other = CheckpointSigner.fromBase64Seed(CheckpointSigner.generateSeed());
        Checkpoint checkpoint = signer.sign(1, HASH, SIGNED_AT);
        assertThat(CheckpointSigner.verify(checkpoint, other.publicKey())).isFalse();
        assertThat(CheckpointSigner.verify(other.sign(1, HASH, SIGNED_AT), signer.publicKey())).isFalse();
        assertThat(other.keyId()).isNotEqualTo(signer.keyId()).matches("[0-9a-f]{16}");
    }

    @Test
    void aPublicKeyOfTheWrongSizeIsAnError() {
        Checkpoint checkpoint = signer.sign(1, HASH, SIGNED_AT);
        assertThatThrownBy(() -> CheckpointSigner.verify(checkpoint, new byte[31]))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void theKeyIdIsTheFirstEightBytesOfTheSha256OfThePublicKey() {
        byte[] digest = CanonicalForm.sha256().digest(signer.publicKey());
        assertThat(signer.keyId()).isEqualTo(HexFormat.of().formatHex(digest).substring(0, 16));
        assertThat(CheckpointSigner.keyId(signer.publicKey())).isEqualTo(KEY_ID);
    }

    @Test
    void seedsAreRandom32ByteBase64() {
        Set<String> seeds = new HashSet<>();
        for (int i = 0; i < 20; i++) {
            String seed = CheckpointSigner.generateSeed();
            assertThat(Base64.getDecoder().decode(seed)).hasSize(32);
            seeds.add(seed);
        }
        assertThat(seeds).hasSize(20);
    }

    @Test
    void aBase64SeedMakesTheSameKey() {
        CheckpointSigner fromText = CheckpointSigner.fromBase64Seed(" " + Base64.getEncoder().encodeToString(SEED) + "\n");
        assertThat(fromText.publicKey()).isEqualTo(signer.publicKey());
    }

    @Test
    void badSeedsAreRefusedWithoutEchoingThem() {
        String shortSeed = Base64.getEncoder().encodeToString(new byte[31]);
        assertThatThrownBy(() -> CheckpointSigner.fromBase64Seed(shortSeed))
                .isInstanceOf(IllegalArgumentException.class)
                .message().doesNotContain(shortSeed);
        assertThatThrownBy(() -> CheckpointSigner.fromBase64Seed("not base64 at all!"))
                .isInstanceOf(IllegalArgumentException.class)
                .message().doesNotContain("not base64 at all!");
        assertThatThrownBy(() -> new CheckpointSigner(new byte[33])).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void toStringMasksThePrivateKey() {
        String seed = Base64.getEncoder().encodeToString(SEED);
        assertThat(signer.toString())
                .contains(KEY_ID)
                .contains("masked")
                .doesNotContain(seed)
                .doesNotContain(HexFormat.of().formatHex(SEED));
    }

    @Test
    void malformedCheckpointLinesAreRefused() {
        String line = signer.sign(1, HASH, SIGNED_AT).toJsonLine();
        assertThatThrownBy(() -> Checkpoint.fromJsonLine(line.replace(SIGNATURE, "%%%")))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Checkpoint.fromJsonLine(line.replace("\"seq\":1", "\"seq\":-1")))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Checkpoint.fromJsonLine(line.replace(".000001Z", ".000001+00:00")))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Checkpoint.fromJsonLine(line.replace("\"seq\":1,", "")))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Checkpoint.fromJsonLine("[]")).isInstanceOf(IllegalArgumentException.class);
    }

    private static Checkpoint withSignature(Checkpoint c, byte[] signature) {
        return new Checkpoint(c.seq(), c.hash(), c.signedAt(), c.keyId(), signature);
    }
}
