package dev.lanyard.backend.vault;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lanyard.backend.NumberedStages;
import dev.lanyard.secret.Lease;
import dev.lanyard.secret.Secret;
import dev.lanyard.secret.SecretPath;
import dev.lanyard.secret.SecretRef;
import dev.lanyard.secret.Stage;
import dev.lanyard.secret.VersionSelector;
import dev.lanyard.spi.NewVersion;
import dev.lanyard.spi.SecretNotFoundException;
import dev.lanyard.spi.StageMove;
import dev.lanyard.spi.VersionInfo;
import dev.lanyard.spi.WriteConflictException;
import io.github.jopenlibs.vault.VaultException;
import io.github.jopenlibs.vault.json.Json;
import io.github.jopenlibs.vault.json.JsonObject;
import io.github.jopenlibs.vault.response.LogicalResponse;
import io.github.jopenlibs.vault.response.VaultResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.InstantSource;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.TreeMap;

/**
 * Static secrets on a KV version 2 mount: versions under {@code <mount>/data/<path>}, stages in the secret's
 * {@code custom_metadata} under {@code <mount>/metadata/<path>} (see {@link NumberedStages}).
 *
 * <p>Writes are guarded twice: a new version is written with {@code options.cas} set to the version Lanyard last
 * saw, so a concurrent writer makes it fail instead of being overwritten; the metadata is written with
 * {@code metadata_cas} where the server offers it (OpenBao reports a {@code current_metadata_version}), so a racing
 * stage move fails the same way. HashiCorp Vault has no metadata check-and-set: there, two replicas moving one
 * secret's stages at the same moment are not told apart, and callers serialise them (the rotation engine's claim does).
 *
 * <p>Two writers putting to one secret at once never lose a version (the loser fails with
 * {@link WriteConflictException.Reason#CONCURRENT_WRITE}); callers that write one secret from several replicas
 * serialise their puts, as the rotation engine's claim does, so the stage records stay exact.
 *
 * <p>A plain read needs only read access to {@code <mount>/data/*}: the stage records come back with the version.
 * Writes and stage moves also read and update {@code <mount>/metadata/*}. Every method blocks; the backend runs
 * them on its virtual threads.
 */
final class KvV2Secrets {

    /** One version as KV v2 answered it; {@code fields} is null when it was deleted or destroyed. */
    private record Answer(int version, JsonNode fields, Map<String, String> custom, Optional<Instant> createdAt) {
        boolean readable() {
            return fields != null;
        }
    }

    /**
     * What {@code <mount>/metadata/<path>} says: the newest version number, the versions that can still be read with
     * when they were made, the custom metadata, and the metadata's own version where the server has one.
     */
    private record Metadata(int latest, TreeMap<Integer, Optional<Instant>> readable, Map<String, String> custom,
                            OptionalLong metadataVersion) {
        static final Metadata NONE = new Metadata(0, new TreeMap<>(), Map.of(), OptionalLong.of(0));
    }

    private final String backend;
    private final VaultSession session;
    private final VaultFailures failures;
    private final InstantSource clock;

    KvV2Secrets(String backend, VaultSession session, VaultFailures failures, InstantSource clock) {
        this.backend = backend;
        this.session = session;
        this.failures = failures;
        this.clock = clock;
    }

    /** @param requested the parsed id when {@code selector} is by id */
    Secret read(SecretPath path, VersionSelector selector, OptionalInt requested) throws VaultException, IOException {
        Answer answer;
        if (requested.isPresent()) {
            answer = data(path, requested, "read").orElseThrow(() -> notFound("read", path));
        } else {
            Stage stage = selector instanceof VersionSelector.ByStage byStage ? byStage.stage() : Stage.CURRENT;
            Answer latest = data(path, OptionalInt.empty(), "read").orElseThrow(() -> notFound("read", path));
            int holder = NumberedStages.of(backend, path, latest.custom(), "read").holder(stage, latest.version())
                    .orElseThrow(() -> notFound("read", path));
            answer = holder == latest.version() ? latest
                    : data(path, OptionalInt.of(holder), "read").orElseThrow(() -> notFound("read", path));
        }
        if (!answer.readable()) {
            // KV v2 answers a deleted or destroyed version with null data: for a reader it does not exist.
            throw notFound("read", path);
        }
        // Static values carry no lease; the broker decides how long to cache them.
        return new Secret(new SecretRef(backend, path), VaultResponses.fields(answer.fields()), Optional.of(String.valueOf(answer.version())),
                Lease.ofStaticValue(clock.instant()), answer.createdAt());
    }

