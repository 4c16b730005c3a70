package dev.lanyard.rotation.postgres.alternating;

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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The built deployment package, in fresh JVMs configured only by their environment, as in Lambda. */
@ExtendWith(Peers.class)
class PostgresAlternatingUsersProcessIT {

    @Test
    void thePackagedFunctionRotatesToTheClone(MotoServer moto, PostgresServer postgres, RotationService rotations) {
        String username = PostgresServer.uniqueRole("app");
        String master = PostgresServer.uniqueRole("master");
        String initialPassword = "initial-" + UUID.randomUUID();
        String masterPassword = "master-" + UUID.randomUUID();
        postgres.execute("CREATE ROLE " + master + " LOGIN CREATEROLE PASSWORD '" + masterPassword + "'",
                "SET ROLE " + master, "CREATE ROLE " + username + " LOGIN PASSWORD '" + initialPassword + "'", "RESET ROLE");
        String masterArn = rotations.createSecret("master-process", SecretJson.write(postgres.credential(master, masterPassword, Map.of())));
        String secretArn = rotations.createSecret("alternating-process",
                SecretJson.write(postgres.credential(username, initialPassword, Map.of("masterarn", masterArn))));
        String token = rotations.start(secretArn);
        PackagedFunction function = PackagedFunction.fromBuild(PostgresAlternatingUsersHandler.class.getName(), Path.of("target", "tasks"));
        Map<String, String> environment = moto.functionEnvironment();

        Invocation create = function.invoke(environment, event(Step.CREATE_SECRET, secretArn, token));
        Invocation rest = function.invoke(environment, event(Step.SET_SECRET, secretArn, token),
                event(Step.TEST_SECRET, secretArn, token), event(Step.FINISH_SECRET, secretArn, token));

        assertThat(List.of(create, rest)).allSatisfy(run -> assertThat(run.exitStatus()).as(run.stderr().toString()).isZero());
        Map<String, Object> current = SecretJson.parseObject(rotations.valueAt(secretArn, Stage.AWSCURRENT));
        assertThat(current).containsEntry("username", username + "_clone");
        assertThat(postgres.canLogIn(username + "_clone", (String) current.get("password"))).isTrue();
        assertThat(postgres.canLogIn(username, initialPassword)).isTrue();
        assertThat(rest.stdout()).isNotEmpty().allSatisfy(SecretJson::parseObject)
                .noneMatch(line -> line.contains((String) current.get("password")) || line.contains(masterPassword));
    }
}
