package dev.lanyard.backend.local;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lanyard.backend.BlockingCalls;
import dev.lanyard.backend.NumberedStages;
import dev.lanyard.backend.NumberedVersions;
import dev.lanyard.secret.Lease;
import dev.lanyard.secret.Secret;
import dev.lanyard.secret.SecretPath;
import dev.lanyard.secret.SecretRef;
import dev.lanyard.secret.SecretValue;
import dev.lanyard.secret.Stage;
import dev.lanyard.secret.VersionSelector;
import dev.lanyard.spi.BackendCapability;
import dev.lanyard.spi.BackendHealth;
import dev.lanyard.spi.BackendUnavailableException;
import dev.lanyard.spi.NewVersion;
import dev.lanyard.spi.SecretBackend;
import dev.lanyard.spi.SecretNotFoundException;
import dev.lanyard.spi.StageMove;
import dev.lanyard.spi.VersionInfo;
import dev.lanyard.spi.WriteConflictException;
import io.smallrye.mutiny.Uni;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.locks.ReentrantLock;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.bouncycastle.crypto.InvalidCipherTextException;
import org.jboss.logging.Logger;

/**
 * The built-in encrypted store: static secrets with numbered versions (1, 2, 3, ...) and stages, like Vault's KV v2,
 * kept on local disk and encrypted with AES-256-GCM, so Lanyard runs with no external backend.
 *
 * <h2>Store layout</h2>
 * <pre>
 *   &lt;store-dir&gt;/.lock                                 held while a version or the stage index is written
 *   &lt;store-dir&gt;/&lt;sha256-hex of the path&gt;/&lt;n&gt;.enc       version n of that path: {@link LocalKey} sealed format
 *   &lt;store-dir&gt;/&lt;sha256-hex of the path&gt;/stages.enc    the path's stage index, once it has one (same format)
 * </pre>
 * One file per version rather than one file for the whole store: writing a version never rewrites (and so can
 * never corrupt) existing versions or other secrets, a write costs one small file whatever the store size, and
 * a read decrypts only the value asked for. The directory is named by a hash of the path rather than by the
 * path's own segments because a valid {@link SecretPath} is not always a safe file name: a segment may be
 * longer than the filesystem's 255-byte limit, contain {@code :} (invalid on Windows), differ from another only
 * in case (the same directory on macOS and Windows), or be named {@code 1.enc} and collide with a version file.
 * The hash reveals nothing the audit log does not already record. Each version is sealed with associated
 * data {@code "lanyard-local:v1:<path>:<n>"}, so a file copied to another path's directory or renamed to
 * another version number fails authentication instead of being served as that secret.
 *
 * <p>Stages follow {@link NumberedStages}: a path written only by plain writes has no index (current is the latest
 * version, previous the one before); the first staged put, token or stage move writes {@code stages.enc}, sealed
 * with associated data {@code "lanyard-local:v1:<path>:stages"} so an index cannot be moved to another path, and
 * authenticated like a version so nobody can point current at an old version by editing a file.
 *
 * <p>Files are written to a temporary file in the same directory, flushed to disk, then moved into place with
 * {@link StandardCopyOption#ATOMIC_MOVE}: a reader sees a complete version or index or none. Files are mode 0600
 * and directories 0700 where the filesystem supports POSIX permissions. Every write (version numbers, the stage
 * index) happens under an in-process lock plus a file lock on {@code .lock}, so concurrent writers never reuse or
 * overwrite a version and a stage move never races another.
 *
 * <p>File IO is blocking, so every operation runs on a <b>virtual thread</b> from this backend's own executor,
 * as in the Vault backend: the Vert.x event loop is never blocked.
 */
public final class LocalSecretBackend implements SecretBackend {

