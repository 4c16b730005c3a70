package dev.lanyard.spi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.lanyard.support.TickingClock;
import java.util.List;
import org.junit.jupiter.api.Test;

class BackendRegistryTest {

    private final TickingClock clock = new TickingClock();

    @Test
    void buildsOneBackendPerConfiguredInstance() {
        FakeBackend.Factory fake = new FakeBackend.Factory("fake", clock, "primary", "secondary");
        FakeBackend.Factory other = new FakeBackend.Factory("other", clock, "third");

        try (BackendRegistry registry = BackendRegistry.build(List.of(fake, other))) {
            assertThat(registry.find("primary")).containsSame(fake.backend("primary"));
            assertThat(registry.find("secondary")).containsSame(fake.backend("secondary"));
            assertThat(registry.find("third")).containsSame(other.backend("third"));
            assertThat(registry.find("missing")).isEmpty();
            assertThat(registry.all()).extracting(SecretBackend::name).containsExactly("primary", "secondary", "third");
        }
        assertThat(fake.backend("primary").closeCalls()).isEqualTo(1);
        assertThat(fake.backend("secondary").closeCalls()).isEqualTo(1);
        assertThat(other.backend("third").closeCalls()).isEqualTo(1);
    }

    @Test
    void noFactoriesGiveAnEmptyRegistry() {
        try (BackendRegistry registry = BackendRegistry.build(List.of())) {
            assertThat(registry.all()).isEmpty();
        }
    }

    @Test
    void duplicateFactoryTypeFails() {
        FakeBackend.Factory first = new FakeBackend.Factory("vault", clock, "a");
        FakeBackend.Factory second = new FakeBackend.Factory("vault", clock, "b");

        InvalidBackendConfigException e = catchThrowableOfType(InvalidBackendConfigException.class,
                () -> BackendRegistry.build(List.of(first, second)));

        assertThat(e.problems()).containsExactly("two backend factories declare type 'vault'");
        assertThat(first.createdCount()).isZero();
        assertThat(second.createdCount()).isZero();
    }

    @Test
    void sameInstanceNameInTwoFactoriesFails() {
        FakeBackend.Factory vault = new FakeBackend.Factory("vault", clock, "main");
        FakeBackend.Factory aws = new FakeBackend.Factory("aws", clock, "main");

        InvalidBackendConfigException e = catchThrowableOfType(InvalidBackendConfigException.class,
                () -> BackendRegistry.build(List.of(vault, aws)));

        assertThat(e.problems()).containsExactly("backend name 'main' is configured for both 'vault' and 'aws'");
        assertThat(vault.createdCount() + aws.createdCount()).isZero();
    }

    @Test
    void everyProblemIsListedAtOnceAndNothingIsCreated() {
        FakeBackend.Factory vault = new FakeBackend.Factory("vault", clock, "a", "b", "c")
                .problems("a", "address is missing")
                .problems("b", "token reference is not file: or env:", "namespace is invalid");
        FakeBackend.Factory aws = new FakeBackend.Factory("aws", clock, "c", "d")
                .problems("d", "region is missing");
        FakeBackend.Factory duplicate = new FakeBackend.Factory("aws", clock, "e");

        InvalidBackendConfigException e = catchThrowableOfType(InvalidBackendConfigException.class,
                () -> BackendRegistry.build(List.of(vault, aws, duplicate)));

        assertThat(e.problems()).containsExactly(
                "backend 'a' (vault): address is missing",
                "backend 'b' (vault): token reference is not file: or env:",
                "backend 'b' (vault): namespace is invalid",
                "backend name 'c' is configured for both 'vault' and 'aws'",
                "backend 'd' (aws): region is missing",
                "two backend factories declare type 'aws'");
        assertThat(e.getMessage()).contains("address is missing").contains("region is missing")
                .contains("two backend factories declare type 'aws'");
        assertThat(vault.createdCount() + aws.createdCount() + duplicate.createdCount()).isZero();
        assertThat(vault.validatedInstances()).containsExactly("a", "b", "c");
    }

    @Test
    void malformedAndReservedNamesAreRefused() {
        FakeBackend.Factory vault = new FakeBackend.Factory("vault", clock, "lanyard", "audit", "has space", "x".repeat(65), "ok");

        InvalidBackendConfigException e = catchThrowableOfType(InvalidBackendConfigException.class,
                () -> BackendRegistry.build(List.of(vault)));

        assertThat(e.problems()).containsExactly(
                "backend name 'lanyard' is reserved: policies and the audit log use it for Lanyard itself",
                "backend name 'audit' is reserved: policies and the audit log use it for Lanyard itself",
                "backend name 'has space' must be 1 to 64 of [A-Za-z0-9_.-]",
                "backend name '" + "x".repeat(65) + "' must be 1 to 64 of [A-Za-z0-9_.-]");
        assertThat(vault.validatedInstances()).containsExactly("ok");
    }

    @Test
    void problemsListIsImmutable() {
        InvalidBackendConfigException e = new InvalidBackendConfigException(new java.util.ArrayList<>(List.of("x")));
        assertThat(e.problems()).containsExactly("x");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> e.problems().add("y"))
                .isInstanceOf(UnsupportedOperationException.class);
    }
}
