package dev.lanyard.rest;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import dev.lanyard.access.AccessContext;
import dev.lanyard.access.AuditedAccess;
import dev.lanyard.audit.AuditOperation;
import dev.lanyard.audit.Target;
import dev.lanyard.policy.Capability;
import dev.lanyard.rotation.RotationRun;
import dev.lanyard.rotation.RotationSchedule;
import dev.lanyard.rotation.Rotations;
import dev.lanyard.rotation.RunStep;
import dev.lanyard.rotation.ScheduleSpec;
import dev.lanyard.secret.SecretRef;
import io.smallrye.common.annotation.RunOnVirtualThread;
import io.smallrye.mutiny.Uni;
import jakarta.validation.Valid;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Positive;
import jakarta.validation.constraints.PositiveOrZero;
import jakarta.validation.constraints.Size;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
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
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Supplier;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.security.SecurityRequirement;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/**
 * Rotation schedules and runs, as a security team manages them. Every operation needs {@code rotate} on the secret
 * the schedule rotates; declaring or changing a schedule also needs {@code read} on it and {@code read} and
 * {@code rotate} on every other secret its strategy reads (an administrator login), because a run uses those values:
 * {@code rotate} alone must not reach what {@code read} protects. Every call is audited (a schedule's events name the
 * declared target it logs in to), and no value ever appears in a request, an answer or an audit row.
 */
@Path("/v1/rotations")
@Produces(MediaType.APPLICATION_JSON)
@SecurityRequirement(name = "bearer")
@Tag(name = "rotations")
@RunOnVirtualThread
public class RotationResource {

    static final String ID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";
    static final String STRATEGY = "[a-z0-9-]{1,64}";
    /** Printable ASCII, as every rate and cron expression is; what it says is checked when the schedule is stored. */
    static final String SCHEDULE = "[\\x20-\\x7e]{1,100}";
    static final int MAX_SECRET = 600;
    static final int MAX_PARAMETERS = 32;
    static final long MAX_SECONDS = 31_536_000;

    private final Rotations rotations;
    private final AuditedAccess audited;

    RotationResource(Rotations rotations, AuditedAccess audited) {
        this.rotations = rotations;
        this.audited = audited;
    }

    /**
     * @param secret         {@code <backend>/<path>} of the secret to rotate (on create only; it cannot change)
     * @param strategy       {@code random}, {@code key-pair}, {@code postgres-single-user}, {@code postgres-alternating-users}
     * @param parameters     the strategy's parameters: references and policies only, never a value
     * @param schedule       {@code rate(<n> minutes|hours|days)} or a five-field cron expression (UTC)
     * @param windowSeconds  how long each window stays open; at least the run budget
     * @param jitterSeconds  a random delay of up to this much into the window before the run starts
     */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record ScheduleRequest(@Size(max = MAX_SECRET) String secret, @NotNull @Pattern(regexp = STRATEGY) String strategy,
                                  @Size(max = MAX_PARAMETERS) Map<String, Object> parameters,
                                  @NotNull @Pattern(regexp = SCHEDULE) String schedule,
                                  @NotNull @Positive @Max(MAX_SECONDS) Long windowSeconds,
                                  @PositiveOrZero @Max(MAX_SECONDS) Long jitterSeconds) {

        ScheduleSpec spec() {
            return new ScheduleSpec(strategy, parameters, schedule, Duration.ofSeconds(windowSeconds),
                    Duration.ofSeconds(jitterSeconds == null ? 0 : jitterSeconds));
        }
    }

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record ScheduleView(String id, String secret, String strategy, Map<String, Object> parameters, String schedule,
                               long windowSeconds, long jitterSeconds, boolean paused, Instant nextRunAt, String lastRunId,
                               String lastOutcome, Instant lastFinishedAt, Instant lastSuccessAt, String createdBy) {
        static ScheduleView of(RotationSchedule s) {
            return new ScheduleView(s.id(), s.secret().toString(), s.strategy(), s.parameters(), s.expression(),
                    s.window().toSeconds(), s.jitter().toSeconds(), s.paused(), s.nextRunAt().orElse(null),
                    s.lastRunId().orElse(null), s.lastOutcome().orElse(null), s.lastFinishedAt().orElse(null),
                    s.lastSuccessAt().orElse(null), s.createdBy());
        }
    }

