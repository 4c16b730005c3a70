package dev.lanyard.k8s;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.lanyard.access.AccessContext;
import dev.lanyard.access.Refusal;
import dev.lanyard.access.Refused;
import dev.lanyard.auth.Caller;
import dev.lanyard.broker.Broker;
import dev.lanyard.broker.Grant;
import dev.lanyard.k8s.ExternalSecretSpec.DataEntry;
import dev.lanyard.k8s.ExternalSecretSpec.DataFrom;
import dev.lanyard.k8s.ExternalSecretSpec.RemoteRef;
import dev.lanyard.k8s.ExternalSecretStatus.SyncedVersion;
import dev.lanyard.secret.SecretRef;
import dev.lanyard.secret.SecretValue;
import dev.lanyard.secret.Stage;
import dev.lanyard.secret.VersionSelector;
import dev.lanyard.spi.BackendUnavailableException;
import io.smallrye.mutiny.TimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads one resource's values through the broker as the identity it names ({@code sa:<namespace>/<serviceAccountName>}),
 * so Lanyard's policies decide what a namespace may sync and every read is an audit event naming the resource. Each
 * distinct secret the resource names is read once; the broker's cache and single-flight make a wave over many
 * resources one backend call per distinct secret.
 */
final class BackendValues {

    static final String KIND = "ExternalSecret";
    private static final Duration READ_TIMEOUT = Duration.ofSeconds(30);
    private static final Pattern PLACEHOLDER = Pattern.compile("\\{\\{\\s*\\.([-._a-zA-Z0-9]+)\\s*}}");
    private static final ObjectMapper JSON = new ObjectMapper().configure(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true);

    /**
     * The Secret data the spec asks for, the version of each secret in it, the keys whose source answered "not found"
     * (absent from {@code data}), every secret read, and those of them that answered "not found".
     */
    record Fetched(Map<String, byte[]> data, List<SyncedVersion> versions, Set<String> missingKeys, Set<SecretRef> refs,
                   Set<SecretRef> missingRefs) {}

    private final Broker broker;
    private final ReadPacer pacer;
    private final RemovalGuard guard;

    /** @param guard told every answer, found or not found, so that it can judge removals */
    BackendValues(Broker broker, ReadPacer pacer, RemovalGuard guard) {
        this.broker = broker;
        this.pacer = pacer;
        this.guard = guard;
    }

    /** Every secret a spec reads that names a valid reference. */
    static Set<SecretRef> secrets(ExternalSecretSpec spec) {
        Set<SecretRef> refs = new LinkedHashSet<>();
        for (String reference : references(spec)) {
            int slash = reference.indexOf('/');
            try {
                refs.add(SecretRef.of(reference.substring(0, slash), reference.substring(slash + 1)));
            } catch (IllegalArgumentException invalid) {
                // reported as InvalidSpec when that resource reconciles
            }
        }
        return refs;
    }

    /** Every secret a spec reads, as the broker names them: what a change to one of them must refresh. */
    static Set<String> references(ExternalSecretSpec spec) {
        Set<String> refs = new LinkedHashSet<>();
        for (DataEntry entry : spec.dataEntries()) {
            if (entry.remoteRef() != null) {
                refs.add(entry.remoteRef().backend() + "/" + entry.remoteRef().path());
            }
        }
        for (DataFrom from : spec.dataFromEntries()) {
            if (from.extract() != null) {
                refs.add(from.extract().backend() + "/" + from.extract().path());
            }
        }
        return refs;
    }

