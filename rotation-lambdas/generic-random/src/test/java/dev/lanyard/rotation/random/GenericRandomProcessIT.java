package dev.lanyard.rotation.random;

import static dev.lanyard.rotation.testing.RotationService.event;
import static org.assertj.core.api.Assertions.assertThat;

import dev.lanyard.rotation.protocol.SecretJson;
import dev.lanyard.rotation.protocol.Stage;
import dev.lanyard.rotation.protocol.Step;
import dev.lanyard.rotation.testing.MotoServer;
import dev.lanyard.rotation.testing.PackagedFunction;
import dev.lanyard.rotation.testing.PackagedFunction.Invocation;
import dev.lanyard.rotation.testing.Peers;
import dev.lanyard.rotation.testing.RotationService;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The built deployment package, in a fresh JVM configured only by its environment, as in Lambda. */
@ExtendWith(Peers.class)
class GenericRandomProcessIT {

    @Test
    void thePackagedFunctionRotatesWithItsEnvironmentsSettings(MotoServer moto, RotationService rotations) {
        String secretArn = rotations.createSecret("generic-process", "old-value");
        String token = rotations.start(secretArn);
        PackagedFunction function = PackagedFunction.fromBuild(GenericRandomHandler.class.getName(), Path.of("target", "tasks"));
        Map<String, String> environment = new HashMap<>(moto.functionEnvironment());
        environment.put("PASSWORD_LENGTH", "20");

        Invocation run = function.invoke(environment, event(Step.CREATE_SECRET, secretArn, token),
                event(Step.SET_SECRET, secretArn, token), event(Step.TEST_SECRET, secretArn, token),
                event(Step.FINISH_SECRET, secretArn, token));

        assertThat(run.exitStatus()).as(run.stderr().toString()).isZero();
        String current = rotations.valueAt(secretArn, Stage.AWSCURRENT);
        assertThat(current).hasSize(20);
        assertThat(rotations.versionAt(secretArn, Stage.AWSCURRENT)).isEqualTo(token);
        assertThat(run.stdout()).isNotEmpty().allSatisfy(SecretJson::parseObject).noneMatch(line -> line.contains(current));
        assertThat(run.timings()).extracting(timing -> timing.get("phase"))
                .containsExactly("init", "createSecret", "setSecret", "testSecret", "finishSecret");
    }

    @Test
    void aFailedStepExitsNonZeroWithTheTemplatesMessage(MotoServer moto, RotationService rotations) {
        String secretArn = rotations.createSecret("generic-process-failure", "old-value");
        rotations.start(secretArn);
        PackagedFunction function = PackagedFunction.fromBuild(GenericRandomHandler.class.getName(), Path.of("target", "tasks"));

        Invocation run = function.invoke(moto.functionEnvironment(), event(Step.CREATE_SECRET, secretArn, "not-a-version"));

        assertThat(run.exitStatus()).isEqualTo(1);
        assertThat(run.stderr()).anyMatch(line -> line.contains(
                "Secret version not-a-version has no stage for rotation of secret " + secretArn + "."));
        assertThat(run.stdout()).anySatisfy(line -> assertThat(SecretJson.parseObject(line))
                .containsEntry("level", "ERROR").containsEntry("errorType", "dev.lanyard.rotation.protocol.InvalidRotationException"));
    }
}
