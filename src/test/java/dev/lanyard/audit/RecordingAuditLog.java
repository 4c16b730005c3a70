package dev.lanyard.audit;

import io.smallrye.mutiny.Uni;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;

/** An {@link AuditLog} that keeps events in memory and can be switched to fail like an unreachable database. */
public final class RecordingAuditLog implements AuditLog {

    private final List<AuditEvent> events = new CopyOnWriteArrayList<>();
    private volatile boolean failing;
    private volatile Predicate<AuditEvent> refused = event -> false;

    public RecordingAuditLog failing(boolean failing) {
        this.failing = failing;
        return this;
    }

    /** Fails only the events {@code which} selects, as when one event of a batch cannot be written. */
    public RecordingAuditLog failingFor(Predicate<AuditEvent> which) {
        this.refused = which;
        return this;
    }

    @Override
    public Uni<Void> append(AuditEvent event) {
        if (failing || refused.test(event)) {
            return Uni.createFrom().failure(new AuditUnavailableException(new IllegalStateException("audit store down")));
        }
        events.add(event);
        return Uni.createFrom().voidItem();
    }

    public List<AuditEvent> events() {
        return List.copyOf(events);
    }

    public AuditEvent last() {
        if (events.isEmpty()) {
            throw new AssertionError("no audit event was recorded");
        }
        return events.getLast();
    }
}
