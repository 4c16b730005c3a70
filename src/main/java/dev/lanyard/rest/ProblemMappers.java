package dev.lanyard.rest;

import dev.lanyard.access.AuditedAccess;
import dev.lanyard.access.Refusal;
import dev.lanyard.access.Refused;
import dev.lanyard.audit.AuditOperation;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import dev.lanyard.secret.InvalidSecretPathException;
import io.smallrye.mutiny.Uni;
import jakarta.validation.ConstraintViolationException;
import jakarta.ws.rs.Priorities;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.Response;
import java.util.Locale;
import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/**
 * Every failure leaves as problem+json. A {@link Refused} was recorded by the access it ended and is only rendered;
 * everything else was raised before any access ran (bad JSON, invalid paths, unknown routes) and is recorded here as a
 * refusal of the request, so every request has its one row.
 */
public class ProblemMappers {

    private static final Logger LOG = Logger.getLogger(ProblemMappers.class);

    private final AuditedAccess audited;

    ProblemMappers(AuditedAccess audited) {
        this.audited = audited;
    }

    @ServerExceptionMapper
    public Uni<Response> unknownField(UnrecognizedPropertyException e, ContainerRequestContext request) {
        return refuse(request, Refusal.UNKNOWN_FIELD, "unknown field '" + safeName(e.getPropertyName()) + "'");
    }

    /** Wrong JSON types and shapes (an array where an object belongs, text for a number). */
    @ServerExceptionMapper
    public Uni<Response> mismatchedBody(MismatchedInputException e, ContainerRequestContext request) {
        return refuse(request, Refusal.MALFORMED_BODY, null);
    }

    /** Syntax errors, duplicate keys (strict duplicate detection is on) and bodies past Jackson's nesting limits. */
    @ServerExceptionMapper
    public Uni<Response> malformedJson(JsonProcessingException e, ContainerRequestContext request) {
        return badBody(request, e);
    }

    @ServerExceptionMapper
    public Uni<Response> invalidPath(InvalidSecretPathException e, ContainerRequestContext request) {
        return refuse(request, Refusal.INVALID_PATH, e.getMessage());
    }

    /** The end of an access: its record is written (or could not be), so it is only answered. */
    @ServerExceptionMapper
    public Response refused(Refused e, ContainerRequestContext request) {
        if (e.unexpected()) {
            LOG.errorf(e.getCause(), "request %s failed unexpectedly", Requests.requestId(request));
        }
        return Problem.response(e, Requests.requestId(request));
    }

    @ServerExceptionMapper
    public Uni<Response> invalidQuery(InvalidQueryException e, ContainerRequestContext request) {
        return refuse(request, Refusal.INVALID_QUERY, e.getMessage());
    }

    @ServerExceptionMapper
    public Uni<Response> invalidBody(ConstraintViolationException e, ContainerRequestContext request) {
        String detail = e.getConstraintViolations().stream()
                .map(v -> lastNode(v.getPropertyPath().toString()) + " " + v.getMessage())
                .sorted().reduce((a, b) -> a + "; " + b).orElse("invalid request");
        return refuse(request, Refusal.INVALID_REQUEST, detail);
    }

    @ServerExceptionMapper
    public Uni<Response> http(WebApplicationException e, ContainerRequestContext request) {
        int status = e.getResponse().getStatus();
        if (status >= 500) {
            return unexpected(e, request);
        }
        if (e.getCause() instanceof JsonProcessingException json) {
            return badBody(request, json);
        }
        if (status == 413) {
            EdgeScreening.Rejection tooLarge = EdgeScreening.bodyTooLarge();
            return refuse(request, tooLarge.refusal(), tooLarge.detail());
        }
        Response.Status known = Response.Status.fromStatusCode(status);
        Refusal refusal = Refusal.forClientError(status);
        return refuse(request, refusal, known == null || refusal.status() != status ? null
                : known.getReasonPhrase().toLowerCase(Locale.ROOT));
    }

    /** A failure nothing anticipated, raised outside any access: recorded and answered as INTERNAL_ERROR. */
    @ServerExceptionMapper(priority = Priorities.USER + 100)
    public Uni<Response> anything(Throwable e, ContainerRequestContext request) {
        return unexpected(e, request);
    }

    private Uni<Response> badBody(ContainerRequestContext request, JsonProcessingException e) {
        if (e instanceof JsonParseException && e.getOriginalMessage() != null && e.getOriginalMessage().startsWith("Duplicate field")) {
            return refuse(request, Refusal.DUPLICATE_FIELD, null);
        }
        if (e instanceof StreamConstraintsException) {
            return refuse(request, Refusal.MALFORMED_BODY, "the request body is nested too deeply or has too long a value");
        }
        return refuse(request, Refusal.MALFORMED_BODY, null);
    }

    private Uni<Response> unexpected(Throwable e, ContainerRequestContext request) {
        LOG.errorf(e, "request %s failed unexpectedly", Requests.requestId(request));
        String requestId = Requests.requestId(request);
        return audited.refuseUnexpected(requestId, Requests.access(request), null, e)
                .map(sent -> Problem.response(sent, requestId));
    }

    private Uni<Response> refuse(ContainerRequestContext request, Refusal refusal, String detail) {
        String requestId = Requests.requestId(request);
        return audited.refuse(requestId, Requests.access(request), null, AuditOperation.REQUEST, refusal, detail)
                .map(sent -> Problem.response(sent, requestId));
    }

    private static String lastNode(String propertyPath) {
        int dot = propertyPath.lastIndexOf('.');
        return dot < 0 ? propertyPath : propertyPath.substring(dot + 1);
    }

    /** Field names come from the caller: keep them short and printable before echoing them. */
    private static String safeName(String name) {
        if (name == null) {
            return "?";
        }
        String cleaned = name.replaceAll("[^A-Za-z0-9_.-]", "?");
        return cleaned.length() > 64 ? cleaned.substring(0, 64) + "…" : cleaned;
    }
}
