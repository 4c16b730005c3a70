package dev.lanyard.backend.local;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lanyard.secret.Lease;
import dev.lanyard.secret.Secret;
import dev.lanyard.secret.SecretPath;
import dev.lanyard.secret.SecretRef;
import dev.lanyard.secret.SecretValue;
import dev.lanyard.secret.SecretVersion;
import dev.lanyard.spi.BackendCapability;
import dev.lanyard.spi.BackendException;
import dev.lanyard.spi.BackendHealth;
import dev.lanyard.spi.BackendUnavailableException;
import dev.lanyard.spi.BlockingCalls;
import dev.lanyard.spi.SecretBackend;
import dev.lanyard.spi.SecretNotFoundException;
import dev.lanyard.spi.UnsupportedBackendOperationException;
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
import java.time.Duration;
import java.time.InstantSource;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jboss.logging.Logger;

/**
 * The built-in encrypted store: static secrets with numbered versions (1, 2, 3, ...), like Vault's KV v2, kept
 * on local disk and encrypted with AES-256-GCM, so Lanyard runs with no external backend.
 *
 * <h2>Store layout</h2>
 * <pre>
 *   &lt;store-dir&gt;/.lock                              held while a version is written
 *   &lt;store-dir&gt;/&lt;sha256-hex of the path&gt;/&lt;n&gt;.enc    version n of that path: {@link LocalKey} sealed format
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
 * <p>Files are written to a temporary file in the same directory, flushed to disk, then moved into place with
 * {@link StandardCopyOption#ATOMIC_MOVE}: a reader sees a complete version or none. Files are mode 0600 and
 * directories 0700 where the filesystem supports POSIX permissions. Version numbers are assigned under an
 * in-process lock plus a file lock on {@code .lock}, so concurrent writers never reuse or overwrite a version.
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
    public Uni<Secret> read(SecretPath path, Optional<String> version) {
        OptionalInt number;
        try {
            number = version.isPresent() ? OptionalInt.of(SecretVersion.parse(version.get())) : OptionalInt.empty();
        } catch (IllegalArgumentException e) {
            return Uni.createFrom().failure(e);
        }
        return blocking("read", path, () -> {
            int actual = number.isPresent() ? number.getAsInt()
                    : latestVersion(secretDir(path)).orElseThrow(() -> new SecretNotFoundException(name, "read", path.value()));
            byte[] sealed;
            try {
                sealed = Files.readAllBytes(versionFile(path, actual));
            } catch (NoSuchFileException e) {
                throw new SecretNotFoundException(name, "read", path.value());
            }
            SecretValue value = unseal(path, actual, sealed);
            // Static values carry no lease; the broker decides how long to cache them.
            Lease lease = Lease.of(null, clock.instant(), Duration.ZERO, false);
            return new Secret(new SecretRef(name, path), value, Optional.of(String.valueOf(actual)), lease);
        });
    }

    /**
     * Stores {@code data} as the next version of {@code path} (version 1 for a new path).
     *
     * @return the new version id
     */
    public Uni<String> write(SecretPath path, Map<String, String> data) {
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(data, "data");
        // Copied now, on the caller's thread, so later changes to the caller's map cannot race the write.
        Map<String, String> fields = new LinkedHashMap<>();
        for (Map.Entry<String, String> field : data.entrySet()) {
            if (field.getKey() == null || field.getValue() == null) {
                return Uni.createFrom().failure(new IllegalArgumentException("field names and values must not be null"));
            }
            fields.put(field.getKey(), field.getValue());
        }
        return blocking("write", path, () -> String.valueOf(writeVersion(path, fields)));
    }

    @Override
    public Uni<Secret> issue(SecretPath rolePath) {
        return Uni.createFrom().failure(new UnsupportedBackendOperationException(name, "issue", rolePath.value()));
    }

    @Override
    public Uni<Lease> renew(String leaseId, Duration increment) {
        // The local store issues no leases; the id is a bearer handle, so it is not echoed.
        return Uni.createFrom().failure(new UnsupportedBackendOperationException(name, "renew", "lease:?"));
    }

    @Override
    public Uni<Void> revoke(String leaseId) {
        return Uni.createFrom().failure(new UnsupportedBackendOperationException(name, "revoke", "lease:?"));
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

    // ---- layout --------------------------------------------------------------------------------------------

    Path secretDir(SecretPath path) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(path.value().getBytes(StandardCharsets.UTF_8));
            return storeDir.resolve(java.util.HexFormat.of().formatHex(digest));
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
        if (!Files.isDirectory(dir)) {
            return OptionalInt.empty();
        }
        int latest = 0;
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
            for (Path entry : entries) {
                Matcher matcher = VERSION_FILE.matcher(entry.getFileName().toString());
                if (matcher.matches()) {
                    latest = Math.max(latest, Integer.parseInt(matcher.group(1)));
                }
            }
        } catch (NoSuchFileException e) {
            return OptionalInt.empty();
        }
        return latest == 0 ? OptionalInt.empty() : OptionalInt.of(latest);
    }

    /** Versions are positive decimal integers; anything else is a malformed request, as for the Vault backend. */
    // ---- read / write --------------------------------------------------------------------------------------

    private SecretValue unseal(SecretPath path, int version, byte[] sealed) {
        byte[] plaintext;
        try {
            plaintext = key.open(sealed, associatedData(path, version));
        } catch (LocalKey.UnknownFormatException e) {
            throw new BackendUnavailableException(name, "read", path.value(), "stored value has an unknown format version", null);
        } catch (org.bouncycastle.crypto.InvalidCipherTextException e) {
            // Wrong key, altered file, or a file moved from another path or version. No cause: nothing to add.
            throw new BackendUnavailableException(name, "read", path.value(), "stored value failed authentication", null);
        }
        try {
            return SecretValue.ofStrings(JSON.readValue(plaintext, FIELDS));
        } catch (IOException e) {
            // Authenticated but not parseable: a bug, not an attack. Jackson's message quotes input, so it is dropped.
            throw new BackendUnavailableException(name, "read", path.value(), "stored value is not readable", null);
        } finally {
            Arrays.fill(plaintext, (byte) 0);
        }
    }

    private int writeVersion(SecretPath path, Map<String, String> fields) throws IOException {
        byte[] plaintext;
        try {
            plaintext = JSON.writeValueAsBytes(fields);
        } catch (JsonProcessingException e) {
            throw new BackendUnavailableException(name, "write", path.value(), "value could not be serialised", null);
        }
        writeLock.lock();
        try {
            createPrivateDirectories(storeDir);
            try (FileChannel lockChannel = FileChannel.open(storeDir.resolve(LOCK_FILE), Set.of(
                            StandardOpenOption.CREATE, StandardOpenOption.WRITE), privateFile());
                    FileLock ignored = lockChannel.lock()) {
                Path dir = secretDir(path);
                createPrivateDirectories(dir);
                int version = latestVersion(dir).orElse(0) + 1;
                if (version > MAX_VERSION) {
                    throw new BackendUnavailableException(name, "write", path.value(), "no versions left for this path", null);
                }
                byte[] sealed = key.seal(plaintext, associatedData(path, version));
                Path target = dir.resolve(version + SUFFIX);
                if (Files.exists(target)) {
                    // Unreachable while the lock holds; refuse rather than replace an existing version.
                    throw new FileAlreadyExistsException(target.toString());
                }
                writeAtomically(dir, target, sealed);
                return version;
            }
        } finally {
            writeLock.unlock();
            Arrays.fill(plaintext, (byte) 0);
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
                    "store " + (operation.equals("write") ? "could not be written" : "could not be read")
                            + " (" + e.getClass().getSimpleName() + ")", null);
        });
    }
}
