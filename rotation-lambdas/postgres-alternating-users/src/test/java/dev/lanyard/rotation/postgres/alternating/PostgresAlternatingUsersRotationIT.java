package dev.lanyard.rotation.postgres.alternating;

import static dev.lanyard.rotation.testing.RotationService.event;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lanyard.rotation.protocol.InvalidRotationException;
import dev.lanyard.rotation.protocol.SecretJson;
import dev.lanyard.rotation.protocol.Stage;
import dev.lanyard.rotation.protocol.Step;
import dev.lanyard.rotation.testing.CapturedLog;
import dev.lanyard.rotation.testing.MotoServer;
import dev.lanyard.rotation.testing.Peers;
import dev.lanyard.rotation.testing.PostgresServer;
import dev.lanyard.rotation.testing.RotationService;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The alternating-users function through whole rotations, against moto as Secrets Manager and a real PostgreSQL.
 * The master is a CREATEROLE user that created the application's user (as on RDS, where the master user is not a
 * superuser), not PostgreSQL's superuser.
 */
@ExtendWith(Peers.class)
class PostgresAlternatingUsersRotationIT {
    private static final String NO_CA_BUNDLE = "/nonexistent/ca.pem";

    private final MotoServer moto;
    private final PostgresServer postgres;
    private final RotationService rotations;
    private final CapturedLog logs = new CapturedLog();
    private String username;
    private String clone;
    private String table;
    private String initialPassword;
    private String masterPassword;
    private String masterArn;
    private String secretArn;
    private String initialVersion;

    PostgresAlternatingUsersRotationIT(MotoServer moto, PostgresServer postgres, RotationService rotations) {
        this.moto = moto;
        this.postgres = postgres;
        this.rotations = rotations;
    }

    @BeforeEach
    void masterUserAndSecrets() {
        username = PostgresServer.uniqueRole("app");
        clone = username + "_clone";
        table = PostgresServer.uniqueRole("ledger");
        initialPassword = "initial-" + UUID.randomUUID();
        masterPassword = "master-" + UUID.randomUUID();
        String master = PostgresServer.uniqueRole("master");
        setUpDatabase(postgres, master, username, table);
        masterArn = rotations.createSecret("master", SecretJson.write(postgres.credential(master, masterPassword, Map.of())));
        secretArn = rotations.createSecret("alternating", SecretJson.write(
                postgres.credential(username, initialPassword, Map.of("masterarn", masterArn, "application", "billing"))));
        initialVersion = rotations.versionAt(secretArn, Stage.AWSCURRENT);
    }

    @Test
    void theFirstRotationCreatesTheCloneWithTheUsersPrivilegesAndTheUserKeepsWorking() {
        String token = rotations.start(secretArn);

        runAllSteps(handler(), token);

        Map<String, Object> current = SecretJson.parseObject(rotations.valueAt(secretArn, Stage.AWSCURRENT));
        String clonePassword = (String) current.get("password");
        assertThat(rotations.versionAt(secretArn, Stage.AWSCURRENT)).isEqualTo(token);
        assertThat(rotations.versionAt(secretArn, Stage.AWSPREVIOUS)).isEqualTo(initialVersion);
        assertThat(current).containsEntry("username", clone).containsEntry("masterarn", masterArn)
                .containsEntry("application", "billing");
        assertThat(postgres.canRun(clone, clonePassword, "SELECT count(*) FROM " + table)).isTrue();
        assertThat(postgres.isMemberOf(clone, username)).isTrue();
        assertThat(postgres.canLogIn(username, initialPassword)).as("the previous user still logs in").isTrue();
    }

    @Test
    void theSecondRotationChangesOnlyTheUserNotInUse() {
        runAllSteps(handler(), rotations.start(secretArn));
        String clonePassword = passwordAt(Stage.AWSCURRENT);
        String cloneVerifier = postgres.passwordVerifier(clone).orElseThrow();

        String second = rotations.start(secretArn);
        runAllSteps(handler(), second);

        Map<String, Object> current = SecretJson.parseObject(rotations.valueAt(secretArn, Stage.AWSCURRENT));
        assertThat(current).containsEntry("username", username);
        assertThat(postgres.canRun(username, (String) current.get("password"), "SELECT count(*) FROM " + table)).isTrue();
        assertThat(postgres.canLogIn(username, initialPassword)).isFalse();
        assertThat(SecretJson.parseObject(rotations.valueAt(secretArn, Stage.AWSPREVIOUS))).containsEntry("username", clone);
        assertThat(postgres.canLogIn(clone, clonePassword)).as("the previous user (the clone) still logs in").isTrue();
        assertThat(postgres.passwordVerifier(clone)).contains(cloneVerifier);
    }

