package dev.lanyard.vaultapi;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lanyard.access.AccessContext.Channel;
import dev.lanyard.access.Refusal;
import dev.lanyard.access.Refused;
import dev.lanyard.auth.CallerTokens;
import dev.lanyard.broker.Grant;
import dev.lanyard.broker.LeaseStatus;
import dev.lanyard.secret.Lease;
import dev.lanyard.secret.Secret;
import dev.lanyard.secret.Stage;
import dev.lanyard.spi.VersionInfo;
import dev.lanyard.vaultapi.VaultApiConfig.Type;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;

/**
 * Vault's JSON, field for field as OpenBao writes it (the envelope's {@code request_id}, {@code lease_id},
 * {@code renewable}, {@code lease_duration}, {@code data}, {@code wrap_info}, {@code warnings}, {@code auth}, in that
 * order; {@code {"errors":[…]}} for failures), so clients that bind it to types or compare it meet nothing new. Pure:
 * values in, JSON trees out; {@link VaultRoutes} writes them.
 */
final class VaultReplies {

    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;
    /** What Vault says for every token or policy that does not let a request through; clients match on it. */
    static final String PERMISSION_DENIED = "permission denied";
    static final String CLUSTER_NAME = "lanyard";
    static final String CLUSTER_ID = UUID.nameUUIDFromBytes("lanyard-cluster".getBytes(StandardCharsets.UTF_8)).toString();

    private VaultReplies() {}

    /** The envelope every answer with a body has. */
    static ObjectNode envelope(String requestId, String leaseId, boolean renewable, long leaseDuration, JsonNode data,
                               List<String> warnings, JsonNode auth) {
        ObjectNode body = JSON.objectNode();
        body.put("request_id", requestId);
        body.put("lease_id", leaseId);
        body.put("renewable", renewable);
        body.put("lease_duration", leaseDuration);
        body.set("data", data == null ? NullNode.instance : data);
        body.set("wrap_info", NullNode.instance);
        if (warnings == null || warnings.isEmpty()) {
            body.set("warnings", NullNode.instance);
        } else {
            ArrayNode list = body.putArray("warnings");
            warnings.forEach(list::add);
        }
        body.set("auth", auth == null ? NullNode.instance : auth);
        return body;
    }

    /** An answer that is only data: no lease, no auth. */
    static ObjectNode data(String requestId, JsonNode data) {
        return envelope(requestId, "", false, 0, data, null, null);
    }

    /** {@code {"errors":[…]}}. */
    static ObjectNode errors(List<String> messages) {
        ObjectNode body = JSON.objectNode();
        ArrayNode list = body.putArray("errors");
        messages.forEach(list::add);
        return body;
    }

    /**
     * The errors a refusal is answered with: none for a KV secret or version that does not exist (Vault's
     * {@code {"errors":[]}}, which its clients read as "no secret"), "permission denied" for every token or policy that
     * does not let the request through, the refusal's safe detail otherwise.
     */
    static List<String> messages(Refused refused, boolean kvRead) {
        Refusal refusal = refused.refusal();
        if (kvRead && refusal == Refusal.SECRET_NOT_FOUND) {
            return List.of();
        }
        if (refusal == Refusal.ACCESS_DENIED || refusal == Refusal.UNAUTHENTICATED) {
            return List.of(PERMISSION_DENIED);
        }
        return List.of(refused.detail());
    }

    /** The status a refusal is sent with on this surface: the one its audit record holds. */
    static int status(Refusal refusal) {
        return Channel.VAULT.status(refusal);
    }

    /** A KV v2 {@code data/} read: the fields (sorted, as Vault writes a map) and the version's metadata. */
    static ObjectNode kvData(String requestId, Grant grant) {
        Secret secret = grant.secret();
        ObjectNode data = JSON.objectNode();
        data.set("data", fields(new TreeMap<>(secret.value().reveal())));
        ObjectNode metadata = data.putObject("metadata");
        metadata.put("created_time", secret.versionCreatedAt().map(Instant::toString).orElse(""));
        metadata.set("custom_metadata", NullNode.instance);
        metadata.put("deletion_time", "");
        metadata.put("destroyed", false);
        putVersion(metadata, "version", secret.version().orElse("0"));
        List<String> warnings = grant.stale()
                ? List.of("the backend could not be reached: this is the last good value, come back at the refresh time")
                : null;
        return envelope(requestId, "", false, 0, data, warnings, null);
    }

