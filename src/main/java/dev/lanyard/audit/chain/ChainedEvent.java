package dev.lanyard.audit.chain;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;

/**
 * One audit row as the chain sees it: the fields of its canonical format under their sequence number, plus the stored
 * hash ({@code null} before the row is chained) and, on the last row of each batch a writer committed, the writer's
 * {@link Seal}. Plain text throughout, as stored: {@code occurredAt} truncated to microseconds, {@code actorKind},
 * {@code targetKind}, {@code operation} and {@code outcome} in their lower-case spellings, {@code status} absent for
 * work no HTTP caller waited for.
 *
 * <p>{@code format} is {@value CanonicalForm#FORMAT} for every row Lanyard writes now: it carries
 * {@code credentialId} (the id of the API token the caller authenticated with; null for ServiceAccounts, Lanyard
 * itself and anonymous callers) and may carry a seal. Rows of format {@value CanonicalForm#LEGACY_FORMAT}, written
 * before either existed, have neither and are still read and verified.
 *
 * <p>This record and its one JSON form ({@link #toJsonLine()} / {@link #fromJsonLine(String)}) are what the export,
 * the archive, the events page and the offline verifier all read and write.
 */
public record ChainedEvent(
        int format,
        long seq,
        Instant occurredAt,
        String requestId,
        String actorKind,
        String subject,
        String credentialId,
        String operation,
        String targetKind,
        String backend,
        String path,
        String detail,
        String version,
        String leaseHmac,
        String outcome,
        Integer status,
        String errorCode,
        String clientAddress,
        byte[] hash,
        Seal seal) {

    public ChainedEvent {
        if (!CanonicalForm.readable(format)) {
            throw new IllegalArgumentException("format " + format + " is not one this code reads ("
                    + CanonicalForm.LEGACY_FORMAT + " or " + CanonicalForm.FORMAT + ")");
        }
        Objects.requireNonNull(occurredAt, "occurredAt");
        Objects.requireNonNull(requestId, "requestId");
        Objects.requireNonNull(actorKind, "actorKind");
        Objects.requireNonNull(subject, "subject");
        Objects.requireNonNull(operation, "operation");
        Objects.requireNonNull(targetKind, "targetKind");
        Objects.requireNonNull(outcome, "outcome");
        if (format == CanonicalForm.LEGACY_FORMAT && (credentialId != null || seal != null)) {
            throw new IllegalArgumentException("a format 2 row has no credential id and no seal");
        }
        occurredAt = CanonicalForm.truncate(occurredAt);
        if (hash != null) {
            if (hash.length != 32) {
                throw new IllegalArgumentException("hash must be 32 bytes, was " + hash.length);
            }
            hash = hash.clone();
        }
    }

    /** {@code canonical(event)}, see {@link CanonicalForm#encode(ChainedEvent)}. */
    public byte[] canonical() {
        return CanonicalForm.encode(this);
    }

    /** {@code SHA-256(previousHash || canonical())}: the hash this row must carry after {@code previousHash}. */
    public byte[] chainedAfter(byte[] previousHash) {
        return CanonicalForm.chain(previousHash, canonical());
    }

    public ChainedEvent withHash(byte[] newHash) {
        return new ChainedEvent(format, seq, occurredAt, requestId, actorKind, subject, credentialId, operation, targetKind,
                backend, path, detail, version, leaseHmac, outcome, status, errorCode, clientAddress, newHash, seal);
    }

    /** The same row carrying {@code newSeal} (null: none), as the last row of a batch does. */
    public ChainedEvent withSeal(Seal newSeal) {
        return new ChainedEvent(format, seq, occurredAt, requestId, actorKind, subject, credentialId, operation, targetKind,
                backend, path, detail, version, leaseHmac, outcome, status, errorCode, clientAddress, hash, newSeal);
    }

    /** The same row at another sequence number, its stored hash and seal kept (what reordering or renumbering does). */
    public ChainedEvent withSeq(long newSeq) {
        return new ChainedEvent(format, newSeq, occurredAt, requestId, actorKind, subject, credentialId, operation,
                targetKind, backend, path, detail, version, leaseHmac, outcome, status, errorCode, clientAddress, hash, seal);
    }

    /** The same row with another subject, its stored hash kept. */
    public ChainedEvent withSubject(String newSubject) {
        return new ChainedEvent(format, seq, occurredAt, requestId, actorKind, newSubject, credentialId, operation,
                targetKind, backend, path, detail, version, leaseHmac, outcome, status, errorCode, clientAddress, hash, seal);
    }

    /** The same row about another path, its stored hash kept. */
    public ChainedEvent withPath(String newPath) {
        return new ChainedEvent(format, seq, occurredAt, requestId, actorKind, subject, credentialId, operation, targetKind,
                backend, newPath, detail, version, leaseHmac, outcome, status, errorCode, clientAddress, hash, seal);
    }

    @Override
    public byte[] hash() {
        return hash == null ? null : hash.clone();
    }

    /**
     * The row as a JSON object: {@code format}, then every canonical field of its format under its column name, then
     * {@code hash} (64 lower-case hex digits) and, in format 3, {@code seal}. Nulls are written as JSON null, never
     * omitted.
     */
    public ObjectNode toJson() {
        if (hash == null) {
            throw new IllegalStateException("event " + seq + " is not chained yet");
        }
        ObjectNode line = AuditJson.MAPPER.createObjectNode();
        line.put("format", format);
        line.put("seq", seq);
        line.put("occurred_at", CanonicalForm.timestamp(occurredAt));
        line.put("request_id", requestId);
        line.put("actor_kind", actorKind);
        line.put("subject", subject);
        if (format == CanonicalForm.FORMAT) {
            line.put("credential_id", credentialId);
        }
        line.put("operation", operation);
        line.put("target_kind", targetKind);
        line.put("backend", backend);
        line.put("path", path);
        line.put("detail", detail);
        line.put("version", version);
        line.put("lease_hmac", leaseHmac);
        line.put("outcome", outcome);
        line.put("status", status);
        line.put("error_code", errorCode);
        line.put("client_address", clientAddress);
        line.put("hash", HexFormat.of().formatHex(hash));
        if (format == CanonicalForm.FORMAT) {
            if (seal == null) {
                line.putNull("seal");
            } else {
                line.set("seal", seal.toJson());
            }
        }
        return line;
    }

    /** One line of the export and of an archived segment: {@link #toJson()} on one line. */
    public String toJsonLine() {
        return AuditJson.write(toJson());
    }

    /**
     * Reads one export line. Every field of its format must be present (nulls as JSON null, never omitted),
     * {@code format} must be 2 or 3, {@code occurred_at} in the exact six-digit form and {@code hash} 64 lower-case hex
     * digits; unknown fields are ignored.
     *
     * @throws IllegalArgumentException if the line is not such an object
     */
    public static ChainedEvent fromJsonLine(String line) {
        ObjectNode o = AuditJson.object(line);
        long format = AuditJson.longField(o, "format");
        if (!CanonicalForm.readable(format)) {
            throw new IllegalArgumentException("format " + format + " is not one this verifier reads ("
                    + CanonicalForm.LEGACY_FORMAT + " or " + CanonicalForm.FORMAT + ")");
        }
        boolean current = format == CanonicalForm.FORMAT;
        return new ChainedEvent(
                (int) format,
                AuditJson.longField(o, "seq"),
                CanonicalForm.parseTimestamp(AuditJson.text(o, "occurred_at")),
                AuditJson.text(o, "request_id"),
                AuditJson.text(o, "actor_kind"),
                AuditJson.text(o, "subject"),
                current ? AuditJson.textOrNull(o, "credential_id") : null,
                AuditJson.text(o, "operation"),
                AuditJson.text(o, "target_kind"),
                AuditJson.textOrNull(o, "backend"),
                AuditJson.textOrNull(o, "path"),
                AuditJson.textOrNull(o, "detail"),
                AuditJson.textOrNull(o, "version"),
                AuditJson.textOrNull(o, "lease_hmac"),
                AuditJson.text(o, "outcome"),
                AuditJson.intOrNull(o, "status"),
                AuditJson.textOrNull(o, "error_code"),
                AuditJson.textOrNull(o, "client_address"),
                AuditJson.hash(o, "hash"),
                current ? Seal.fromJson(o) : null);
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof ChainedEvent e
                && format == e.format && seq == e.seq && Objects.equals(status, e.status)
                && occurredAt.equals(e.occurredAt) && requestId.equals(e.requestId) && actorKind.equals(e.actorKind)
                && subject.equals(e.subject) && Objects.equals(credentialId, e.credentialId)
                && operation.equals(e.operation) && targetKind.equals(e.targetKind)
                && Objects.equals(backend, e.backend) && Objects.equals(path, e.path) && Objects.equals(detail, e.detail)
                && Objects.equals(version, e.version) && Objects.equals(leaseHmac, e.leaseHmac)
                && outcome.equals(e.outcome) && Objects.equals(errorCode, e.errorCode)
                && Objects.equals(clientAddress, e.clientAddress) && Arrays.equals(hash, e.hash)
                && Objects.equals(seal, e.seal);
    }

    @Override
    public int hashCode() {
        return Objects.hash(format, seq, occurredAt, requestId, actorKind, subject, credentialId, operation, targetKind,
                backend, path, detail, version, leaseHmac, outcome, status, errorCode, clientAddress, Arrays.hashCode(hash),
                seal);
    }

    @Override
    public String toString() {
        return "ChainedEvent" + (hash == null ? "[seq=" + seq + ", unchained]" : toJsonLine());
    }
}