    /** @param fields the new version's fields, copied from the caller's value */
    int put(SecretPath path, Map<String, String> fields, NewVersion version) throws VaultException, IOException {
        Metadata meta = metadata(path, "put").orElse(Metadata.NONE);
        NumberedStages stages = NumberedStages.of(backend, path, meta.custom(), "put");
        OptionalInt earlier = version.token().map(stages::versionPutWith).orElse(OptionalInt.empty());
        if (earlier.isPresent() && meta.readable().containsKey(earlier.getAsInt())) {
            // A retry of a put that wrote its version: the same value is the same put; finish its records.
            int number = earlier.getAsInt();
            Answer stored = data(path, earlier, "put").orElseThrow(() -> notFound("put", path));
            if (!stored.readable() || !VaultResponses.fieldMap(stored.fields()).equals(fields)) {
                throw new WriteConflictException(backend, "put", path.value(), WriteConflictException.Reason.TOKEN_REUSED);
            }
            if (!stages.putApplied(number, version.stage())) {
                writeMetadata(path, meta.custom(), stages.afterPut(number, version.stage()), meta.metadataVersion(), "put");
            }
            return number;
        }
        stages.checkPut(version.stage(), meta.latest(), "put");
        if (!stages.putNeedsRecords(version.stage(), version.token())) {
            return writeData(path, fields, meta.latest());
        }
        NumberedStages prepared = stages.prepared(meta.latest(), version.token());
        writeMetadata(path, meta.custom(), prepared, meta.metadataVersion(), "put");
        // Writing a version leaves the metadata's own version as it was: the next metadata write follows ours.
        OptionalLong afterOurs = meta.metadataVersion().isPresent()
                ? OptionalLong.of(meta.metadataVersion().getAsLong() + 1) : OptionalLong.empty();
        int number;
        try {
            number = writeData(path, fields, meta.latest());
        } catch (WriteConflictException lost) {
            // Someone else's version took the number ours was promised: put the records back as they were, so neither
            // a pin nor our token points at their version. Should that fail as well (a third writer), current stays
            // pinned where it was until Lanyard's next put, and a retry under this token is refused as reused rather
            // than claiming their version.
            try {
                writeMetadata(path, meta.custom(), stages, afterOurs, "put");
            } catch (RuntimeException | VaultException ignored) {
                // reported as the conflict below
            }
            throw lost;
        }
        writeMetadata(path, meta.custom(), prepared.afterPut(number, version.stage()), afterOurs, "put");
        return number;
    }

    void move(SecretPath path, StageMove move) throws VaultException, IOException {
        String operation = "move a stage of";
        Metadata meta = metadata(path, operation).filter(m -> !m.readable().isEmpty())
                .orElseThrow(() -> notFound(operation, path));
        Optional<NumberedStages> moved = NumberedStages.of(backend, path, meta.custom(), operation)
                .moved(move, meta.latest(), meta.readable()::containsKey, operation);
        if (moved.isPresent()) {
            writeMetadata(path, meta.custom(), moved.get(), meta.metadataVersion(), operation);
        }
    }

    List<VersionInfo> versions(SecretPath path) throws VaultException, IOException {
        String operation = "list versions of";
        Metadata meta = metadata(path, operation).filter(m -> !m.readable().isEmpty())
                .orElseThrow(() -> notFound(operation, path));
        NumberedStages stages = NumberedStages.of(backend, path, meta.custom(), operation);
        List<VersionInfo> versions = new ArrayList<>();
        meta.readable().forEach((number, created) -> versions.add(
                new VersionInfo(String.valueOf(number), created, stages.stagesOf(number, meta.latest()))));
        return versions;
    }

    // ---- KV v2 API ----------------------------------------------------------------------------------------

    /** The latest version, or the given one; empty when there is no such secret or version. */
    private Optional<Answer> data(SecretPath path, OptionalInt version, String operation) throws VaultException, IOException {
        String apiPath = dataPath(path) + (version.isPresent() ? "?version=" + version.getAsInt() : "");
        LogicalResponse response = session.client().logical().read(apiPath);
        int status = response.getRestResponse().getStatus();
        failures.mountAnswered(response, operation, path);
        JsonNode body = VaultResponses.parse(response).path("data");
        JsonNode metadata = body.path("metadata");
        if (status == 404) {
            // A deleted version is a 404 that still carries its metadata, custom metadata included.
            return metadata.has("version")
                    ? Optional.of(new Answer(metadata.path("version").asInt(), null, custom(metadata), Optional.empty()))
                    : Optional.empty();
        }
        failures.checkStatus(response, operation, path);
        boolean gone = body.path("data").isNull() || !metadata.path("deletion_time").asText("").isEmpty()
                || metadata.path("destroyed").asBoolean();
        return Optional.of(new Answer(metadata.path("version").asInt(), gone ? null : body.path("data"), custom(metadata),
                instant(metadata.path("created_time").asText(""))));
    }