    @Test
    void everyStepRunTwiceHasTheEffectOfRunningOnce() {
        PostgresAlternatingUsersHandler handler = handler();
        String token = rotations.start(secretArn);

        handler.handleRequest(event(Step.CREATE_SECRET, secretArn, token), null);
        String pending = rotations.valueOf(secretArn, token);
        handler.handleRequest(event(Step.CREATE_SECRET, secretArn, token), null);
        assertThat(rotations.valueOf(secretArn, token)).isEqualTo(pending);
        assertThat(rotations.versions(secretArn)).hasSize(2);

        handler.handleRequest(event(Step.SET_SECRET, secretArn, token), null);
        String verifier = postgres.passwordVerifier(clone).orElseThrow();
        handler.handleRequest(event(Step.SET_SECRET, secretArn, token), null);
        assertThat(postgres.passwordVerifier(clone)).as("the second setSecret must not change the password again")
                .contains(verifier);

        handler.handleRequest(event(Step.TEST_SECRET, secretArn, token), null);
        handler.handleRequest(event(Step.TEST_SECRET, secretArn, token), null);
        handler.handleRequest(event(Step.FINISH_SECRET, secretArn, token), null);
        handler.handleRequest(event(Step.FINISH_SECRET, secretArn, token), null);

        assertThat(rotations.versionAt(secretArn, Stage.AWSCURRENT)).isEqualTo(token);
        assertThat(rotations.versionAt(secretArn, Stage.AWSPREVIOUS)).isEqualTo(initialVersion);
        assertThat(postgres.passwordVerifier(clone)).contains(verifier);
    }

    @Test
    void onceTheTokenIsCurrentEveryStepIsANoOp() {
        PostgresAlternatingUsersHandler handler = handler();
        String token = rotations.start(secretArn);
        runAllSteps(handler, token);
        Map<String, List<String>> stages = rotations.versions(secretArn);
        String verifier = postgres.passwordVerifier(clone).orElseThrow();

        for (Step step : Step.values()) {
            handler.handleRequest(event(step, secretArn, token), null);
        }

        assertThat(rotations.versions(secretArn)).isEqualTo(stages);
        assertThat(postgres.passwordVerifier(clone)).contains(verifier);
    }

    @Test
    void aTokenThatIsNotPendingIsRefused() {
        rotations.start(secretArn);

        assertThatThrownBy(() -> handler().handleRequest(event(Step.SET_SECRET, secretArn, "not-a-version"), null))
                .isInstanceOf(InvalidRotationException.class)
                .hasMessage("Secret version not-a-version has no stage for rotation of secret %s.", secretArn);
        assertThat(postgres.roleExists(clone)).isFalse();
    }

    @Test
    void aSecretWithRotationDisabledIsRefused() {
        String token = rotations.start(secretArn);
        rotations.disableRotation(secretArn);

        assertThatThrownBy(() -> handler().handleRequest(event(Step.CREATE_SECRET, secretArn, token), null))
                .isInstanceOf(InvalidRotationException.class)
                .hasMessage("Secret %s is not enabled for rotation", secretArn);
    }

    @Test
    void aCurrentSecretThatNoLongerLogsInIsNotActedOnByTheMaster() {
        String token = rotations.start(secretArn);
        handler().handleRequest(event(Step.CREATE_SECRET, secretArn, token), null);
        postgres.execute("ALTER ROLE " + username + " PASSWORD 'changed-behind-the-secret'");

        assertThatThrownBy(() -> handler().handleRequest(event(Step.SET_SECRET, secretArn, token), null))
                .isInstanceOf(InvalidRotationException.class)
                .hasMessage("Unable to log into database using current credentials for secret %s", secretArn);
        assertThat(postgres.roleExists(clone)).isFalse();
    }

    @Test
    void aMasterThatCannotLogInStopsSetSecret() {
        moto.secretsManager().putSecretValue(request -> request.secretId(masterArn).secretString(SecretJson.write(
                postgres.credential(PostgresServer.uniqueRole("nobody"), "wrong", Map.of()))));
        String token = rotations.start(secretArn);
        handler().handleRequest(event(Step.CREATE_SECRET, secretArn, token), null);

        assertThatThrownBy(() -> handler().handleRequest(event(Step.SET_SECRET, secretArn, token), null))
                .isInstanceOf(InvalidRotationException.class)
                .hasMessage("Unable to log into database using credentials in master secret %s", masterArn);
        assertThat(postgres.roleExists(clone)).isFalse();
    }

