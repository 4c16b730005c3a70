package dev.lanyard.rest;

import dev.lanyard.broker.Broker;
import dev.lanyard.secret.SecretRef;
import dev.lanyard.secret.SecretValue;
import dev.lanyard.secret.Stage;
import dev.lanyard.secret.VersionSelector;
import io.smallrye.mutiny.Uni;
import jakarta.validation.Valid;
import jakarta.validation.constraints.NotNull;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.time.Duration;
import java.time.InstantSource;
import java.util.Optional;
import java.util.regex.Pattern;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.security.SecurityRequirement;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** Secrets and credentials over HTTP. Every call is authorised and audited by the broker; its refusals arrive recorded. */
@Path("/v1")
@Produces(MediaType.APPLICATION_JSON)
@SecurityRequirement(name = "bearer")
@Tag(name = "secrets")
public class SecretResource {

    /** A field of a secret, as {@code ?property=} names it. */
    static final String PROPERTY_RULE = "[A-Za-z0-9_.-]{1,128}";
    private static final Pattern PROPERTY = Pattern.compile(PROPERTY_RULE);

    private final Broker broker;
    private final InstantSource clock;

    SecretResource(Broker broker, InstantSource clock) {
        this.broker = broker;
        this.clock = clock;
    }

    @GET
    @Path("/secrets/{backend}/{path: .+}")
    @Operation(summary = "Read a static secret", description = "The current version, the one named by ?version= or the"
            + " one holding ?stage= (current, pending, previous or a custom stage); with ?property=, only that field")
    public Uni<GrantResponse> read(@PathParam("backend") String backend, @PathParam("path") String path,
                                   @QueryParam("version") String version, @QueryParam("stage") String stage,
                                   @QueryParam("property") String property, @Context ContainerRequestContext request) {
        SecretRef ref = Identifiers.secret(backend, path);
        boolean byVersion = version != null && !version.isEmpty();
        boolean byStage = stage != null && !stage.isEmpty();
        if (byVersion && byStage) {
            throw new InvalidQueryException("version and stage each select a version: give one of them");
        }
        VersionSelector wanted = byVersion ? VersionSelector.id(version)
                : byStage ? VersionSelector.stage(Stage.of(stage)) : VersionSelector.current();
        Optional<String> field = Optional.ofNullable(property).filter(p -> !p.isEmpty());
        if (field.isPresent() && !PROPERTY.matcher(field.get()).matches()) {
            throw new InvalidQueryException("property must be a field name: 1 to 128 characters of [A-Za-z0-9_.-]");
        }
        return broker.read(Requests.access(request), ref, wanted, field)
                .map(grant -> GrantResponse.of(grant, clock.instant()));
    }

    @PUT
    @Path("/secrets/{backend}/{path: .+}")
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(summary = "Write a new current version of a static secret",
            description = "Needs the write capability on the path and a backend that can write (KV v2, the local store, AWS)."
                    + " Cached copies on every replica are dropped and Kubernetes Secrets that reference it are refreshed.")
    public Uni<WriteResponse> write(@PathParam("backend") String backend, @PathParam("path") String path,
                                    @Valid @NotNull WriteRequest body, @Context ContainerRequestContext request) {
        SecretRef ref = Identifiers.secret(backend, path);
        SecretValue value = SecretValue.ofStrings(body.data());
        return broker.write(Requests.access(request), ref, value)
                .eventually(value::close)
                .map(WriteResponse::new);
    }

    @POST
    @Path("/creds/{backend}/{path: .+}")
    @Operation(summary = "Issue a leased credential", description = "For example a database login from database/creds/<role>")
    public Uni<GrantResponse> issue(@PathParam("backend") String backend, @PathParam("path") String path,
                                    @Context ContainerRequestContext request) {
        SecretRef ref = Identifiers.secret(backend, path);
        return broker.issue(Requests.access(request), ref)
                .map(grant -> GrantResponse.of(grant, clock.instant()));
    }

    @POST
    @Path("/leases/renew")
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(summary = "Renew a lease you hold")
    public Uni<LeaseResponse> renew(@Valid @NotNull LeaseRequest body, @Context ContainerRequestContext request) {
        return broker.renew(Requests.access(request), body.leaseId(),
                        Optional.ofNullable(body.increment()).map(Duration::ofSeconds))
                .map(lease -> LeaseResponse.of(body.leaseId(), lease));
    }

    @POST
    @Path("/leases/revoke")
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(summary = "Revoke a lease you hold; the credential stops working")
    public Uni<Response> revoke(@Valid @NotNull LeaseRequest body, @Context ContainerRequestContext request) {
        return broker.revoke(Requests.access(request), body.leaseId())
                .map(ignored -> Response.noContent().build());
    }
}
