package dev.lanyard.vaultapi;

import dev.lanyard.secret.SecretRef;
import dev.lanyard.vaultapi.VaultApiConfig.Type;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * The configured Vault-style mounts, and which one a Vault path falls under: the longest mount name that is the path or
 * a leading run of its segments. Deny by default: a path under no mount is served nothing.
 */
final class MountTable {

    /** Vault's own API: never a mount name, whatever the configuration says. */
    static final Set<String> RESERVED = Set.of("sys", "auth", "identity", "cubbyhole", "token");
    private static final Pattern SEGMENT = Pattern.compile("[A-Za-z0-9_.-]{1,64}");

    /**
     * One mount.
     *
     * @param name    the Vault-style name clients use, without slashes at either end
     * @param backend the Lanyard backend
     * @param path    where in the backend it points (see {@link VaultApiConfig.Mount#path()}); may be empty for KV v2
     */
    record Mount(String name, Type type, String backend, String path) {

        /** A KV v2 secret of this mount, in the backend. */
        SecretRef secret(String withinMount) {
            return SecretRef.of(backend, path.isEmpty() ? withinMount : path + "/" + withinMount);
        }

        /** A role's credentials: {@code <path>/creds/<role>} for a database mount, {@code <path>/<role>} for AWS. */
        SecretRef role(String role) {
            return SecretRef.of(backend, type == Type.AWS ? path + "/" + role : path + "/creds/" + role);
        }

        /** Where every path of this mount lies, as policies name it: {@code <backend>/<path>}. */
        String policyPrefix() {
            return path.isEmpty() ? backend : backend + "/" + path;
        }

        /** Vault's spelling of the engine: what {@code sys/mounts} calls its {@code type}. */
        String engine() {
            return switch (type) {
                case KV_V2 -> "kv";
                case DATABASE -> "database";
                case AWS -> "aws";
            };
        }

        /** Stable across restarts and replicas, so clients that remember it see the same mount. */
        String uuid() {
            return UUID.nameUUIDFromBytes(("lanyard-mount:" + name).getBytes(StandardCharsets.UTF_8)).toString();
        }

        String accessor() {
            return engine() + "_" + uuid().substring(0, 8);
        }
    }

    /** A Vault path under a mount: the mount, and the rest of the path after it (empty for the mount itself). */
    record Match(Mount mount, String rest) {}

    private final List<Mount> mounts;

    private MountTable(List<Mount> mounts) {
        this.mounts = mounts.stream().sorted(Comparator.comparingInt((Mount m) -> m.name().length()).reversed()).toList();
    }

    /**
     * The mounts the configuration declares, or {@link IllegalStateException} naming every problem at once: a name that
     * is Vault's own API or not one or more segments of {@code [A-Za-z0-9_.-]}, a backend Lanyard does not have, a path
     * that is not a secret path.
     */
    static MountTable of(Map<String, VaultApiConfig.Mount> configured, Predicate<String> backendExists) {
        List<String> problems = new ArrayList<>();
        List<Mount> mounts = new ArrayList<>();
        configured.forEach((given, mount) -> {
            String name = trimSlashes(given);
            String key = "lanyard.vault-api.mounts.\"" + given + "\"";
            if (name.isEmpty() || !List.of(name.split("/", -1)).stream().allMatch(s -> SEGMENT.matcher(s).matches())) {
                problems.add(key + ": a mount name is one or more segments of [A-Za-z0-9_.-], separated by '/'");
                return;
            }
            if (RESERVED.contains(name.split("/")[0])) {
                problems.add(key + ": '" + name.split("/")[0] + "' is Vault's own API, never a mount");
                return;
            }
            if (!backendExists.test(mount.backend())) {
                problems.add(key + ".backend: Lanyard has no backend named '" + mount.backend() + "'");
                return;
            }
            String path = trimSlashes(mount.path().orElse(mount.type() == Type.AWS ? "sts" : name));
            if (path.isEmpty() && mount.type() != Type.KV_V2) {
                problems.add(key + ".path: only a kv-v2 mount may stand for a whole backend");
                return;
            }
            try {
                if (!path.isEmpty()) {
                    SecretRef.of(mount.backend(), path);
                }
            } catch (RuntimeException e) {
                problems.add(key + ".path: " + e.getMessage());
                return;
            }
            mounts.add(new Mount(name, mount.type(), mount.backend(), path));
        });
        for (Mount a : mounts) {
            for (Mount b : mounts) {
                if (a != b && a.name().equals(b.name())) {
                    problems.add("lanyard.vault-api.mounts: '" + a.name() + "' is declared twice");
                }
            }
        }
        if (!problems.isEmpty()) {
            throw new IllegalStateException("the Vault-compatible API's mounts are misconfigured: " + String.join("; ", problems));
        }
        return new MountTable(mounts);
    }

    /** The mount {@code vaultPath} falls under, with the rest of the path. */
    Optional<Match> resolve(String vaultPath) {
        String path = trimSlashes(vaultPath);
        for (Mount mount : mounts) {
            if (path.equals(mount.name())) {
                return Optional.of(new Match(mount, ""));
            }
            if (path.startsWith(mount.name() + "/")) {
                return Optional.of(new Match(mount, path.substring(mount.name().length() + 1)));
            }
        }
        return Optional.empty();
    }

    /** Every mount, sorted by name. */
    List<Mount> all() {
        return mounts.stream().sorted(Comparator.comparing(Mount::name)).toList();
    }

    private static String trimSlashes(String text) {
        int start = 0;
        int end = text.length();
        while (start < end && text.charAt(start) == '/') {
            start++;
        }
        while (end > start && text.charAt(end - 1) == '/') {
            end--;
        }
        return text.substring(start, end);
    }
}
