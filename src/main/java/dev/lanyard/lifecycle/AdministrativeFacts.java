package dev.lanyard.lifecycle;

import dev.lanyard.access.AccessContext;
import dev.lanyard.access.AuditedAccess;
import dev.lanyard.access.AuditedAccess.IfUnrecorded;
import dev.lanyard.access.Refusal;
import dev.lanyard.audit.AuditOperation;
import dev.lanyard.audit.Outcome;
import dev.lanyard.audit.Target;
import dev.lanyard.auth.ApiTokenService;
import dev.lanyard.auth.AuthConfig;
import dev.lanyard.policy.PolicyEngine;
import dev.lanyard.support.SecretReference;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.vertx.VertxContextSupport;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.Locale;
import java.util.Map;
import org.jboss.logging.Logger;

/**
 * Records at start-up the administrative facts auditors need, as system events: which bootstrap tokens were ensured
 * (or rotated, or found revoked) and which policies are in force. Authentication and policy only do the work; writing
 * the record is this glue's job, so neither depends on the audit log. A fact that cannot be recorded stops the start:
 * a replica that cannot say which policies it enforces serves nothing.
 */
@ApplicationScoped
class AdministrativeFacts {

    private static final Logger LOG = Logger.getLogger(AdministrativeFacts.class);

    private static final AccessContext STARTUP = AccessContext.system("startup");

    void atStartup(@Observes StartupEvent ignored, AuthConfig auth, ApiTokenService tokens, PolicyEngine policies,
                   AuditedAccess audited) throws Throwable {
        for (Map.Entry<String, String> entry : auth.bootstrapTokens().entrySet()) {
            String name = entry.getKey();
            String token = SecretReference.parse(entry.getValue()).resolve();
            ApiTokenService.Bootstrap outcome = VertxContextSupport.subscribeAndAwait(() -> tokens.bootstrap(name, token));
            switch (outcome) {
                case CREATED, UNCHANGED -> audited.factNow(STARTUP, AuditOperation.TOKEN_BOOTSTRAP, Target.token(name),
                        Outcome.SUCCESS, null, IfUnrecorded.FAIL);
                case REPLACED -> audited.factNow(STARTUP, AuditOperation.TOKEN_ROTATE, Target.token(name),
                        Outcome.SUCCESS, null, IfUnrecorded.FAIL);
                case REVOKED -> audited.factNow(STARTUP, AuditOperation.TOKEN_BOOTSTRAP, Target.token(name),
                        Refusal.TOKEN_REVOKED.outcome(), Refusal.TOKEN_REVOKED.code(), IfUnrecorded.FAIL);
            }
            if (outcome == ApiTokenService.Bootstrap.REVOKED) {
                LOG.warnf("API token '%s' from the bootstrap configuration was revoked and stays revoked;"
                        + " configure a new value to replace it", name);
            } else {
                LOG.infof("API token '%s' is ready (%s)", name, outcome.name().toLowerCase(Locale.ROOT));
            }
        }
        for (String name : policies.names()) {
            audited.factNow(STARTUP, AuditOperation.POLICY_LOAD, Target.policy(name), Outcome.SUCCESS, null, IfUnrecorded.FAIL);
        }
    }
}
