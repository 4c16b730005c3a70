package dev.lanyard.audit.chain;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Objects;

/**
 * A signed statement that the chain's head was {@code hash} at {@code seq} at {@code signedAt}. {@code signedAt} is
 * held truncated to microseconds, as it is written and signed; {@code keyId} names the signing key but is not itself
 * signed.
 */
public record Checkpoint(long seq, byte[] hash, Instant signedAt, String keyId, byte[] signature) {

    static final String MESSAGE_PREFIX = "lanyard-audit-checkpoint-v1\n";

    public Checkpoint {
        if (seq < 0) {
            throw new IllegalArgumentException("checkpoint seq must not be negative: " + seq);
        }
        Objects.requireNonNull(hash, "hash");
        Objects.requireNonNull(signedAt, "signedAt");
        Objects.requireNonNull(keyId, "keyId");
        Objects.requireNonNull(signature, "signature");
        if (hash.length != 32) {
            throw new IllegalArgumentException("checkpoint hash must be 32 bytes, was " + hash.length);
        }
        hash = hash.clone();
        signature = signature.clone();
        signedAt = CanonicalForm.truncate(signedAt);
    }

    /** {@code "lanyard-audit-checkpoint-v1\n" + seq + "\n" + hex(hash) + "\n" + signed_at}, no trailing newline. */
    public String message() {
        return MESSAGE_PREFIX + seq + "\n" + HexFormat.of().formatHex(hash) + "\n" + CanonicalForm.timestamp(signedAt);
    }

    @Override
    public byte[] hash() {
        return hash.clone();
    }

    @Override
    public byte[] signature() {
        return signature.clone();
    }

    /** {@code {"seq":42,"hash":"<64 hex>","signed_at":"...","key_id":"...","signature":"<base64>"}}, in that order. */
    public String toJsonLine() {
        ObjectNode line = AuditJson.MAPPER.createObjectNode();
        line.put("seq", seq);
        line.put("hash", HexFormat.of().formatHex(hash));
        line.put("signed_at", CanonicalForm.timestamp(signedAt));
        line.put("key_id", keyId);
        line.put("signature", Base64.getEncoder().encodeToString(signature));
        return AuditJson.write(line);
    }

    /**
     * Reads one line of the checkpoint file. Does not verify the signature: see {@link CheckpointSigner#verify}.
     *
     * @throws IllegalArgumentException if the line is not a checkpoint
     */
    public static Checkpoint fromJsonLine(String line) {
        ObjectNode o = AuditJson.object(line);
        long seq = AuditJson.longField(o, "seq");
        byte[] hash = AuditJson.hash(o, "hash");
        Instant signedAt = CanonicalForm.parseTimestamp(AuditJson.text(o, "signed_at"));
        String keyId = AuditJson.text(o, "key_id");
        String signature = AuditJson.text(o, "signature");
        try {
            return new Checkpoint(seq, hash, signedAt, keyId, Base64.getDecoder().decode(signature));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("\"signature\" is not base64");
        }
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof Checkpoint c && seq == c.seq && Arrays.equals(hash, c.hash)
                && signedAt.equals(c.signedAt) && keyId.equals(c.keyId) && Arrays.equals(signature, c.signature);
    }

    @Override
    public int hashCode() {
        return Objects.hash(seq, Arrays.hashCode(hash), signedAt, keyId, Arrays.hashCode(signature));
    }

    @Override
    public String toString() {
        return "Checkpoint[seq=" + seq + ", hash=" + HexFormat.of().formatHex(hash) + ", signedAt=" + signedAt
                + ", keyId=" + keyId + "]";
    }
}