    /** @throws SyncFailure when the values cannot all be read, or the spec cannot be served */
    Fetched fetch(ExternalSecret resource) {
        ExternalSecretSpec spec = resource.getSpec();
        AccessContext access = AccessContext.controller(
                Caller.serviceAccount(resource.getMetadata().getNamespace(), spec.serviceAccountName()),
                "sync-" + UUID.randomUUID());
        Map<Source, Optional<Map<String, String>>> read = new LinkedHashMap<>();
        List<SyncedVersion> versions = new ArrayList<>();
        Set<SecretRef> refs = new LinkedHashSet<>();
        for (DataFrom from : spec.dataFromEntries()) {
            if (from.find() != null) {
                throw new SyncFailure(Reason.InvalidSpec, "dataFrom.find is not supported yet: list the secrets with data or dataFrom.extract");
            }
        }
        List<RemoteRef> wanted = new ArrayList<>();
        spec.dataFromEntries().forEach(from -> wanted.add(from.extract()));
        spec.dataEntries().forEach(entry -> wanted.add(entry.remoteRef()));
        for (RemoteRef remote : wanted) {
            Source source = Source.of(remote);
            if (!read.containsKey(source)) {
                refs.add(source.ref());
                read.put(source, readOne(access, resource, source, versions));
            }
        }

        Map<String, byte[]> data = new TreeMap<>();
        Set<String> missing = new LinkedHashSet<>();
        for (DataFrom from : spec.dataFromEntries()) {
            Optional<Map<String, String>> fields = read.get(Source.of(from.extract()));
            // an extract that is gone contributes no keys; the keys it had are the ones the Secret loses
            fields.ifPresent(f -> f.forEach((k, v) -> data.put(k, bytes(v))));
        }
        for (DataEntry entry : spec.dataEntries()) {
            Optional<Map<String, String>> fields = read.get(Source.of(entry.remoteRef()));
            if (fields.isEmpty()) {
                data.remove(entry.secretKey());
                missing.add(entry.secretKey());
                continue;
            }
            data.put(entry.secretKey(), bytes(select(fields.get(), entry)));
        }
        boolean extractMissing = spec.dataFromEntries().stream().anyMatch(from -> read.get(Source.of(from.extract())).isEmpty());
        if (extractMissing) {
            missing.add("*");
        }
        Set<SecretRef> missingRefs = new LinkedHashSet<>();
        read.forEach((source, fields) -> {
            if (fields.isEmpty()) {
                missingRefs.add(source.ref());
            }
        });
        return new Fetched(render(spec.template(), data), versions, missing, refs, missingRefs);
    }

    private Optional<Map<String, String>> readOne(AccessContext access, ExternalSecret resource, Source source,
                                                  List<SyncedVersion> versions) {
        pacer.acquire(source.ref().backend());
        Grant grant;
        try {
            grant = broker.readFor(access, source.ref(), source.version(), KIND,
                    resource.getMetadata().getNamespace(), resource.getMetadata().getName()).await().atMost(READ_TIMEOUT);
        } catch (Refused refused) {
            if (refused.refusal() == Refusal.SECRET_NOT_FOUND) {
                guard.notFound(source.ref());
                return Optional.empty();
            }
            throw classify(refused, access.caller(), source);
        } catch (TimeoutException timeout) {
            throw new SyncFailure(Reason.BackendUnavailable, "the read of " + source.ref() + " timed out");
        }
        if (!grant.stale()) {
            guard.found(source.ref(), grant.secret().lease().issuedAt());
        }
        // The value belongs to the broker's cache: copy the fields out, never close it.
        SecretValue value = grant.secret().value();
        Map<String, String> fields = new TreeMap<>(value.reveal());
        versions.add(new SyncedVersion(source.ref().backend(), source.ref().path().value(), grant.secret().version().orElse(null)));
        return Optional.of(fields);
    }

