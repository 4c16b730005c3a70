package dev.lanyard.backend.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lanyard.secret.SecretPath;
import dev.lanyard.secret.SecretValue;
import dev.lanyard.secret.VersionSelector;
import dev.lanyard.spi.BackendCapability;
import dev.lanyard.spi.BackendRegistry;
import dev.lanyard.spi.InvalidBackendConfigException;
import dev.lanyard.spi.NewVersion;
import dev.lanyard.spi.SecretBackend;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalBackendFactoryTest {

    record Settings(boolean enabled, Path storeDir, String key) implements LocalConfig.Instance {
    }

    @TempDir
    Path tmp;

    private static LocalBackendFactory factory(Map<String, LocalConfig.Instance> instances) {
        LocalConfig config = () -> instances;
        return new LocalBackendFactory(config, InstantSource.system());
    }

    private static LocalBackendFactory factory(String name, LocalConfig.Instance instance) {
        return factory(Map.of(name, instance));
    }

    private String keyFile(String content) throws IOException {
        Path file = Files.createTempFile(tmp, "key", ".b64");
        Files.writeString(file, content + "\n");
        return "file:" + file;
    }

    @Test
    void declaresTypeAndCapabilities() {
        LocalBackendFactory factory = factory(Map.of());
        assertThat(factory.type()).isEqualTo("local");
        assertThat(factory.capabilities()).containsExactlyInAnyOrder(BackendCapability.READ, BackendCapability.VERSIONS,
                BackendCapability.WRITE, BackendCapability.STAGES);
    }

    @Test
    void configuredInstancesAreTheEnabledOnes() throws IOException {
        String key = keyFile(LocalKey.generate());
        Map<String, LocalConfig.Instance> instances = new LinkedHashMap<>();
        instances.put("main", new Settings(true, tmp.resolve("a"), key));
        instances.put("old", new Settings(false, tmp.resolve("b"), key));
        assertThat(factory(instances).configuredInstances()).containsExactly("main");
    }

    @Test
    void aGoodConfigurationValidatesWithoutCreatingTheStore() throws IOException {
        Path store = tmp.resolve("not/yet/there");
        LocalBackendFactory factory = factory("main", new Settings(true, store, keyFile(LocalKey.generate())));
        assertThat(factory.validate("main")).isEmpty();
        assertThat(store).doesNotExist();
    }

    @Test
    void aKeyOfTheWrongLengthIsRejectedWithoutQuotingIt() throws IOException {
        String shortKey = Base64.getEncoder().encodeToString("sixteen byte key".getBytes());
        LocalBackendFactory factory = factory("main", new Settings(true, tmp.resolve("store"), keyFile(shortKey)));
        List<String> problems = factory.validate("main");
        assertThat(problems).singleElement().asString()
                .contains("key").contains("32 bytes").contains("16 bytes")
                .doesNotContain(shortKey).doesNotContain("sixteen");
    }

    @Test
    void aKeyThatIsNotBase64IsRejectedWithoutQuotingIt() throws IOException {
        String notBase64 = "correct~horse~battery~staple~!!";
        List<String> problems = factory("main", new Settings(true, tmp.resolve("store"), keyFile(notBase64))).validate("main");
        assertThat(problems).singleElement().asString().contains("not valid base64").doesNotContain("horse").doesNotContain("~");
    }

    @Test
    void aKeyWrittenDirectlyIntoConfigurationIsRejectedWithoutQuotingIt() {
        String literal = LocalKey.generate();
        List<String> problems = factory("main", new Settings(true, tmp.resolve("store"), literal)).validate("main");
        assertThat(problems).singleElement().asString().contains("file:").doesNotContain(literal);
    }

    @Test
    void anUnreadableKeyReferenceIsReported() {
        List<String> problems = factory("main", new Settings(true, tmp.resolve("store"), "file:" + tmp.resolve("missing.key")))
                .validate("main");
        assertThat(problems).singleElement().asString().contains("missing.key").contains("cannot be read");
    }

    @Test
    void aStoreDirThatCannotBeADirectoryIsReported() throws IOException {
        String key = keyFile(LocalKey.generate());
        Path file = Files.writeString(tmp.resolve("plain-file"), "x");

        assertThat(factory("main", new Settings(true, file, key)).validate("main"))
                .singleElement().asString().contains("not a directory");
        assertThat(factory("main", new Settings(true, file.resolve("store"), key)).validate("main"))
                .singleElement().asString().contains("cannot be created");
    }

    @Test
    void theStaticOpenerUsedByTheDevLauncherSharesTheStore() throws IOException {
        Path store = tmp.resolve("store");
        String key = keyFile(LocalKey.generate());
        try (LocalSecretBackend seeder = LocalSecretBackend.open("local", store, key)) {
            assertThat(seeder.put(SecretPath.of("demo/hello"), NewVersion.current(SecretValue.ofStrings(Map.of("greeting", "hello")))).await().atMost(Duration.ofSeconds(10)))
                    .isEqualTo("1");
        }
        LocalBackendFactory factory = factory("local", new Settings(true, store, key));
        assertThat(factory.validate("local")).isEmpty();
        try (SecretBackend backend = factory.create("local")) {
            assertThat(backend.read(SecretPath.of("demo/hello"), VersionSelector.current()).await().atMost(Duration.ofSeconds(10))
                    .value().field("greeting")).contains("hello");
        }
        assertThatThrownBy(() -> LocalSecretBackend.open("local", store, LocalKey.generate()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("file:");
    }

    @Test
    void theRegistryRefusesToStartWithABadKeyAndNeverShowsIt() throws IOException {
        String longKey = Base64.getEncoder().encodeToString(new byte[48]);
        LocalBackendFactory factory = factory("main", new Settings(true, tmp.resolve("store"), keyFile(longKey)));
        assertThatThrownBy(() -> BackendRegistry.build(List.of(factory)))
                .isInstanceOf(InvalidBackendConfigException.class)
                .hasMessageContaining("backend 'main' (local)")
                .hasMessageContaining("48 bytes")
                .hasMessageNotContaining(longKey);
    }

    @Test
    void createsAWorkingBackendThatCreatesItsStore() throws IOException {
        Path store = tmp.resolve("store");
        LocalBackendFactory factory = factory("main", new Settings(true, store, keyFile(LocalKey.generate())));
        try (BackendRegistry registry = BackendRegistry.build(List.of(factory))) {
            SecretBackend backend = registry.find("main").orElseThrow();
            assertThat(store).isDirectory();
            assertThat(backend.put(SecretPath.of("demo/hello"), NewVersion.current(SecretValue.ofStrings(Map.of("greeting", "hi")))).await().atMost(Duration.ofSeconds(10)))
                    .isEqualTo("1");
            assertThat(backend.read(SecretPath.of("demo/hello"), VersionSelector.current()).await().atMost(Duration.ofSeconds(10))
                    .value().field("greeting")).contains("hi");
        }
    }
}