    @Test
    void aMasterOnAnotherHostIsRefused() {
        Map<String, Object> elsewhere = postgres.credential("admin", masterPassword, Map.of("host", "db.elsewhere.example"));
        moto.secretsManager().putSecretValue(request -> request.secretId(masterArn).secretString(SecretJson.write(elsewhere)));
        String token = rotations.start(secretArn);
        handler().handleRequest(event(Step.CREATE_SECRET, secretArn, token), null);

        assertThatThrownBy(() -> handler().handleRequest(event(Step.SET_SECRET, secretArn, token), null))
                .isInstanceOf(InvalidRotationException.class)
                .hasMessage("Current database host %s is not the same host as/rds replica of master db.elsewhere.example",
                        PostgresServer.HOST);
    }

    @Test
    void aDatabaseThatIsDownInTestSecretStopsTheRotationBeforeFinish() {
        String token;
        try (PostgresServer doomed = PostgresServer.start()) {
            String master = PostgresServer.uniqueRole("master");
            setUpDatabase(doomed, master, username, table);
            masterArn = rotations.createSecret("master-down", SecretJson.write(doomed.credential(master, masterPassword, Map.of())));
            secretArn = rotations.createSecret("alternating-down", SecretJson.write(
                    doomed.credential(username, initialPassword, Map.of("masterarn", masterArn))));
            initialVersion = rotations.versionAt(secretArn, Stage.AWSCURRENT);
            token = rotations.start(secretArn);
            handler().handleRequest(event(Step.CREATE_SECRET, secretArn, token), null);
            handler().handleRequest(event(Step.SET_SECRET, secretArn, token), null);
            assertThat(doomed.roleExists(clone)).isTrue();
        }

        assertThatThrownBy(() -> handler().handleRequest(event(Step.TEST_SECRET, secretArn, token), null))
                .isInstanceOf(InvalidRotationException.class)
                .hasMessage("Unable to log into database with pending secret of secret ARN %s", secretArn);
        assertThat(rotations.versionAt(secretArn, Stage.AWSCURRENT)).isEqualTo(initialVersion);
        assertThat(rotations.versions(secretArn).get(token)).containsExactly("AWSPENDING");
    }

    @Test
    void aFunctionKilledAfterSetSecretAndRetriedFromSetSecretEndsConsistent() {
        String token = rotations.start(secretArn);
        PostgresAlternatingUsersHandler killed = handler();
        killed.handleRequest(event(Step.CREATE_SECRET, secretArn, token), null);
        killed.handleRequest(event(Step.SET_SECRET, secretArn, token), null);
        String verifierAfterFirstSet = postgres.passwordVerifier(clone).orElseThrow();

        // Secrets Manager never heard back, so it invokes setSecret again, in a new execution environment.
        PostgresAlternatingUsersHandler retried = handler();
        retried.handleRequest(event(Step.SET_SECRET, secretArn, token), null);
        retried.handleRequest(event(Step.TEST_SECRET, secretArn, token), null);
        retried.handleRequest(event(Step.FINISH_SECRET, secretArn, token), null);

        assertThat(postgres.passwordVerifier(clone)).contains(verifierAfterFirstSet);
        assertThat(postgres.canLogIn(clone, passwordAt(Stage.AWSCURRENT))).isTrue();
        assertThat(postgres.canLogIn(username, initialPassword)).isTrue();
        assertThat(rotations.versions(secretArn)).hasSize(2);
    }

    @Test
    void logsNeverCarryAPassword() {
        runAllSteps(handler(), rotations.start(secretArn));
        String clonePassword = passwordAt(Stage.AWSCURRENT);

        assertThat(logs.objects()).isNotEmpty();
        assertThat(logs.lines()).noneMatch(line ->
                line.contains(initialPassword) || line.contains(clonePassword) || line.contains(masterPassword));
    }

    private void setUpDatabase(PostgresServer server, String master, String user, String table) {
        server.execute(
                "CREATE ROLE " + master + " LOGIN CREATEROLE PASSWORD '" + masterPassword + "'",
                "CREATE TABLE " + table + " (id int)",
                // The master creates the user, so it may grant it and change its password (PostgreSQL 16 and later).
                "SET ROLE " + master,
                "CREATE ROLE " + user + " LOGIN PASSWORD '" + initialPassword + "'",
                "RESET ROLE",
                "GRANT SELECT ON " + table + " TO " + user);
    }

    private PostgresAlternatingUsersHandler handler() {
        return new PostgresAlternatingUsersHandler(moto.secretsManager(), Map.of(), logs.log(), NO_CA_BUNDLE);
    }

    private String passwordAt(Stage stage) {
        return (String) SecretJson.parseObject(rotations.valueAt(secretArn, stage)).get("password");
    }

    private void runAllSteps(PostgresAlternatingUsersHandler handler, String token) {
        for (Step step : Step.values()) {
            handler.handleRequest(event(step, secretArn, token), null);
        }
    }
}
