package dev.lanyard.audit.chain;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Objects;

/**
 * A Lanyard writer's signature over one committed batch, carried by the batch's last row (format 3): "I wrote the rows
 * {@code firstSeq} to this row's seq, and this row's hash is the chain's hash there". The database never holds the key,
 * so a row inserted by anyone else — even with a correctly computed hash, since the chain is public and unkeyed — is not
 * covered by any seal, and every verifier says so.
 *
 * <pre>message = "lanyard-audit-seal-v1\n" + first_seq + "\n" + last_seq + "\n" + hex(hash(last_seq))</pre>
 *
 * The prefix differs from a checkpoint's, so a seal can never be read as a checkpoint or the other way round, although
 * the same Ed25519 key signs both. {@code keyId} names the key but is not itself signed.
 */
public record Seal(long firstSeq, String keyId, byte[] signature) {

    static final String MESSAGE_PREFIX = "lanyard-audit-seal-v1\n";

    public Seal {
        if (firstSeq < 1) {
            throw new IllegalArgumentException("a seal's first seq is positive, was " + firstSeq);
        }
        Objects.requireNonNull(keyId, "keyId");
        Objects.requireNonNull(signature, "signature");
        signature = signature.clone();
    }

    /** What the writer signs for the batch {@code firstSeq..lastSeq} whose last row carries {@code lastHash}. */
    public static String message(long firstSeq, long lastSeq, byte[] lastHash) {
        return MESSAGE_PREFIX + firstSeq + "\n" + lastSeq + "\n" + HexFormat.of().formatHex(lastHash);
    }

    @Override
    public byte[] signature() {
        return signature.clone();
    }

    /** {@code {"first_seq":N,"key_id":"…","signature":"<base64>"}}, in that order. */
    ObjectNode toJson() {
        ObjectNode seal = AuditJson.MAPPER.createObjectNode();
        seal.put("first_seq", firstSeq);
        seal.put("key_id", keyId);
        seal.put("signature", Base64.getEncoder().encodeToString(signature));
        return seal;
    }

    /** The {@code seal} member of an export line: null, or an object as {@link #toJson()} writes it. */
    static Seal fromJson(ObjectNode line) {
        var value = AuditJson.field(line, "seal");
        if (value.isNull()) {
            return null;
        }
        if (!value.isObject()) {
            throw new IllegalArgumentException("\"seal\" is neither an object nor null");
        }
        ObjectNode seal = (ObjectNode) value;
        long first = AuditJson.longField(seal, "first_seq");
        String keyId = AuditJson.text(seal, "key_id");
        byte[] signature;
        try {
            signature = Base64.getDecoder().decode(AuditJson.text(seal, "signature"));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("\"seal\".\"signature\" is not base64");
        }
        return new Seal(first, keyId, signature);
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof Seal s && firstSeq == s.firstSeq && keyId.equals(s.keyId)
                && Arrays.equals(signature, s.signature);
    }

    @Override
    public int hashCode() {
        return Objects.hash(firstSeq, keyId, Arrays.hashCode(signature));
    }

    @Override
    public String toString() {
        return "Seal[firstSeq=" + firstSeq + ", keyId=" + keyId + "]";
    }
}
