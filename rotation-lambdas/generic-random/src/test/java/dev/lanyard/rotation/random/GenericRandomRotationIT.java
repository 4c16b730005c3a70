package dev.lanyard.rotation.random;

import static dev.lanyard.rotation.testing.RotationService.event;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lanyard.rotation.protocol.InvalidRotationException;
import dev.lanyard.rotation.protocol.MalformedSecretException;
import dev.lanyard.rotation.protocol.SecretJson;
import dev.lanyard.rotation.protocol.Stage;
import dev.lanyard.rotation.protocol.Step;
import dev.lanyard.rotation.random.KeyPairs.Algorithm;
import dev.lanyard.rotation.random.KeyPairs.PemPair;
import dev.lanyard.rotation.testing.CapturedLog;
import dev.lanyard.rotation.testing.MotoServer;
import dev.lanyard.rotation.testing.Peers;
import dev.lanyard.rotation.testing.RotationService;
import java.security.SecureRandom;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The generic function through whole rotations against moto as Secrets Manager. */
@ExtendWith(Peers.class)
class GenericRandomRotationIT {
    private final MotoServer moto;
    private final RotationService rotations;
    private final CapturedLog logs = new CapturedLog();

    GenericRandomRotationIT(MotoServer moto, RotationService rotations) {
        this.moto = moto;
        this.rotations = rotations;
    }

    @Test
    void aPlainSecretGetsANewRandomValueAndKeepsTheOldOneAsPrevious() {
        String secretArn = rotations.createSecret("plain", "old-value");
        String initialVersion = rotations.versionAt(secretArn, Stage.AWSCURRENT);
        String token = rotations.start(secretArn);

        runAllSteps(handler(Map.of()), secretArn, token);

        String current = rotations.valueAt(secretArn, Stage.AWSCURRENT);
        assertThat(current).hasSize(32).isNotEqualTo("old-value").doesNotContainAnyWhitespaces();
        assertThat(current.chars()).noneMatch(c -> "/@\"'\\".indexOf(c) >= 0);
        assertThat(rotations.versionAt(secretArn, Stage.AWSCURRENT)).isEqualTo(token);
        assertThat(rotations.versionAt(secretArn, Stage.AWSPREVIOUS)).isEqualTo(initialVersion);
        assertThat(rotations.valueAt(secretArn, Stage.AWSPREVIOUS)).isEqualTo("old-value");
    }

    @Test
    void thePasswordSettingsComeFromTheTemplatesEnvironmentVariables() {
        String secretArn = rotations.createSecret("plain-settings", "old-value");
        String token = rotations.start(secretArn);

        runAllSteps(handler(Map.of("PASSWORD_LENGTH", "48", "EXCLUDE_PUNCTUATION", "true", "EXCLUDE_CHARACTERS", "0Oo")),
                secretArn, token);

        assertThat(rotations.valueAt(secretArn, Stage.AWSCURRENT)).hasSize(48).matches("[A-Za-z1-9]+")
                .doesNotContain("O", "o");
    }

    @Test
    void aRandomValueInJsonIsReplacedAndTheOtherKeysAreKept() {
        String secretArn = rotations.createSecret("json-random", SecretJson.write(
                Map.of("type", "random", "value", "old-value", "header", "X-Api-Key")));
        String token = rotations.start(secretArn);

        runAllSteps(handler(Map.of()), secretArn, token);

        Map<String, Object> current = SecretJson.parseObject(rotations.valueAt(secretArn, Stage.AWSCURRENT));
        assertThat(current).containsEntry("type", "random").containsEntry("header", "X-Api-Key");
        assertThat((String) current.get("value")).hasSize(32).isNotEqualTo("old-value");
    }

