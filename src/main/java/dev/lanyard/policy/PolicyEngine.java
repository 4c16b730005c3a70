package dev.lanyard.policy;

import dev.lanyard.auth.Caller;
import dev.lanyard.spi.BackendRegistry;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Decides whether a caller may perform a capability on a path. Deny by default. Lanyard's own namespaces
 * ({@code lanyard/…}: tokens, policies; {@code audit/…}: the audit log) are reached only by rules that name them, and
 * the capabilities that exist only there ({@code token:admin}, {@code audit:read}, {@code audit:admin}) may only be
 * granted on them: a broad grant such as {@code **} never carries the power to mint tokens or read the audit log.
 */
@ApplicationScoped
public class PolicyEngine {

    record CompiledRule(List<PathGlob> paths, Set<Capability> capabilities) {}

    record CompiledPolicy(String name, List<PathGlob> subjects, List<CompiledRule> rules) {}

    private record Question(String subject, Capability capability, String path) {}

    /**
     * Decisions already made. Policies are fixed for the life of the process, so a decision never goes stale; a fleet
     * asks the same few questions over and over, and each answer costs a walk over every policy's globs. Bounded, since
     * callers choose the paths: past the bound, questions are answered without being remembered.
     */
    static final int REMEMBERED_DECISIONS = 65_536;

    private final List<CompiledPolicy> policies;
    private final Map<Question, Boolean> decisions = new ConcurrentHashMap<>();

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
                        throw new IllegalStateException("policy '" + name + "' names unknown capability '" + text + "'"
                                + (text.trim().equalsIgnoreCase("admin") ? ": " + e.getMessage() : ""));
                    }
                }
                List<PathGlob> paths = rule.paths().stream().map(PathGlob::compile).toList();
                for (Capability capability : caps) {
                    String namespace = capability.reservedNamespace();
                    for (PathGlob glob : paths) {
                        if (namespace != null && !namespace.equals(glob.namedNamespace())) {
                            throw new IllegalStateException("policy '" + name + "' grants " + capability.spelling() + " on '"
                                    + glob + "', which does not name " + namespace + "/: that capability applies only there;"
                                    + " write " + namespace + "/… in a rule of its own");
                        }
                    }
                }
                rules.add(new CompiledRule(paths, caps));
            }
            compiled.add(new CompiledPolicy(name, policy.subjects().stream().map(PathGlob::compile).toList(), rules));
        });
        this.policies = List.copyOf(compiled);
    }

    public boolean allows(Caller caller, Capability capability, String path) {
        Question question = new Question(caller.subject(), capability, path);
        Boolean known = decisions.get(question);
        if (known != null) {
            return known;
        }
        boolean allowed = decide(question);
        if (decisions.size() < REMEMBERED_DECISIONS) {
            decisions.put(question, allowed);
        }
        return allowed;
    }

    /** The names of the policies that bind this caller, sorted: what a description of its token lists. */
    public List<String> namesFor(Caller caller) {
        return policies.stream().filter(policy -> binds(policy, caller)).map(CompiledPolicy::name).sorted().toList();
    }

    /**
     * Whether some rule may allow the caller something below {@code prefix} ({@code <backend>/<path>}): for showing
     * which mounts a caller can use, never for allowing anything (each access still asks {@link #allows}). A glob
     * could match there when its literal start (up to its first wildcard) and the prefix agree as far as both go.
     */
    public boolean mayUseUnder(Caller caller, String prefix) {
        String below = prefix.endsWith("/") ? prefix : prefix + "/";
        for (CompiledPolicy policy : policies) {
            if (!binds(policy, caller)) {
                continue;
            }
            for (CompiledRule rule : policy.rules()) {
                for (PathGlob glob : rule.paths()) {
                    String literal = glob.literalStart();
                    if (literal.startsWith(below) || below.startsWith(literal)) {
                        return true;
                    }
                }
            }
        }
        return false;
    }

    private static boolean binds(CompiledPolicy policy, Caller caller) {
        return policy.subjects().stream().anyMatch(s -> s.matches(caller.subject()));
    }

    private boolean decide(Question question) {
        String path = question.path();
        Capability capability = question.capability();
        String reserved = reservedNamespaceOf(path);
        for (CompiledPolicy policy : policies) {
            if (policy.subjects().stream().noneMatch(s -> s.matches(question.subject()))) {
                continue;
            }
            for (CompiledRule rule : policy.rules()) {
                if (rule.capabilities().contains(capability) && rule.paths().stream()
                        .anyMatch(p -> p.matches(path) && (reserved == null || reserved.equals(p.namedNamespace())))) {
                    return true;
                }
            }
        }
        return false;
    }

    /**
     * {@code lanyard} or {@code audit} when the path lies in one of Lanyard's own namespaces (tokens, policies, the
     * audit log): only a rule that names the namespace reaches it, never a wildcard such as {@code **}.
     */
    private static String reservedNamespaceOf(String path) {
        int slash = path.indexOf('/');
        String first = slash < 0 ? path : path.substring(0, slash);
        return BackendRegistry.RESERVED_NAMES.contains(first) ? first : null;
    }
}