    private static final Logger LOG = Logger.getLogger(LocalSecretBackend.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final TypeReference<LinkedHashMap<String, String>> FIELDS = new TypeReference<>() { };
    /** Up to nine digits, so every listed version parses as an int. */
    private static final Pattern VERSION_FILE = Pattern.compile("([1-9][0-9]{0,8})\\.enc");
    private static final int MAX_VERSION = 999_999_999;
    private static final String SUFFIX = ".enc";
    private static final String LOCK_FILE = ".lock";
    private static final String STAGE_INDEX = "stages" + SUFFIX;

    private final String name;
    private final Path storeDir;
    private final LocalKey key;
    private final InstantSource clock;
    private final boolean posix;
    private final ReentrantLock writeLock = new ReentrantLock();
    private final BlockingCalls calls = new BlockingCalls("local-store-");

    /**
     * @param key owned by this backend from now on: {@link #close()} zeroes it
     */
    LocalSecretBackend(String name, Path storeDir, LocalKey key, InstantSource clock) {
        this.name = Objects.requireNonNull(name, "name");
        this.storeDir = storeDir.toAbsolutePath().normalize();
        this.key = Objects.requireNonNull(key, "key");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.posix = this.storeDir.getFileSystem().supportedFileAttributeViews().contains("posix");
        try {
            createPrivateDirectories(this.storeDir);
        } catch (IOException e) {
            // Reported by health() and by every operation until the directory can be created.
            LOG.warnf("backend %s: store directory %s cannot be created (%s)", name, this.storeDir, e.getClass().getSimpleName());
        }
    }

    /**
     * Opens a store outside CDI, for the dev launcher seeding a demo secret or a one-off tool. The caller closes it.
     *
     * @param keyReference {@code file:<path>} or {@code env:<VARIABLE>} naming a base64-encoded 32-byte key
     * @throws IllegalArgumentException or {@link IllegalStateException} when the key cannot be resolved or decoded;
     *                                  the message never contains the key
     */
    public static LocalSecretBackend open(String name, Path storeDir, String keyReference) {
        return new LocalSecretBackend(name, storeDir, LocalKey.resolve(keyReference), InstantSource.system());
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public Set<BackendCapability> capabilities() {
        return LocalBackendFactory.CAPABILITIES;
    }

    @Override
    public Uni<Secret> read(SecretPath path, VersionSelector selector) {
        OptionalInt requested;
        try {
            requested = selector instanceof VersionSelector.ById byId
                    ? OptionalInt.of(NumberedVersions.parse(byId.id())) : OptionalInt.empty();
        } catch (IllegalArgumentException e) {
            return Uni.createFrom().failure(e);
        }
        return blocking("read", path, () -> {
            requireStore("read", path);
            int version = requested.isPresent() ? requested.getAsInt() : holder(path, selector, "read");
            return new Secret(new SecretRef(name, path), readVersion(path, version, "read"),
                    Optional.of(String.valueOf(version)), Lease.ofStaticValue(clock.instant()));
        });
    }

    /** The version the selector (current or a stage) points at now. */
    private int holder(SecretPath path, VersionSelector selector, String operation) throws IOException {
        Stage stage = selector instanceof VersionSelector.ByStage byStage ? byStage.stage() : Stage.CURRENT;
        int latest = latestVersion(secretDir(path)).orElse(0);
        return stages(path, operation).holder(stage, latest)
                .orElseThrow(() -> new SecretNotFoundException(name, operation, path.value()));
    }

    /**
     * Stores a new version (see {@link NewVersion}). Version 1 for a new path; a stage other than current needs the
     * path to exist already.
     */
    @Override
    public Uni<String> put(SecretPath path, NewVersion version) {
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(version, "version");
        // Copied now, on the caller's thread: the caller may close its value once the put completes.
        Map<String, String> fields = version.value().reveal();
        return blocking("put", path, () -> {
            byte[] plaintext = serialise(path, fields);
            try {
                return String.valueOf(locked(() -> putLocked(path, version, fields, plaintext)));
            } finally {
                Arrays.fill(plaintext, (byte) 0);
            }
        });
    }

    private int putLocked(SecretPath path, NewVersion version, Map<String, String> fields, byte[] plaintext) throws IOException {
        Path dir = secretDir(path);
        int latest = latestVersion(dir).orElse(0);
        NumberedStages stages = stages(path, "put");
        OptionalInt earlier = version.token().map(stages::versionPutWith).orElse(OptionalInt.empty());
        if (earlier.isPresent() && Files.exists(versionFile(path, earlier.getAsInt()))) {
            // A retry of a put that wrote its version: the same value is the same put; finish its records.
            int number = earlier.getAsInt();
            try (SecretValue stored = readVersion(path, number, "put")) {
                if (!stored.reveal().equals(fields)) {
                    throw new WriteConflictException(name, "put", path.value(), WriteConflictException.Reason.TOKEN_REUSED);
                }
            }
            if (!stages.putApplied(number, version.stage())) {
                writeStages(path, stages.afterPut(number, version.stage()));
            }
            return number;
        }
        stages.checkPut(version.stage(), latest, "put");
        int number = latest + 1;
        if (number > MAX_VERSION) {
            throw new BackendUnavailableException(name, "put", path.value(), "no versions left for this path", null);
        }
        createPrivateDirectories(dir);
        boolean recorded = stages.putNeedsRecords(version.stage(), version.token());
        NumberedStages prepared = stages.prepared(latest, version.token());
        if (recorded) {
            writeStages(path, prepared);
        }
        Path target = versionFile(path, number);
        if (Files.exists(target)) {
            // Unreachable while the lock holds; refuse rather than replace an existing version.
            throw new FileAlreadyExistsException(target.toString());
        }
        writeAtomically(dir, target, key.seal(plaintext, associatedData(path, number)));
        if (recorded) {
            writeStages(path, prepared.afterPut(number, version.stage()));
        }
        return number;
    }

    @Override
    public Uni<Void> moveStage(SecretPath path, StageMove move) {
        try {
            move.from().ifPresent(NumberedVersions::parse);
            move.to().ifPresent(NumberedVersions::parse);
        } catch (IllegalArgumentException e) {
            return Uni.createFrom().failure(e);
        }
        return blocking("move a stage of", path, () -> {
            requireStore("move a stage of", path);
            return locked(() -> {
                int latest = latestVersion(secretDir(path)).orElse(0);
                if (latest == 0) {
                    throw new SecretNotFoundException(name, "move a stage of", path.value());
                }
                Optional<NumberedStages> moved = stages(path, "move a stage of").moved(move, latest,
                        n -> Files.exists(versionFile(path, n)), "move a stage of");
                if (moved.isPresent()) {
                    writeStages(path, moved.get());
                }
                return null;
            });
        });
    }

    @Override
    public Uni<List<VersionInfo>> versions(SecretPath path) {
        return blocking("list versions of", path, () -> {
            requireStore("list versions of", path);
            Path dir = secretDir(path);
            TreeSet<Integer> numbers = versionNumbers(dir);
            if (numbers.isEmpty()) {
                throw new SecretNotFoundException(name, "list versions of", path.value());
            }
            NumberedStages stages = stages(path, "list versions of");
            List<VersionInfo> versions = new ArrayList<>();
            for (int number : numbers) {
                Optional<Instant> created;
                try {
                    created = Optional.of(Files.getLastModifiedTime(versionFile(path, number)).toInstant());
                } catch (NoSuchFileException e) {
                    continue;
                }
                versions.add(new VersionInfo(String.valueOf(number), created, stages.stagesOf(number, numbers.last())));
            }
            return versions;
        });
    }

    @Override
    public Uni<BackendHealth> health() {
        return Uni.createFrom().item(() -> {
            try {
                if (!Files.exists(storeDir)) {
                    return BackendHealth.unhealthy("store directory " + storeDir + " does not exist");
                }
                if (!Files.isDirectory(storeDir)) {
                    return BackendHealth.unhealthy("store path " + storeDir + " is not a directory");
                }
                if (!Files.isReadable(storeDir) || !Files.isExecutable(storeDir)) {
                    return BackendHealth.unhealthy("store directory " + storeDir + " is not readable");
                }
                return BackendHealth.healthy();
            } catch (RuntimeException e) {
                return BackendHealth.unhealthy("health check failed: " + e.getClass().getSimpleName());
            }
        }).runSubscriptionOn(calls.executor());
    }

    @Override
    public void close() {
        calls.close();
        key.close();
    }

    @Override
    public String toString() {
        return "LocalSecretBackend[name=" + name + ", storeDir=" + storeDir + ", key=(masked)]";
    }

    /**
     * A store directory that is gone or is not a directory is a broken store, not an empty one: reads fail as
     * unavailable (as health reports) rather than answering that nothing exists.
     */
    private void requireStore(String operation, SecretPath path) {
        if (!Files.isDirectory(storeDir)) {
            throw new BackendUnavailableException(name, operation, path.value(), "the store directory is missing", null);
        }
    }

    // ---- layout --------------------------------------------------------------------------------------------

    Path secretDir(SecretPath path) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(path.value().getBytes(StandardCharsets.UTF_8));
            return storeDir.resolve(HexFormat.of().formatHex(digest));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is not available", e);
        }
    }

