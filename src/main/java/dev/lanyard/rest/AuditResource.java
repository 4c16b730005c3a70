package dev.lanyard.rest;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import dev.lanyard.audit.AuditArchive;
import dev.lanyard.audit.AuditCheckpoints;
import dev.lanyard.audit.AuditConfig;
import dev.lanyard.audit.AuditEvent;
import dev.lanyard.audit.AuditLog;
import dev.lanyard.audit.AuditQuery;
import dev.lanyard.audit.AuditStore;
import dev.lanyard.audit.AuditVerification;
import dev.lanyard.audit.InvalidAuditRequestException;
import dev.lanyard.audit.CanonicalForm;
import dev.lanyard.audit.ChainVerifier;
import dev.lanyard.audit.ChainedEvent;
import dev.lanyard.audit.Checkpoint;
import dev.lanyard.audit.LeaseFingerprint;
import dev.lanyard.broker.AccessContext;
import dev.lanyard.broker.AccessDeniedException;
import dev.lanyard.broker.Classified;
import dev.lanyard.policy.Capability;
import dev.lanyard.policy.PolicyEngine;
import io.smallrye.common.annotation.RunOnVirtualThread;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.StreamingOutput;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Instant;
import java.time.InstantSource;
import java.time.format.DateTimeParseException;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.security.SecurityRequirement;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/**
 * The auditors' view: query, export, "who held what", verification and the public key that checks checkpoints.
 * Reading needs {@code audit:read} on {@code audit/<resource>}; signing a checkpoint now and archiving need
 * {@code admin}. Every call, allowed or not, is itself audited.
 */
@Path("/v1/audit")
@Produces(MediaType.APPLICATION_JSON)
@SecurityRequirement(name = "bearer")
@Tag(name = "audit")
public class AuditResource {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final AuditStore store;
    private final AuditCheckpoints checkpoints;
    private final AuditVerification verification;
    private final AuditArchive archive;
    private final AuditLog audit;
    private final PolicyEngine policy;
    private final LeaseFingerprint fingerprint;
    private final AuditConfig config;
    private final InstantSource clock;

    AuditResource(AuditStore store, AuditCheckpoints checkpoints, AuditVerification verification, AuditArchive archive,
                  AuditLog audit, PolicyEngine policy, LeaseFingerprint fingerprint, AuditConfig config, InstantSource clock) {
        this.store = store;
        this.checkpoints = checkpoints;
        this.verification = verification;
        this.archive = archive;
        this.audit = audit;
        this.policy = policy;
        this.fingerprint = fingerprint;
        this.config = config;
        this.clock = clock;
    }

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record EventPage(List<Map<String, Object>> events, String next) {}

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Verification(boolean valid, long verifiedUpTo, Long firstBadSeq, String reason, String summary,
                               Map<String, Object> checkpoint) {}

    @GET
    @Path("/events")
    @RunOnVirtualThread
    @Operation(summary = "Query audit events", description = "Filters combine with AND; page with ?after=<next>")
    public EventPage events(@QueryParam("from") String from, @QueryParam("to") String to, @QueryParam("subject") String subject,
                            @QueryParam("path") String path, @QueryParam("operation") String operation,
                            @QueryParam("outcome") String outcome, @QueryParam("backend") String backend,
                            @QueryParam("lease_id") String leaseId, @QueryParam("request_id") String requestId,
                            @QueryParam("after") String after, @QueryParam("limit") String limit,
                            @Context ContainerRequestContext request) {
        AuditQuery query = query(from, to, subject, path, operation, outcome, backend, leaseId, requestId, after, limit);
        return audited(request, Capability.AUDIT_READ, "audit.query", "events", () -> {
            List<ChainedEvent> page = store.page(query);
            String next = page.size() == query.limit() ? String.valueOf(page.getLast().seq()) : null;
            return new EventPage(page.stream().map(AuditResource::exported).toList(), next);
        });
    }

    @GET
    @Path("/export")
    @Produces("application/x-ndjson")
    @RunOnVirtualThread
    @Operation(summary = "Export audit events as JSON Lines", description = "Same filters as /events, no paging; the format of docs/audit-chain.md")
    public Response export(@QueryParam("from") String from, @QueryParam("to") String to, @QueryParam("subject") String subject,
                           @QueryParam("path") String path, @QueryParam("operation") String operation,
                           @QueryParam("outcome") String outcome, @QueryParam("backend") String backend,
                           @QueryParam("after") String after, @Context ContainerRequestContext request) {
        AuditQuery query = query(from, to, subject, path, operation, outcome, backend, null, null, after, null);
        audited(request, Capability.AUDIT_READ, "audit.export", "export", () -> null);
        StreamingOutput body = output -> {
            BufferedWriter writer = new BufferedWriter(new OutputStreamWriter(output, StandardCharsets.UTF_8));
            store.export(query, event -> writeLine(writer, event));
            writer.flush();
        };
        return Response.ok(body, "application/x-ndjson").build();
    }

