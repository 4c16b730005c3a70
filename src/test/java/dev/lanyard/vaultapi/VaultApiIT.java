package dev.lanyard.vaultapi;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lanyard.it.RealPeers;
import io.quarkus.test.junit.QuarkusTest;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The Vault-compatible API over raw HTTP: what the clients are strict about (exactly {@code application/json}, revoke
 * 204, {@code {"errors":[]}} for a KV miss, 403 for a bad token or a path no policy grants, 400 for wrapping and foreign
 * namespaces), and what Lanyard promises on every surface (one audit row per request with the status sent and the
 * surface named, holder-only renew and revoke, the lease cap, no Vault system path reaching a backend).
 */
@QuarkusTest
@RealPeers
@VaultSurface
class VaultApiIT extends VaultClientTest {

    /** One request, with an id its audit row can be found by. */
    private record Sent(String requestId, HttpResponse<String> response) {
        int status() {
            return response.statusCode();
        }

        String body() {
            return response.body();
        }

        JsonNode json() {
            try {
                return JSON.readTree(response.body());
            } catch (IOException e) {
                throw new AssertionError("not JSON: " + response.body(), e);
            }
        }

        String contentType() {
            return response.headers().firstValue("Content-Type").orElse(null);
        }
    }

    private Sent call(String method, String path, String token, String body, String... headers) {
        String requestId = "it-vault-" + UUID.randomUUID();
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(vault + "/v1/" + path))
                .header("X-Request-Id", requestId)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            request.header("X-Vault-Token", token);
        }
        for (int i = 0; i < headers.length; i += 2) {
            request.header(headers[i], headers[i + 1]);
        }
        try {
            return new Sent(requestId, HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString()));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private Sent get(String path, String caller) {
        return call("GET", path, clients.token(caller), null);
    }

    private Map<String, Object> row(Sent sent) {
        return audit.single(sent.requestId());
    }

    @Test
    void aKvV2ReadIsVaultsEnvelopeInExactlyApplicationJsonWithRefreshAfterInAHeaderAndOneAuditRow() {
        write("api/db", Map.of("password", "first", "user", "app"));
        write("api/db", Map.of("password", "second", "user", "app"));
        Sent read = get("secret/data/vaultapi/api/db", "vault-api");

        assertThat(read.status()).as(read.body()).isEqualTo(200);
        assertThat(read.contentType()).isEqualTo("application/json");
        JsonNode body = read.json();
        List<String> fields = new ArrayList<>();
        body.fieldNames().forEachRemaining(fields::add);
        assertThat(fields).containsExactly("request_id", "lease_id", "renewable", "lease_duration", "data", "wrap_info",
                "warnings", "auth");
        assertThat(body.path("request_id").asText()).isEqualTo(read.requestId());
        assertThat(body.path("lease_duration").asLong()).isZero();
        assertThat(body.path("data").path("data").path("password").asText()).isEqualTo("second");
        assertThat(body.path("data").path("metadata").path("version").isInt()).isTrue();
        assertThat(Instant.parse(body.path("data").path("metadata").path("created_time").asText())).isBefore(Instant.now());
        assertThat(Instant.parse(read.response().headers().firstValue(VaultRoutes.REFRESH_AFTER).orElseThrow())).isAfter(Instant.now());
        assertThat(row(read)).containsEntry("operation", "read").containsEntry("subject", "token:vault-api")
                .containsEntry("backend", "openbao").containsEntry("path", VaultClients.KV + "/api/db")
                .containsEntry("detail", "via vault-api").containsEntry("status", 200).containsEntry("outcome", "success");

        int latest = body.path("data").path("metadata").path("version").asInt();
        Sent older = get("secret/data/vaultapi/api/db?version=" + (latest - 1), "vault-api");
        assertThat(older.json().path("data").path("data").path("password").asText()).isEqualTo("first");
    }

    @Test
    void aKvMissIs404WithNoErrorsWhichClientsReadAsNoSecret() {
        Sent miss = get("secret/data/vaultapi/api/never-written", "vault-api");
        assertThat(miss.status()).isEqualTo(404);
        assertThat(miss.contentType()).isEqualTo("application/json");
        assertThat(miss.body()).isEqualTo("{\"errors\":[]}");
        assertThat(row(miss)).containsEntry("outcome", "not_found").containsEntry("status", 404)
                .containsEntry("detail", "via vault-api");
    }

    @Test
    void metadataNamesTheCurrentVersionAndListingIsAConsistent405() {
        write("api/meta", Map.of("v", "1"));
        write("api/meta", Map.of("v", "2"));
        Sent metadata = get("secret/metadata/vaultapi/api/meta", "vault-api");
        assertThat(metadata.status()).as(metadata.body()).isEqualTo(200);
        JsonNode data = metadata.json().path("data");
        assertThat(data.path("current_version").asInt()).isGreaterThanOrEqualTo(2);
        assertThat(data.path("versions").has(data.path("current_version").asText())).isTrue();
        assertThat(row(metadata)).containsEntry("operation", "metadata.read").containsEntry("status", 200);

        for (Sent list : List.of(call("LIST", "secret/metadata/vaultapi/api", clients.token("vault-api"), null),
                get("secret/metadata/vaultapi/api?list=true", "vault-api"),
                call("LIST", "secret/data/vaultapi/api", clients.token("vault-api"), null))) {
            assertThat(list.status()).isEqualTo(405);
            assertThat(list.response().headers().firstValue("Allow")).contains("GET");
            assertThat(row(list)).containsEntry("error_code", "METHOD_NOT_ALLOWED").containsEntry("status", 405);
        }
    }

    @Test
    void wrappingAndForeignNamespacesAreRefusedWith400NeverIgnored() {
        write("api/wrapped", Map.of("k", "v"));
        Sent wrapped = call("GET", "secret/data/vaultapi/api/wrapped", clients.token("vault-api"), null, "X-Vault-Wrap-TTL", "60s");
        assertThat(wrapped.status()).isEqualTo(400);
        assertThat(wrapped.body()).doesNotContain("\"v\"");
        assertThat(row(wrapped)).containsEntry("error_code", "INVALID_REQUEST").containsEntry("status", 400);

        Sent foreign = call("GET", "secret/data/vaultapi/api/wrapped", clients.token("vault-api"), null, "X-Vault-Namespace", "team-a");
        assertThat(foreign.status()).isEqualTo(400);
        assertThat(foreign.json().path("errors").get(0).asText()).contains("namespace");

        Sent root = call("GET", "secret/data/vaultapi/api/wrapped", clients.token("vault-api"), null, "X-Vault-Namespace", "root");
        assertThat(root.status()).isEqualTo(200);
    }

    @Test
    void aBadTokenAndAPathNoPolicyGrantsAre403PermissionDeniedAsVaultSaysIt() {
        Sent bad = call("GET", "secret/data/vaultapi/api/db", "lyt_0000000000000000_" + "A".repeat(43), null);
        assertThat(bad.status()).isEqualTo(403);
        assertThat(bad.body()).isEqualTo("{\"errors\":[\"permission denied\"]}");
        assertThat(row(bad)).containsEntry("subject", "anonymous").containsEntry("outcome", "unauthenticated")
                .containsEntry("status", 403).containsEntry("operation", "authenticate").containsEntry("detail", "via vault-api");

        Sent none = call("GET", "auth/token/lookup-self", null, null);
        assertThat(none.status()).isEqualTo(403);

        Sent forbidden = get("secret/data/payments/config", "vault-api");
        assertThat(forbidden.status()).isEqualTo(403);
        assertThat(forbidden.body()).isEqualTo("{\"errors\":[\"permission denied\"]}");
        assertThat(row(forbidden)).containsEntry("outcome", "denied").containsEntry("status", 403);
    }

    /** Every path under sys/ or auth/ the API does not serve: refused, recorded, and never seen by OpenBao. */
    @ParameterizedTest
    @ValueSource(strings = {"sys/raw/core/master", "sys/policy", "sys/audit", "sys/auth", "sys/leases/revoke-prefix/database",
            "sys/leases/revoke-force/database", "sys/leases/lookup/database/creds", "sys/internal/counters/activity",
            "sys/key-status", "sys/config/state/sanitized", "sys/storage/raft/configuration", "auth/token/create",
            "auth/token/lookup", "auth/token/lookup-accessor", "auth/token/accessors", "auth/token/roles",
            "auth/kubernetes/config", "auth/kubernetes/role/app", "identity/entity/name/lanyard", "cubbyhole/notes",
            "database/config/lanyard-postgres", "database/roles/app", "database/static-creds/app", "secret/config",
            "secret/delete/vaultapi/api/db", "secret/destroy/vaultapi/api/db", "secret/subkeys/vaultapi/api/db"})
    void noUnservedVaultPathReachesABackend(String path) throws IOException {
        long before = openBaoLines(path);
        for (String method : new String[] {"GET", "PUT", "POST", "DELETE"}) {
            Sent sent = call(method, path, clients.token("vault-api"), method.equals("GET") || method.equals("DELETE") ? null : "{}");
            assertThat(sent.status()).as(method + " " + path).isEqualTo(403);
            assertThat(sent.contentType()).isEqualTo("application/json");
            assertThat(row(sent)).containsEntry("operation", "request").containsEntry("error_code", "ACCESS_DENIED")
                    .containsEntry("status", 403).containsEntry("detail", "via vault-api");
        }
        assertThat(openBaoLines(path)).as("OpenBao's audit log names " + path).isEqualTo(before);
    }

    private long openBaoLines(String path) throws IOException {
        if (!Files.exists(openBao.auditLog())) {
            return 0;
        }
        try (var lines = Files.lines(openBao.auditLog())) {
            return lines.filter(line -> line.contains("\"path\":\"" + path)).count();
        }
    }

    @Test
    void credentialsAreRenewedAndRevokedOnlyByTheirHolderInBothFormsAndRevokeAnswers204() {
        Sent issued = call("PUT", "database/creds/" + VaultClients.ROLE, clients.token("vault-api"), null);
        assertThat(issued.status()).as(issued.body()).isEqualTo(200);
        assertThat(issued.contentType()).isEqualTo("application/json");
        String leaseId = issued.json().path("lease_id").asText();
        assertThat(leaseId).startsWith("database/creds/" + VaultClients.ROLE + "/");
        assertThat(issued.json().path("renewable").asBoolean()).isTrue();
        assertThat(issued.json().path("lease_duration").asLong()).isBetween(1L, 600L);
        assertThat(issued.json().path("data").path("username").asText()).isNotEmpty();
        assertThat(row(issued)).containsEntry("operation", "issue").containsEntry("detail", "via vault-api")
                .containsEntry("status", 200);

        Sent stolenRenew = call("PUT", "sys/leases/renew", clients.token("vault-other"), "{\"lease_id\":\"" + leaseId + "\"}");
        assertThat(stolenRenew.status()).as("another identity renewing it").isEqualTo(400);
        assertThat(stolenRenew.body()).isEqualTo("{\"errors\":[\"lease not found\"]}");
        Sent stolenRevoke = call("PUT", "sys/leases/revoke/" + leaseId, clients.token("vault-other"), null);
        assertThat(stolenRevoke.status()).isEqualTo(400);
        assertThat(row(stolenRevoke)).containsEntry("error_code", "LEASE_NOT_FOUND").containsEntry("status", 400);

        Sent renewed = call("PUT", "sys/leases/renew", clients.token("vault-api"), "{\"lease_id\":\"" + leaseId + "\",\"increment\":\"300\"}");
        assertThat(renewed.status()).as(renewed.body()).isEqualTo(200);
        assertThat(renewed.json().path("lease_id").asText()).isEqualTo(leaseId);
        assertThat(renewed.json().path("lease_duration").asLong()).isBetween(1L, 300L);
        assertThat(row(renewed)).containsEntry("operation", "renew").containsEntry("status", 200);

        Sent urlRenew = call("POST", "sys/leases/renew/" + leaseId, clients.token("vault-api"), "{\"increment\":120}");
        assertThat(urlRenew.status()).as(urlRenew.body()).isEqualTo(200);

        Sent lookup = call("PUT", "sys/leases/lookup", clients.token("vault-api"), "{\"lease_id\":\"" + leaseId + "\"}");
        assertThat(lookup.status()).as(lookup.body()).isEqualTo(200);
        assertThat(lookup.json().path("data").path("id").asText()).isEqualTo(leaseId);
        assertThat(lookup.json().path("data").path("ttl").asLong()).isBetween(1L, 120L);
        assertThat(row(lookup)).containsEntry("operation", "lease.lookup").containsEntry("status", 200);

        Sent revoked = call("PUT", "sys/leases/revoke", clients.token("vault-api"), "{\"lease_id\":\"" + leaseId + "\"}");
        assertThat(revoked.status()).isEqualTo(204);
        assertThat(revoked.body()).isEmpty();
        assertThat(row(revoked)).containsEntry("operation", "revoke").containsEntry("status", 204);
        assertThat(call("PUT", "sys/leases/renew/" + leaseId, clients.token("vault-api"), null).status()).isEqualTo(400);
    }

    @Test
    void theLeaseCapHoldsOnThisSurface() {
        List<Integer> statuses = new ArrayList<>();
        for (String role : List.of("app", "flight", "capped", VaultClients.ROLE)) {
            Sent sent = call("GET", "database/creds/" + role, clients.token("vault-capped"), null);
            statuses.add(sent.status());
            if (sent.status() == 429) {
                assertThat(row(sent)).containsEntry("error_code", "LEASE_LIMIT_EXCEEDED").containsEntry("status", 429);
            }
        }
        assertThat(statuses).containsExactly(200, 200, 200, 429);
    }

    @Test
    void lookupSelfDescribesTheCallersOwnLanyardTokenAndNeverABackendsToken() {
        Sent lookup = get("auth/token/lookup-self", "vault-api");
        assertThat(lookup.status()).as(lookup.body()).isEqualTo(200);
        JsonNode data = lookup.json().path("data");
        assertThat(data.path("id").asText()).isEqualTo(clients.token("vault-api"));
        assertThat(data.path("display_name").asText()).isEqualTo("token-vault-api");
        assertThat(data.path("type").asText()).isEqualTo("service");
        assertThat(data.path("policies").toString()).contains("vault-clients");
        assertThat(data.path("renewable").asBoolean()).isFalse();
        assertThat(lookup.body()).doesNotContain(openBao.rootToken());
        assertThat(row(lookup)).containsEntry("operation", "token.lookup").containsEntry("path", "tokens/vault-api")
                .containsEntry("status", 200);

        Sent notRenewable = call("PUT", "auth/token/renew-self", clients.token("vault-api"), "{}");
        assertThat(notRenewable.status()).isEqualTo(400);
        assertThat(row(notRenewable)).containsEntry("operation", "token.renew").containsEntry("error_code", "INVALID_REQUEST");
    }

    @Test
    void aServiceAccountLogsInForARenewableRevocableLoginTokenThatActsAsItself() {
        String jwt = callers.serviceAccountToken(VaultClients.ESO_NAMESPACE, "login-test", "lanyard");
        Sent login = call("PUT", "auth/kubernetes/login", null, "{\"role\":\"eso\",\"jwt\":\"" + jwt + "\"}");
        assertThat(login.status()).as(login.body()).isEqualTo(200);
        JsonNode auth = login.json().path("auth");
        String token = auth.path("client_token").asText();
        assertThat(token).startsWith("lyl_");
        assertThat(auth.path("renewable").asBoolean()).isTrue();
        assertThat(auth.path("lease_duration").asLong()).isBetween(3500L, 3600L);
        assertThat(auth.path("metadata").path("service_account_namespace").asText()).isEqualTo(VaultClients.ESO_NAMESPACE);
        Map<String, Object> loginRow = row(login);
        assertThat(loginRow).containsEntry("operation", "token.login").containsEntry("subject", "sa:vault-eso/login-test")
                .containsEntry("status", 200);
        assertThat(loginRow.get("path").toString()).isEqualTo("logins/" + auth.path("accessor").asText());

        Sent lookup = call("GET", "auth/token/lookup-self", token, null);
        assertThat(lookup.status()).isEqualTo(200);
        assertThat(lookup.json().path("data").path("path").asText()).isEqualTo("auth/kubernetes/login");
        assertThat(lookup.json().path("data").path("ttl").asLong()).isGreaterThan(60);
        assertThat(lookup.json().path("data").path("expire_time").asText()).isNotEmpty();

        write("api/login", Map.of("k", "v"));
        Sent read = call("GET", "secret/data/vaultapi/api/login", token, null);
        assertThat(read.status()).isEqualTo(200);
        assertThat(row(read)).containsEntry("subject", "sa:vault-eso/login-test");

        Sent renewed = call("PUT", "auth/token/renew-self", token, "{\"increment\":\"30m\"}");
        assertThat(renewed.status()).as(renewed.body()).isEqualTo(200);
        assertThat(renewed.json().path("auth").path("lease_duration").asLong()).isBetween(1700L, 1800L);
        assertThat(row(renewed)).containsEntry("operation", "token.renew").containsEntry("status", 200);

        Sent revoked = call("PUT", "auth/token/revoke-self", token, null);
        assertThat(revoked.status()).isEqualTo(204);
        assertThat(row(revoked)).containsEntry("operation", "token.revoke").containsEntry("status", 204);
        assertThat(call("GET", "auth/token/lookup-self", token, null).status()).isEqualTo(403);

        Sent forged = call("PUT", "auth/kubernetes/login", null, "{\"role\":\"eso\",\"jwt\":\"" + jwt.substring(0, jwt.length() - 4) + "AAAA\"}");
        assertThat(forged.status()).isEqualTo(403);
        assertThat(row(forged)).containsEntry("operation", "authenticate").containsEntry("outcome", "unauthenticated");
    }

    @Test
    void escapesHvacSendsAreDecodedOnceAndAnEncodedSlashIsStillRefused() {
        write("api/app@prod=1", Map.of("k", "escaped"));
        Sent escaped = get("secret/data/vaultapi/api/app%40prod%3D1", "vault-api");
        assertThat(escaped.status()).as(escaped.body()).isEqualTo(200);
        assertThat(escaped.json().path("data").path("data").path("k").asText()).isEqualTo("escaped");
        assertThat(row(escaped)).containsEntry("path", VaultClients.KV + "/api/app@prod=1");

        Sent encodedSlash = get("secret/data/vaultapi/api%2Fapp", "vault-api");
        assertThat(encodedSlash.status()).isEqualTo(400);
        assertThat(row(encodedSlash)).containsEntry("error_code", "INVALID_PATH").containsEntry("detail", "via vault-api");
        assertThat(get("secret/data/vaultapi/%2e%2e/payments", "vault-api").status()).isEqualTo(400);
    }

    @Test
    void mountDiscoveryShowsOnlyWhatTheCallerMayUseAndAMountItCannotUseIs403Never404() {
        Sent preflight = get("sys/internal/ui/mounts/secret/vaultapi/api/db", "vault-api");
        assertThat(preflight.status()).as(preflight.body()).isEqualTo(200);
        assertThat(preflight.json().path("data").path("path").asText()).isEqualTo("secret/");
        assertThat(preflight.json().path("data").path("options").path("version").asText()).isEqualTo("2");
        assertThat(preflight.json().path("data").path("type").asText()).isEqualTo("kv");
        assertThat(row(preflight)).containsEntry("operation", "mount.read").containsEntry("status", 200);

        Sent mounts = get("sys/mounts", "vault-writer");
        assertThat(mounts.status()).isEqualTo(200);
        Iterator<String> names = mounts.json().path("data").fieldNames();
        List<String> listed = new ArrayList<>();
        names.forEachRemaining(listed::add);
        assertThat(listed).containsExactly("secret/");
        assertThat(mounts.json().path("secret/").path("options").path("version").asText()).isEqualTo("2");

        Sent unusable = get("sys/internal/ui/mounts/database/creds/app", "vault-writer");
        assertThat(unusable.status()).isEqualTo(403);
        assertThat(get("sys/internal/ui/mounts/nosuchmount/x", "vault-api").status()).isEqualTo(403);

        Sent one = get("sys/mounts/secret", "vault-api");
        assertThat(one.status()).isEqualTo(200);
        assertThat(one.json().path("data").path("type").asText()).isEqualTo("kv");
        assertThat(get("sys/mounts-all/secret", "vault-api").status()).isEqualTo(200);
    }

    @Test
    void healthAndSealStatusNeedNoTokenNameNothingAndWriteNoRow() {
        Sent health = call("GET", "sys/health", null, null);
        assertThat(health.status()).isEqualTo(200);
        assertThat(health.contentType()).isEqualTo("application/json");
        assertThat(health.json().path("initialized").asBoolean()).isTrue();
        assertThat(health.json().path("sealed").asBoolean()).isFalse();
        Sent seal = call("GET", "sys/seal-status", null, null);
        assertThat(seal.json().path("sealed").asBoolean()).isFalse();
        assertThat(audit.rowsFor(health.requestId())).isEmpty();
        assertThat(audit.rowsFor(seal.requestId())).isEmpty();
    }

    @Test
    void aCachedReadAnswersTheSameThroughBothSurfaces() throws Exception {
        write("api/same", Map.of("k", "one value"));
        Sent viaVault = get("secret/data/vaultapi/api/same", "vault-api");
        HttpResponse<String> viaNative = HTTP.send(HttpRequest.newBuilder(URI.create(lanyard()
                        + "/v1/secrets/openbao/" + VaultClients.KV + "/api/same"))
                .header("Authorization", "Bearer " + clients.token("vault-api")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(JSON.readTree(viaNative.body()).path("data").path("k").asText())
                .isEqualTo(viaVault.json().path("data").path("data").path("k").asText()).isEqualTo("one value");
    }
}
