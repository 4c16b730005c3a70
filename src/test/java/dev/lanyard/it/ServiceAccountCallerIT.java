package dev.lanyard.it;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import io.quarkus.test.junit.QuarkusTest;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** Workloads in Kubernetes authenticate with their projected ServiceAccount token; policy binds namespaces. */
@QuarkusTest
@RealPeers
class ServiceAccountCallerIT {

    @InjectPeer
    TestCallers callers;

    @InjectPeer
    AuditRows audit;

    @Test
    void aServiceAccountOfABoundNamespaceGetsACredential() {
        String requestId = "it-sa-" + UUID.randomUUID();
        String jwt = callers.serviceAccountToken("payments", "api", "lanyard");
        given().header("Authorization", "Bearer " + jwt).header("X-Request-Id", requestId)
                .post("/v1/creds/openbao/database/creds/app")
                .then().statusCode(200).body("backend", equalTo("openbao"));
        assertThat(audit.rowsFor(requestId)).singleElement()
                .satisfies(row -> assertThat(row).containsEntry("subject", "sa:payments/api").containsEntry("outcome", "success"));
    }

    @Test
    void otherNamespacesAreDeniedAndWrongAudiencesAreNotAuthenticated() {
        given().header("Authorization", "Bearer " + callers.serviceAccountToken("billing", "api", "lanyard"))
                .post("/v1/creds/openbao/database/creds/app")
                .then().statusCode(403).body("code", equalTo("ACCESS_DENIED"));
        given().header("Authorization", "Bearer " + callers.serviceAccountToken("payments", "api", "vault"))
                .post("/v1/creds/openbao/database/creds/app")
                .then().statusCode(401).body("code", equalTo("UNAUTHENTICATED"));
    }
}
