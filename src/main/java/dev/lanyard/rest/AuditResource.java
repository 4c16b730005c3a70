package dev.lanyard.rest;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import dev.lanyard.audit.chain.CanonicalForm;
import dev.lanyard.audit.chain.ChainVerifier;
import dev.lanyard.audit.chain.ChainedEvent;
import dev.lanyard.audit.chain.Checkpoint;
import dev.lanyard.audit.store.AuditArchive;
import dev.lanyard.audit.store.AuditQuery;
import dev.lanyard.audit.store.AuditStore;
import dev.lanyard.review.AuditReview;
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
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.security.SecurityRequirement;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/**
 * The auditors' view over HTTP: query, export, "who held what", verification and the public key that checks
 * checkpoints; signing a checkpoint now and archiving for administrators. What each needs and how it is recorded is
 * {@link AuditReview}'s; this class maps parameters and answers, and waits for each access on the request's virtual
 * thread ({@link Requests#awaited}).
 */
@Path("/v1/audit")
@Produces(MediaType.APPLICATION_JSON)
@SecurityRequirement(name = "bearer")
@Tag(name = "audit")
public class AuditResource {

    private final AuditReview review;

    AuditResource(AuditReview review) {
        this.review = review;
    }

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record EventPage(List<JsonNode> events, String next) {}

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
        List<ChainedEvent> page = Requests.awaited(review.events(Requests.access(request), query));
        String next = page.size() == query.limit() ? String.valueOf(page.getLast().seq()) : null;
        return new EventPage(page.stream().<JsonNode>map(ChainedEvent::toJson).toList(), next);
    }

    @GET
    @Path("/export")
    @Produces("application/x-ndjson")
    @RunOnVirtualThread
    @Operation(summary = "Export audit events as JSON Lines", description = "Same filters as /events, no paging; the format of docs/audit-chain.md")
    public Response export(@QueryParam("from") String from, @QueryParam("to") String to, @QueryParam("subject") String subject,
                           @QueryParam("path") String path, @QueryParam("operation") String operation,
                           @QueryParam("outcome") String outcome, @QueryParam("backend") String backend,
                           @QueryParam("lease_id") String leaseId, @QueryParam("request_id") String requestId,
                           @QueryParam("after") String after, @Context ContainerRequestContext request) {
        AuditQuery query = query(from, to, subject, path, operation, outcome, backend, leaseId, requestId, after, null);
        AuditReview.Export export = Requests.awaited(review.export(Requests.access(request), query));
        StreamingOutput body = output -> {
            BufferedWriter writer = new BufferedWriter(new OutputStreamWriter(output, StandardCharsets.UTF_8));
            export.writeTo(event -> writeLine(writer, event));
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
        String target = Identifiers.filter("path", path).filter(p -> p.indexOf('/') > 0)
                .orElseThrow(() -> new InvalidQueryException("path is required, as <backend>/<path>"));
        Instant start = instant("from", Optional.ofNullable(from)).orElseThrow(() -> new InvalidQueryException("from is required"));
        Optional<Instant> end = instant("to", Optional.ofNullable(to));
        String backend = Identifiers.backendFilter("path", target.substring(0, target.indexOf('/'))).orElseThrow();
        String within = target.substring(target.indexOf('/') + 1);
        Optional<String> wantedVersion = Identifiers.filter("version", version);
        Optional<String> lease = Identifiers.filter("lease_id", leaseId);
        List<AuditStore.Holding> holdings = Requests.awaited(review.holders(Requests.access(request), backend, within, wantedVersion,
                lease, start, end));
        return Map.of("holdings", holdings.stream().map(AuditResource::holding).toList());
    }

    @GET
    @Path("/public-key")
    @RunOnVirtualThread
    @Operation(summary = "The Ed25519 key that verifies checkpoints")
    public Map<String, String> publicKey(@Context ContainerRequestContext request) {
        AuditReview.PublicKey key = Requests.awaited(review.publicKey(Requests.access(request)));
        return Map.of("algorithm", "Ed25519", "key_id", key.keyId(), "public_key", Base64.getEncoder().encodeToString(key.key()));
    }

    @POST
    @Path("/verify")
    @RunOnVirtualThread
    @Operation(summary = "Verify the chain (whole, or the range from_seq..to_seq) against the signed checkpoints")
    public Verification verify(@QueryParam("from_seq") String fromSeq, @QueryParam("to_seq") String toSeq,
                               @Context ContainerRequestContext request) {
        Optional<Long> startAt = number("from_seq", Optional.ofNullable(fromSeq));
        Optional<Long> upTo = number("to_seq", Optional.ofNullable(toSeq));
        return verification(Requests.awaited(review.verify(Requests.access(request), startAt, upTo)));
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
        Optional<Checkpoint> signed = Requests.awaited(review.checkpointNow(Requests.access(request)));
        return signed.map(AuditResource::checkpoint).orElseGet(() -> Map.of("signed", false));
    }

    @POST
    @Path("/archive")
    @RunOnVirtualThread
    @Operation(summary = "Export and prune every event up to a signed checkpoint",
            description = "The segment is written to the archive directory with its checkpoint; what remains verifies from that checkpoint")
    public Map<String, Object> archive(@QueryParam("up_to_seq") String upToSeq, @Context ContainerRequestContext request) {
        long upTo = number("up_to_seq", Optional.ofNullable(upToSeq)).orElseThrow(() -> new InvalidQueryException("up_to_seq is required"));
        AuditArchive.Archived done = Requests.awaited(review.archive(Requests.access(request), upTo));
        return Map.of("archived", done.segment().toString(), "checkpoint", done.seal().toString(),
                "first_seq", done.firstSeq(), "up_to_seq", done.upToSeq(), "pruned", false);
    }

    private AuditQuery query(String from, String to, String subject, String path, String operation, String outcome,
                             String backend, String leaseId, String requestId, String after, String limit) {
        int size = number("limit", Optional.ofNullable(limit)).map(Long::intValue).orElse(100);
        if (size < 1 || size > AuditQuery.MAX_LIMIT) {
            throw new InvalidQueryException("limit must be between 1 and " + AuditQuery.MAX_LIMIT);
        }
        return new AuditQuery(instant("from", Optional.ofNullable(from)), instant("to", Optional.ofNullable(to)),
                Identifiers.filter("subject", subject), Identifiers.filter("path", path),
                Identifiers.filter("operation", operation), Identifiers.filter("outcome", outcome),
                Identifiers.backendFilter("backend", backend), Identifiers.filter("lease_id", leaseId).map(review::leaseHmac),
                Identifiers.filter("request_id", requestId), number("after", Optional.ofNullable(after)), size);
    }

    /** Instants the database can compare: years 1 to 9999, which covers every event Lanyard can have written. */
    private static final Instant EARLIEST = Instant.parse("0001-01-01T00:00:00Z");
    private static final Instant LATEST = Instant.parse("9999-12-31T23:59:59.999999999Z");

    private static Optional<Instant> instant(String name, Optional<String> text) {
        Optional<Instant> parsed;
        try {
            parsed = text.filter(t -> !t.isEmpty()).map(Instant::parse);
        } catch (DateTimeParseException e) {
            throw new InvalidQueryException(name + " must be an ISO-8601 instant such as 2026-11-23T10:00:00Z");
        }
        if (parsed.isPresent() && (parsed.get().isBefore(EARLIEST) || parsed.get().isAfter(LATEST))) {
            throw new InvalidQueryException(name + " must be between the years 1 and 9999");
        }
        return parsed;
    }

    private static Optional<Long> number(String name, Optional<String> text) {
        try {
            return text.filter(t -> !t.isEmpty()).map(Long::parseLong);
        } catch (NumberFormatException e) {
            throw new InvalidQueryException(name + " must be a whole number");
        }
    }

    private static void writeLine(BufferedWriter writer, ChainedEvent event) {
        try {
            writer.write(event.toJsonLine());
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
