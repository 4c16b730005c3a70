package dev.lanyard.policy;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Builds {@link PolicyConfig} values in code, for constructing a {@link PolicyEngine} without configuration. */
public final class Policies {

    public record Policy(List<String> subjects, List<PolicyConfig.Rule> rules) implements PolicyConfig.Policy {}

    public record Rule(List<String> paths, List<String> capabilities) implements PolicyConfig.Rule {}

    private final Map<String, PolicyConfig.Policy> policies = new LinkedHashMap<>();

    public static Policies builder() {
        return new Policies();
    }

    public static Rule rule(List<String> paths, String... capabilities) {
        return new Rule(List.copyOf(paths), List.of(capabilities));
    }

    public Policies policy(String name, List<String> subjects, Rule... rules) {
        policies.put(name, new Policy(List.copyOf(subjects), List.of(rules)));
        return this;
    }

    public Map<String, PolicyConfig.Policy> asMap() {
        return new LinkedHashMap<>(policies);
    }

    public PolicyEngine engine() {
        return new PolicyEngine(asMap());
    }
}