    public record ScheduleList(List<ScheduleView> schedules) {}

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record StepView(String step, int attempt, String replica, Instant startedAt, Instant endedAt, String outcome,
                           String errorCode) {
        static StepView of(RunStep s) {
            return new StepView(s.step().spelling(), s.attempt(), s.replica(), s.startedAt(), s.endedAt().orElse(null),
                    s.outcome().orElse(null), s.errorCode().orElse(null));
        }
    }

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record RunView(String id, String scheduleId, String secret, String state, String step, int attempt,
                          String fromVersion, String pendingVersion, Instant testedAt, Instant notBefore, String errorCode,
                          String triggeredBy, Instant createdAt, Instant finishedAt, List<StepView> steps) {
        static RunView of(RotationRun r, List<RunStep> steps) {
            return new RunView(r.id(), r.scheduleId(), r.secret().toString(), r.state().spelling(), r.step().spelling(),
                    r.attempt(), r.fromVersion().orElse(null), r.pendingVersion().orElse(null), r.testedAt().orElse(null),
                    r.notBefore(), r.errorCode().orElse(null), r.triggeredBy(), r.createdAt(), r.finishedAt().orElse(null),
                    steps == null ? null : steps.stream().map(StepView::of).toList());
        }
    }

    public record RunList(List<RunView> runs) {}

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(summary = "Schedule the rotation of a secret", description = "Needs read and rotate on the secret and on "
            + "every other secret the strategy reads. Checked before it is stored: strategy and parameters (a database "
            + "strategy names a declared target, never a URL), the schedule, the window against the run budget, and that "
            + "the backend can stage the secret")
    public Response create(@Valid @NotNull ScheduleRequest body, @Context ContainerRequestContext request) {
        if (body.secret() == null) {
            throw new InvalidQueryException("secret is required: <backend>/<path>");
        }
        SecretRef secret = secret(body.secret());
        AccessContext access = Requests.access(request);
        RotationSchedule created = Requests.awaited(audited.perform(access, AuditOperation.ROTATION_SCHEDULE_CREATE,
                target(secret, "schedule"), 201, blocking(() -> {
                    mayReadAndRotate(access, secret, body.spec());
                    RotationSchedule schedule = rotations.create(secret, body.spec(), access.caller().subject());
                    return new AuditedAccess.Performed<>(schedule, scheduleTarget(schedule, body.spec()));
                })));
        return Response.status(201).entity(ScheduleView.of(created)).build();
    }

    @GET
    @Operation(summary = "List the schedules the caller may rotate, with their last and next run and last outcome")
    public ScheduleList list(@Context ContainerRequestContext request) {
        AccessContext access = Requests.access(request);
        // Everyone may list: the listing shows only the schedules the caller may rotate.
        return Requests.awaited(audited.perform(access, AuditOperation.ROTATION_LIST, Target.rotation("lanyard", "rotations", "list"), 200,
                blocking(() -> new AuditedAccess.Performed<>(new ScheduleList(rotations.schedules().stream()
                        .filter(s -> audited.allows(access, Capability.ROTATE, s.secret().toString()))
                        .map(ScheduleView::of).toList()), Target.rotation("lanyard", "rotations", "list")))));
    }

    @GET
    @Path("/{id}")
    @Operation(summary = "Read a schedule")
    public ScheduleView read(@PathParam("id") String id, @Context ContainerRequestContext request) {
        return onSchedule(id, request, AuditOperation.ROTATION_READ, 200, schedule -> ScheduleView.of(schedule));
    }

