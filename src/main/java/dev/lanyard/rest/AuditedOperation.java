package dev.lanyard.rest;

import dev.lanyard.audit.AuditOperation;
import dev.lanyard.audit.Target;
import dev.lanyard.auth.RequestContext;
import dev.lanyard.broker.AccessDeniedException;
import dev.lanyard.policy.Capability;
import dev.lanyard.policy.PolicyEngine;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.function.Supplier;

/**
 * An administrative operation behind a capability: authorise, run, write one audit row with the outcome and the status
 * the caller will get, then answer. A refusal leaves as an {@link AuditedProblem}, so no second row is written for it.
 */
@ApplicationScoped
class AuditedOperation {

    private final PolicyEngine policy;
    private final RestAudit audit;

    AuditedOperation(PolicyEngine policy, RestAudit audit) {
        this.policy = policy;
        this.audit = audit;
    }

    /**
     * @param target        what the operation acts on; its {@code <backend>/<path>} is what policy is asked about
     * @param successStatus the status a success is answered with (201, 204 …), recorded as sent
     */
    <T> Uni<T> run(RequestContext access, Capability capability, AuditOperation operation, Target target,
                   int successStatus, Supplier<Uni<T>> action) {
        return Uni.createFrom().deferred(() -> {
                    String path = target.backend() + "/" + target.path();
                    if (!policy.allows(access.caller(), capability, path)) {
                        throw new AccessDeniedException(capability.spelling(), path);
                    }
                    return action.get();
                })
                .onItemOrFailure().transformToUni((result, failure) -> {
                    Classified outcome = failure == null ? Classified.success(successStatus) : Classified.of(failure);
                    return audit.operation(access, operation, target, outcome).onItem().transformToUni(ignored -> failure == null
                            ? Uni.createFrom().item(result)
                            : Uni.createFrom().<T>failure(new AuditedProblem(outcome)));
                });
    }
}
