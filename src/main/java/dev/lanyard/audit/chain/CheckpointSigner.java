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
 * Signs audit checkpoints with Ed25519 (RFC 8032, pure) and verifies them. The private key is the 32-byte seed;
 * the public key is the raw 32-byte encoding served at {@code GET /v1/audit/public-key}.
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
        byte[] message = unsigned.message().getBytes(StandardCharsets.UTF_8);
        Ed25519Signer signer = new Ed25519Signer();
        signer.init(true, privateKey);
        signer.update(message, 0, message.length);
        return new Checkpoint(seq, hash, unsigned.signedAt(), keyId, signer.generateSignature());
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
        if (publicKey == null || publicKey.length != Ed25519PublicKeyParameters.KEY_SIZE) {
            throw new IllegalArgumentException("an Ed25519 public key is 32 bytes");
        }
        byte[] signature = checkpoint.signature();
        if (signature.length != Ed25519PublicKeyParameters.KEY_SIZE * 2) {
            return false;
        }
        Ed25519PublicKeyParameters key;
        try {
            key = new Ed25519PublicKeyParameters(publicKey, 0);
        } catch (IllegalArgumentException e) {
            return false;
        }
        byte[] message = checkpoint.message().getBytes(StandardCharsets.UTF_8);
        Ed25519Signer verifier = new Ed25519Signer();
        verifier.init(false, key);
        verifier.update(message, 0, message.length);
        return verifier.verifySignature(signature);
    }

    @Override
    public String toString() {
        return "CheckpointSigner(keyId=" + keyId + ", private key masked)";
    }
}
