package dev.lanyard.rotation.postgres.singleuser;

import static dev.lanyard.rotation.testing.RotationService.event;
import static org.assertj.core.api.Assertions.assertThat;

import dev.lanyard.rotation.protocol.SecretJson;
import dev.lanyard.rotation.protocol.Stage;
import dev.lanyard.rotation.protocol.Step;
import dev.lanyard.rotation.testing.MotoServer;
import dev.lanyard.rotation.testing.PackagedFunction;
import dev.lanyard.rotation.testing.PackagedFunction.Invocation;
import dev.lanyard.rotation.testing.Peers;
import dev.lanyard.rotation.testing.PostgresServer;
import dev.lanyard.rotation.testing.RotationService;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The built deployment package, each step in a fresh JVM configured only by its environment, as in Lambda. */
@ExtendWith(Peers.class)
class PostgresSingleUserProcessIT {

    @Test
    void aRotationWhoseSetSecretJvmIsKilledEndsConsistentWhenRetried(MotoServer moto, PostgresServer postgres,
            RotationService rotations) {
        String username = PostgresServer.uniqueRole("app");
        String initialPassword = "initial-" + UUID.randomUUID();
        postgres.execute("CREATE ROLE " + username + " LOGIN PASSWORD '" + initialPassword + "'");
        String secretArn = rotations.createSecret("single-user-process",
                SecretJson.write(postgres.credential(username, initialPassword, Map.of())));
        String token = rotations.start(secretArn);
        PackagedFunction function = PackagedFunction.fromBuild(PostgresSingleUserHandler.class.getName(), Path.of("target", "tasks"));
        Map<String, String> environment = moto.functionEnvironment();

        Invocation create = function.invoke(environment, event(Step.CREATE_SECRET, secretArn, token));
        assertThat(create.exitStatus()).as(create.stderr().toString()).isZero();
        String pendingPassword = (String) SecretJson.parseObject(rotations.valueOf(secretArn, token)).get("password");
        Invocation killed = function.invokeUntil(environment,
                line -> line.contains("setSecret: set the AWSPENDING password"), event(Step.SET_SECRET, secretArn, token));
        String verifier = postgres.passwordVerifier(username).orElseThrow();
        Invocation retried = function.invoke(environment, event(Step.SET_SECRET, secretArn, token));
        Invocation finish = function.invoke(environment,
                event(Step.TEST_SECRET, secretArn, token), event(Step.FINISH_SECRET, secretArn, token));

        assertThat(List.of(retried, finish)).allSatisfy(run -> assertThat(run.exitStatus()).as(run.stderr().toString()).isZero());
        assertThat(killed.killed() || killed.exitStatus() == 0).isTrue();
        assertThat(retried.stdout()).anyMatch(line -> line.contains("already the user's password"));
        assertThat(postgres.passwordVerifier(username)).as("the retry must not set the password again").contains(verifier);
        assertThat(rotations.versionAt(secretArn, Stage.AWSCURRENT)).isEqualTo(token);
        assertThat(postgres.canLogIn(username, pendingPassword)).isTrue();
        assertThat(postgres.canLogIn(username, initialPassword)).isFalse();
        List<String> logLines = Stream.of(create, killed, retried, finish).flatMap(run -> run.stdout().stream()).toList();
        assertThat(logLines).isNotEmpty().allSatisfy(SecretJson::parseObject)
                .noneMatch(line -> line.contains(pendingPassword) || line.contains(initialPassword));
        assertThat(create.millis("init")).isPresent();
        assertThat(create.millis("createSecret")).isPresent();
    }
}
