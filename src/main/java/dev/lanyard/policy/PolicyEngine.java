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

    /** The names of the policies in force, for the start-up record of administrative facts. */
    public Set<String> names() {
        return loaded.keySet();
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
