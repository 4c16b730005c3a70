package dev.lanyard.lifecycle;

import dev.lanyard.access.AccessContext;
import dev.lanyard.access.AuditedAccess;
import dev.lanyard.access.AuditedAccess.IfUnrecorded;
import dev.lanyard.audit.AuditOperation;
import dev.lanyard.audit.Outcome;
import dev.lanyard.audit.Target;
import dev.lanyard.audit.store.AuditQuarantines;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

/**
 * Records in the log each quarantine the schema owner made (rows no Lanyard writer sealed, moved out of the chain by
 * {@code audit-quarantine}), as a system fact at {@code audit/quarantine/<id>}: the chain itself then says that rows were
 * taken out, which, when and why. Checked every 15 seconds; the database lets each quarantine be recorded once, so
 * replicas that race record it once between them. A fact that cannot be recorded yet (the log refuses appends, or
 * another replica just recorded it) is looked at again in the next round.
 */
@ApplicationScoped
class QuarantineFacts {

    private static final Logger LOG = Logger.getLogger(QuarantineFacts.class);

    private final AuditQuarantines quarantines;
    private final AuditedAccess audited;

    QuarantineFacts(AuditQuarantines quarantines, AuditedAccess audited) {
        this.quarantines = quarantines;
        this.audited = audited;
    }

    @Scheduled(every = "15s", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    Uni<Void> record() {
        return quarantines.unrecorded()
                .onItem().transformToMulti(found -> Multi.createFrom().iterable(found))
                .onItem().transformToUniAndConcatenate(quarantine -> audited.fact(AccessContext.system(quarantine.resource()),
                                AuditOperation.AUDIT_QUARANTINE, Target.audit(quarantine.resource()).withDetail(quarantine.describe()),
                                Outcome.SUCCESS, null, IfUnrecorded.FAIL)
                        .invoke(() -> LOG.infof("audit quarantine %d recorded: %s", quarantine.id(), quarantine.describe())))
                .collect().last().replaceWithVoid()
                .onFailure().invoke(failure -> LOG.debugf("audit quarantines could not be checked: %s", failure.getMessage()))
                .onFailure().recoverWithNull();
    }
}