    /** A KV v2 {@code metadata/} read: the readable versions, oldest first, and which one is current. */
    static ObjectNode kvMetadata(String requestId, List<VersionInfo> versions) {
        ObjectNode data = JSON.objectNode();
        Instant oldest = versions.isEmpty() ? null : versions.getFirst().createdAt().orElse(null);
        Instant newest = versions.isEmpty() ? null : versions.getLast().createdAt().orElse(null);
        data.put("cas_required", false);
        data.put("created_time", oldest == null ? "" : oldest.toString());
        data.put("current_metadata_version", 0);
        putVersion(data, "current_version", versions.stream().filter(v -> v.holds(Stage.CURRENT)).map(VersionInfo::id)
                .findFirst().orElse("0"));
        data.set("custom_metadata", NullNode.instance);
        data.put("delete_version_after", "0s");
        data.put("max_versions", 0);
        data.put("metadata_cas_required", false);
        data.put("oldest_version", 0);
        data.put("updated_time", newest == null ? "" : newest.toString());
        ObjectNode byVersion = data.putObject("versions");
        TreeMap<Long, VersionInfo> sorted = new TreeMap<>();
        TreeMap<String, VersionInfo> named = new TreeMap<>();
        for (VersionInfo version : versions) {
            if (version.id().matches("[0-9]{1,18}")) {
                sorted.put(Long.parseLong(version.id()), version);
            } else {
                named.put(version.id(), version);
            }
        }
        sorted.values().forEach(v -> byVersion.set(v.id(), versionState(v)));
        named.values().forEach(v -> byVersion.set(v.id(), versionState(v)));
        return data(requestId, data);
    }

    private static ObjectNode versionState(VersionInfo version) {
        ObjectNode state = JSON.objectNode();
        state.put("created_time", version.createdAt().map(Instant::toString).orElse(""));
        state.put("deletion_time", "");
        state.put("destroyed", false);
        return state;
    }

    /**
     * An issued credential: its lease (empty id for one without, such as STS credentials), the time it has left, and its
     * fields, in the AWS engine's names on an AWS mount.
     */
    static ObjectNode credential(String requestId, Grant grant, Type type, Instant now) {
        Secret secret = grant.secret();
        Map<String, String> fields = new TreeMap<>(secret.value().reveal());
        ObjectNode data;
        if (type == Type.AWS) {
            data = JSON.objectNode();
            data.put("access_key", fields.get("access_key_id"));
            data.put("secret_key", fields.get("secret_access_key"));
            data.put("security_token", fields.get("session_token"));
            data.put("session_token", fields.get("session_token"));
        } else {
            data = fields(fields);
        }
        return envelope(requestId, secret.lease().id().orElse(""), secret.lease().renewable(),
                remaining(now, grant.expiresAt()), data, null, null);
    }

    /** A renewed lease: Vault answers with the lease and its new duration, and no data. */
    static ObjectNode renewed(String requestId, String leaseId, Lease lease) {
        return envelope(requestId, lease.id().orElse(leaseId), lease.renewable(), lease.ttl().toSeconds(), null, null, null);
    }

    /** {@code sys/leases/lookup}. */
    static ObjectNode leaseLookup(String requestId, String leaseId, LeaseStatus status, Instant now) {
        ObjectNode data = JSON.objectNode();
        data.put("expire_time", status.expiresAt().toString());
        data.put("id", leaseId);
        data.put("issue_time", status.issuedAt().toString());
        data.set("last_renewal", NullNode.instance);
        data.put("renewable", status.renewable());
        data.put("ttl", remaining(now, status.expiresAt()));
        return data(requestId, data);
    }

