package dev.lanyard.rest;

import dev.lanyard.access.AccessContext;
import dev.lanyard.access.AuditedAccess;
import dev.lanyard.audit.AuditOperation;
import dev.lanyard.audit.Target;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import dev.lanyard.auth.ApiToken;
import dev.lanyard.auth.ApiTokenService;
import dev.lanyard.auth.UnknownTokenException;
import dev.lanyard.policy.Capability;
import io.smallrye.mutiny.Uni;
import jakarta.validation.Valid;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Positive;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.security.SecurityRequirement;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/**
 * API tokens as an administrator manages them: issue (the token is shown once), list, revoke (final). Each needs
 * {@code token:admin} on {@code lanyard/tokens/<name>} (listing: on {@code lanyard/tokens}, and it shows only the
 * tokens the caller may manage); every call is audited.
 */
@Path("/v1/tokens")
@Produces(MediaType.APPLICATION_JSON)
@SecurityRequirement(name = "bearer")
@Tag(name = "tokens")
public class TokenResource {

    static final String ID = "[0-9a-f]{16}";
    static final String NAME = "[A-Za-z0-9_.-]{1,64}";
    static final long MAX_TTL = 31_536_000;

    private final ApiTokenService tokens;
    private final AuditedAccess audited;

    TokenResource(ApiTokenService tokens, AuditedAccess audited) {
        this.tokens = tokens;
        this.audited = audited;
    }

    /**
     * @param name       the identity the token stands for; policies bind {@code token:<name>}
     * @param ttlSeconds lifetime; none means until revoked
     */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record IssueRequest(@NotNull @Pattern(regexp = NAME) String name, @Positive @Max(MAX_TTL) Long ttlSeconds) {}

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record TokenView(String id, String name, Instant createdAt, String createdBy, Instant expiresAt,
                            Instant revokedAt, String revokedBy, String token) {
        static TokenView of(ApiToken t, String secret) {
            return new TokenView(t.id(), t.name(), t.createdAt(), t.createdBy(), t.expiresAt(), t.revokedAt(), t.revokedBy(), secret);
        }

        @Override
        public String toString() {
            return "TokenView[id=" + id + ", name=" + name + ", token=" + (token == null ? "none" : "(masked)") + "]";
        }
    }

    public record TokenList(List<TokenView> tokens) {}

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(summary = "Issue an API token", description = "The token is in this response only; Lanyard keeps its hash")
    public Uni<Response> issue(@Valid @NotNull IssueRequest body, @Context ContainerRequestContext request) {
        return audited.run(Requests.access(request), Capability.TOKEN_ADMIN, AuditOperation.TOKEN_ISSUE, Target.token(body.name()), 201,
                        () -> tokens.issue(body.name(), Optional.ofNullable(body.ttlSeconds()).map(Duration::ofSeconds),
                                Requests.access(request).caller().subject()))
                .map(issued -> Response.status(201).entity(TokenView.of(issued.token(), issued.secret())).build());
    }

    @GET
    @Operation(summary = "List the API tokens the caller may manage (never their secrets)")
    public Uni<TokenList> list(@Context ContainerRequestContext request) {
        AccessContext access = Requests.access(request);
        return audited.run(access, Capability.TOKEN_ADMIN, AuditOperation.TOKEN_LIST, Target.tokens(), 200,
                () -> tokens.list().map(all -> new TokenList(all.stream().filter(t -> manages(access, t))
                        .map(t -> TokenView.of(t, null)).toList())));
    }

    @DELETE
    @Path("/{id}")
    @Operation(summary = "Revoke an API token", description = "Final: a revoked token never works again")
    public Uni<Response> revoke(@PathParam("id") String id, @Context ContainerRequestContext request) {
        if (!id.matches(ID)) {
            throw new InvalidQueryException("a token id is 16 lower-case hex digits");
        }
        AccessContext access = Requests.access(request);
        // A caller who administers no tokens at all is refused as such (403, naming nothing). For a token administrator,
        // unknown ids, revoked tokens and tokens it may not manage look alike: 404, naming nothing. Audited either way.
        return audited.perform(access, AuditOperation.TOKEN_REVOKE, Target.token(id), 204, () -> {
            audited.authorize(access, Capability.TOKEN_ADMIN, "lanyard/tokens");
            return tokens.find(id).chain(found -> {
                Optional<ApiToken> manageable = found.filter(t -> t.revokedAt() == null).filter(t -> manages(access, t));
                if (manageable.isEmpty()) {
                    return Uni.createFrom().failure(new UnknownTokenException());
                }
                return tokens.revoke(id, access.caller().subject())
                        .replaceWith(new AuditedAccess.Performed<Void>(null, Target.token(manageable.get().name())));
            });
        }).map(ignored -> Response.noContent().build());
    }

    private boolean manages(AccessContext access, ApiToken token) {
        return audited.allows(access, Capability.TOKEN_ADMIN, "lanyard/tokens/" + token.name());
    }
}