    private Optional<Metadata> metadata(SecretPath path, String operation) throws VaultException, IOException {
        LogicalResponse response = session.client().logical().read(metadataPath(path));
        failures.mountAnswered(response, operation, path);
        if (response.getRestResponse().getStatus() == 404) {
            return Optional.empty();
        }
        failures.checkStatus(response, operation, path);
        JsonNode data = VaultResponses.parse(response).path("data");
        TreeMap<Integer, Optional<Instant>> readable = new TreeMap<>();
        data.path("versions").properties().forEach(entry -> {
            JsonNode state = entry.getValue();
            if (state.path("deletion_time").asText("").isEmpty() && !state.path("destroyed").asBoolean()) {
                readable.put(Integer.parseInt(entry.getKey()), instant(state.path("created_time").asText("")));
            }
        });
        OptionalLong metadataVersion = data.has("current_metadata_version")
                ? OptionalLong.of(data.path("current_metadata_version").asLong()) : OptionalLong.empty();
        return Optional.of(new Metadata(data.path("current_version").asInt(), readable, custom(data), metadataVersion));
    }

    /** Writes a version only if the newest is still {@code expectedLatest} (0: the secret has none yet). */
    private int writeData(SecretPath path, Map<String, String> fields, int expectedLatest) throws VaultException, IOException {
        JsonObject data = Json.object();
        fields.forEach(data::add);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("data", data);
        body.put("options", Json.object().add("cas", expectedLatest));
        LogicalResponse response = session.client().logical().write(dataPath(path), body);
        checkWrite(response, path);
        return VaultResponses.parse(response).path("data").path("version").asInt();
    }

    /** Replaces Lanyard's entries in the custom metadata, keeping everyone else's. */
    private void writeMetadata(SecretPath path, Map<String, String> custom, NumberedStages stages, OptionalLong expected,
                               String operation) throws VaultException {
        JsonObject entries = Json.object();
        stages.mergedInto(custom).forEach(entries::add);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("custom_metadata", entries);
        expected.ifPresent(version -> body.put("metadata_cas", version));
        LogicalResponse response = session.client().logical().write(metadataPath(path), body);
        if (isCheckAndSetFailure(response)) {
            throw new WriteConflictException(backend, operation, path.value(), WriteConflictException.Reason.CONCURRENT_WRITE);
        }
        failures.checkStatus(response, operation, path);
    }

    private void checkWrite(LogicalResponse response, SecretPath path) {
        if (isCheckAndSetFailure(response)) {
            throw new WriteConflictException(backend, "put", path.value(), WriteConflictException.Reason.CONCURRENT_WRITE);
        }
        failures.checkStatus(response, "put", path);
    }

    /** KV v2 refuses a stale {@code cas} or {@code metadata_cas} with a 400 naming check-and-set. */
    private static boolean isCheckAndSetFailure(VaultResponse response) {
        byte[] body = response.getRestResponse().getBody();
        return response.getRestResponse().getStatus() == 400 && body != null
                && new String(body, StandardCharsets.UTF_8).contains("check-and-set");
    }

    /** KV v2 serves values under {@code <mount>/data/<path>}; the driver's own rewriting matches exact paths only. */
    private static String dataPath(SecretPath path) {
        return path.mount() + "/data/" + path.withinMount();
    }

    private static String metadataPath(SecretPath path) {
        return path.mount() + "/metadata/" + path.withinMount();
    }

    private static Map<String, String> custom(JsonNode metadata) {
        Map<String, String> custom = new LinkedHashMap<>();
        metadata.path("custom_metadata").properties().forEach(e -> custom.put(e.getKey(), e.getValue().asText()));
        return custom;
    }

    private static Optional<Instant> instant(String text) {
        try {
            return text.isEmpty() ? Optional.empty() : Optional.of(Instant.parse(text));
        } catch (DateTimeParseException e) {
            return Optional.empty();
        }
    }

    private SecretNotFoundException notFound(String operation, SecretPath path) {
        return new SecretNotFoundException(backend, operation, path.value());
    }
}