    /**
     * {@code auth/token/lookup-self}: the caller's own Lanyard token, as Vault describes a token. {@code id} is the token
     * the caller presented; nothing here comes from, or names, a backend's token.
     */
    static ObjectNode tokenLookup(String requestId, String presented, CallerTokens.Facts facts, List<String> policies,
                                  Instant now) {
        ObjectNode data = JSON.objectNode();
        data.put("accessor", facts.accessor());
        data.put("creation_time", facts.issuedAt() == null ? 0 : facts.issuedAt().getEpochSecond());
        data.put("creation_ttl", facts.creationTtl().toSeconds());
        data.put("display_name", displayName(facts));
        data.put("entity_id", "");
        if (facts.expiresAt() == null) {
            data.set("expire_time", NullNode.instance);
        } else {
            data.put("expire_time", facts.expiresAt().toString());
        }
        data.put("explicit_max_ttl", facts.maxExpiresAt() == null || facts.issuedAt() == null ? 0
                : Duration.between(facts.issuedAt(), facts.maxExpiresAt()).toSeconds());
        data.put("id", presented);
        if (facts.issuedAt() != null) {
            data.put("issue_time", facts.issuedAt().toString());
        }
        if (facts.lastRenewedAt() != null) {
            data.put("last_renewal", facts.lastRenewedAt().toString());
            data.put("last_renewal_time", facts.lastRenewedAt().getEpochSecond());
        }
        ObjectNode meta = data.putObject("meta");
        new TreeMap<>(facts.meta()).forEach(meta::put);
        data.put("num_uses", 0);
        data.put("orphan", true);
        data.put("path", facts.path());
        ArrayNode names = data.putArray("policies");
        policies.forEach(names::add);
        data.put("renewable", facts.renewableAt(now));
        data.put("ttl", facts.expiresAt() == null ? 0 : remaining(now, facts.expiresAt()));
        data.put("type", "service");
        return data(requestId, data);
    }

    /** A login or a renewed login token: Vault's {@code auth} block. {@code clientToken} is the caller's own. */
    static ObjectNode auth(String requestId, String clientToken, CallerTokens.Facts facts, List<String> policies, Instant now) {
        ObjectNode auth = JSON.objectNode();
        auth.put("client_token", clientToken);
        auth.put("accessor", facts.accessor());
        ArrayNode names = auth.putArray("policies");
        policies.forEach(names::add);
        ArrayNode tokenPolicies = auth.putArray("token_policies");
        policies.forEach(tokenPolicies::add);
        ObjectNode metadata = auth.putObject("metadata");
        new TreeMap<>(facts.meta()).forEach(metadata::put);
        auth.put("lease_duration", facts.expiresAt() == null ? 0 : remaining(now, facts.expiresAt()));
        auth.put("renewable", facts.renewableAt(now));
        auth.put("entity_id", "");
        auth.put("token_type", "service");
        auth.put("orphan", true);
        auth.set("mfa_requirement", NullNode.instance);
        auth.put("num_uses", 0);
        return envelope(requestId, "", false, 0, null, null, auth);
    }

    /** One mount as {@code sys/mounts} describes it. */
    static ObjectNode mount(MountTable.Mount mount) {
        ObjectNode info = JSON.objectNode();
        info.put("accessor", mount.accessor());
        ObjectNode config = info.putObject("config");
        config.put("default_lease_ttl", 0);
        config.put("force_no_cache", false);
        config.put("max_lease_ttl", 0);
        info.put("description", "");
        info.put("external_entropy_access", false);
        info.put("local", false);
        if (mount.type() == Type.KV_V2) {
            info.putObject("options").put("version", "2");
        } else {
            info.set("options", NullNode.instance);
        }
        info.put("plugin_version", "");
        info.put("running_plugin_version", "");
        info.put("running_sha256", "");
        info.put("seal_wrap", false);
        info.put("type", mount.engine());
        info.put("uuid", mount.uuid());
        return info;
    }

