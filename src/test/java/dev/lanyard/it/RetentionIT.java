package dev.lanyard.it;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lanyard.Retention;
import dev.lanyard.devstack.EmbeddedDatabase;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.smallrye.config.SmallRyeConfigBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.eclipse.microprofile.config.Config;
import org.junit.jupiter.api.Test;

/**
 * Leases and rotation history have an end: the schema owner's retention job deletes leases dead longer than their age
 * and runs finished longer than theirs, keeping each schedule's last run and every run still going, while the service's
 * own role cannot delete any of these rows. The lease cap gauges count live leases only, however many dead ones the
 * table holds.
 */
@QuarkusTest
@TestProfile(OwnPeers.Retention.class)
@RealPeers
class RetentionIT {

    private static final Instant NOW = Instant.now();

    @InjectPeer
    EmbeddedDatabase database;

    @InjectPeer
    AuditRows rows;

    @Test
    void theServicesRoleCannotDeleteLeasesRunsOrStepRecords() throws SQLException {
        try (Connection app = database.app(); Statement s = app.createStatement()) {
            for (String table : List.of("lease", "rotation_run", "rotation_step")) {
                assertThatThrownBy(() -> s.execute("delete from " + table + " where false"))
                        .as(table).hasMessageContaining("permission denied for table " + table);
            }
        }
    }

    @Test
    void leasesDeadLongerThanTheAgeGoInBatchesAndEveryOtherLeaseStays() throws SQLException {
        String prefix = "retention-" + UUID.randomUUID() + "-";
        // More than one batch of leases expired long ago.
        superuser("insert into lease (fingerprint, owner, backend, path, issued_at, expires_at) select ? || 'expired-' || i,"
                + " 'token:retention', 'openbao', 'database/creds/app', ?, ? from generate_series(1, 10001) i",
                prefix, at(Duration.ofDays(-9)), at(Duration.ofDays(-8)));
        lease(prefix + "revoked-long-ago", Duration.ofDays(-9), Duration.ofDays(30), Duration.ofDays(-8));
        lease(prefix + "expired-lately", Duration.ofDays(-2), Duration.ofDays(-1), null);
        lease(prefix + "revoked-lately", Duration.ofDays(-2), Duration.ofDays(30), Duration.ofDays(-1));
        lease(prefix + "live", Duration.ofMinutes(-5), Duration.ofHours(1), null);

        Retention.Pruned pruned;
        try (Connection owner = database.owner()) {
            pruned = Retention.prune(owner, NOW.minus(Duration.ofDays(7)), NOW.minus(Duration.ofDays(90)));
        }

        assertThat(pruned.leases()).isEqualTo(10002);
        assertThat(rows.query("select fingerprint from lease where fingerprint like ? order by fingerprint", prefix + "%"))
                .extracting(row -> ((String) row.get("fingerprint")).substring(prefix.length()))
                .containsExactly("expired-lately", "live", "revoked-lately");
    }

    @Test
    void runsFinishedLongerAgoGoWithTheirStepsButEachSchedulesLastRunAndEveryRunInProgressStay() throws SQLException {
        String a = schedule();
        String b = schedule();
        String c = schedule();
        // More than one batch of old runs of a, then its last run, also old.
        superuser("insert into rotation_run (id, schedule_id, backend, path, strategy, parameters, token, triggered_by, state,"
                + " step, tested_at, not_before, step_since, created_at, finished_at) select ? || '-old-' || i, ?, 'local', ?,"
                + " 'random', '{}', ? || '-token-' || i, 'schedule', 'succeeded', 'done', ?, ?, ?, ?, ?"
                + " from generate_series(1, 10001) i", a, a, a, a, at(Duration.ofDays(-120)), at(Duration.ofDays(-120)),
                at(Duration.ofDays(-120)), at(Duration.ofDays(-120)), at(Duration.ofDays(-120)));
        superuser("insert into rotation_step (run_id, step, attempt, replica, started_at, ended_at, outcome)"
                + " select id, 'create', 0, 'it', created_at, finished_at, 'success' from rotation_run where schedule_id = ?", a);
        run(a, a + "-last", "succeeded", Duration.ofDays(-100), true);
        run(b, b + "-failed", "failed", Duration.ofDays(-100), false);
        run(b, b + "-stuck", "stuck", Duration.ofDays(-200), true);
        run(c, c + "-old", "succeeded", Duration.ofDays(-100), false);
        run(c, c + "-lately", "succeeded", Duration.ofDays(-10), true);

        Retention.Pruned pruned;
        try (Connection owner = database.owner()) {
            pruned = Retention.prune(owner, NOW.minus(Duration.ofDays(7)), NOW.minus(Duration.ofDays(90)));
        }

        assertThat(pruned.runs()).isEqualTo(10003);
        assertThat(pruned.steps()).isEqualTo(10003);
        assertThat(rows.query("select id from rotation_run where schedule_id in (?, ?, ?) order by id", a, b, c))
                .extracting(row -> row.get("id"))
                .containsExactlyInAnyOrder(a + "-last", b + "-stuck", c + "-lately");
        assertThat(rows.query("select run_id from rotation_step where run_id like ? or run_id like ? or run_id like ?",
                a + "%", b + "%", c + "%")).extracting(row -> row.get("run_id"))
                .containsExactlyInAnyOrder(a + "-last", b + "-stuck", c + "-lately");
    }

