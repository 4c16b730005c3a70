package dev.lanyard.lifecycle;

import dev.lanyard.audit.Outcome;
import dev.lanyard.audit.AuditEvent;
import dev.lanyard.audit.AuditOperation;
import dev.lanyard.audit.Result;
import dev.lanyard.audit.Target;
import dev.lanyard.audit.AuditLog;
import dev.lanyard.auth.ApiTokenService;
import dev.lanyard.auth.AuthConfig;
import dev.lanyard.policy.PolicyEngine;
import dev.lanyard.support.SecretReference;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.vertx.VertxContextSupport;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.InstantSource;
import java.util.Locale;
import java.util.Map;
import org.jboss.logging.Logger;

/**
 * Records at start-up the administrative facts auditors need, as system events: which bootstrap tokens were ensured
 * (or rotated, or found revoked) and which policies are in force. Authentication and policy only do the work; writing
 * the record is this glue's job, so neither depends on the audit log.
 */
@ApplicationScoped
class AdministrativeFacts {

    private static final Logger LOG = Logger.getLogger(AdministrativeFacts.class);

    void atStartup(@Observes StartupEvent ignored, AuthConfig auth, ApiTokenService tokens, PolicyEngine policies,
                   AuditLog audit, InstantSource clock) throws Throwable {
        for (Map.Entry<String, String> entry : auth.bootstrapTokens().entrySet()) {
            String name = entry.getKey();
            String token = SecretReference.parse(entry.getValue()).resolve();
            ApiTokenService.Bootstrap outcome = VertxContextSupport.subscribeAndAwait(() -> tokens.bootstrap(name, token));
            AuditEvent event = switch (outcome) {
                case CREATED, UNCHANGED -> fact(clock, AuditOperation.TOKEN_BOOTSTRAP, Target.token(name), Result.success());
                case REPLACED -> fact(clock, AuditOperation.TOKEN_ROTATE, Target.token(name), Result.success());
                case REVOKED -> fact(clock, AuditOperation.TOKEN_BOOTSTRAP, Target.token(name),
                        Result.failure(Outcome.DENIED, null, "TOKEN_REVOKED"));
            };
            VertxContextSupport.subscribeAndAwait(() -> audit.append(event));
            if (outcome == ApiTokenService.Bootstrap.REVOKED) {
                LOG.warnf("API token '%s' from the bootstrap configuration was revoked and stays revoked;"
                        + " configure a new value to replace it", name);
            } else {
                LOG.infof("API token '%s' is ready (%s)", name, outcome.name().toLowerCase(Locale.ROOT));
            }
        }
        for (String name : policies.names()) {
            AuditEvent event = fact(clock, AuditOperation.POLICY_LOAD, Target.policy(name), Result.success());
            VertxContextSupport.subscribeAndAwait(() -> audit.append(event));
        }
    }

    private static AuditEvent fact(InstantSource clock, AuditOperation operation, Target target, Result result) {
        return AuditEvent.administrative(clock.instant(), "startup", operation, target, result);
    }
}
