package dev.lanyard.policy;

import dev.lanyard.auth.Caller;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Decides whether a caller may perform a capability on a path. Deny by default. */
@ApplicationScoped
public class PolicyEngine {

    record CompiledRule(List<PathGlob> paths, Set<Capability> capabilities) {}

    record CompiledPolicy(String name, List<PathGlob> subjects, List<CompiledRule> rules) {}

    private final List<CompiledPolicy> policies;

    private Map<String, PolicyConfig.Policy> loaded = Map.of();

    @Inject
    PolicyEngine(PolicyConfig config) {
        this(config.policies());
        this.loaded = config.policies();
    }

    /** Which policies are in force is an administrative fact auditors need: it goes into the log at start-up. */
    void recordLoaded(@jakarta.enterprise.event.Observes io.quarkus.runtime.StartupEvent ignored,
                      dev.lanyard.audit.AuditLog audit, java.time.InstantSource clock) throws Throwable {
        for (String name : loaded.keySet()) {
            io.quarkus.vertx.VertxContextSupport.subscribeAndAwait(() -> audit.append(new dev.lanyard.audit.AuditEvent(
                    clock.instant(), "startup", "system", "policy.load", "lanyard", "policies/" + name, null, null,
                    dev.lanyard.audit.AuditEvent.Outcome.SUCCESS, 200, null, null)));
        }
    }

    /** Compiles the policies once; an unknown capability fails start-up rather than silently allowing less. */
    public PolicyEngine(Map<String, PolicyConfig.Policy> config) {
        List<CompiledPolicy> compiled = new ArrayList<>();
        config.forEach((name, policy) -> {
            List<CompiledRule> rules = new ArrayList<>();
            for (PolicyConfig.Rule rule : policy.rules()) {
                Set<Capability> caps = EnumSet.noneOf(Capability.class);
                for (String text : rule.capabilities()) {
                    try {
                        caps.add(Capability.parse(text));
                    } catch (IllegalArgumentException e) {
                        throw new IllegalStateException("policy '" + name + "' names unknown capability '" + text + "'");
                    }
                }
                rules.add(new CompiledRule(rule.paths().stream().map(PathGlob::compile).toList(), caps));
            }
            compiled.add(new CompiledPolicy(name, policy.subjects().stream().map(PathGlob::compile).toList(), rules));
        });
        this.policies = List.copyOf(compiled);
    }

    public boolean allows(Caller caller, Capability capability, String path) {
        for (CompiledPolicy policy : policies) {
            if (policy.subjects().stream().noneMatch(s -> s.matches(caller.subject()))) {
                continue;
            }
            for (CompiledRule rule : policy.rules()) {
                if (rule.capabilities().contains(capability) && rule.paths().stream().anyMatch(p -> p.matches(path))) {
                    return true;
                }
            }
        }
        return false;
    }
}