    @PUT
    @Path("/{id}")
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(summary = "Change a schedule's strategy, parameters, schedule, window or jitter (not its secret)",
            description = "Needs read and rotate on the secret and on every other secret the strategy reads")
    public ScheduleView update(@PathParam("id") String id, @Valid @NotNull ScheduleRequest body,
                                    @Context ContainerRequestContext request) {
        checkId(id);
        AccessContext access = Requests.access(request);
        Optional<RotationSchedule> found = rotations.schedule(id);
        return Requests.awaited(audited.perform(access, AuditOperation.ROTATION_SCHEDULE_UPDATE, scheduleTarget(id, found), 200,
                blocking(() -> {
                    RotationSchedule schedule = found.orElseGet(() -> {
                        // An unknown id is answered like a schedule the caller may not see (onSchedule).
                        audited.authorize(access, Capability.ROTATE, "lanyard/rotations/" + id);
                        return rotations.find(id);
                    });
                    mayReadAndRotate(access, schedule.secret(), body.spec());
                    if (body.secret() != null && !secret(body.secret()).equals(schedule.secret())) {
                        throw new InvalidQueryException("a schedule's secret cannot change: delete it and schedule the other secret");
                    }
                    RotationSchedule changed = rotations.update(schedule.id(), body.spec());
                    return new AuditedAccess.Performed<>(ScheduleView.of(changed), scheduleTarget(changed, body.spec()));
                })));
    }

    @POST
    @Path("/{id}/pause")
    @Operation(summary = "Pause a schedule: no window opens until it is resumed (a run in progress goes on)")
    public ScheduleView pause(@PathParam("id") String id, @Context ContainerRequestContext request) {
        return onSchedule(id, request, AuditOperation.ROTATION_SCHEDULE_PAUSE, 200, s -> ScheduleView.of(rotations.pause(s.id())));
    }

    @POST
    @Path("/{id}/resume")
    @Operation(summary = "Resume a paused schedule from its next window")
    public ScheduleView resume(@PathParam("id") String id, @Context ContainerRequestContext request) {
        return onSchedule(id, request, AuditOperation.ROTATION_SCHEDULE_RESUME, 200, s -> ScheduleView.of(rotations.resume(s.id())));
    }

    @DELETE
    @Path("/{id}")
    @Operation(summary = "Delete a schedule and its run history (refused while a run is in progress)")
    public Response delete(@PathParam("id") String id, @Context ContainerRequestContext request) {
        onSchedule(id, request, AuditOperation.ROTATION_SCHEDULE_DELETE, 204, s -> {
            rotations.delete(s.id());
            return s;
        });
        return Response.noContent().build();
    }

    @POST
    @Path("/{id}/runs")
    @Operation(summary = "Rotate now", description = "Starts a run at once, whatever the schedule says; 409 while one is in progress")
    public Response trigger(@PathParam("id") String id, @Context ContainerRequestContext request) {
        String by = Requests.access(request).caller().subject();
        RunView run = onSchedule(id, request, AuditOperation.ROTATION_TRIGGER, 202,
                s -> RunView.of(rotations.trigger(s.id(), by), null));
        return Response.status(202).entity(run).build();
    }

    @GET
    @Path("/{id}/runs")
    @Operation(summary = "The schedule's latest runs, newest first")
    public RunList runs(@PathParam("id") String id, @Context ContainerRequestContext request) {
        return onSchedule(id, request, AuditOperation.ROTATION_READ, 200,
                s -> new RunList(rotations.runs(s.id(), 50).stream().map(run -> RunView.of(run, null)).toList()));
    }

    @GET
    @Path("/{id}/runs/{run}")
    @Operation(summary = "One run with each execution of each step: when it began, when it ended, how")
    public RunView run(@PathParam("id") String id, @PathParam("run") String runId, @Context ContainerRequestContext request) {
        checkId(runId);
        return onSchedule(id, request, AuditOperation.ROTATION_READ, 200,
                s -> RunView.of(rotations.run(s.id(), runId), rotations.steps(runId)));
    }