    @ParameterizedTest
    @EnumSource(Algorithm.class)
    void aKeyPairIsReplacedByANewPairThatBelongsTogether(Algorithm algorithm) {
        KeyPairs keyPairs = new KeyPairs(new SecureRandom());
        PemPair old = keyPairs.generate(algorithm);
        String secretArn = rotations.createSecret("keypair", SecretJson.write(Map.of("type", "keypair",
                "algorithm", algorithm.secretName(), "publicKey", old.publicKey(), "privateKey", old.privateKey(),
                "keyId", "signing-1")));
        String token = rotations.start(secretArn);

        runAllSteps(handler(Map.of()), secretArn, token);

        Map<String, Object> current = SecretJson.parseObject(rotations.valueAt(secretArn, Stage.AWSCURRENT));
        PemPair now = new PemPair((String) current.get("publicKey"), (String) current.get("privateKey"));
        assertThat(now.publicKey()).startsWith("-----BEGIN PUBLIC KEY-----").isNotEqualTo(old.publicKey());
        assertThat(now.privateKey()).startsWith("-----BEGIN PRIVATE KEY-----").isNotEqualTo(old.privateKey());
        assertThat(keyPairs.belongTogether(algorithm, now)).isTrue();
        assertThat(keyPairs.belongTogether(algorithm, new PemPair(now.publicKey(), old.privateKey()))).isFalse();
        assertThat(current).containsEntry("keyId", "signing-1").containsEntry("algorithm", algorithm.secretName());
        assertThat(SecretJson.parseObject(rotations.valueAt(secretArn, Stage.AWSPREVIOUS)))
                .containsEntry("privateKey", old.privateKey());
        assertThat(logs.lines()).noneMatch(line -> line.contains("PRIVATE KEY") || line.contains(body(now.privateKey())));
    }

    @Test
    void aKeyPairWithoutAnAlgorithmGetsEd25519() {
        String secretArn = rotations.createSecret("keypair-default", SecretJson.write(Map.of("type", "keypair")));
        String token = rotations.start(secretArn);

        runAllSteps(handler(Map.of()), secretArn, token);

        assertThat(SecretJson.parseObject(rotations.valueAt(secretArn, Stage.AWSCURRENT)))
                .containsEntry("algorithm", "Ed25519").containsKeys("publicKey", "privateKey");
    }

    @Test
    void everyStepRunTwiceHasTheEffectOfRunningOnce() {
        String secretArn = rotations.createSecret("twice", "old-value");
        String initialVersion = rotations.versionAt(secretArn, Stage.AWSCURRENT);
        String token = rotations.start(secretArn);
        GenericRandomHandler handler = handler(Map.of());

        handler.handleRequest(event(Step.CREATE_SECRET, secretArn, token), null);
        String pending = rotations.valueOf(secretArn, token);
        for (Step step : Step.values()) {
            handler.handleRequest(event(step, secretArn, token), null);
            handler.handleRequest(event(step, secretArn, token), null);
        }

        assertThat(rotations.valueAt(secretArn, Stage.AWSCURRENT)).isEqualTo(pending);
        assertThat(rotations.versionAt(secretArn, Stage.AWSPREVIOUS)).isEqualTo(initialVersion);
        assertThat(rotations.versions(secretArn)).hasSize(2);
    }

    @Test
    void onceTheTokenIsCurrentEveryStepIsANoOp() {
        String secretArn = rotations.createSecret("done", "old-value");
        String token = rotations.start(secretArn);
        runAllSteps(handler(Map.of()), secretArn, token);
        Map<String, List<String>> stages = rotations.versions(secretArn);
        String current = rotations.valueAt(secretArn, Stage.AWSCURRENT);

        runAllSteps(handler(Map.of()), secretArn, token);

        assertThat(rotations.versions(secretArn)).isEqualTo(stages);
        assertThat(rotations.valueAt(secretArn, Stage.AWSCURRENT)).isEqualTo(current);
    }