    private static SyncFailure classify(Refused refused, Caller caller, Source source) {
        String what = source.ref().toString();
        return switch (refused.refusal()) {
            case ACCESS_DENIED -> new SyncFailure(Reason.Denied, "no Lanyard policy lets " + caller.subject() + " read " + what);
            case BACKEND_NOT_FOUND -> new SyncFailure(Reason.InvalidSpec, "no Lanyard backend is named " + source.ref().backend());
            case OPERATION_NOT_SUPPORTED -> new SyncFailure(Reason.InvalidSpec, what + " is not a static secret that can be read");
            case BACKEND_UNAVAILABLE -> new SyncFailure(Reason.BackendUnavailable, refused.getCause() instanceof BackendUnavailableException why
                    // the backend's own reason is safe by construction (SPI failures name operation, backend and path only)
                    ? "backend " + source.ref().backend() + " is unavailable for " + what + ": " + why.explanation()
                    : "backend " + source.ref().backend() + " did not answer for " + what);
            case AUDIT_UNAVAILABLE -> new SyncFailure(Reason.BackendUnavailable,
                    "the audit log cannot record reads right now, so nothing was read");
            case BACKEND_REJECTED, WRITE_CONFLICT -> new SyncFailure(Reason.SyncFailed,
                    "backend " + source.ref().backend() + " refused the read of " + what);
            case INVALID_PATH -> new SyncFailure(Reason.InvalidSpec, "invalid reference " + what);
            default -> new SyncFailure(Reason.SyncFailed, "the read of " + what + " failed");
        };
    }

    private static String select(Map<String, String> fields, DataEntry entry) {
        String property = entry.remoteRef().property();
        if (property != null) {
            String value = fields.get(property);
            if (value == null) {
                throw new SyncFailure(Reason.SyncFailed, entry.remoteRef().backend() + "/" + entry.remoteRef().path()
                        + " has no property " + property + " (for key " + entry.secretKey() + ")");
            }
            return value;
        }
        if (fields.size() == 1) {
            return fields.values().iterator().next();
        }
        try {
            return JSON.writeValueAsString(fields);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a map of strings always serialises", e);
        }
    }

    /** {@code template.data}, each value with {@code {{ .name }}} replaced by the fetched value of that name. */
    private static Map<String, byte[]> render(ExternalSecretSpec.Template template, Map<String, byte[]> fetched) {
        if (template == null || template.data() == null || template.data().isEmpty()) {
            return fetched;
        }
        Map<String, byte[]> rendered = new TreeMap<>();
        template.data().forEach((key, text) -> {
            Matcher placeholders = PLACEHOLDER.matcher(text);
            StringBuilder out = new StringBuilder();
            while (placeholders.find()) {
                byte[] value = fetched.get(placeholders.group(1));
                if (value == null) {
                    throw new SyncFailure(Reason.InvalidSpec, "template.data." + key + " names " + placeholders.group(1)
                            + ", which is not a fetched key");
                }
                placeholders.appendReplacement(out, Matcher.quoteReplacement(new String(value, StandardCharsets.UTF_8)));
            }
            placeholders.appendTail(out);
            if (out.indexOf("{{") >= 0) {
                throw new SyncFailure(Reason.InvalidSpec, "template.data." + key + ": only {{ .name }} placeholders are supported");
            }
            rendered.put(key, bytes(out.toString()));
        });
        return rendered;
    }

    private static byte[] bytes(String value) {
        return value.getBytes(StandardCharsets.UTF_8);
    }

    /** One secret at one version: what is read once per resource, however many keys come from it. */
    private record Source(SecretRef ref, VersionSelector version) {
        static Source of(RemoteRef remote) {
            SecretRef ref;
            VersionSelector version;
            try {
                ref = SecretRef.of(remote.backend(), remote.path());
                version = remote.version() == null ? VersionSelector.current() : selector(remote.version());
            } catch (IllegalArgumentException e) {
                throw new SyncFailure(Reason.InvalidSpec, "invalid reference " + remote.backend() + "/" + remote.path());
            }
            return new Source(ref, version);
        }

        /** A number or id names a version; a well-known stage label (current, previous, AWSPENDING …) a stage. */
        private static VersionSelector selector(String version) {
            Stage stage = Stage.of(version);
            return stage.isWellKnown() ? VersionSelector.stage(stage) : VersionSelector.id(version);
        }
    }
}
