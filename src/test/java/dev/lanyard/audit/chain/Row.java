package dev.lanyard.audit.chain;

import java.time.Instant;

/** Builds {@link ChainedEvent}s for tests field by field, starting from a copy of another row. */
final class Row {
    int format = CanonicalForm.FORMAT;
    long seq;
    Instant occurredAt;
    String requestId;
    String actorKind;
    String subject;
    String credentialId;
    String operation;
    String targetKind;
    String backend;
    String path;
    String detail;
    String version;
    String leaseHmac;
    String outcome;
    Integer status;
    String errorCode;
    String clientAddress;
    byte[] hash;
    Seal seal;

    static Row from(ChainedEvent e) {
        Row r = new Row();
        r.format = e.format();
        r.seq = e.seq();
        r.occurredAt = e.occurredAt();
        r.requestId = e.requestId();
        r.actorKind = e.actorKind();
        r.subject = e.subject();
        r.credentialId = e.credentialId();
        r.operation = e.operation();
        r.targetKind = e.targetKind();
        r.backend = e.backend();
        r.path = e.path();
        r.detail = e.detail();
        r.version = e.version();
        r.leaseHmac = e.leaseHmac();
        r.outcome = e.outcome();
        r.status = e.status();
        r.errorCode = e.errorCode();
        r.clientAddress = e.clientAddress();
        r.hash = e.hash();
        r.seal = e.seal();
        return r;
    }

    /** A caller's read of {@code backend/path}, answered 200: the shape most test rows start from. */
    static Row read(long seq, Instant at, String subject, String backend, String path) {
        Row r = new Row();
        r.seq = seq;
        r.occurredAt = at;
        r.requestId = "req-" + seq;
        r.actorKind = "caller";
        r.subject = subject;
        r.operation = "read";
        r.targetKind = "secret";
        r.backend = backend;
        r.path = path;
        r.outcome = "success";
        r.status = 200;
        return r;
    }

    interface Change {
        void apply(Row row);
    }

    Row with(Change change) {
        change.apply(this);
        return this;
    }

    ChainedEvent build() {
        return new ChainedEvent(format, seq, occurredAt, requestId, actorKind, subject, credentialId, operation, targetKind,
                backend, path, detail, version, leaseHmac, outcome, status, errorCode, clientAddress, hash, seal);
    }
}
