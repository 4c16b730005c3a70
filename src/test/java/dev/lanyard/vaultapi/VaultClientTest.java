package dev.lanyard.vaultapi;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lanyard.devstack.EmbeddedDatabase;
import dev.lanyard.it.AuditRows;
import dev.lanyard.it.InjectPeer;
import dev.lanyard.it.TestCallers;
import dev.lanyard.it.VaultPeer;
import io.quarkus.test.common.http.TestHTTPResource;
import java.io.IOException;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.junit.jupiter.api.BeforeEach;

/**
 * What every Vault-client test shares: the shared peers, the address a client is pointed at
 * ({@code VAULT_ADDR=http://127.0.0.1:<port>/vault}), writing a secret through Lanyard's own API (so its cache drops
 * the old value at once), logging in to PostgreSQL with an issued credential, and reading the audit rows.
 */
abstract class VaultClientTest {

    static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient HTTP = HttpClient.newHttpClient();

    @TestHTTPResource("/vault")
    URL vault;

    @InjectPeer
    VaultClients clients;

    @InjectPeer
    TestCallers callers;

    @InjectPeer
    AuditRows audit;

    @InjectPeer
    VaultPeer openBao;

    @InjectPeer
    EmbeddedDatabase database;

    @BeforeEach
    void databaseRoles() {
        VaultClients.rolesIn(openBao);
    }

    /** What a client's {@code VAULT_ADDR} is set to: Lanyard's address and the API's prefix. */
    String vaultAddress() {
        return vault.toString().replace("localhost", "127.0.0.1");
    }

    /** Lanyard's own address, for its native API. */
    String lanyard() {
        return vaultAddress().substring(0, vaultAddress().length() - "/vault".length());
    }

    /** Writes a new version of {@code openbao/secret/vaultapi/<path>} through Lanyard's own API. */
    void write(String path, Map<String, String> fields) {
        try {
            HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(URI.create(lanyard() + "/v1/secrets/openbao/"
                            + VaultClients.KV + "/" + path))
                    .header("Authorization", "Bearer " + clients.token("vault-writer"))
                    .header("Content-Type", "application/json")
                    .PUT(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(Map.of("data", fields)))).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Logs a ServiceAccount in through the API's Kubernetes login, as Vault Agent or ESO do; returns the login token. */
    String login(String jwt, String role) {
        HttpResponse<String> response = send(HttpRequest.newBuilder(URI.create(vaultAddress() + "/v1/auth/kubernetes/login"))
                .PUT(HttpRequest.BodyPublishers.ofString("{\"role\":\"" + role + "\",\"jwt\":\"" + jwt + "\"}")));
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        try {
            return JSON.readTree(response.body()).path("auth").path("client_token").asText();
        } catch (IOException e) {
            throw new AssertionError(response.body(), e);
        }
    }

    /** Revokes a token through the API, as its holder does on the way out. */
    void revokeSelf(String token) {
        HttpResponse<String> response = send(HttpRequest.newBuilder(URI.create(vaultAddress() + "/v1/auth/token/revoke-self"))
                .header("X-Vault-Token", token).POST(HttpRequest.BodyPublishers.noBody()));
        assertThat(response.statusCode()).as(response.body()).isEqualTo(204);
    }

    static HttpResponse<String> send(HttpRequest.Builder request) {
        try {
            return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Whether an issued database credential logs in to the tests' PostgreSQL right now. */
    boolean logsIn(String username, String password) {
        try (Connection connection = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + database.port() + "/postgres",
                username, password); ResultSet rs = connection.createStatement().executeQuery("select current_user")) {
            return rs.next() && rs.getString(1).equals(username);
        } catch (SQLException e) {
            return false;
        }
    }

    /** The audit rows of one subject and operation since {@code since}, oldest first. */
    List<Map<String, Object>> rows(String subject, String operation, Instant since) {
        return audit.query("select * from audit_event where subject = ? and operation = ? and occurred_at >= ? order by seq",
                subject, operation, java.sql.Timestamp.from(since));
    }

    /** Polls {@code condition} until it holds or {@code timeout} passes; the last value is returned either way. */
    static <T> T eventually(Duration timeout, Supplier<T> value, java.util.function.Predicate<T> condition) {
        Instant deadline = Instant.now().plus(timeout);
        T last = value.get();
        while (!condition.test(last) && Instant.now().isBefore(deadline)) {
            try {
                Thread.sleep(250);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return last;
            }
            last = value.get();
        }
        return last;
    }
}