    @GET
    @Path("/holders")
    @RunOnVirtualThread
    @Operation(summary = "Who held credentials for a path, lease or version in a time window")
    public Map<String, Object> holders(@QueryParam("path") String path, @QueryParam("from") String from,
                                       @QueryParam("to") String to, @QueryParam("version") String version,
                                       @QueryParam("lease_id") String leaseId, @Context ContainerRequestContext request) {
        if (path == null || !path.contains("/")) {
            throw new InvalidQueryException("path is required, as <backend>/<path>");
        }
        Instant start = instant("from", Optional.ofNullable(from)).orElseThrow(() -> new InvalidQueryException("from is required"));
        Instant end = instant("to", Optional.ofNullable(to)).orElseGet(clock::instant);
        String backend = path.substring(0, path.indexOf('/'));
        String within = path.substring(path.indexOf('/') + 1);
        return audited(request, Capability.AUDIT_READ, "audit.holders", "holders", () -> Map.of("holdings",
                store.holders(backend, within, Optional.ofNullable(version), Optional.ofNullable(leaseId).map(fingerprint::of),
                        start, end).stream().map(AuditResource::holding).toList()));
    }

    @GET
    @Path("/public-key")
    @Operation(summary = "The Ed25519 key that verifies checkpoints")
    public Map<String, String> publicKey() {
        // Public by nature, but still behind authentication like every /v1 endpoint.
        return Map.of("algorithm", "Ed25519", "key_id", checkpoints.keyId(),
                "public_key", Base64.getEncoder().encodeToString(checkpoints.publicKey()));
    }

    @POST
    @Path("/verify")
    @RunOnVirtualThread
    @Operation(summary = "Verify the chain (whole, or the range from_seq..to_seq) against the signed checkpoints")
    public Verification verify(@QueryParam("from_seq") String fromSeq, @QueryParam("to_seq") String toSeq,
                               @Context ContainerRequestContext request) {
        Optional<Long> startAt = number("from_seq", Optional.ofNullable(fromSeq));
        Optional<Long> upTo = number("to_seq", Optional.ofNullable(toSeq));
        return audited(request, Capability.AUDIT_READ, "audit.verify", "verify",
                () -> verification(verification.verify(startAt, upTo)));
    }

    private static Verification verification(ChainVerifier.Result result) {
        Checkpoint newest = result.newestCheckpoint();
        return new Verification(result.valid(), result.verifiedUpTo(), result.firstBadSeq(), result.reason(),
                result.summary(), newest == null ? null : checkpoint(newest));
    }

    @POST
    @Path("/checkpoints")
    @RunOnVirtualThread
    @Operation(summary = "Sign the current chain head now")
    public Map<String, Object> checkpointNow(@Context ContainerRequestContext request) {
        return audited(request, Capability.ADMIN, "audit.checkpoint", "checkpoints", () -> {
            Optional<Checkpoint> signed = checkpoints.checkpoint().await().indefinitely();
            return signed.map(AuditResource::checkpoint).orElseGet(() -> Map.of("signed", false));
        });
    }

    @POST
    @Path("/archive")
    @RunOnVirtualThread
    @Operation(summary = "Export and prune every event up to a signed checkpoint",
            description = "The segment is written to the archive directory with its checkpoint; what remains verifies from that checkpoint")
    public Map<String, Object> archive(@QueryParam("up_to_seq") String upToSeq, @Context ContainerRequestContext request) {
        long upTo = number("up_to_seq", Optional.ofNullable(upToSeq)).orElseThrow(() -> new InvalidQueryException("up_to_seq is required"));
        // The event recording the archive names the segment's end: the owner's prune requires exactly that event.
        return audited(request, Capability.ADMIN, "audit.archive", AuditArchive.target(upTo), () -> {
            AuditArchive.Archived done = archive.archive(upTo);
            return Map.of("archived", done.segment().toString(), "checkpoint", done.seal().toString(),
                    "first_seq", done.firstSeq(), "up_to_seq", done.upToSeq(), "pruned", false);
        });
    }

