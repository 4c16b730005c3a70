package dev.lanyard.vaultapi;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lanyard.it.RawHttp;
import dev.lanyard.it.RealPeers;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
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
        assertThat(row(read)).as("the row names the API token the request came with")
                .containsEntry("credential_id", clients.token("vault-api").split("_")[1]);

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
        assertThat(row(read)).as("the row names the login token, as it would an API token")
                .containsEntry("subject", "sa:vault-eso/login-test").containsEntry("credential_id", token.split("_")[1]);

        Sent renewed = call("PUT", "auth/token/renew-self", token, "{\"increment\":\"30m\"}");
        assertThat(renewed.status()).as(renewed.body()).isEqualTo(200);
        assertThat(renewed.json().path("auth").path("lease_duration").asLong()).isBetween(1700L, 1800L);
        assertThat(row(renewed)).containsEntry("operation", "token.renew").containsEntry("status", 200)
                .containsEntry("credential_id", token.split("_")[1]);

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

    /**
     * A caller whose grant is narrower than the mounts it uses sees those mounts, reads only its own subtree, and learns
     * nothing of the rest: a secret another caller just put in the cache, an older version, metadata, a path that does
     * not exist and a sibling whose name starts like its own are all the same 403; it may issue from its one role, but
     * not renew or revoke (it was not granted those), and another identity's lease is one it has never heard of.
     */
    @Test
    void aNarrowerGrantReadsOnlyWhatItIsGrantedAndLearnsNothingOfTheRest() {
        write("narrow/mine", Map.of("k", "mine"));
        write("api/theirs", Map.of("k", "theirs-1"));
        write("api/theirs", Map.of("k", "theirs-2"));
        write("narrowly/sibling", Map.of("k", "sibling"));
        assertThat(get("secret/data/vaultapi/api/theirs", "vault-api").status()).isEqualTo(200); // now in the cache

        Sent mine = get("secret/data/vaultapi/narrow/mine", "vault-narrow");
        assertThat(mine.status()).as(mine.body()).isEqualTo(200);
        assertThat(mine.json().path("data").path("data").path("k").asText()).isEqualTo("mine");

        for (String path : List.of("secret/data/vaultapi/api/theirs", "secret/data/vaultapi/api/theirs?version=1",
                "secret/metadata/vaultapi/api/theirs", "secret/data/vaultapi/api/never-written",
                "secret/metadata/vaultapi/api/never-written", "secret/data/vaultapi/narrowly/sibling",
                "database/creds/" + VaultClients.SHORT_ROLE)) {
            Sent refused = get(path, "vault-narrow");
            assertThat(refused.status()).as(path).isEqualTo(403);
            assertThat(refused.body()).as(path).isEqualTo("{\"errors\":[\"permission denied\"]}");
            assertThat(row(refused)).as(path).containsEntry("subject", "token:vault-narrow").containsEntry("outcome", "denied")
                    .containsEntry("status", 403).containsEntry("detail", "via vault-api");
        }

        List<String> listed = new ArrayList<>();
        get("sys/mounts", "vault-narrow").json().path("data").fieldNames().forEachRemaining(listed::add);
        assertThat(listed).containsExactly("database/", "secret/");
        Sent self = get("auth/token/lookup-self", "vault-narrow");
        List<String> policies = new ArrayList<>();
        self.json().path("data").path("policies").forEach(policy -> policies.add(policy.asText()));
        assertThat(policies).containsExactly("vault-narrow");

        Sent issued = call("PUT", "database/creds/" + VaultClients.ROLE, clients.token("vault-narrow"), null);
        assertThat(issued.status()).as(issued.body()).isEqualTo(200);
        String own = issued.json().path("lease_id").asText();
        for (String[] ungranted : new String[][] {{"sys/leases/renew", "renew"}, {"sys/leases/revoke", "revoke"},
                {"sys/leases/lookup", "lease.lookup"}}) {
            Sent refused = call("PUT", ungranted[0], clients.token("vault-narrow"), "{\"lease_id\":\"" + own + "\"}");
            assertThat(refused.status()).as(ungranted[0]).isEqualTo(403);
            assertThat(row(refused)).containsEntry("operation", ungranted[1]).containsEntry("outcome", "denied");
        }

        String theirs = call("PUT", "database/creds/" + VaultClients.ROLE, clients.token("vault-api"), null).json()
                .path("lease_id").asText();
        Sent probed = call("PUT", "sys/leases/lookup", clients.token("vault-narrow"), "{\"lease_id\":\"" + theirs + "\"}");
        Sent unknown = call("PUT", "sys/leases/lookup", clients.token("vault-narrow"),
                "{\"lease_id\":\"database/creds/" + VaultClients.ROLE + "/" + UUID.randomUUID() + "\"}");
        assertThat(probed.status()).isEqualTo(unknown.status()).isEqualTo(400);
        assertThat(probed.body()).isEqualTo(unknown.body()).isEqualTo("{\"errors\":[\"lease not found\"]}");
        assertThat(call("PUT", "sys/leases/revoke", clients.token("vault-api"), "{\"lease_id\":\"" + theirs + "\"}").status())
                .isEqualTo(204);
        assertThat(call("PUT", "sys/leases/revoke", clients.token("vault-api"), "{\"lease_id\":\"" + own + "\"}").status())
                .as("another holder's lease stays revocable only by its holder or an admin").isEqualTo(400);
    }

    /**
     * A token Vault would know, or one shaped like a Lanyard token that Lanyard never issued, is nobody here: 403
     * {@code permission denied} on every path, in {@code X-Vault-Token} or as a bearer token, recorded as anonymous and
     * never passed on. Sent from an address of its own, so the anonymous-refusal budget records every one.
     */
    @ParameterizedTest
    @ValueSource(strings = {"openbao-root", "hvs.CAESIJlWh1tfT2bPq1Rm-NotARealOne-x0", "s.1ZrT3Lq6n0XqVv7m9mJ6kRn2",
            "hvb.AAAAAQJvM2RkZkVHRG9rdGVzdA", "lyl_0000000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            "a.b.c", "eyJhbGciOiJub25lIn0.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6dmF1bHQtZXNvOngifQ."})
    void aVaultTokenThatIsNotALanyardTokenIsNobody(String given) throws Exception {
        String token = given.equals("openbao-root") ? openBao.rootToken() : given;
        write("api/foreign", Map.of("k", "not for strangers"));
        try (HttpClient stranger = HttpClient.newBuilder().localAddress(InetAddress.getByName("127.0.0.51")).build()) {
            for (String[] sent : new String[][] {{"secret/data/vaultapi/api/foreign", "X-Vault-Token"},
                    {"secret/data/vaultapi/api/foreign", "Authorization"}, {"auth/token/lookup-self", "X-Vault-Token"}}) {
                String path = sent[0];
                String header = sent[1];
                String requestId = "it-vault-stranger-" + UUID.randomUUID();
                HttpResponse<String> answer = stranger.send(HttpRequest.newBuilder(URI.create(vaultAddress() + "/v1/" + path))
                        .header("X-Request-Id", requestId)
                        .header(header, header.equals("Authorization") ? "Bearer " + token : token).GET().build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(answer.statusCode()).as(header + " " + path).isEqualTo(403);
                assertThat(answer.headers().firstValue("Content-Type")).hasValue("application/json");
                assertThat(answer.body()).isEqualTo("{\"errors\":[\"permission denied\"]}");
                assertThat(audit.single(requestId)).containsEntry("subject", "anonymous")
                        .containsEntry("outcome", "unauthenticated").containsEntry("status", 403)
                        .containsEntry("detail", "via vault-api");
            }
        }
    }

    /**
     * The Vault-compatible API decodes the escapes hvac sends ({@code %40} for {@code @}) once, before the edge's rules:
     * every spelling that would reach {@code secret/payments/config} (or the native API) some other way than as itself
     * — encoded or raw dot segments, encoded slashes and backslashes, a double escape, a matrix parameter, NUL, an
     * escaped {@code ?} — is refused 400 before anything routes it, in Vault's error shape, and recorded as that
     * surface's. The control beside them: the same admin token reads the secret when it is spelled plainly.
     */
    @ParameterizedTest
    @ValueSource(strings = {
            "/vault/v1/secret/data/vaultapi/%2e%2e/payments/config",
            "/vault/v1/secret/data/vaultapi/%2E%2E/payments/config",
            "/vault/v1/secret/data/vaultapi/.%2e/payments/config",
            "/vault/v1/secret/data/vaultapi/../payments/config",
            "/vault/v1/secret/data/%2e/payments/config",
            "/vault/v1/secret/data/./payments/config",
            "/vault/v1/secret/data//payments/config",
            "/vault/v1/secret/data/payments%2Fconfig",
            "/vault/v1/secret/data/payments%2fconfig",
            "/vault/v1/secret%2Fdata%2Fpayments%2Fconfig",
            "/vault/v1/secret/data/payments/%252e%252e/config",
            "/vault/v1/secret/data/payments%5Cconfig",
            "/vault/v1/secret/data/payments/config%00",
            "/vault/v1/secret/data/payments/config;version=1",
            "/vault/v1/secret/data/payments/config%3Bversion=1",
            "/vault/v1/secret/data/payments/config%3F",
            "/vault/v1/secret/data/payments/conf%C3%AFg",
            "/vault/v1/%2e%2e/%2e%2e/v1/secrets/openbao/secret/payments/config",
            "/vault/%2e%2e/v1/secrets/openbao/secret/payments/config",
            "/vault/../v1/secrets/openbao/secret/payments/config",
            "/vault/v1/sys/leases/renew/database%2Fcreds%2Fapp%2Fx"})
    void vaultPathsThatWouldBeReadAnotherWayAreRefusedInVaultsShapeAndRecordedAsItsOwn(String target) {
        String requestId = "it-vaultpath-" + UUID.randomUUID();
        RawHttp.Answer answer = rawGet(target, requestId);
        assertThat(answer.status()).as(target + ": " + answer.body()).isEqualTo(400);
        assertThat(answer.header("content-type")).hasValue("application/json");
        assertThat(JsonPath.from(answer.body()).getList("errors")).singleElement().asString().isNotBlank();
        assertThat(answer.body()).doesNotContain("version\"").doesNotContain("api_key").doesNotContain("Exception");
        assertThat(audit.rowsFor(requestId)).as(requestId).singleElement().satisfies(row -> assertThat(row)
                .containsEntry("status", 400).containsEntry("error_code", "INVALID_PATH").containsEntry("detail", "via vault-api"));

        String control = "it-vaultpath-control-" + UUID.randomUUID();
        RawHttp.Answer plain = rawGet("/vault/v1/secret/data/payments/config", control);
        assertThat(plain.status()).as(plain.body()).isEqualTo(200);
        assertThat(plain.body()).contains("api_key");
    }

    /** A request written byte by byte, as admin, from an address of its own (edge refusals count against its budget). */
    private RawHttp.Answer rawGet(String target, String requestId) {
        return RawHttp.send(vault.getPort(), "127.0.0.41", RawHttp.request("GET " + target + " HTTP/1.1", null,
                "Authorization: " + callers.bearer("admin"), "X-Request-Id: " + requestId)).orElseThrow();
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
