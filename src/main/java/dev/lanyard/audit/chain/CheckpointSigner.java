package dev.lanyard.audit.chain;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.bouncycastle.crypto.params.Ed25519PublicKeyParameters;
import org.bouncycastle.crypto.signers.Ed25519Signer;

/**
 * The audit signing key: signs checkpoints and the writer's batch {@link Seal}s with Ed25519 (RFC 8032, pure), and
 * verifies both. The two messages start with different prefixes, so neither can pass for the other. The private key is
 * the 32-byte seed; the public key is the raw 32-byte encoding served at {@code GET /v1/audit/public-key}.
 */
public final class CheckpointSigner {

    private final Ed25519PrivateKeyParameters privateKey;
    private final byte[] publicKey;
    private final String keyId;

    public CheckpointSigner(byte[] seed) {
        if (seed == null || seed.length != Ed25519PrivateKeyParameters.KEY_SIZE) {
            throw new IllegalArgumentException("an Ed25519 private key seed is 32 bytes");
        }
        this.privateKey = new Ed25519PrivateKeyParameters(seed, 0);
        this.publicKey = privateKey.generatePublicKey().getEncoded();
        this.keyId = keyId(publicKey);
    }

    /** @param base64Seed the 32-byte seed, base64 (as {@link #generateSeed()} writes it); surrounding blanks ignored */
    public static CheckpointSigner fromBase64Seed(String base64Seed) {
        byte[] seed;
        try {
            seed = Base64.getDecoder().decode(base64Seed.strip());
        } catch (IllegalArgumentException e) {
            // Never echo the value: it is a private key.
            throw new IllegalArgumentException("the audit signing key is not base64");
        }
        try {
            return new CheckpointSigner(seed);
        } finally {
            Arrays.fill(seed, (byte) 0);
        }
    }

    /** A fresh random seed, base64, for {@code lanyard.audit.signing-key}. */
    public static String generateSeed() {
        byte[] seed = new byte[Ed25519PrivateKeyParameters.KEY_SIZE];
        new SecureRandom().nextBytes(seed);
        return Base64.getEncoder().encodeToString(seed);
    }

    /** Hex of the first 8 bytes of SHA-256(public key). */
    public static String keyId(byte[] publicKey) {
        return HexFormat.of().formatHex(CanonicalForm.sha256().digest(publicKey), 0, 8);
    }

    /** Signs the head ({@code seq}, {@code hash}) at {@code signedAt}, truncated to microseconds. */
    public Checkpoint sign(long seq, byte[] hash, Instant signedAt) {
        Checkpoint unsigned = new Checkpoint(seq, hash, signedAt, keyId, new byte[0]);
        return new Checkpoint(seq, hash, unsigned.signedAt(), keyId, signature(unsigned.message()));
    }

    /** Seals the batch {@code firstSeq..lastSeq} whose last row's hash is {@code lastHash}: see {@link Seal}. */
    public Seal seal(long firstSeq, long lastSeq, byte[] lastHash) {
        if (lastSeq < firstSeq) {
            throw new IllegalArgumentException("a batch ends at or after its first seq: " + firstSeq + ".." + lastSeq);
        }
        return new Seal(firstSeq, keyId, signature(Seal.message(firstSeq, lastSeq, lastHash)));
    }

    private byte[] signature(String message) {
        byte[] bytes = message.getBytes(StandardCharsets.UTF_8);
        Ed25519Signer signer = new Ed25519Signer();
        signer.init(true, privateKey);
        signer.update(bytes, 0, bytes.length);
        return signer.generateSignature();
    }

    public byte[] publicKey() {
        return publicKey.clone();
    }

    public String keyId() {
        return keyId;
    }

    /**
     * Whether {@code checkpoint.signature()} is a valid Ed25519 signature of {@code checkpoint.message()} under
     * {@code publicKey}. The checkpoint's key id is not consulted (it is not signed).
     *
     * @throws IllegalArgumentException if {@code publicKey} is not 32 bytes
     */
    public static boolean verify(Checkpoint checkpoint, byte[] publicKey) {
        return verify(checkpoint.message(), checkpoint.signature(), publicKey);
    }

    /**
     * Whether {@code seal} is a valid signature, under {@code publicKey}, of the batch that ends at {@code lastSeq}
     * with {@code lastHash}. The seal's key id is not consulted (it is not signed).
     *
     * @throws IllegalArgumentException if {@code publicKey} is not 32 bytes
     */
    public static boolean verify(Seal seal, long lastSeq, byte[] lastHash, byte[] publicKey) {
        return seal.firstSeq() <= lastSeq && verify(Seal.message(seal.firstSeq(), lastSeq, lastHash), seal.signature(), publicKey);
    }

    private static boolean verify(String message, byte[] signature, byte[] publicKey) {
        if (publicKey == null || publicKey.length != Ed25519PublicKeyParameters.KEY_SIZE) {
            throw new IllegalArgumentException("an Ed25519 public key is 32 bytes");
        }
        if (signature.length != Ed25519PublicKeyParameters.KEY_SIZE * 2) {
            return false;
        }
        Ed25519PublicKeyParameters key;
        try {
            key = new Ed25519PublicKeyParameters(publicKey, 0);
        } catch (IllegalArgumentException e) {
            return false;
        }
        byte[] bytes = message.getBytes(StandardCharsets.UTF_8);
        Ed25519Signer verifier = new Ed25519Signer();
        verifier.init(false, key);
        verifier.update(bytes, 0, bytes.length);
        return verifier.verifySignature(signature);
    }

    @Override
    public String toString() {
        return "CheckpointSigner(keyId=" + keyId + ", private key masked)";
    }
}
