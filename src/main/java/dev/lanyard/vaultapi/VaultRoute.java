package dev.lanyard.vaultapi;

import java.util.Optional;
import java.util.Set;

/**
 * What a request under {@code /vault/v1/} asks for, decided from its path alone: which operation, its argument (a lease
 * id, a secret path, a role, an auth mount), and the route template its metrics are labelled with. Everything the API
 * does not serve is {@link Op#UNSERVED}: answered 403 as Vault answers a path no policy grants, never passed on.
 *
 * @param match    the mount the path falls under, for operations on a mount
 * @param argument the lease id, secret path, role, auth mount or mount path the operation is about, or null
 */
record VaultRoute(Op op, String template, MountTable.Match match, String argument) {

    static final String GET = "GET";
    static final String HEAD = "HEAD";
    static final String PUT = "PUT";
    static final String POST = "POST";
    /** Vault's verb for listing, also spelled {@code GET …?list=true}. */
    static final String LIST = "LIST";

    /** The operations served, each with the methods it answers and whether it needs a caller's token. */
    enum Op {
        HEALTH(false, GET, HEAD),
        SEAL_STATUS(false, GET),
        MOUNTS(true, GET),
        MOUNT(true, GET),
        UI_MOUNT(true, GET),
        LEASE_RENEW(true, PUT, POST),
        LEASE_REVOKE(true, PUT, POST),
        LEASE_LOOKUP(true, PUT, POST),
        TOKEN_LOOKUP_SELF(true, GET, POST),
        TOKEN_RENEW_SELF(true, PUT, POST),
        TOKEN_REVOKE_SELF(true, PUT, POST),
        LOGIN(false, PUT, POST),
        KV_DATA(true, GET),
        KV_METADATA(true, GET),
        CREDS(true, GET, PUT, POST),
        UNSERVED(true);

        private final boolean needsToken;
        private final Set<String> methods;

        Op(boolean needsToken, String... methods) {
            this.needsToken = needsToken;
            this.methods = Set.of(methods);
        }

        boolean needsToken() {
            return needsToken;
        }

        boolean answers(String method) {
            return methods.contains(method);
        }

        /** What an {@code Allow} header lists for this operation. */
        String allowed() {
            return String.join(", ", methods.stream().sorted().toList());
        }
    }

    /** The route of {@code vaultPath} (the decoded path after {@code /vault/v1/}). */
    static VaultRoute of(String vaultPath, MountTable mounts) {
        String path = vaultPath.endsWith("/") ? vaultPath.substring(0, vaultPath.length() - 1) : vaultPath;
        switch (path) {
            case "sys/health":
                return fixed(Op.HEALTH, path);
            case "sys/seal-status":
                return fixed(Op.SEAL_STATUS, path);
            case "sys/mounts":
                return fixed(Op.MOUNTS, path);
            case "sys/leases/renew", "sys/renew":
                return fixed(Op.LEASE_RENEW, path);
            case "sys/leases/revoke", "sys/revoke":
                return fixed(Op.LEASE_REVOKE, path);
            case "sys/leases/lookup":
                return fixed(Op.LEASE_LOOKUP, path);
            case "auth/token/lookup-self":
                return fixed(Op.TOKEN_LOOKUP_SELF, path);
            case "auth/token/renew-self":
                return fixed(Op.TOKEN_RENEW_SELF, path);
            case "auth/token/revoke-self":
                return fixed(Op.TOKEN_REVOKE_SELF, path);
            default:
                break;
        }
        for (String prefix : new String[] {"sys/leases/renew/", "sys/renew/"}) {
            if (path.startsWith(prefix) && path.length() > prefix.length()) {
                return new VaultRoute(Op.LEASE_RENEW, prefix + "{lease_id}", null, path.substring(prefix.length()));
            }
        }
        for (String prefix : new String[] {"sys/leases/revoke/", "sys/revoke/"}) {
            if (path.startsWith(prefix) && path.length() > prefix.length()) {
                return new VaultRoute(Op.LEASE_REVOKE, prefix + "{lease_id}", null, path.substring(prefix.length()));
            }
        }
        for (String prefix : new String[] {"sys/mounts/", "sys/mounts-all/"}) {
            if (path.startsWith(prefix) && path.length() > prefix.length()) {
                return new VaultRoute(Op.MOUNT, prefix + "{path}", null, path.substring(prefix.length()));
            }
        }
        String uiMounts = "sys/internal/ui/mounts/";
        if (path.startsWith(uiMounts) && path.length() > uiMounts.length()) {
            return new VaultRoute(Op.UI_MOUNT, uiMounts + "{path}", null, path.substring(uiMounts.length()));
        }
        if (path.startsWith("auth/") && path.endsWith("/login")) {
            String mount = path.substring("auth/".length(), path.length() - "/login".length());
            if (!mount.isEmpty() && !mount.equals("token")) {
                return new VaultRoute(Op.LOGIN, "auth/{mount}/login", null, mount);
            }
        }
        Optional<MountTable.Match> match = path.startsWith("sys/") || path.startsWith("auth/") ? Optional.empty()
                : mounts.resolve(path);
        if (match.isPresent()) {
            VaultRoute onMount = onMount(match.get());
            if (onMount != null) {
                return onMount;
            }
        }
        return new VaultRoute(Op.UNSERVED, "{unserved}", null, null);
    }

    private static VaultRoute onMount(MountTable.Match match) {
        String rest = match.rest();
        switch (match.mount().type()) {
            case KV_V2 -> {
                if (rest.startsWith("data/") && rest.length() > "data/".length()) {
                    return new VaultRoute(Op.KV_DATA, "{kv-mount}/data/{path}", match, rest.substring("data/".length()));
                }
                if (rest.startsWith("metadata/") && rest.length() > "metadata/".length()) {
                    return new VaultRoute(Op.KV_METADATA, "{kv-mount}/metadata/{path}", match, rest.substring("metadata/".length()));
                }
            }
            case DATABASE -> {
                String role = single(rest, "creds/");
                if (role != null) {
                    return new VaultRoute(Op.CREDS, "{database-mount}/creds/{role}", match, role);
                }
            }
            case AWS -> {
                String role = single(rest, "creds/");
                role = role == null ? single(rest, "sts/") : role;
                if (role != null) {
                    return new VaultRoute(Op.CREDS, "{aws-mount}/creds/{role}", match, role);
                }
            }
        }
        return null;
    }

    /** The one segment after {@code prefix}, or null. */
    private static String single(String rest, String prefix) {
        if (!rest.startsWith(prefix)) {
            return null;
        }
        String role = rest.substring(prefix.length());
        return role.isEmpty() || role.contains("/") ? null : role;
    }

    private static VaultRoute fixed(Op op, String path) {
        return new VaultRoute(op, path, null, null);
    }

    /** The label of this route in the HTTP metrics: a template, never a raw path. */
    String metricLabel() {
        return "/vault/v1/" + template;
    }
}