    @Test
    void theJobReadsItsAgesFromTheConfigurationAndRefusesOneThatCouldTakeALiveLease() throws Exception {
        String prefix = "retention-config-" + UUID.randomUUID() + "-";
        lease(prefix + "dead-3-days", Duration.ofDays(-4), Duration.ofDays(-3), null);
        lease(prefix + "dead-1-day", Duration.ofDays(-2), Duration.ofDays(-1), null);
        Path password = Files.writeString(Files.createTempFile("lanyard-owner", ".password"), database.ownerPassword());
        Map<String, String> settings = new HashMap<>(database.ownerConfig("file:" + password));

        settings.put("lanyard.retention.lease-age", "30m");
        assertThatThrownBy(() -> Retention.run(config(settings), NOW)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("lanyard.retention.lease-age must be at least 1h");
        settings.put("lanyard.retention.lease-age", "2d");
        Retention.Pruned pruned = Retention.run(config(settings), NOW);

        assertThat(pruned.leasesDeadBefore()).isEqualTo(NOW.minus(Duration.ofDays(2)));
        assertThat(pruned.runsFinishedBefore()).as("the default").isEqualTo(NOW.minus(Duration.ofDays(90)));
        assertThat(rows.query("select fingerprint from lease where fingerprint like ?", prefix + "%"))
                .extracting(row -> row.get("fingerprint")).containsExactly(prefix + "dead-1-day");
    }

    @Test
    void theCapGaugesCountLiveLeasesOnly() throws Exception {
        // The tests' cap is 3 (TestCallers), so "near" (80 %) is 3 as well.
        String full = "token:retention-full-" + UUID.randomUUID();
        String emptied = "token:retention-emptied-" + UUID.randomUUID();
        for (int i = 0; i < 3; i++) {
            lease(full + "-" + i, full, Duration.ofMinutes(-5), Duration.ofHours(1), null);
            lease(emptied + "-live-" + i, emptied, Duration.ofMinutes(-5), Duration.ofHours(1), i == 0 ? null : Duration.ofMinutes(-1));
        }
        superuser("insert into lease (fingerprint, owner, backend, path, issued_at, expires_at) select ? || '-expired-' || i,"
                + " ?, 'openbao', 'database/creds/app', ?, ? from generate_series(1, 50) i",
                emptied, emptied, at(Duration.ofHours(-2)), at(Duration.ofHours(-1)));

        // LeaseMetrics counts every 30 s.
        long deadline = System.nanoTime() + Duration.ofSeconds(45).toNanos();
        double atCap;
        double nearCap;
        do {
            Thread.sleep(500);
            atCap = metric("lanyard_leases_identities_at_cap");
            nearCap = metric("lanyard_leases_identities_near_cap");
        } while ((atCap != 1 || nearCap != 1) && System.nanoTime() < deadline);
        assertThat(atCap).as("only " + full + " holds 3 live leases").isEqualTo(1);
        assertThat(nearCap).isEqualTo(1);
    }

    private String schedule() {
        String id = "retention-" + UUID.randomUUID();
        superuser("insert into rotation_schedule (id, backend, path, strategy, expression, window_seconds, created_by, created_at,"
                + " updated_at) values (?, 'local', ?, 'random', 'rate(30 days)', 3600, 'it', ?, ?)", id, id,
                at(Duration.ofDays(-365)), at(Duration.ofDays(-365)));
        return id;
    }

    /** A run of {@code schedule}, started {@code age} from now, with one step record; finished unless stuck. */
    private void run(String schedule, String id, String state, Duration age, boolean last) {
        boolean finished = !state.equals("stuck");
        superuser("insert into rotation_run (id, schedule_id, backend, path, strategy, parameters, token, triggered_by, state,"
                + " step, tested_at, not_before, step_since, created_at, finished_at) values (?, ?, 'local', ?, 'random', '{}',"
                + " ?, 'schedule', ?, ?, ?, ?, ?, ?, ?)", id, schedule, schedule, id + "-token", state, finished ? "done" : "set",
                state.equals("succeeded") ? at(age) : null, at(age), at(age), at(age), finished ? at(age) : null);
        superuser("insert into rotation_step (run_id, step, attempt, replica, started_at) values (?, 'create', 0, 'it', ?)",
                id, at(age));
        if (last) {
            superuser("update rotation_schedule set last_run_id = ? where id = ?", id, schedule);
        }
    }

    private void lease(String fingerprint, Duration issued, Duration expires, Duration revoked) {
        lease(fingerprint, "token:retention", issued, expires, revoked);
    }

    private void lease(String fingerprint, String owner, Duration issued, Duration expires, Duration revoked) {
        superuser("insert into lease (fingerprint, owner, backend, path, issued_at, expires_at, revoked_at)"
                        + " values (?, ?, 'openbao', 'database/creds/app', ?, ?, ?)", fingerprint, owner, at(issued), at(expires),
                revoked == null ? null : at(revoked));
    }

    private static Timestamp at(Duration fromNow) {
        return Timestamp.from(NOW.plus(fromNow));
    }

    private void superuser(String sql, Object... params) {
        try (Connection c = database.superuser(EmbeddedDatabase.DATABASE); PreparedStatement s = c.prepareStatement(sql)) {
            for (int i = 0; i < params.length; i++) {
                s.setObject(i + 1, params[i]);
            }
            s.executeUpdate();
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Config config(Map<String, String> settings) {
        return new SmallRyeConfigBuilder().withDefaultValues(settings).build();
    }

    private static double metric(String name) {
        String text = given().get("/q/metrics").then().statusCode(200).extract().asString();
        return text.lines().filter(line -> line.startsWith(name + " ") || line.startsWith(name + "{"))
                .mapToDouble(line -> Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1))).max().orElse(Double.NaN);
    }
}
