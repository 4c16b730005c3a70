package dev.lanyard.rotation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lanyard.secret.SecretRef;
import dev.lanyard.secret.SecretValue;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class KeyPairStrategyTest {

    private final KeyPairStrategy strategy = new KeyPairStrategy();

    @Test
    void eachAlgorithmMakesAPemPairWhoseHalvesBelongTogether() {
        for (String algorithm : new String[] {"ed25519", "rsa-3072", "ec-p256"}) {
            StrategyContext context = context(algorithm);
            try (SecretValue none = SecretValue.ofStrings(Map.of()); SecretValue pair = strategy.generate(context, none)) {
                assertThat(pair.field("private_key")).get().asString().startsWith("-----BEGIN PRIVATE KEY-----");
                assertThat(pair.field("public_key")).get().asString().startsWith("-----BEGIN PUBLIC KEY-----");
                assertThat(pair.field("algorithm")).contains(algorithm);
                strategy.test(context, pair);
            }
        }
    }

    @Test
    void aPublicHalfFromAnotherPairFailsTheTest() {
        StrategyContext context = context("ed25519");
        try (SecretValue none = SecretValue.ofStrings(Map.of()); SecretValue one = strategy.generate(context, none);
             SecretValue other = strategy.generate(context, none)) {
            Map<String, String> mixed = new LinkedHashMap<>(one.reveal());
            mixed.put("public_key", other.field("public_key").orElseThrow());
            try (SecretValue mismatched = SecretValue.ofStrings(mixed)) {
                assertThatThrownBy(() -> strategy.test(context, mismatched)).isInstanceOf(StepFailure.class);
            }
        }
    }

    @Test
    void weakOrUnknownAlgorithmsAreRefused() {
        for (String bad : new String[] {"rsa-2048", "dsa", "ec-p192"}) {
            assertThatThrownBy(() -> strategy.validate(Map.of("algorithm", bad))).isInstanceOf(InvalidRotationException.class);
        }
    }

    private static StrategyContext context(String algorithm) {
        return new StrategyContext(SecretRef.of("store", "keys/signing"), Map.of("algorithm", algorithm), ref -> {
            throw new AssertionError("a key pair reads no other secret");
        }, StepDeadline.in(Duration.ofSeconds(30)));
    }
}
