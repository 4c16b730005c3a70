package dev.lanyard.rest;

import dev.lanyard.audit.AuditOperation;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import dev.lanyard.auth.RequestContext;
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
 * Every failure leaves as problem+json. Failures the broker produced were audited there; failures raised before
 * the broker ran (bad JSON, invalid paths, unknown routes) are audited here, so every request has its row.
 */
public class ProblemMappers {

    private static final Logger LOG = Logger.getLogger(ProblemMappers.class);
    private static final String MALFORMED = "the request body is not valid JSON of the expected shape";

    private final RestAudit audit;

    ProblemMappers(RestAudit audit) {
        this.audit = audit;
    }

    @ServerExceptionMapper
    public Uni<Response> unknownField(UnrecognizedPropertyException e, ContainerRequestContext request) {
        return auditedProblem(request, 400, "UNKNOWN_FIELD", "unknown field '" + safeName(e.getPropertyName()) + "'");
    }

    /** Wrong JSON types and shapes (an array where an object belongs, text for a number). */
    @ServerExceptionMapper
    public Uni<Response> mismatchedBody(MismatchedInputException e, ContainerRequestContext request) {
        return auditedProblem(request, 400, "MALFORMED_BODY", MALFORMED);
    }

    /** Syntax errors, duplicate keys (strict duplicate detection is on) and bodies past Jackson's nesting limits. */
    @ServerExceptionMapper
    public Uni<Response> malformedJson(JsonProcessingException e, ContainerRequestContext request) {
        return badBody(request, e);
    }

    @ServerExceptionMapper
    public Uni<Response> invalidPath(InvalidSecretPathException e, ContainerRequestContext request) {
        return auditedProblem(request, 400, "INVALID_PATH", e.getMessage());
    }

    @ServerExceptionMapper
    public Response alreadyAudited(AuditedProblem e, ContainerRequestContext request) {
        if (e.getCause() != null && "INTERNAL_ERROR".equals(e.classified().code())) {
            LOG.errorf(e.getCause(), "request %s failed unexpectedly", Requests.requestId(request));
        }
        return Problem.response(e.classified(), Requests.requestId(request));
    }

    @ServerExceptionMapper
    public Uni<Response> invalidQuery(InvalidQueryException e, ContainerRequestContext request) {
        return auditedProblem(request, 400, "INVALID_QUERY", e.getMessage());
    }

    @ServerExceptionMapper
    public Uni<Response> invalidBody(ConstraintViolationException e, ContainerRequestContext request) {
        String detail = e.getConstraintViolations().stream()
                .map(v -> lastNode(v.getPropertyPath().toString()) + " " + v.getMessage())
                .sorted().reduce((a, b) -> a + "; " + b).orElse("invalid request");
        return auditedProblem(request, 400, "INVALID_REQUEST", detail);
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
            Classified tooLarge = HttpEdge.bodyTooLarge();
            return auditedProblem(request, 413, tooLarge.code(), tooLarge.message());
        }
        Response.Status known = Response.Status.fromStatusCode(status);
        String code = known == null ? "HTTP_" + status : known.name().toUpperCase(Locale.ROOT);
        String detail = known == null ? "request refused" : known.getReasonPhrase().toLowerCase(Locale.ROOT);
        return auditedProblem(request, status, code, detail);
    }

    /** Broker failures: already audited with the operation they belong to. */
    @ServerExceptionMapper(priority = Priorities.USER + 100)
    public Response anything(Throwable e, ContainerRequestContext request) {
        Classified classified = Classified.of(e);
        if (classified.status() >= 500 && "INTERNAL_ERROR".equals(classified.code())) {
            LOG.errorf(e, "request %s failed unexpectedly", Requests.requestId(request));
        }
        return Problem.response(classified, Requests.requestId(request));
    }

    private Uni<Response> badBody(ContainerRequestContext request, JsonProcessingException e) {
        if (e instanceof JsonParseException && e.getOriginalMessage() != null && e.getOriginalMessage().startsWith("Duplicate field")) {
            return auditedProblem(request, 400, "DUPLICATE_FIELD", "a field appears more than once in the request body");
        }
        if (e instanceof StreamConstraintsException) {
            return auditedProblem(request, 400, "MALFORMED_BODY", "the request body is nested too deeply or has too long a value");
        }
        return auditedProblem(request, 400, "MALFORMED_BODY", MALFORMED);
    }

    private Uni<Response> unexpected(Throwable e, ContainerRequestContext request) {
        LOG.errorf(e, "request %s failed unexpectedly", Requests.requestId(request));
        return auditedProblem(request, 500, "INTERNAL_ERROR", "internal error");
    }

    private Uni<Response> auditedProblem(ContainerRequestContext request, int status, String code, String detail) {
        String requestId = Requests.requestId(request);
        RequestContext access = Requests.access(request);
        return audit.refusal(requestId, access, null, AuditOperation.REQUEST, RestAudit.refused(status, code, detail))
                .map(sent -> Problem.response(sent, requestId))
                .onFailure().recoverWithItem(failure -> Problem.response(Classified.of(failure), requestId));
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
