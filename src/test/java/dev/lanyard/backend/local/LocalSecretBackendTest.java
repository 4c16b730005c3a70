package dev.lanyard.backend.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.lanyard.secret.InvalidSecretPathException;
import dev.lanyard.secret.Secret;
import dev.lanyard.secret.SecretPath;
import dev.lanyard.secret.SecretValue;
import dev.lanyard.secret.Stage;
import dev.lanyard.secret.VersionSelector;
import dev.lanyard.spi.BackendCapability;
import dev.lanyard.spi.BackendHealth;
import dev.lanyard.spi.BackendUnavailableException;
import dev.lanyard.spi.NewVersion;
import dev.lanyard.spi.SecretNotFoundException;
import dev.lanyard.spi.UnsupportedBackendOperationException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class LocalSecretBackendTest {

    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final Instant NOW = Instant.parse("2025-03-01T12:00:00Z");
    private static final String SECRET = "hunter2-do-not-leak-7f3a";

    @TempDir
    Path tmp;

    private Path storeDir;
    private String keyBase64;
    private LocalSecretBackend backend;
    private final List<LocalSecretBackend> opened = new ArrayList<>();

    @BeforeEach
    void setUp() {
        storeDir = tmp.resolve("store");
        keyBase64 = LocalKey.generate();
        backend = open(keyBase64);
    }

    @AfterEach
    void tearDown() {
        opened.forEach(LocalSecretBackend::close);
    }

    private LocalSecretBackend open(String key) {
        LocalSecretBackend created = new LocalSecretBackend("local", storeDir, LocalKey.decode(key), InstantSource.fixed(NOW));
        opened.add(created);
        return created;
    }

    private String write(String path, Map<String, String> data) {
        return backend.put(SecretPath.of(path), NewVersion.current(SecretValue.ofStrings(data))).await().atMost(WAIT);
    }

    private Secret read(LocalSecretBackend from, String path, String version) {
        return from.read(SecretPath.of(path), version == null ? VersionSelector.current() : VersionSelector.id(version))
                .await().atMost(WAIT);
    }

    private Secret read(String path, String version) {
        return read(backend, path, version);
    }

    @Test
    void roundTripsSeveralVersions() {
        assertThat(write("app/db", Map.of("user", "app", "password", "p1"))).isEqualTo("1");
        assertThat(write("app/db", Map.of("user", "app", "password", "p2"))).isEqualTo("2");
        assertThat(write("app/db", Map.of("user", "app2", "password", "p3", "host", "db.internal"))).isEqualTo("3");

        Secret v1 = read("app/db", "1");
        assertThat(v1.value().reveal()).containsExactlyInAnyOrderEntriesOf(Map.of("user", "app", "password", "p1"));
        assertThat(v1.version()).contains("1");
        assertThat(v1.ref().toString()).isEqualTo("local/app/db");
        assertThat(read("app/db", "2").value().field("password")).contains("p2");
        Secret v3 = read("app/db", "3");
        assertThat(v3.value().reveal())
                .containsExactlyInAnyOrderEntriesOf(Map.of("user", "app2", "password", "p3", "host", "db.internal"));
        assertThat(v3.version()).contains("3");
        assertThat(v3.lease().id()).isEmpty();
        assertThat(v3.lease().issuedAt()).isEqualTo(NOW);
        assertThat(v3.lease().ttl()).isEqualTo(Duration.ZERO);
        assertThat(v3.lease().renewable()).isFalse();
    }

    @Test
    void preservesFieldOrderAndUnicode() {
        java.util.LinkedHashMap<String, String> data = new java.util.LinkedHashMap<>();
        data.put("z", "ünïcødé ✓");
        data.put("a", "");
        data.put("m", "line\nbreak \"quoted\"");
        write("ordered", data);
        Secret secret = read("ordered", null);
        assertThat(secret.value().reveal()).containsExactlyEntriesOf(data);
    }

    @Test
    void readsLatestWhenNoVersionIsGivenAndTheGivenVersionOtherwise() {
        write("svc/api", Map.of("token", "t1"));
        write("svc/api", Map.of("token", "t2"));
        write("svc/api", Map.of("token", "t3"));

        Secret latest = read("svc/api", null);
        assertThat(latest.version()).contains("3");
        assertThat(latest.value().field("token")).contains("t3");
        assertThat(read("svc/api", "2").value().field("token")).contains("t2");

        write("svc/api", Map.of("token", "t4"));
        assertThat(read("svc/api", null).version()).contains("4");
        assertThat(read("svc/api", null).value().field("token")).contains("t4");
        assertThat(read("svc/api", "1").value().field("token")).contains("t1");

        // Versions are numbered per path.
        assertThat(write("svc/other", Map.of("token", "o1"))).isEqualTo("1");
        assertThat(read("svc/api", null).version()).contains("4");
    }

    @Test
    void missingPathIsNotFound() {
        write("app/db", Map.of("password", "p"));
        assertThatThrownBy(() -> read("app/nope", null)).isInstanceOf(SecretNotFoundException.class)
                .hasMessageContaining("app/nope");
        assertThatThrownBy(() -> read("app/nope", "1")).isInstanceOf(SecretNotFoundException.class);
        // A prefix of a stored path is not itself a secret.
        assertThatThrownBy(() -> read("app", null)).isInstanceOf(SecretNotFoundException.class);
    }

    @Test
    void missingPathInAStoreThatWasNeverWrittenIsNotFound() throws IOException {
        try (Stream<Path> entries = Files.list(storeDir)) {
            assertThat(entries).isEmpty();
        }
        assertThatThrownBy(() -> read("anything", null)).isInstanceOf(SecretNotFoundException.class);
    }

    @Test
    void missingVersionIsNotFound() {
        write("app/db", Map.of("password", "p1"));
        write("app/db", Map.of("password", "p2"));
        assertThatThrownBy(() -> read("app/db", "3")).isInstanceOf(SecretNotFoundException.class);
        assertThatThrownBy(() -> read("app/db", "999999999")).isInstanceOf(SecretNotFoundException.class);
    }

    @ParameterizedTest
    @ValueSource(strings = {"0", "-1", "abc", "1.enc", "../1", "99999999999"})
    void malformedVersionIsRejectedLikeTheVaultBackend(String version) {
        write("app/db", Map.of("password", "p1"));
        assertThatThrownBy(() -> read("app/db", version)).isInstanceOf(InvalidSecretPathException.class);
    }

    @Test
    void wrongKeyFailsAuthenticationWithoutRevealingPlaintext() {
        write("app/db", Map.of("password", SECRET));
        LocalSecretBackend otherKey = open(LocalKey.generate());

        for (String version : Arrays.asList(null, "1")) {
            assertThatThrownBy(() -> read(otherKey, "app/db", version))
                    .isInstanceOf(BackendUnavailableException.class)
                    .hasMessageContaining("stored value failed authentication")
                    .hasMessageNotContaining(SECRET)
                    .hasMessageNotContaining(keyBase64)
                    .hasNoCause();
        }
        // The right key still reads it.
        assertThat(read("app/db", null).value().field("password")).contains(SECRET);
    }

    @ParameterizedTest(name = "flipping byte {0}")
    @ValueSource(strings = {"nonce-first", "nonce-last", "ciphertext-first", "ciphertext-middle", "tag-first", "tag-last"})
    void aFlippedByteFailsAuthentication(String where) throws IOException {
        write("app/db", Map.of("password", SECRET));
        Path file = backend.versionFile(SecretPath.of("app/db"), 1);
        byte[] bytes = Files.readAllBytes(file);
        int header = LocalKey.HEADER_LENGTH;
        int position = switch (where) {
            case "nonce-first" -> 1;
            case "nonce-last" -> header - 1;
            case "ciphertext-first" -> header;
            case "ciphertext-middle" -> header + (bytes.length - header - 16) / 2;
            case "tag-first" -> bytes.length - 16;
            case "tag-last" -> bytes.length - 1;
            default -> throw new IllegalArgumentException(where);
        };
        bytes[position] ^= 0x01;
        Files.write(file, bytes);

        assertThatThrownBy(() -> read("app/db", "1"))
                .isInstanceOf(BackendUnavailableException.class)
                .hasMessageContaining("stored value failed authentication")
                .hasMessageNotContaining(SECRET)
                .hasNoCause();
    }

    @Test
    void anUnknownFormatByteIsRefused() throws IOException {
        write("app/db", Map.of("password", SECRET));
        Path file = backend.versionFile(SecretPath.of("app/db"), 1);
        byte[] bytes = Files.readAllBytes(file);
        assertThat(bytes[0]).isEqualTo(LocalKey.FORMAT_V1);
        bytes[0] = 2;
        Files.write(file, bytes);
        assertThatThrownBy(() -> read("app/db", "1"))
                .isInstanceOf(BackendUnavailableException.class)
                .hasMessageContaining("unknown format")
                .hasMessageNotContaining(SECRET);
    }

    @Test
    void truncatedFilesFailAuthentication() throws IOException {
        write("app/db", Map.of("password", SECRET));
        Path file = backend.versionFile(SecretPath.of("app/db"), 1);
        byte[] bytes = Files.readAllBytes(file);
        for (int length : new int[] {0, 1, LocalKey.HEADER_LENGTH, LocalKey.HEADER_LENGTH + 15, bytes.length - 1}) {
            Files.write(file, Arrays.copyOf(bytes, length));
            assertThatThrownBy(() -> read("app/db", "1"))
                    .as("truncated to %d bytes", length)
                    .isInstanceOf(BackendUnavailableException.class)
                    .hasMessageContaining("failed authentication");
        }
    }

    @Test
    void aVersionFileCopiedToAnotherPathFailsAuthentication() throws IOException {
        write("team-a/db", Map.of("password", SECRET));
        write("team-b/db", Map.of("password", "b-password"));
        Path source = backend.versionFile(SecretPath.of("team-a/db"), 1);
        Path target = backend.versionFile(SecretPath.of("team-b/db"), 1);
        assertThat(target).isNotEqualTo(source);
        Files.copy(source, target, StandardCopyOption.REPLACE_EXISTING);

        assertThatThrownBy(() -> read("team-b/db", "1"))
                .isInstanceOf(BackendUnavailableException.class)
                .hasMessageContaining("stored value failed authentication")
                .hasMessageNotContaining(SECRET);
        assertThat(read("team-a/db", "1").value().field("password")).contains(SECRET);
    }

    /** Stages of two secrets, each with its index: the first staged put, token or move writes one. */
    private void stagePending(String path, String token) {
        write(path, Map.of("password", "current-" + path));
        backend.put(SecretPath.of(path), NewVersion.staged(SecretValue.ofStrings(Map.of("password", SECRET)), Stage.PENDING, token))
                .await().atMost(WAIT);
    }

    @Test
    void theStageIndexIsSealedLikeTheVersionsAndWrittenOnlyWhenStagesAreRecorded() throws IOException {
        write("plain/db", Map.of("password", "p1"));
        assertThat(backend.stageIndexFile(SecretPath.of("plain/db"))).as("plain writes need no index").doesNotExist();

        String token = "6f1c2d3e-4b5a-4978-8c9d-0e1f2a3b4c5d";
        stagePending("staged/db", token);
        Path index = backend.stageIndexFile(SecretPath.of("staged/db"));
        assertThat(index).exists();
        String content = new String(Files.readAllBytes(index), StandardCharsets.ISO_8859_1);
        assertThat(content).doesNotContain("pending").doesNotContain("lanyard-").doesNotContain(token).doesNotContain(SECRET);
        if (storeDir.getFileSystem().supportedFileAttributeViews().contains("posix")) {
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(index))).isEqualTo("rw-------");
        }
        try (Stream<Path> entries = Files.list(index.getParent())) {
            assertThat(entries.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("1.enc", "2.enc", "stages.enc");
        }
        assertThat(read("staged/db", null).version()).contains("1");
    }

    @Test
    void aStageIndexCopiedFromAnotherSecretFailsAuthentication() throws IOException {
        stagePending("team-a/db", "6f1c2d3e-4b5a-4978-8c9d-0e1f2a3b4c5d");
        stagePending("team-b/db", "7a2b3c4d-5e6f-4a1b-9c8d-7e6f5a4b3c2d");
        Files.copy(backend.stageIndexFile(SecretPath.of("team-a/db")), backend.stageIndexFile(SecretPath.of("team-b/db")),
                StandardCopyOption.REPLACE_EXISTING);

        assertThatThrownBy(() -> read("team-b/db", null))
                .isInstanceOf(BackendUnavailableException.class)
                .hasMessageContaining("stored value failed authentication")
                .hasMessageNotContaining(SECRET);
        assertThat(read("team-a/db", null).version()).contains("1");
    }

    @Test
    void aBrokenStoreIsUnavailableNotEmpty() throws IOException {
        write("app/db", Map.of("password", SECRET));
        try (Stream<Path> everything = Files.walk(storeDir)) {
            everything.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
        assertThat(storeDir).doesNotExist();
        assertThatThrownBy(() -> read("app/db", null)).isInstanceOf(BackendUnavailableException.class)
                .hasMessageContaining("store directory is missing");
    }

    @Test
    void aVersionFileCopiedToAPathWithNoSecretYetFailsAuthentication() throws IOException {
        write("team-a/db", Map.of("password", SECRET));
        Path target = backend.versionFile(SecretPath.of("team-c/db"), 1);
        Files.createDirectories(target.getParent());
        Files.copy(backend.versionFile(SecretPath.of("team-a/db"), 1), target);
        assertThatThrownBy(() -> read("team-c/db", null))
                .isInstanceOf(BackendUnavailableException.class)
                .hasMessageContaining("stored value failed authentication");
    }

    @Test
    void aVersionFileCopiedToAnotherVersionFailsAuthentication() throws IOException {
        write("app/db", Map.of("password", "old"));
        write("app/db", Map.of("password", "new"));
        SecretPath path = SecretPath.of("app/db");

        // Roll "back" version 2 to version 1's file.
        Files.copy(backend.versionFile(path, 1), backend.versionFile(path, 2), StandardCopyOption.REPLACE_EXISTING);
        assertThatThrownBy(() -> read("app/db", "2"))
                .isInstanceOf(BackendUnavailableException.class)
                .hasMessageContaining("stored value failed authentication");
        assertThatThrownBy(() -> read("app/db", null)).isInstanceOf(BackendUnavailableException.class);

        // Present an old version as a new latest one.
        Files.copy(backend.versionFile(path, 1), backend.versionFile(path, 3));
        assertThatThrownBy(() -> read("app/db", null))
                .isInstanceOf(BackendUnavailableException.class)
                .hasMessageContaining("stored value failed authentication");
        assertThat(read("app/db", "1").value().field("password")).contains("old");
    }

    @Test
    void noncesDifferBetweenTwoEncryptionsOfTheSameValue() throws IOException {
        write("app/db", Map.of("password", SECRET));
        write("app/db", Map.of("password", SECRET));
        byte[] first = Files.readAllBytes(backend.versionFile(SecretPath.of("app/db"), 1));
        byte[] second = Files.readAllBytes(backend.versionFile(SecretPath.of("app/db"), 2));
        assertThat(first).hasSameSizeAs(second);
        assertThat(Arrays.copyOfRange(first, 1, LocalKey.HEADER_LENGTH))
                .isNotEqualTo(Arrays.copyOfRange(second, 1, LocalKey.HEADER_LENGTH));
        assertThat(Arrays.copyOfRange(first, LocalKey.HEADER_LENGTH, first.length))
                .isNotEqualTo(Arrays.copyOfRange(second, LocalKey.HEADER_LENGTH, second.length));
    }

    @Test
    void whatIsReadPrintsNoValue() {
        write("app/db", Map.of("password", SECRET));
        Secret secret = read("app/db", null);
        assertThat(secret.value().toString()).contains("password").doesNotContain(SECRET);
        assertThat(secret.toString()).doesNotContain(SECRET);
        secret.value().close();
        assertThat(secret.value().isClosed()).isTrue();
    }

    @Test
    void neitherValuesNorFieldNamesNorTheKeyAreOnDisk() throws IOException {
        write("app/db", Map.of("distinctive-field-name", SECRET));
        byte[] keyBytes = java.util.Base64.getDecoder().decode(keyBase64);
        try (Stream<Path> files = Files.walk(storeDir)) {
            for (Path file : files.filter(Files::isRegularFile).toList()) {
                String content = new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1);
                assertThat(content).as(file.toString())
                        .doesNotContain(SECRET)
                        .doesNotContain("distinctive-field-name")
                        .doesNotContain(keyBase64)
                        .doesNotContain(new String(keyBytes, StandardCharsets.ISO_8859_1));
            }
        }
    }

    @Test
    void writesPrivateFilesAndLeavesNoTemporaryFiles() throws IOException {
        assumeThat(storeDir.getFileSystem().supportedFileAttributeViews()).contains("posix");
        write("app/db", Map.of("password", SECRET));
        write("app/db", Map.of("password", SECRET));
        Path file = backend.versionFile(SecretPath.of("app/db"), 2);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file.getParent()))).isEqualTo("rwx------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(storeDir))).isEqualTo("rwx------");
        try (Stream<Path> entries = Files.list(file.getParent())) {
            assertThat(entries.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("1.enc", "2.enc");
        }
    }

    @Test
    void pathsThatAreUnsafeAsFileNamesAreStoredSeparately() {
        String longSegment = "x".repeat(300);
        write("Case/Path", Map.of("v", "upper"));
        write("case/path", Map.of("v", "lower"));
        write("a:b/1.enc", Map.of("v", "odd"));
        write("a:b", Map.of("v", "parent"));
        write(longSegment, Map.of("v", "long"));
        assertThat(read("Case/Path", null).value().field("v")).contains("upper");
        assertThat(read("case/path", null).value().field("v")).contains("lower");
        assertThat(read("a:b/1.enc", null).value().field("v")).contains("odd");
        assertThat(read("a:b", null).value().field("v")).contains("parent");
        assertThat(read(longSegment, null).value().field("v")).contains("long");
    }

    @Test
    void concurrentWritesGetDistinctVersions() {
        int writers = 16;
        // Subscribe to every write before waiting for any, so they really run at the same time.
        List<CompletableFuture<String>> pending = IntStream.range(0, writers)
                .mapToObj(i -> backend.put(SecretPath.of("app/counter"),
                                NewVersion.current(SecretValue.ofStrings(Map.of("n", String.valueOf(i)))))
                        .subscribeAsCompletionStage())
                .toList();
        List<String> versions = pending.stream().map(CompletableFuture::join).toList();
        Set<String> expected = IntStream.rangeClosed(1, writers).mapToObj(String::valueOf).collect(Collectors.toSet());
        assertThat(new HashSet<>(versions)).isEqualTo(expected);
        Set<String> values = new HashSet<>();
        for (String version : versions) {
            values.add(read("app/counter", version).value().field("n").orElseThrow());
        }
        assertThat(values).hasSize(writers);
    }

    @Test
    void aSecondBackendOnTheSameStoreSeesWritesAndContinuesNumbering() {
        write("app/db", Map.of("password", "p1"));
        LocalSecretBackend reopened = open(keyBase64);
        assertThat(read(reopened, "app/db", null).value().field("password")).contains("p1");
        assertThat(reopened.put(SecretPath.of("app/db"), NewVersion.current(SecretValue.ofStrings(Map.of("password", "p2"))))
                .await().atMost(WAIT)).isEqualTo("2");
        assertThat(read("app/db", null).version()).contains("2");
    }

    @Test
    void writeRejectsNullFields() {
        java.util.HashMap<String, String> data = new java.util.HashMap<>();
        data.put("password", null);
        assertThatThrownBy(() -> write("app/db", data)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> read("app/db", null)).isInstanceOf(SecretNotFoundException.class);
    }

    @Test
    void leasedOperationsAreUnsupported() {
        assertThat(backend.capabilities()).containsExactlyInAnyOrder(BackendCapability.READ, BackendCapability.VERSIONS,
                BackendCapability.WRITE, BackendCapability.STAGES);
        assertThatThrownBy(() -> backend.issue(SecretPath.of("database/creds/app")).await().atMost(WAIT))
                .isInstanceOf(UnsupportedBackendOperationException.class);
        assertThatThrownBy(() -> backend.renew("database/creds/app/lease-abc123", Duration.ofMinutes(5)).await().atMost(WAIT))
                .isInstanceOf(UnsupportedBackendOperationException.class)
                .hasMessageNotContaining("lease-abc123");
        assertThatThrownBy(() -> backend.revoke("database/creds/app/lease-abc123").await().atMost(WAIT))
                .isInstanceOf(UnsupportedBackendOperationException.class)
                .hasMessageNotContaining("lease-abc123");
    }

    @Test
    void healthIsUpWhileTheStoreIsReadableAndDownWithAReasonOtherwise() throws IOException {
        assertThat(backend.health().await().atMost(WAIT)).isEqualTo(BackendHealth.healthy());

        Files.delete(storeDir);
        BackendHealth missing = backend.health().await().atMost(WAIT);
        assertThat(missing.up()).isFalse();
        assertThat(missing.reason()).contains("does not exist");

        Files.writeString(storeDir, "not a directory");
        BackendHealth notADirectory = backend.health().await().atMost(WAIT);
        assertThat(notADirectory.up()).isFalse();
        assertThat(notADirectory.reason()).contains("not a directory");
    }

    @Test
    void toStringMasksTheKey() {
        assertThat(backend.toString()).contains("local").contains("masked").doesNotContain(keyBase64);
    }

    @Test
    void aClosedBackendNoLongerReads() {
        write("app/db", Map.of("password", SECRET));
        LocalSecretBackend other = open(keyBase64);
        other.close();
        assertThatThrownBy(() -> read(other, "app/db", null)).isInstanceOf(RuntimeException.class)
                .hasMessageNotContaining(SECRET);
    }
}