    Path versionFile(SecretPath path, int version) {
        return secretDir(path).resolve(version + SUFFIX);
    }

    /** Binds a sealed value to where it is stored. The version holds no ':', so the string is unambiguous. */
    static byte[] associatedData(SecretPath path, int version) {
        return ("lanyard-local:v1:" + path.value() + ":" + version).getBytes(StandardCharsets.UTF_8);
    }

    private static OptionalInt latestVersion(Path dir) throws IOException {
        TreeSet<Integer> numbers = versionNumbers(dir);
        return numbers.isEmpty() ? OptionalInt.empty() : OptionalInt.of(numbers.last());
    }

    private static TreeSet<Integer> versionNumbers(Path dir) throws IOException {
        TreeSet<Integer> numbers = new TreeSet<>();
        if (!Files.isDirectory(dir)) {
            return numbers;
        }
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
            for (Path entry : entries) {
                Matcher matcher = VERSION_FILE.matcher(entry.getFileName().toString());
                if (matcher.matches()) {
                    numbers.add(Integer.parseInt(matcher.group(1)));
                }
            }
        } catch (NoSuchFileException e) {
            return numbers;
        }
        return numbers;
    }

    /** Binds a stage index to its path, as {@link #associatedData(SecretPath, int)} binds a version. */
    static byte[] stageIndexAssociatedData(SecretPath path) {
        return ("lanyard-local:v1:" + path.value() + ":stages").getBytes(StandardCharsets.UTF_8);
    }

    Path stageIndexFile(SecretPath path) {
        return secretDir(path).resolve(STAGE_INDEX);
    }

    private NumberedStages stages(SecretPath path, String operation) throws IOException {
        byte[] sealed;
        try {
            sealed = Files.readAllBytes(stageIndexFile(path));
        } catch (NoSuchFileException e) {
            return NumberedStages.of(name, path, Map.of(), operation);
        }
        byte[] plaintext = open(path, operation, sealed, stageIndexAssociatedData(path));
        try {
            return NumberedStages.of(name, path, JSON.readValue(plaintext, FIELDS), operation);
        } catch (IOException e) {
            throw new BackendUnavailableException(name, operation, path.value(), "stage index is not readable", null);
        } finally {
            Arrays.fill(plaintext, (byte) 0);
        }
    }

    /** Called with the store locked. */
    private void writeStages(SecretPath path, NumberedStages stages) throws IOException {
        byte[] plaintext = JSON.writeValueAsBytes(stages.entries());
        try {
            writeAtomically(secretDir(path), stageIndexFile(path), key.seal(plaintext, stageIndexAssociatedData(path)));
        } finally {
            Arrays.fill(plaintext, (byte) 0);
        }
    }

    // ---- read / write --------------------------------------------------------------------------------------

    private SecretValue readVersion(SecretPath path, int version, String operation) throws IOException {
        byte[] sealed;
        try {
            sealed = Files.readAllBytes(versionFile(path, version));
        } catch (NoSuchFileException e) {
            throw new SecretNotFoundException(name, operation, path.value());
        }
        byte[] plaintext = open(path, operation, sealed, associatedData(path, version));
        try {
            return SecretValue.ofStrings(JSON.readValue(plaintext, FIELDS));
        } catch (IOException | IllegalArgumentException e) {
            // Authenticated but not parseable: a bug, not an attack. Jackson's message quotes input, so it is dropped.
            throw new BackendUnavailableException(name, operation, path.value(), "stored value is not readable", null);
        } finally {
            Arrays.fill(plaintext, (byte) 0);
        }
    }

    /** Verifies and decrypts a version or the stage index; the caller zeroes the result. */
    private byte[] open(SecretPath path, String operation, byte[] sealed, byte[] associatedData) {
        try {
            return key.open(sealed, associatedData);
        } catch (LocalKey.UnknownFormatException e) {
            throw new BackendUnavailableException(name, operation, path.value(), "stored value has an unknown format version", null);
        } catch (InvalidCipherTextException e) {
            // Wrong key, altered file, or a file moved from another path or version. No cause: nothing to add.
            throw new BackendUnavailableException(name, operation, path.value(), "stored value failed authentication", null);
        }
    }

    private byte[] serialise(SecretPath path, Map<String, String> fields) {
        try {
            return JSON.writeValueAsBytes(fields);
        } catch (JsonProcessingException e) {
            throw new BackendUnavailableException(name, "put", path.value(), "value could not be serialised", null);
        }
    }

    /** Runs {@code write} holding the in-process lock and the store's file lock. */
    private <T> T locked(BlockingCalls.Call<T> write) throws Exception {
        writeLock.lock();
        try {
            createPrivateDirectories(storeDir);
            try (FileChannel lockChannel = FileChannel.open(storeDir.resolve(LOCK_FILE), Set.of(
                            StandardOpenOption.CREATE, StandardOpenOption.WRITE), privateFile());
                    FileLock ignored = lockChannel.lock()) {
                return write.call();
            }
        } finally {
            writeLock.unlock();
        }
    }

    private void writeAtomically(Path dir, Path target, byte[] content) throws IOException {
        Path temp = Files.createTempFile(dir, ".", ".tmp", privateFile());
        try {
            try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                ByteBuffer buffer = ByteBuffer.wrap(content);
                while (buffer.hasRemaining()) {
                    channel.write(buffer);
                }
                channel.force(true);
            }
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    private void createPrivateDirectories(Path dir) throws IOException {
        if (Files.isDirectory(dir)) {
            return;
        }
        if (posix) {
            Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        } else {
            Files.createDirectories(dir);
        }
    }

    private FileAttribute<?>[] privateFile() {
        return posix
                ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"))}
                : new FileAttribute<?>[0];
    }

    // ---- async ---------------------------------------------------------------------------------------------

    private <T> Uni<T> blocking(String operation, SecretPath path, BlockingCalls.Call<T> call) {
        return calls.run(call, e -> {
            // Exception messages here are file paths at most, but a reason is all the caller needs.
            LOG.debugf("backend %s: %s %s failed: %s", name, operation, path, e.getClass().getSimpleName());
            return new BackendUnavailableException(name, operation, path.value(),
                    "store " + (operation.equals("read") || operation.startsWith("list") ? "could not be read" : "could not be written")
                            + " (" + e.getClass().getSimpleName() + ")", null);
        });
    }
}
