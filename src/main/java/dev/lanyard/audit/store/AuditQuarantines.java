package dev.lanyard.audit.store;

import dev.lanyard.audit.chain.CanonicalForm;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The quarantines the schema owner made ({@link AuditQuarantine}) that the log does not record yet. Each is recorded once,
 * as an event at {@code audit/quarantine/<id>} (a unique index makes a second attempt fail), by whoever appends it first.
 */
@ApplicationScoped
public class AuditQuarantines {

    private static final String UNRECORDED = """
            select q.id, q.first_seq, q.last_seq, q.quarantined_at, q.quarantined_by, q.reason from audit_quarantine q
            where not exists (select 1 from audit_event e where e.operation = 'audit.quarantine' and e.outcome = 'success'
                              and e.path = 'quarantine/' || q.id)
            order by q.id""";

    /** Rows {@code firstSeq..lastSeq} moved out of the chain by {@code by} at {@code at}, for {@code reason}. */
    public record Quarantine(long id, long firstSeq, long lastSeq, Instant at, String by, String reason) {
        /** The resource its record names: {@code quarantine/<id>}. */
        public String resource() {
            return "quarantine/" + id;
        }

        /** What its record's detail says. */
        public String describe() {
            String range = firstSeq == lastSeq ? "seq " + firstSeq : "seq " + firstSeq + " to " + lastSeq;
            return range + " (no Lanyard writer seal) moved out of the chain into audit_quarantined_row by " + by + " at "
                    + CanonicalForm.timestamp(at) + ": " + reason;
        }
    }

    private final Pool pool;

    AuditQuarantines(Pool pool) {
        this.pool = pool;
    }

    public Uni<List<Quarantine>> unrecorded() {
        return pool.query(UNRECORDED).execute().map(rows -> {
            List<Quarantine> found = new ArrayList<>();
            for (Row row : rows) {
                found.add(new Quarantine(row.getLong("id"), row.getLong("first_seq"), row.getLong("last_seq"),
                        row.getOffsetDateTime("quarantined_at").toInstant(), row.getString("quarantined_by"),
                        row.getString("reason")));
            }
            return found;
        });
    }
}
