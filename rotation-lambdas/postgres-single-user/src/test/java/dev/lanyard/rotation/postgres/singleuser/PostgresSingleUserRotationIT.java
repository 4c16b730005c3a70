package dev.lanyard.rotation.postgres.singleuser;

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
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** The single-user function through whole rotations, against moto as Secrets Manager and a real PostgreSQL. */
@ExtendWith(Peers.class)
class PostgresSingleUserRotationIT {
    private static final String NO_CA_BUNDLE = "/nonexistent/ca.pem";

    private final MotoServer moto;
    private final PostgresServer postgres;
    private final RotationService rotations;
    private final CapturedLog logs = new CapturedLog();
    private String username;
    private String initialPassword;
    private String secretArn;
    private String initialVersion;

    PostgresSingleUserRotationIT(MotoServer moto, PostgresServer postgres, RotationService rotations) {
        this.moto = moto;
        this.postgres = postgres;
        this.rotations = rotations;
    }

    @BeforeEach
    void userAndSecret() {
        username = PostgresServer.uniqueRole("app");
        initialPassword = "initial-" + UUID.randomUUID();
        postgres.execute("CREATE ROLE " + username + " LOGIN PASSWORD '" + initialPassword + "'");
        secretArn = rotations.createSecret("single-user", SecretJson.write(
                postgres.credential(username, initialPassword, Map.of("application", "billing"))));
        initialVersion = rotations.versionAt(secretArn, Stage.AWSCURRENT);
    }

    @Test
    void aFullRotationLeavesAWorkingCurrentPasswordAndThePreviousVersionBehind() {
        String token = rotations.start(secretArn);

        runAllSteps(handler(), token);

        Map<String, Object> current = SecretJson.parseObject(rotations.valueAt(secretArn, Stage.AWSCURRENT));
        String newPassword = (String) current.get("password");
        assertThat(rotations.versionAt(secretArn, Stage.AWSCURRENT)).isEqualTo(token);
        assertThat(rotations.versionAt(secretArn, Stage.AWSPREVIOUS)).isEqualTo(initialVersion);
        assertThat(SecretJson.parseObject(rotations.valueAt(secretArn, Stage.AWSPREVIOUS)))
                .containsEntry("password", initialPassword);
        assertThat(newPassword).isNotEqualTo(initialPassword).hasSize(32).doesNotContainAnyWhitespaces();
        assertThat(current).containsEntry("username", username).containsEntry("application", "billing")
                .containsEntry("port", postgres.port());
        assertThat(postgres.canLogIn(username, newPassword)).isTrue();
        assertThat(postgres.canLogIn(username, initialPassword)).isFalse();
        assertThat(rotations.versions(secretArn)).hasSize(2);
    }

    @Test
    void logsAreJsonLinesWithoutAnyPassword() {
        String token = rotations.start(secretArn);
        runAllSteps(handler(), token);
        String newPassword = (String) SecretJson.parseObject(rotations.valueAt(secretArn, Stage.AWSCURRENT)).get("password");

        assertThat(logs.objects()).isNotEmpty().allSatisfy(line -> assertThat(line)
                .containsKeys("time", "level", "message", "step", "secretId", "versionId"));
        assertThat(logs.lines()).noneMatch(line -> line.contains(initialPassword) || line.contains(newPassword));
        assertThat(logs.objects()).extracting(line -> line.get("step"))
                .contains("createSecret", "setSecret", "testSecret", "finishSecret");
    }

    @Test
    void everyStepRunTwiceHasTheEffectOfRunningOnce() {
        PostgresSingleUserHandler handler = handler();
        String token = rotations.start(secretArn);

        handler.handleRequest(event(Step.CREATE_SECRET, secretArn, token), null);
        String pending = rotations.valueOf(secretArn, token);
        handler.handleRequest(event(Step.CREATE_SECRET, secretArn, token), null);
        assertThat(rotations.valueOf(secretArn, token)).isEqualTo(pending);
        assertThat(rotations.versions(secretArn)).hasSize(2);

        handler.handleRequest(event(Step.SET_SECRET, secretArn, token), null);
        String verifier = postgres.passwordVerifier(username).orElseThrow();
        handler.handleRequest(event(Step.SET_SECRET, secretArn, token), null);
        assertThat(postgres.passwordVerifier(username)).as("the second setSecret must not change the password again")
                .contains(verifier);

        handler.handleRequest(event(Step.TEST_SECRET, secretArn, token), null);
        handler.handleRequest(event(Step.TEST_SECRET, secretArn, token), null);

        handler.handleRequest(event(Step.FINISH_SECRET, secretArn, token), null);
        handler.handleRequest(event(Step.FINISH_SECRET, secretArn, token), null);
        assertThat(rotations.versionAt(secretArn, Stage.AWSCURRENT)).isEqualTo(token);
        assertThat(rotations.versionAt(secretArn, Stage.AWSPREVIOUS)).isEqualTo(initialVersion);
        assertThat(postgres.passwordVerifier(username)).contains(verifier);
        assertThat(postgres.canLogIn(username, (String) SecretJson.parseObject(pending).get("password"))).isTrue();
    }

