package dev.lanyard.audit;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;

/**
 * One chained audit row as the chain sees it: the canonical fields under their sequence number, plus the stored
 * hash ({@code null} before the row is chained). {@code occurredAt} is held truncated to microseconds, the value that
 * is hashed and stored; {@code outcome} is the lower-case spelling ({@code success}, {@code not_found}, ...).
 */
public record ChainedEvent(
        long seq,
        Instant occurredAt,
        String requestId,
        String subject,
        String operation,
        String backend,
        String path,
        String version,
        String leaseHmac,
        String outcome,
        int status,
        String errorCode,
        String clientAddress,
        byte[] hash) {

    public ChainedEvent {
        Objects.requireNonNull(occurredAt, "occurredAt");
        Objects.requireNonNull(requestId, "requestId");
        Objects.requireNonNull(subject, "subject");
        Objects.requireNonNull(operation, "operation");
        Objects.requireNonNull(outcome, "outcome");
        occurredAt = CanonicalForm.truncate(occurredAt);
        if (hash != null) {
            if (hash.length != 32) {
                throw new IllegalArgumentException("hash must be 32 bytes, was " + hash.length);
            }
            hash = hash.clone();
        }
    }

    /** The row for {@code event} at {@code seq}; the time is truncated to microseconds. */
    public static ChainedEvent of(long seq, AuditEvent e, byte[] hash) {
        return new ChainedEvent(seq, e.occurredAt(), e.requestId(), e.subject(), e.operation(), e.backend(), e.path(),
                e.version(), e.leaseHmac(), e.outcome().spelling(), e.status(), e.errorCode(), e.clientAddress(), hash);
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
        return new ChainedEvent(seq, occurredAt, requestId, subject, operation, backend, path, version, leaseHmac,
                outcome, status, errorCode, clientAddress, newHash);
    }

    @Override
    public byte[] hash() {
        return hash == null ? null : hash.clone();
    }

    /** One line of {@code GET /v1/audit/export}: every canonical field under its column name, plus seq and hash. */
    public String toJsonLine() {
        if (hash == null) {
            throw new IllegalStateException("event " + seq + " is not chained yet");
        }
        ObjectNode line = AuditJson.MAPPER.createObjectNode();
        line.put("seq", seq);
        line.put("occurred_at", CanonicalForm.timestamp(occurredAt));
        line.put("request_id", requestId);
        line.put("subject", subject);
        line.put("operation", operation);
        line.put("backend", backend);
        line.put("path", path);
        line.put("version", version);
        line.put("lease_hmac", leaseHmac);
        line.put("outcome", outcome);
        line.put("status", status);
        line.put("error_code", errorCode);
        line.put("client_address", clientAddress);
        line.put("hash", HexFormat.of().formatHex(hash));
        return AuditJson.write(line);
    }

    /**
     * Reads one export line. Every field must be present (nulls as JSON null, never omitted), {@code occurred_at} must
     * be in the exact six-digit form and {@code hash} 64 lower-case hex digits; unknown fields are ignored.
     *
     * @throws IllegalArgumentException if the line is not such an object
     */
    public static ChainedEvent fromJsonLine(String line) {
        ObjectNode o = AuditJson.object(line);
        return new ChainedEvent(
                AuditJson.longField(o, "seq"),
                CanonicalForm.parseTimestamp(AuditJson.text(o, "occurred_at")),
                AuditJson.text(o, "request_id"),
                AuditJson.text(o, "subject"),
                AuditJson.text(o, "operation"),
                AuditJson.textOrNull(o, "backend"),
                AuditJson.textOrNull(o, "path"),
                AuditJson.textOrNull(o, "version"),
                AuditJson.textOrNull(o, "lease_hmac"),
                AuditJson.text(o, "outcome"),
                AuditJson.intField(o, "status"),
                AuditJson.textOrNull(o, "error_code"),
                AuditJson.textOrNull(o, "client_address"),
                AuditJson.hash(o, "hash"));
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof ChainedEvent e
                && seq == e.seq && status == e.status
                && occurredAt.equals(e.occurredAt) && requestId.equals(e.requestId) && subject.equals(e.subject)
                && operation.equals(e.operation) && Objects.equals(backend, e.backend) && Objects.equals(path, e.path)
                && Objects.equals(version, e.version) && Objects.equals(leaseHmac, e.leaseHmac)
                && outcome.equals(e.outcome) && Objects.equals(errorCode, e.errorCode)
                && Objects.equals(clientAddress, e.clientAddress) && Arrays.equals(hash, e.hash);
    }

    @Override
    public int hashCode() {
        return Objects.hash(seq, occurredAt, requestId, subject, operation, backend, path, version, leaseHmac, outcome,
                status, errorCode, clientAddress, Arrays.hashCode(hash));
    }

    @Override
    public String toString() {
        return "ChainedEvent[seq=" + seq + ", occurredAt=" + occurredAt + ", requestId="
                + requestId + ", subject=" + subject + ", operation=" + operation + ", backend=" + backend + ", path="
                + path + ", version=" + version + ", leaseHmac=" + leaseHmac + ", outcome=" + outcome + ", status="
                + status + ", errorCode=" + errorCode + ", clientAddress=" + clientAddress + ", hash="
                + (hash == null ? null : HexFormat.of().formatHex(hash)) + "]";
    }
}