    /** Authorises, runs, and audits the outcome before anything is returned; a denial is audited too. */
    private <T> T audited(ContainerRequestContext request, Capability capability, String operation, String resource, Supplier<T> action) {
        AccessContext access = Requests.access(request);
        String path = "audit/" + resource;
        T result = null;
        RuntimeException failure = null;
        if (!policy.allows(access.caller(), capability, path)) {
            failure = new AccessDeniedException(capability.spelling(), path);
        } else {
            try {
                result = action.get();
            } catch (RuntimeException e) {
                failure = e;
            }
        }
        Classified outcome = failure instanceof InvalidQueryException || failure instanceof InvalidAuditRequestException
                ? new Classified(400, "INVALID_QUERY", AuditEvent.Outcome.INVALID, failure.getMessage())
                : Classified.of(failure);
        audit.append(new AuditEvent(clock.instant(), access.requestId(), access.caller().subject(), operation, "audit",
                resource, null, null, outcome.outcome(), outcome.status(), outcome.code(), access.clientAddress()))
                .await().indefinitely();
        if (failure != null) {
            // Rethrown as already audited, so the problem mapper does not write a second row.
            throw failure instanceof InvalidQueryException || failure instanceof InvalidAuditRequestException
                    ? new AuditedProblem(outcome) : failure;
        }
        return result;
    }

    private AuditQuery query(String from, String to, String subject, String path, String operation, String outcome,
                             String backend, String leaseId, String requestId, String after, String limit) {
        int size = number("limit", Optional.ofNullable(limit)).map(Long::intValue).orElse(100);
        if (size < 1 || size > AuditQuery.MAX_LIMIT) {
            throw new InvalidQueryException("limit must be between 1 and " + AuditQuery.MAX_LIMIT);
        }
        return new AuditQuery(instant("from", Optional.ofNullable(from)), instant("to", Optional.ofNullable(to)),
                Optional.ofNullable(subject), Optional.ofNullable(path), Optional.ofNullable(operation),
                Optional.ofNullable(outcome), Optional.ofNullable(backend), Optional.ofNullable(leaseId).map(fingerprint::of),
                Optional.ofNullable(requestId), number("after", Optional.ofNullable(after)), size);
    }

    private static Optional<Instant> instant(String name, Optional<String> text) {
        try {
            return text.filter(t -> !t.isEmpty()).map(Instant::parse);
        } catch (DateTimeParseException e) {
            throw new InvalidQueryException(name + " must be an ISO-8601 instant such as 2026-11-23T10:00:00Z");
        }
    }

    private static Optional<Long> number(String name, Optional<String> text) {
        try {
            return text.filter(t -> !t.isEmpty()).map(Long::parseLong);
        } catch (NumberFormatException e) {
            throw new InvalidQueryException(name + " must be a whole number");
        }
    }

    static Map<String, Object> exported(ChainedEvent e) {
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("seq", e.seq());
        line.put("hash", HexFormat.of().formatHex(e.hash()));
        line.put("occurred_at", CanonicalForm.timestamp(e.occurredAt()));
        line.put("request_id", e.requestId());
        line.put("subject", e.subject());
        line.put("operation", e.operation());
        line.put("backend", e.backend());
        line.put("path", e.path());
        line.put("version", e.version());
        line.put("lease_hmac", e.leaseHmac());
        line.put("outcome", e.outcome());
        line.put("status", e.status());
        line.put("error_code", e.errorCode());
        line.put("client_address", e.clientAddress());
        return line;
    }

    private static void writeLine(BufferedWriter writer, ChainedEvent event) {
        try {
            writer.write(JSON.writeValueAsString(exported(event)));
            writer.write('\n');
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Map<String, Object> holding(AuditStore.Holding h) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("subject", h.subject());
        out.put("kind", h.kind());
        if (h.leaseHmac() != null) {
            out.put("lease_hmac", h.leaseHmac());
        }
        if (h.version() != null) {
            out.put("version", h.version());
        }
        out.put("from", h.from().toString());
        out.put("until", h.until().toString());
        return out;
    }

    private static Map<String, Object> checkpoint(Checkpoint c) {
        return Map.of("seq", c.seq(), "hash", HexFormat.of().formatHex(c.hash()), "signed_at",
                CanonicalForm.timestamp(c.signedAt()), "key_id", c.keyId());
    }
}