    @POST
    @Path("/{id}/runs/{run}/resume")
    @Operation(summary = "Carry on with a stuck run from the step it was in")
    public RunView resumeRun(@PathParam("id") String id, @PathParam("run") String runId,
                                  @Context ContainerRequestContext request) {
        checkId(runId);
        return onSchedule(id, request, AuditOperation.ROTATION_RECOVER, 200,
                s -> RunView.of(rotations.recover(s.id(), runId, false), null));
    }

    @POST
    @Path("/{id}/runs/{run}/rollback")
    @Operation(summary = "Roll a stuck run back: the target back on the current value, the pending version unstaged")
    public RunView rollbackRun(@PathParam("id") String id, @PathParam("run") String runId,
                                    @Context ContainerRequestContext request) {
        checkId(runId);
        return onSchedule(id, request, AuditOperation.ROTATION_RECOVER, 200,
                s -> RunView.of(rotations.recover(s.id(), runId, true), null));
    }

    /**
     * An operation on one schedule: its secret is what policy is asked about. An unknown id is answered like a
     * schedule the caller may not see, as {@code lanyard/rotations/<id>}.
     */
    private <T> T onSchedule(String id, ContainerRequestContext request, AuditOperation operation, int status,
                             Function<RotationSchedule, T> action) {
        checkId(id);
        Optional<RotationSchedule> found = rotations.schedule(id);
        return Requests.awaited(audited.run(Requests.access(request), Capability.ROTATE, operation, scheduleTarget(id, found),
                status, blocking(() -> action.apply(found.orElseGet(() -> rotations.find(id))))));
    }

    /** A schedule as the record of an operation on it names it; an unknown id as {@code lanyard/rotations/<id>}. */
    private static Target scheduleTarget(String id, Optional<RotationSchedule> found) {
        return found.map(s -> target(s.secret(), "schedule/" + s.id()))
                .orElseGet(() -> Target.rotation("lanyard", "rotations/" + id, "schedule/" + id));
    }

    /** A schedule as stored, with the declared target its strategy logs in to: {@code schedule/<id>[/target/<name>]}. */
    private Target scheduleTarget(RotationSchedule schedule, ScheduleSpec spec) {
        return target(schedule.secret(), "schedule/" + schedule.id()
                + rotations.target(spec).map(name -> "/target/" + name).orElse(""));
    }

    /**
     * Declaring what a run will do with secrets needs what doing it by hand would: {@code read} and {@code rotate} on
     * the secret, and on every other secret the strategy reads.
     */
    private void mayReadAndRotate(AccessContext access, SecretRef secret, ScheduleSpec spec) {
        audited.authorize(access, Capability.ROTATE, secret.toString());
        audited.authorize(access, Capability.READ, secret.toString());
        for (SecretRef other : rotations.references(spec)) {
            audited.authorize(access, Capability.ROTATE, other.toString());
            audited.authorize(access, Capability.READ, other.toString());
        }
    }

    /** An action run where the access is subscribed: on the request's virtual thread ({@link Requests#awaited}). */
    private static <T> Supplier<Uni<T>> blocking(Supplier<T> action) {
        return () -> Uni.createFrom().item(action);
    }

    private static Target target(SecretRef secret, String detail) {
        return Target.rotation(secret.backend(), secret.path().value(), detail);
    }

    /** A secret as a schedule names it, {@code <backend>/<path>} (RequestRules.SECRET_REFERENCE states it). */
    static SecretRef secret(String text) {
        int slash = text.indexOf('/');
        if (slash <= 0) {
            throw new InvalidQueryException("secret is <backend>/<path>");
        }
        return Identifiers.secret(text.substring(0, slash), text.substring(slash + 1));
    }

    private static void checkId(String id) {
        if (!id.matches(ID)) {
            throw new InvalidQueryException("a schedule or run id is a lower-case UUID");
        }
    }
}