    @Test
    void onceTheTokenIsCurrentEveryStepIsANoOp() {
        PostgresSingleUserHandler handler = handler();
        String token = rotations.start(secretArn);
        runAllSteps(handler, token);
        Map<String, List<String>> stages = rotations.versions(secretArn);
        String verifier = postgres.passwordVerifier(username).orElseThrow();

        for (Step step : Step.values()) {
            handler.handleRequest(event(step, secretArn, token), null);
        }

        assertThat(rotations.versions(secretArn)).isEqualTo(stages);
        assertThat(postgres.passwordVerifier(username)).contains(verifier);
    }

    @Test
    void aSecretWithRotationDisabledIsRefused() {
        String token = rotations.start(secretArn);
        rotations.disableRotation(secretArn);

        assertThatThrownBy(() -> handler().handleRequest(event(Step.CREATE_SECRET, secretArn, token), null))
                .isInstanceOf(InvalidRotationException.class)
                .hasMessage("Secret %s is not enabled for rotation", secretArn);
        assertThat(rotations.versions(secretArn).get(token)).containsExactly("AWSPENDING");
    }

    @Test
    void aTokenThatIsNoVersionOfTheSecretIsRefused() {
        rotations.start(secretArn);
        String stranger = UUID.randomUUID().toString();

        assertThatThrownBy(() -> handler().handleRequest(event(Step.CREATE_SECRET, secretArn, stranger), null))
                .isInstanceOf(InvalidRotationException.class)
                .hasMessage("Secret version %s has no stage for rotation of secret %s.", stranger, secretArn);
    }

    @Test
    void aTokenThatIsNotPendingIsRefused() {
        String first = rotations.start(secretArn);
        runAllSteps(handler(), first);
        rotations.start(secretArn);
        // initialVersion is AWSPREVIOUS now: a version of the secret, but not the one being rotated to.

        assertThatThrownBy(() -> handler().handleRequest(event(Step.SET_SECRET, secretArn, initialVersion), null))
                .isInstanceOf(InvalidRotationException.class)
                .hasMessage("Secret version %s not set as AWSPENDING for rotation of secret %s.", initialVersion, secretArn);
    }

    @Test
    void anUnknownStepIsRefused() {
        String token = rotations.start(secretArn);
        var unknown = event(Step.CREATE_SECRET, secretArn, token);
        unknown.setStep("rollbackSecret");

        assertThatThrownBy(() -> handler().handleRequest(unknown, null))
                .isInstanceOf(InvalidRotationException.class)
                .hasMessage("Invalid step parameter rollbackSecret for secret %s", secretArn);
    }

