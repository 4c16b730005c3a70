package dev.lanyard.rest;

import dev.lanyard.audit.AuditEvent;
import dev.lanyard.audit.AuditLog;
import dev.lanyard.broker.AccessContext;
import dev.lanyard.broker.AccessDeniedException;
import dev.lanyard.broker.Classified;
import dev.lanyard.policy.Capability;
import dev.lanyard.policy.PolicyEngine;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.InstantSource;
import java.util.function.Supplier;

/**
 * An administrative operation behind a capability: authorise, run, write one audit row with the outcome and the status
 * the caller will get, then answer. A refusal leaves as an {@link AuditedProblem}, so no second row is written for it.
 */
@ApplicationScoped
class AuditedOperation {

    private final PolicyEngine policy;
    private final AuditLog audit;
    private final InstantSource clock;

    AuditedOperation(PolicyEngine policy, AuditLog audit, InstantSource clock) {
        this.policy = policy;
        this.audit = audit;
        this.clock = clock;
    }

    /**
     * @param target        what the operation acts on, as {@code <backend>/<path>} for policy and the audit row
     * @param successStatus the status a success is answered with (201, 204 …), recorded as sent
     */
    <T> Uni<T> run(AccessContext access, Capability capability, String operation, String backend, String path,
                   int successStatus, Supplier<Uni<T>> action) {
        return Uni.createFrom().deferred(() -> {
                    String target = backend + "/" + path;
                    if (!policy.allows(access.caller(), capability, target)) {
                        throw new AccessDeniedException(capability.spelling(), target);
                    }
                    return action.get();
                })
                .onItemOrFailure().transformToUni((result, failure) -> {
                    Classified outcome = failure == null
                            ? new Classified(successStatus, null, AuditEvent.Outcome.SUCCESS, null)
                            : Classified.of(failure);
                    AuditEvent event = new AuditEvent(clock.instant(), access.requestId(), access.caller().subject(),
                            operation, backend, path, null, null, outcome.outcome(), outcome.status(), outcome.code(),
                            access.clientAddress());
                    return audit.append(event).onItem().transformToUni(ignored -> failure == null
                            ? Uni.createFrom().item(result)
                            : Uni.createFrom().<T>failure(new AuditedProblem(outcome)));
                });
    }
}
