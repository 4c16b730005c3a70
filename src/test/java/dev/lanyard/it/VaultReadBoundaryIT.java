package dev.lanyard.it;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import io.quarkus.test.junit.QuarkusTest;
import java.io.IOException;
import java.nio.file.Files;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A caller allowed to read everything under a Vault backend still reaches only its secrets mounts: Vault's own API
 * (which returns Lanyard's token), cubbyhole, identity, and dynamic engines whose reads would mint untracked
 * credentials are refused before any call. OpenBao's own audit log shows that no request reached it.
 */
@QuarkusTest
@RealPeers
class VaultReadBoundaryIT {

    @InjectPeer
    TestCallers callers;

    @InjectPeer
    AuditRows audit;

    @InjectPeer
    VaultPeer openBao;

    /** Lanyard logs in (looking up its own token) on its first call; make that happen before anything is counted. */
    @BeforeEach
    void lanyardHasLoggedIn() {
        given().header("Authorization", "Bearer " + callers.token("admin"))
                .get("/v1/secrets/openbao/secret/payments/config").then().statusCode(200);
    }

    @ParameterizedTest
    @ValueSource(strings = {"auth/token/lookup-self", "sys/mounts", "sys/raw/core/master", "cubbyhole/notes",
            "identity/entity/name/lanyard", "token/lookup-self", "database/creds/app", "database/static-creds/app",
            "database/config/lanyard-postgres", "aws/sts/deployer", "secret"})
    void readsOutsideSecretsMountsAreRefusedWithoutReachingOpenBao(String path) throws IOException {
        String requestId = "it-boundary-" + UUID.randomUUID();
        long openBaoLinesBefore = openBaoRequestsFor(path);
        String body = given().header("Authorization", "Bearer " + callers.token("admin"))
                .header("X-Request-Id", requestId)
                .get("/v1/secrets/openbao/" + path)
                .then().statusCode(422).contentType("application/problem+json")
                .body("code", equalTo("OPERATION_NOT_SUPPORTED")).extract().asString();

        assertThat(body).doesNotContain(openBao.rootToken());
        assertThat(openBaoRequestsFor(path)).as("requests OpenBao received for " + path).isEqualTo(openBaoLinesBefore);
        assertThat(audit.rowsFor(requestId)).singleElement().satisfies(row -> assertThat(row)
                .containsEntry("subject", "token:admin").containsEntry("operation", "read")
                .containsEntry("backend", "openbao").containsEntry("path", path)
                .containsEntry("outcome", "invalid").containsEntry("status", 422));
    }

    /**
     * The control for "no request reached OpenBao": a read inside a secrets mount does appear in OpenBao's audit log, so
     * a missing or silent log cannot make the refusals above pass.
     */
    @Test
    void anAllowedReadDoesReachOpenBaosAuditLog() throws IOException {
        String name = "boundary-control-" + UUID.randomUUID();
        long before = openBaoRequestsFor("secret/data/" + name);
        given().header("Authorization", "Bearer " + callers.token("admin"))
                .get("/v1/secrets/openbao/secret/" + name)
                .then().statusCode(404).body("code", equalTo("SECRET_NOT_FOUND"));
        assertThat(openBaoRequestsFor("secret/data/" + name)).as("requests OpenBao received for the allowed read")
                .isGreaterThan(before);
    }

    /** Lines of OpenBao's audit log that name this path (requests and responses); the log must exist. */
    private long openBaoRequestsFor(String path) throws IOException {
        assertThat(openBao.auditLog()).as("OpenBao's audit log").exists();
        try (var lines = Files.lines(openBao.auditLog())) {
            return lines.filter(line -> line.contains("\"path\":\"" + path + "\"")).count();
        }
    }
}