    @Test
    void aDatabaseThatIsDownInTestSecretStopsTheRotationBeforeFinish() {
        String token;
        String pendingPassword;
        try (PostgresServer doomed = PostgresServer.start()) {
            String user = PostgresServer.uniqueRole("app");
            doomed.execute("CREATE ROLE " + user + " LOGIN PASSWORD '" + initialPassword + "'");
            secretArn = rotations.createSecret("single-user-down", SecretJson.write(doomed.credential(user, initialPassword, Map.of())));
            initialVersion = rotations.versionAt(secretArn, Stage.AWSCURRENT);
            token = rotations.start(secretArn);
            handler().handleRequest(event(Step.CREATE_SECRET, secretArn, token), null);
            handler().handleRequest(event(Step.SET_SECRET, secretArn, token), null);
            pendingPassword = (String) SecretJson.parseObject(rotations.valueOf(secretArn, token)).get("password");
            assertThat(doomed.canLogIn(user, pendingPassword)).isTrue();
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
        PostgresSingleUserHandler killed = handler();
        killed.handleRequest(event(Step.CREATE_SECRET, secretArn, token), null);
        killed.handleRequest(event(Step.SET_SECRET, secretArn, token), null);
        String verifierAfterFirstSet = postgres.passwordVerifier(username).orElseThrow();

        // Secrets Manager never heard back, so it invokes setSecret again, in a new execution environment.
        PostgresSingleUserHandler retried = handler();
        retried.handleRequest(event(Step.SET_SECRET, secretArn, token), null);
        retried.handleRequest(event(Step.TEST_SECRET, secretArn, token), null);
        retried.handleRequest(event(Step.FINISH_SECRET, secretArn, token), null);

        String current = (String) SecretJson.parseObject(rotations.valueAt(secretArn, Stage.AWSCURRENT)).get("password");
        assertThat(postgres.passwordVerifier(username)).contains(verifierAfterFirstSet);
        assertThat(postgres.canLogIn(username, current)).isTrue();
        assertThat(rotations.versionAt(secretArn, Stage.AWSCURRENT)).isEqualTo(token);
        assertThat(rotations.versions(secretArn)).hasSize(2);
    }

    @Test
    void whenOnlyThePreviousPasswordWorksSetSecretLogsInWithIt() {
        String first = rotations.start(secretArn);
        runAllSteps(handler(), first);
        // Someone put the old password back in the database: AWSCURRENT no longer logs in, AWSPREVIOUS does.
        postgres.execute("ALTER ROLE " + username + " PASSWORD '" + initialPassword + "'");
        String second = rotations.start(secretArn);

        runAllSteps(handler(), second);

        String current = (String) SecretJson.parseObject(rotations.valueAt(secretArn, Stage.AWSCURRENT)).get("password");
        assertThat(postgres.canLogIn(username, current)).isTrue();
        assertThat(rotations.versionAt(secretArn, Stage.AWSPREVIOUS)).isEqualTo(first);
    }

    @Test
    void withoutAnSslKeyTheLoginFallsBackToPlainWhenTheServerHasNoTls() {
        Map<String, Object> secret = new HashMap<>(postgres.credential(username, initialPassword, Map.of()));
        secret.remove("ssl");
        secretArn = rotations.createSecret("single-user-tls-preferred", SecretJson.write(secret));
        String token = rotations.start(secretArn);

        runAllSteps(handler(), token);

        assertThat(rotations.versionAt(secretArn, Stage.AWSCURRENT)).isEqualTo(token);
        assertThat(logs.objects()).anySatisfy(line -> assertThat(line)
                .containsEntry("message", "Could not log into PostgreSQL").containsEntry("tls", "true"));
    }

    @Test
    void withSslRequiredThereIsNoPlainFallback() {
        Map<String, Object> secret = new HashMap<>(postgres.credential(username, initialPassword, Map.of("ssl", "true")));
        secretArn = rotations.createSecret("single-user-tls-required", SecretJson.write(secret));
        String token = rotations.start(secretArn);
        PostgresSingleUserHandler handler = handler();
        handler.handleRequest(event(Step.CREATE_SECRET, secretArn, token), null);

        assertThatThrownBy(() -> handler.handleRequest(event(Step.SET_SECRET, secretArn, token), null))
                .isInstanceOf(InvalidRotationException.class)
                .hasMessage("Unable to log into database with previous, current, or pending secret of secret arn %s", secretArn);
        assertThat(postgres.canLogIn(username, initialPassword)).isTrue();
    }

    @Test
    void onAServerThatTakesOnlyTlsARotationLogsInWithVerifyFullAgainstTheCaBundle(@TempDir Path certificates) {
        try (PostgresServer tlsOnly = PostgresServer.startTlsOnly(certificates)) {
            String user = PostgresServer.uniqueRole("tls");
            String initial = "initial-" + UUID.randomUUID();
            tlsOnly.execute("CREATE ROLE " + user + " LOGIN PASSWORD '" + initial + "'");
            String arn = rotations.createSecret("single-user-tls-only", SecretJson.write(tlsOnly.credential(user, initial, Map.of())));
            String token = rotations.start(arn);
            PostgresSingleUserHandler handler = new PostgresSingleUserHandler(moto.secretsManager(), Map.of(), logs.log(),
                    tlsOnly.caBundle().toString());

            for (Step step : Step.values()) {
                handler.handleRequest(event(step, arn, token), null);
            }

            assertThat(rotations.versionAt(arn, Stage.AWSCURRENT)).isEqualTo(token);
            String current = (String) SecretJson.parseObject(rotations.valueAt(arn, Stage.AWSCURRENT)).get("password");
            assertThat(tlsOnly.canLogIn(user, current)).isTrue();
            assertThat(tlsOnly.canLogIn(user, initial)).isFalse();
            assertThat(logs.objects()).filteredOn(line -> "Logged into PostgreSQL".equals(line.get("message")))
                    .isNotEmpty().allSatisfy(line -> assertThat(line).containsEntry("tls", "true"));
            // setSecret tries the pending password first, which the server refuses as a wrong password (28P01), over
            // TLS too: never a connection or certificate failure (08xxx), never a plain-text attempt.
            assertThat(logs.objects()).filteredOn(line -> "Could not log into PostgreSQL".equals(line.get("message")))
                    .allSatisfy(line -> assertThat(line).containsEntry("tls", "true").containsEntry("sqlState", "28P01"));
        }
    }

    private PostgresSingleUserHandler handler() {
        return new PostgresSingleUserHandler(moto.secretsManager(), Map.of(), logs.log(), NO_CA_BUNDLE);
    }

    private void runAllSteps(PostgresSingleUserHandler handler, String token) {
        for (Step step : Step.values()) {
            handler.handleRequest(event(step, secretArn, token), null);
        }
    }
}