    @Test
    void theProtocolsMistakesAreRefusedWithTheTemplatesMessages() {
        String secretArn = rotations.createSecret("mistakes", "old-value");
        String initialVersion = rotations.versionAt(secretArn, Stage.AWSCURRENT);
        String token = rotations.start(secretArn);
        String stranger = UUID.randomUUID().toString();
        GenericRandomHandler handler = handler(Map.of());

        assertThatThrownBy(() -> handler.handleRequest(event(Step.CREATE_SECRET, secretArn, stranger), null))
                .isInstanceOf(InvalidRotationException.class)
                .hasMessage("Secret version %s has no stage for rotation of secret %s.", stranger, secretArn);
        runAllSteps(handler, secretArn, token);
        rotations.start(secretArn);
        assertThatThrownBy(() -> handler.handleRequest(event(Step.CREATE_SECRET, secretArn, initialVersion), null))
                .isInstanceOf(InvalidRotationException.class)
                .hasMessage("Secret version %s not set as AWSPENDING for rotation of secret %s.", initialVersion, secretArn);
        String next = rotations.start(secretArn);
        rotations.disableRotation(secretArn);
        assertThatThrownBy(() -> handler.handleRequest(event(Step.CREATE_SECRET, secretArn, next), null))
                .isInstanceOf(InvalidRotationException.class)
                .hasMessage("Secret %s is not enabled for rotation", secretArn);
    }

    @Test
    void aJsonSecretOfAnUnknownTypeIsMalformedAndNothingIsStaged() {
        String secretArn = rotations.createSecret("unknown-type", "{\"type\": \"certificate\", \"pem\": \"old\"}");
        String token = rotations.start(secretArn);

        assertThatThrownBy(() -> handler(Map.of()).handleRequest(event(Step.CREATE_SECRET, secretArn, token), null))
                .isInstanceOf(MalformedSecretException.class)
                .hasMessage("type in secret JSON must be 'random' or 'keypair'");
        assertThat(rotations.versions(secretArn).get(token)).containsExactly("AWSPENDING");
    }

    @Test
    void aPendingKeyPairThatDoesNotMatchFailsTestSecret() {
        KeyPairs keyPairs = new KeyPairs(new SecureRandom());
        PemPair one = keyPairs.generate(Algorithm.ED25519);
        PemPair other = keyPairs.generate(Algorithm.ED25519);
        String secretArn = rotations.createSecret("mismatch", SecretJson.write(Map.of("type", "keypair")));
        String token = rotations.start(secretArn);
        // A pending value someone else put there, with halves of two pairs.
        moto.secretsManager().putSecretValue(request -> request.secretId(secretArn).clientRequestToken(token)
                .versionStages("AWSPENDING").secretString(SecretJson.write(Map.of("type", "keypair",
                        "publicKey", one.publicKey(), "privateKey", other.privateKey()))));

        assertThatThrownBy(() -> handler(Map.of()).handleRequest(event(Step.TEST_SECRET, secretArn, token), null))
                .isInstanceOf(InvalidRotationException.class)
                .hasMessage("The pending value of secret %s is not a usable key pair", secretArn);
    }

    @Test
    void logsAreJsonLinesWithoutTheValues() {
        String secretArn = rotations.createSecret("logs", "old-value");
        String token = rotations.start(secretArn);
        runAllSteps(handler(Map.of()), secretArn, token);
        String current = rotations.valueAt(secretArn, Stage.AWSCURRENT);

        assertThat(logs.objects()).isNotEmpty().allSatisfy(line -> assertThat(line).containsKeys("level", "message", "step"));
        assertThat(logs.lines()).noneMatch(line -> line.contains(current) || line.contains("old-value"));
    }

    private GenericRandomHandler handler(Map<String, String> environment) {
        return new GenericRandomHandler(moto.secretsManager(), environment, logs.log(), new SecureRandom());
    }

    private static void runAllSteps(GenericRandomHandler handler, String secretArn, String token) {
        for (Step step : Step.values()) {
            handler.handleRequest(event(step, secretArn, token), null);
        }
    }

    private static String body(String pem) {
        return pem.lines().skip(1).findFirst().orElseThrow();
    }
}