    /** {@code sys/internal/ui/mounts/<path>}: the mount a path falls under, with its {@code path}, as the CLI's preflight reads it. */
    static ObjectNode uiMount(String requestId, MountTable.Mount mount) {
        ObjectNode info = mount(mount);
        ObjectNode data = JSON.objectNode();
        // Vault's field order: alphabetical, with path among them.
        TreeMap<String, JsonNode> sorted = new TreeMap<>();
        info.fields().forEachRemaining(field -> sorted.put(field.getKey(), field.getValue()));
        sorted.put("path", JSON.textNode(mount.name() + "/"));
        sorted.forEach(data::set);
        return data(requestId, data);
    }

    /**
     * {@code sys/mounts} (every mount given) or {@code sys/mounts/<path>} (one): the mounts at the top level as well as
     * under {@code data}, as Vault still writes them for old clients.
     */
    static ObjectNode mounts(String requestId, List<MountTable.Mount> mounts) {
        ObjectNode data = JSON.objectNode();
        mounts.forEach(mount -> data.set(mount.name() + "/", mount(mount)));
        ObjectNode body = JSON.objectNode();
        data.fields().forEachRemaining(field -> body.set(field.getKey(), field.getValue().deepCopy()));
        envelope(requestId, "", false, 0, data, null, null).fields().forEachRemaining(field -> body.set(field.getKey(), field.getValue()));
        return body;
    }

    /** {@code sys/mounts/<path>}: one mount's fields at the top level and under {@code data}. */
    static ObjectNode oneMount(String requestId, MountTable.Mount mount) {
        ObjectNode info = mount(mount);
        ObjectNode body = info.deepCopy();
        envelope(requestId, "", false, 0, info, null, null).fields().forEachRemaining(field -> body.set(field.getKey(), field.getValue()));
        return body;
    }

    /** {@code sys/health}: Lanyard answering is Lanyard initialised and unsealed; it has no standby. */
    static ObjectNode health(String version, Instant now) {
        ObjectNode body = JSON.objectNode();
        body.put("initialized", true);
        body.put("sealed", false);
        body.put("standby", false);
        body.put("replication_performance_mode", "disabled");
        body.put("replication_dr_mode", "disabled");
        body.put("server_time_utc", now.getEpochSecond());
        body.put("version", version);
        body.put("cluster_name", CLUSTER_NAME);
        body.put("cluster_id", CLUSTER_ID);
        return body;
    }

    /** {@code sys/seal-status}. */
    static ObjectNode sealStatus(String version) {
        ObjectNode body = JSON.objectNode();
        body.put("type", "shamir");
        body.put("initialized", true);
        body.put("sealed", false);
        body.put("t", 1);
        body.put("n", 1);
        body.put("progress", 0);
        body.put("nonce", "");
        body.put("recovery_seal", false);
        body.put("version", version);
        body.put("migration", false);
        body.put("cluster_name", CLUSTER_NAME);
        body.put("cluster_id", CLUSTER_ID);
        body.put("storage_type", "postgresql");
        return body;
    }

    private static String displayName(CallerTokens.Facts facts) {
        return switch (facts.kind()) {
            case API_TOKEN -> "token-" + facts.name();
            case LOGIN_TOKEN -> facts.path().replace("auth/", "").replace("/login", "") + "-"
                    + facts.meta().getOrDefault("service_account_namespace", "") + "-"
                    + facts.meta().getOrDefault("service_account_name", "");
            case SERVICE_ACCOUNT_TOKEN -> "serviceaccount-" + facts.meta().getOrDefault("service_account_namespace", "")
                    + "-" + facts.meta().getOrDefault("service_account_name", "");
        };
    }

    private static ObjectNode fields(Map<String, String> fields) {
        ObjectNode node = JSON.objectNode();
        new TreeMap<>(fields).forEach(node::put);
        return node;
    }

    /** A version number as the number Vault writes, or the backend's own id as text where it is not a number. */
    private static void putVersion(ObjectNode node, String field, String version) {
        if (version.matches("[0-9]{1,18}")) {
            node.put(field, Long.parseLong(version));
        } else {
            node.put(field, version);
        }
    }

    /** Whole seconds from {@code now} to {@code until}, never negative. */
    static long remaining(Instant now, Instant until) {
        return Math.max(0, Duration.between(now, until).toSeconds());
    }
}
