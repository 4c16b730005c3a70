package dev.lanyard.backend.vault;

import dev.lanyard.secret.SecretPath;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Which Vault API paths Lanyard may touch, decided from configuration before any call is made. Deny by default:
 * a read goes only to a mount declared as KV v2, KV v1 or read-only; an issue goes only to
 * {@code <dynamic mount>/creds/<role>}. Vault's own API ({@code sys/}, {@code auth/}, {@code identity/},
 * {@code cubbyhole/}, {@code token/}) is never reachable, whatever the configuration says: a read there can return
 * Lanyard's own token or change Vault's state.
 */
final class VaultMounts {

    /** Mount names that are Vault's own API, not secrets engines. */
    static final Set<String> RESERVED = Set.of("sys", "auth", "identity", "cubbyhole", "token");

    /** How a read of a path is served. */
    enum Read { KV_V2, KV_V1, READ_ONLY, REFUSED }

    private final Map<String, Read> readable;
    private final Set<String> dynamic;

    VaultMounts(List<String> kvV2, List<String> kvV1, List<String> readOnly, List<String> dynamic) {
        Map<String, Read> byMount = new LinkedHashMap<>();
        kvV2.forEach(m -> byMount.put(m, Read.KV_V2));
        kvV1.forEach(m -> byMount.put(m, Read.KV_V1));
        readOnly.forEach(m -> byMount.put(m, Read.READ_ONLY));
        this.readable = Map.copyOf(byMount);
        this.dynamic = Set.copyOf(dynamic);
    }

    static VaultMounts of(VaultBackendConfig.Instance settings) {
        return new VaultMounts(settings.kvV2Mounts(), settings.kvV1Mounts().orElse(List.of()),
                settings.readOnlyMounts().orElse(List.of()), settings.dynamicMounts());
    }

    /**
     * Configuration problems: a reserved name, a mount in two lists, a name with a slash (mounts are the first
     * path segment). Never contacts Vault.
     */
    static List<String> problems(VaultBackendConfig.Instance settings) {
        return problems(settings.kvV2Mounts(), settings.kvV1Mounts().orElse(List.of()),
                settings.readOnlyMounts().orElse(List.of()), settings.dynamicMounts());
    }

    static List<String> problems(List<String> kvV2, List<String> kvV1, List<String> readOnly, List<String> dynamic) {
        List<String> problems = new ArrayList<>();
        Map<String, String> seen = new LinkedHashMap<>();
        check(problems, seen, "kv-v2-mounts", kvV2);
        check(problems, seen, "kv-v1-mounts", kvV1);
        check(problems, seen, "read-only-mounts", readOnly);
        check(problems, seen, "dynamic-mounts", dynamic);
        return problems;
    }

    private static void check(List<String> problems, Map<String, String> seen, String property, List<String> mounts) {
        for (String mount : mounts) {
            if (RESERVED.contains(mount)) {
                problems.add(property + ": '" + mount + "' is Vault's own API, never a secrets mount");
            } else if (!mount.matches("[A-Za-z0-9_.-]{1,64}")) {
                problems.add(property + ": a mount is one path segment of [A-Za-z0-9_.-], was '" + mount + "'");
            } else {
                String earlier = seen.putIfAbsent(mount, property);
                if (earlier != null) {
                    problems.add("mount '" + mount + "' is listed in both " + earlier + " and " + property);
                }
            }
        }
    }

    /** The mounts Lanyard reads static secrets from (KV v2, KV v1, read-only). */
    Set<String> readableMounts() {
        return readable.keySet();
    }

    /** How a read of {@code path} is served; {@link Read#REFUSED} for anything not declared readable. */
    Read read(SecretPath path) {
        if (RESERVED.contains(path.mount()) || path.withinMount().isEmpty()) {
            return Read.REFUSED;
        }
        return readable.getOrDefault(path.mount(), Read.REFUSED);
    }

    /** Whether {@code path} is {@code <dynamic mount>/creds/<role>}, the only shape Lanyard issues from. */
    boolean issuable(SecretPath path) {
        String[] segments = path.value().split("/");
        return segments.length == 3 && dynamic.contains(segments[0]) && segments[1].equals("creds")
                && !RESERVED.contains(segments[0]);
    }
}
