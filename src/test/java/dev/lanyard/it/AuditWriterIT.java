package dev.lanyard.it;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import dev.lanyard.devstack.EmbeddedDatabase;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The group-commit writer under faults it must contain: an event PostgreSQL refuses fails alone, never the others in
 * its batch; a chain lock held by a frozen replica makes requests fail with 503 within a bound instead of hanging.
 */
@QuarkusTest
@RealPeers
class AuditWriterIT {

    @InjectPeer
    TestCallers callers;

    @InjectPeer
    AuditRows audit;

    @InjectPeer
    EmbeddedDatabase database;

    /** AuditChainWriter.CHAIN_LOCK: what another replica's commit holds. */
    private static final long CHAIN_LOCK = 7_413_202_601L;
    private static final Pattern QUEUE_DEPTH = Pattern.compile("(?m)^lanyard_audit_queue_depth(?:\\{[^}]*})? ([0-9.Ee+-]+)$");

    @TestHTTPResource("/")
    URL root;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @Test
    void oneRefusedEventFailsAloneWhileTheRestOfItsBatchIsWritten() throws Exception {
        try (Connection c = database.superuser(EmbeddedDatabase.DATABASE); Statement s = c.createStatement()) {
            s.execute("create function test_refuse_poison() returns trigger language plpgsql as $$ begin "
                    + "if new.request_id like 'poison-%' then raise exception 'poisoned' using errcode = 'check_violation'; end if; "
                    + "return new; end; $$");
            s.execute("create trigger test_refuse_poison before insert on audit_event for each row execute function test_refuse_poison()");
            try {
                // A leader's commit blocks on the held chain lock; every request after it queues behind that commit,
                // so they form one batch. Waiting for the leader to block first keeps batch sizes out of the race.
                s.execute("select pg_advisory_lock(" + CHAIN_LOCK + ")");
                String leader = "leader-" + UUID.randomUUID();
                CompletableFuture<HttpResponse<String>> leading = http.sendAsync(read(leader), HttpResponse.BodyHandlers.ofString());
                awaitChainLockWaiter(s);
                List<String> good = new ArrayList<>(List.of(leader));
                List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>(List.of(leading));
                String poison = "poison-" + UUID.randomUUID();
                for (int i = 0; i < 21; i++) {
                    String id = i == 10 ? poison : "batch-" + i + "-" + UUID.randomUUID();
                    if (i != 10) {
                        good.add(id);
                    }
                    calls.add(http.sendAsync(read(id), HttpResponse.BodyHandlers.ofString()));
                }
                awaitQueueDepth(21);
                s.execute("select pg_advisory_unlock(" + CHAIN_LOCK + ")");

                List<HttpResponse<String>> answers = calls.stream().map(CompletableFuture::join).toList();
                for (HttpResponse<String> answer : answers) {
                    String id = answer.headers().firstValue("X-Request-Id").orElseThrow();
                    if (id.equals(poison)) {
                        assertThat(answer.statusCode()).as("the refused event's access is refused too").isEqualTo(503);
                        assertThat(answer.body()).contains("AUDIT_UNAVAILABLE").doesNotContain("second-version");
                    } else {
                        assertThat(answer.statusCode()).as(id + ": " + answer.body()).isEqualTo(200);
                    }
                }
                for (String id : good) {
                    assertThat(audit.rowsFor(id)).as(id).hasSize(1);
                }
                assertThat(audit.rowsFor(poison)).isEmpty();
            } finally {
                s.execute("select pg_advisory_unlock_all()");
                s.execute("drop trigger test_refuse_poison on audit_event");
                s.execute("drop function test_refuse_poison()");
            }
        }
        given().header("Authorization", "Bearer " + callers.token("app"))
                .get("/v1/secrets/openbao/secret/payments/config").then().statusCode(200);
    }

    @Test
    void aFrozenReplicaHoldingTheChainLockMakesRequestsFailFastNotHang() throws Exception {
        try (Connection c = database.superuser(EmbeddedDatabase.DATABASE); Statement s = c.createStatement()) {
            s.execute("select pg_advisory_lock(" + CHAIN_LOCK + ")");
            try {
                Instant started = Instant.now();
                List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
                for (int i = 0; i < 5; i++) {
                    calls.add(http.sendAsync(read("frozen-" + i + "-" + UUID.randomUUID()), HttpResponse.BodyHandlers.ofString()));
                }
                for (CompletableFuture<HttpResponse<String>> call : calls) {
                    HttpResponse<String> answer = call.join();
                    assertThat(answer.statusCode()).isEqualTo(503);
                    assertThat(answer.body()).contains("AUDIT_UNAVAILABLE").doesNotContain("second-version");
                }
                // A bound, not a benchmark: without timeouts these requests never return (the client gives up at 60 s).
                assertThat(Duration.between(started, Instant.now())).isLessThan(Duration.ofSeconds(30));
            } finally {
                s.execute("select pg_advisory_unlock_all()");
            }
        }
        given().header("Authorization", "Bearer " + callers.token("app"))
                .get("/v1/secrets/openbao/secret/payments/config").then().statusCode(200);
    }

    private HttpRequest read(String requestId) {
        return HttpRequest.newBuilder(URI.create(root + "v1/secrets/openbao/secret/payments/config"))
                .header("Authorization", "Bearer " + callers.token("app"))
                .header("X-Request-Id", requestId).timeout(Duration.ofSeconds(60)).GET().build();
    }

    /** Until some session waits for the chain lock: the leader's commit, blocked behind the one this test holds. */
    private static void awaitChainLockWaiter(Statement s) throws Exception {
        Instant giveUp = Instant.now().plusSeconds(8); // within the 10 s lock timeout the tests configure
        while (Instant.now().isBefore(giveUp)) {
            try (var rows = s.executeQuery("select count(*) from pg_locks where locktype = 'advisory' and not granted")) {
                rows.next();
                if (rows.getInt(1) > 0) {
                    return;
                }
            }
            Thread.sleep(20);
        }
        throw new AssertionError("the leader's commit never waited for the held chain lock");
    }

    private void awaitQueueDepth(int depth) throws Exception {
        Instant giveUp = Instant.now().plusSeconds(8); // within the 10 s lock timeout the tests configure
        while (Instant.now().isBefore(giveUp)) {
            String metrics = given().get("/q/metrics").then().statusCode(200).extract().asString();
            Matcher m = QUEUE_DEPTH.matcher(metrics);
            if (m.find() && Double.parseDouble(m.group(1)) >= depth) {
                return;
            }
            Thread.sleep(20);
        }
        throw new AssertionError("the requests did not queue behind the held chain lock");
    }
}
