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

    /** Events per page when {@code limit} is not given. */
    static final long DEFAULT_LIMIT = 100;

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
                               Map<String, Object> checkpoint, Long legacyUpTo, List<String> notes) {}

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
        String[] target = holdingsTarget(path);
        Instant start = Identifiers.instant("from", from).orElseThrow(() -> new InvalidQueryException("from is required"));
        Optional<Instant> end = Identifiers.instant("to", to);
        String backend = target[0];
        String within = target[1];
        Optional<String> wantedVersion = Identifiers.filter("version", version);
        Optional<String> lease = Identifiers.filter("lease_id", leaseId);
        List<AuditStore.Holding> holdings = Requests.awaited(review.holders(Requests.access(request), backend, within, wantedVersion,
                lease, start, end));
        return Map.of("holdings", holdings.stream().map(AuditResource::holding).toList());
    }

    /** The backend and the path within it that {@code ?path=} of the holders query names (RequestRules.HOLDINGS_PATH). */
    static String[] holdingsTarget(String path) {
        String target = Identifiers.filter("path", path).filter(p -> p.indexOf('/') > 0)
                .orElseThrow(() -> new InvalidQueryException("path is required, as <backend>/<path>"));
        String backend = Identifiers.backendFilter("path", target.substring(0, target.indexOf('/'))).orElseThrow();
        return new String[] {backend, target.substring(target.indexOf('/') + 1)};
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
        Optional<Long> startAt = Identifiers.number("from_seq", fromSeq);
        Optional<Long> upTo = Identifiers.number("to_seq", toSeq);
        return verification(Requests.awaited(review.verify(Requests.access(request), startAt, upTo)));
    }

    private static Verification verification(ChainVerifier.Result result) {
        Checkpoint newest = result.newestCheckpoint();
        return new Verification(result.valid(), result.verifiedUpTo(), result.firstBadSeq(), result.reason(),
                result.summary(), newest == null ? null : checkpoint(newest), result.legacyUpTo(),
                result.notes().isEmpty() ? null : result.notes());
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
        long upTo = Identifiers.number("up_to_seq", upToSeq).orElseThrow(() -> new InvalidQueryException("up_to_seq is required"));
        AuditArchive.Archived done = Requests.awaited(review.archive(Requests.access(request), upTo));
        return Map.of("archived", done.segment().toString(), "checkpoint", done.seal().toString(),
                "first_seq", done.firstSeq(), "up_to_seq", done.upToSeq(), "pruned", false);
    }

    private AuditQuery query(String from, String to, String subject, String path, String operation, String outcome,
                             String backend, String leaseId, String requestId, String after, String limit) {
        long size = Identifiers.number("limit", limit).orElse(DEFAULT_LIMIT);
        if (size < 1 || size > AuditQuery.MAX_LIMIT) {
            throw new InvalidQueryException("limit must be between 1 and " + AuditQuery.MAX_LIMIT);
        }
        return new AuditQuery(Identifiers.instant("from", from), Identifiers.instant("to", to),
                Identifiers.filter("subject", subject), Identifiers.filter("path", path),
                Identifiers.filter("operation", operation), Identifiers.filter("outcome", outcome),
                Identifiers.backendFilter("backend", backend), Identifiers.filter("lease_id", leaseId).map(review::leaseHmac),
                Identifiers.filter("request_id", requestId), Identifiers.number("after", after), (int) size);
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
