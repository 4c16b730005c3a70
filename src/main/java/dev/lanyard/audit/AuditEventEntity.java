package dev.lanyard.audit;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.SequenceGenerator;
import jakarta.persistence.Table;
import java.time.Instant;

/** Row of the append-only {@code audit_event} table (see V1 migration). */
@Entity
@Table(name = "audit_event")
class AuditEventEntity {

    @Id
    @SequenceGenerator(name = "audit_event_seq", sequenceName = "audit_event_id_seq", allocationSize = 1)
    @GeneratedValue(strategy = GenerationType.SEQUENCE, generator = "audit_event_seq")
    Long id;

    @Column(name = "occurred_at", nullable = false, updatable = false)
    Instant occurredAt;

    @Column(name = "request_id", nullable = false, updatable = false)
    String requestId;

    @Column(nullable = false, updatable = false)
    String subject;

    @Column(nullable = false, updatable = false)
    String operation;

    @Column(updatable = false)
    String backend;

    @Column(updatable = false)
    String path;

    @Column(updatable = false)
    String version;

    @Column(name = "lease_hmac", updatable = false)
    String leaseHmac;

    @Column(nullable = false, updatable = false)
    String outcome;

    @Column(nullable = false, updatable = false)
    int status;

    @Column(name = "error_code", updatable = false)
    String errorCode;

    @Column(name = "client_address", updatable = false)
    String clientAddress;

    static AuditEventEntity from(AuditEvent event) {
        AuditEventEntity row = new AuditEventEntity();
        row.occurredAt = event.occurredAt();
        row.requestId = event.requestId();
        row.subject = event.subject();
        row.operation = event.operation();
        row.backend = event.backend();
        row.path = event.path();
        row.version = event.version();
        row.leaseHmac = event.leaseHmac();
        row.outcome = event.outcome().spelling();
        row.status = event.status();
        row.errorCode = event.errorCode();
        row.clientAddress = event.clientAddress();
        return row;
    }
}
