package dev.lanyard.rotation;

import dev.lanyard.access.Refusal;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lanyard.secret.SecretRef;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowSet;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;
import io.vertx.pgclient.PgException;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * Schedules, runs and step records in PostgreSQL, through the reactive pool: the one place rotation state is read and
 * written. Claims use {@code FOR UPDATE SKIP LOCKED}, so replicas polling at once each get a different run or
 * schedule, and every write a claimed run makes is fenced on the claim ({@code claimed_by}), so a replica that lost its
 * claim (it paused past the lease and another took over) cannot overwrite the new holder's progress.
 *
 * <p>SQL on the reactive pool rather than a Panache repository, because the aggregate's rules are the SQL: claims
 * with {@code FOR UPDATE SKIP LOCKED} and updates conditional on the claim, which an entity mapping would only wrap
 * as native queries. Blocking, with a deadline per statement: the rotation engine is sequential step code, so its
 * callers — the worker's poll, the steps and the rotation API — run on virtual threads, never on an event loop
 * (docs/persistence.md).
 */
@Singleton
class RotationStore {

    private static final Duration TIMEOUT = Duration.ofSeconds(15);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String UNIQUE_VIOLATION = "23505";
    private static final String LIVE = "('running', 'stuck')";

    private final Pool pool;

    RotationStore(Pool pool) {
        this.pool = pool;
    }

    /** Where the next window opens and closes, and when within it the run starts (jitter applied). */
    record Window(Instant runAt, Instant endsAt) {}

    // --- schedules ---------------------------------------------------------------------------------------------

    /**
     * @param target the declared target the strategy logs in to, or null
     * @throws InvalidRotationException {@code SCHEDULE_EXISTS} when the secret has a schedule
     */
    void insertSchedule(RotationSchedule schedule, String target, Window first, Instant now) {
        try {
            await(pool.preparedQuery("insert into rotation_schedule (id, backend, path, strategy, parameters, expression, "
                            + "window_seconds, jitter_seconds, paused, next_run_at, window_ends_at, created_by, created_at, updated_at, "
                            + "target) values ($1, $2, $3, $4, $5::text::jsonb, $6, $7, $8, $9, $10, $11, $12, $13, $13, $14)")
                    .execute(tuple(schedule.id(), schedule.secret().backend(), schedule.secret().path().value(),
                            schedule.strategy(), json(schedule.parameters()), schedule.expression(),
                            schedule.window().toSeconds(), schedule.jitter().toSeconds(), schedule.paused(),
                            time(first.runAt()), time(first.endsAt()), schedule.createdBy(), time(now), target)));
        } catch (PgException e) {
            if (UNIQUE_VIOLATION.equals(e.getSqlState())) {
                throw new InvalidRotationException(Refusal.SCHEDULE_EXISTS, "this secret already has a schedule");
            }
            throw e;
        }
    }

    boolean updateSchedule(RotationSchedule schedule, String target, Window next, Instant now) {
        return await(pool.preparedQuery("update rotation_schedule set strategy = $2, parameters = $3::text::jsonb, expression = $4, "
                        + "window_seconds = $5, jitter_seconds = $6, next_run_at = $7, window_ends_at = $8, updated_at = $9, "
                        + "target = $10 where id = $1")
                .execute(tuple(schedule.id(), schedule.strategy(), json(schedule.parameters()), schedule.expression(),
                        schedule.window().toSeconds(), schedule.jitter().toSeconds(), time(next.runAt()), time(next.endsAt()),
                        time(now), target))).rowCount() == 1;
    }

    boolean setPaused(String id, boolean paused, Window next, Instant now) {
        return await(pool.preparedQuery("update rotation_schedule set paused = $2, next_run_at = $3, window_ends_at = $4, "
                        + "updated_at = $5 where id = $1")
                .execute(tuple(id, paused, time(next.runAt()), time(next.endsAt()), time(now)))).rowCount() == 1;
    }

    boolean deleteSchedule(String id) {
        return await(pool.preparedQuery("delete from rotation_schedule where id = $1").execute(Tuple.of(id))).rowCount() == 1;
    }

    Optional<RotationSchedule> schedule(String id) {
        return first(await(pool.preparedQuery("select * from rotation_schedule where id = $1").execute(Tuple.of(id))))
                .map(RotationStore::schedule);
    }

    List<RotationSchedule> schedules() {
        List<RotationSchedule> all = new ArrayList<>();
        await(pool.query("select * from rotation_schedule order by backend, path").execute())
                .forEach(row -> all.add(schedule(row)));
        return all;
    }

    /** The schedules of these ids that exist (by primary key: as many rows as ids, whatever the table holds). */
    List<RotationSchedule> schedules(Collection<String> ids) {
        List<RotationSchedule> found = new ArrayList<>();
        await(pool.preparedQuery("select * from rotation_schedule where id = any($1)")
                .execute(Tuple.of(ids.toArray(String[]::new)))).forEach(row -> found.add(schedule(row)));
        return found;
    }

    /**
     * Starts the run of one due schedule, if any is due and has no live run: locks the schedule row (skipping those
     * another replica holds), inserts the run and moves the schedule to its next window, in one transaction. A window
     * that closed before any replica got to it is skipped (its outcome is {@code missed}).
     */
    Optional<RotationRun> startDue(Instant now, Function<RotationSchedule, Window> nextWindow) {
        return await(pool.withTransaction(connection -> connection.preparedQuery("select * from rotation_schedule s "
                        + "where not paused and next_run_at <= $1 and not exists (select 1 from rotation_run r "
                        + "where r.backend = s.backend and r.path = s.path and r.state in " + LIVE + ") "
                        + "order by next_run_at limit 1 for update skip locked")
                .execute(Tuple.of(time(now)))
                .chain(rows -> {
                    Optional<Row> row = first(rows);
                    if (row.isEmpty()) {
                        return Uni.createFrom().item(Optional.<RotationRun>empty());
                    }
                    RotationSchedule due = schedule(row.get());
                    Instant windowEnds = row.get().getOffsetDateTime("window_ends_at").toInstant();
                    Window next = nextWindow.apply(due);
                    Uni<Void> moved = connection.preparedQuery("update rotation_schedule set next_run_at = $2, window_ends_at = $3, "
                                    + "last_outcome = case when $4 then 'missed' else last_outcome end where id = $1")
                            .execute(tuple(due.id(), time(next.runAt()), time(next.endsAt()), now.isAfter(windowEnds)))
                            .replaceWithVoid();
                    if (now.isAfter(windowEnds)) {
                        return moved.replaceWith(Optional.<RotationRun>empty());
                    }
                    RotationRun run = RotationRun.started(due, "schedule", now);
                    return moved.chain(() -> insertRun(connection, run)).replaceWith(Optional.of(run));
                })));
    }

    /** @throws InvalidRotationException {@code RUN_IN_PROGRESS} when the secret has a live run */
    RotationRun trigger(RotationSchedule schedule, String by, Instant now) {
        RotationRun run = RotationRun.started(schedule, by, now);
        try {
            await(pool.withConnection(connection -> insertRun(connection, run)));
        } catch (PgException e) {
            if (UNIQUE_VIOLATION.equals(e.getSqlState())) {
                throw new InvalidRotationException(Refusal.RUN_IN_PROGRESS,
                        "a run of this secret is in progress; one at a time");
            }
            throw e;
        }
        return run;
    }

    private static Uni<Void> insertRun(SqlConnection connection, RotationRun run) {
        return connection.preparedQuery("insert into rotation_run (id, schedule_id, backend, path, strategy, parameters, token, "
                        + "triggered_by, state, step, attempt, not_before, step_since, created_at) "
                        + "values ($1, $2, $3, $4, $5, $6::text::jsonb, $7, $8, 'running', 'create', 0, $9, $9, $9)")
                .execute(tuple(run.id(), run.scheduleId(), run.secret().backend(), run.secret().path().value(), run.strategy(),
                        json(run.parameters()), run.token(), run.triggeredBy(), time(run.createdAt())))
                .chain(() -> connection.preparedQuery("update rotation_schedule set last_run_id = $2 where id = $1")
                        .execute(Tuple.of(run.scheduleId(), run.id())))
                .replaceWithVoid();
    }

    // --- runs --------------------------------------------------------------------------------------------------

    /** Claims one running run that is due and unclaimed (or whose claim expired: its replica died). */
    Optional<RotationRun> claim(String replica, Instant now, Duration lease) {
        return first(await(pool.preparedQuery("update rotation_run set claimed_by = $1, claim_expires_at = $3 "
                        + "where id = (select id from rotation_run where state = 'running' and not_before <= $2 "
                        + "and (claimed_by is null or claim_expires_at < $2) order by not_before limit 1 for update skip locked) "
                        + "returning *")
                .execute(Tuple.of(replica, time(now), time(now.plus(lease)))))).map(RotationStore::run);
    }

    /** Extends this replica's claim; false when it no longer holds it. */
    boolean renew(String runId, String replica, Instant now, Duration lease) {
        return await(pool.preparedQuery("update rotation_run set claim_expires_at = $4 where id = $1 and claimed_by = $2 "
                        + "and claim_expires_at >= $3 and state = 'running'")
                .execute(Tuple.of(runId, replica, time(now), time(now.plus(lease))))).rowCount() == 1;
    }

    /** Records that a step begins; returns the step record's id. */
    long stepStarted(RotationRun run, String replica, Instant now) {
        return first(await(pool.preparedQuery("insert into rotation_step (run_id, step, attempt, replica, started_at) "
                        + "values ($1, $2, $3, $4, $5) returning id")
                .execute(Tuple.of(run.id(), run.step().spelling(), run.attempt(), replica, time(now)))))
                .orElseThrow().getLong("id");
    }

    /** Records what a step made before it ends (the pending version), fenced on the claim. */
    boolean recordPending(RotationRun run, String replica, String fromVersion, String pendingVersion) {
        return await(pool.preparedQuery("update rotation_run set from_version = $3, pending_version = $4 "
                        + "where id = $1 and claimed_by = $2")
                .execute(Tuple.of(run.id(), replica, fromVersion, pendingVersion))).rowCount() == 1;
    }

    /**
     * Ends a step record and moves the run on, in one transaction fenced on the claim: to {@code next} (its next step,
     * a retry later, rollback or an end). A run that ends updates its schedule's last run fields as well.
     *
     * @param keepClaim whether this replica goes on with the run at once (the next step) or lets it go (a retry later)
     * @return false when this replica no longer holds the claim, and nothing was written
     */
    boolean endStep(long stepRecord, String replica, String outcome, String errorCode, Instant now, RotationRun next,
                    boolean keepClaim) {
        return await(pool.withTransaction(connection -> connection.preparedQuery("update rotation_run set state = $3, step = $4, "
                                + "attempt = $5, tested_at = $6, not_before = $7, step_since = $8, error_code = $9, finished_at = $10, "
                                + "claimed_by = case when $11 then claimed_by end, claim_expires_at = case when $11 then claim_expires_at end "
                                + "where id = $1 and claimed_by = $2")
                        .execute(tuple(next.id(), replica, next.state().spelling(), next.step().spelling(), next.attempt(),
                                time(next.testedAt().orElse(null)), time(next.notBefore()), time(next.stepSince().orElse(null)),
                                next.errorCode().orElse(null), time(next.finishedAt().orElse(null)), keepClaim))
                        .chain(updated -> {
                            if (updated.rowCount() != 1) {
                                return Uni.createFrom().item(false);
                            }
                            Uni<RowSet<Row>> ended = connection.preparedQuery("update rotation_step set ended_at = $2, outcome = $3, "
                                    + "error_code = $4 where id = $1").execute(tuple(stepRecord, time(now), outcome, errorCode));
                            if (next.state() == RunState.RUNNING) {
                                return ended.replaceWith(true);
                            }
                            return ended.chain(() -> connection.preparedQuery("update rotation_schedule set last_outcome = $2, "
                                            + "last_finished_at = $3, last_success_at = case when $2 = 'succeeded' then $3 "
                                            + "else last_success_at end where id = $1")
                                    .execute(tuple(next.scheduleId(), next.state().spelling(), time(now)))).replaceWith(true);
                        })));
    }

    Optional<RotationRun> run(String id) {
        return first(await(pool.preparedQuery("select * from rotation_run where id = $1").execute(Tuple.of(id))))
                .map(RotationStore::run);
    }

    List<RotationRun> runs(String scheduleId, int limit) {
        List<RotationRun> all = new ArrayList<>();
        await(pool.preparedQuery("select * from rotation_run where schedule_id = $1 order by created_at desc limit $2")
                .execute(Tuple.of(scheduleId, limit))).forEach(row -> all.add(run(row)));
        return all;
    }

    List<RunStep> steps(String runId) {
        List<RunStep> all = new ArrayList<>();
        await(pool.preparedQuery("select * from rotation_step where run_id = $1 order by id").execute(Tuple.of(runId)))
                .forEach(row -> all.add(new RunStep(Step.of(row.getString("step")), row.getInteger("attempt"),
                        row.getString("replica"), row.getOffsetDateTime("started_at").toInstant(),
                        instant(row, "ended_at"), Optional.ofNullable(row.getString("outcome")),
                        Optional.ofNullable(row.getString("error_code")))));
        return all;
    }

    /** Marks stuck every running run whose current step began before {@code before}; returns them. */
    List<RotationRun> markStuck(Instant before) {
        List<RotationRun> marked = new ArrayList<>();
        await(pool.preparedQuery("update rotation_run set state = 'stuck', claimed_by = null, claim_expires_at = null "
                        + "where state = 'running' and step_since < $1 returning *")
                .execute(Tuple.of(time(before)))).forEach(row -> marked.add(run(row)));
        return marked;
    }

    /**
     * An operator's decision on a stuck run: carry on from its step ({@code resume}) or undo it ({@code rollback}).
     * Either way it is running again, claimable at once, its step clock restarted.
     */
    boolean release(String runId, Step step, Instant now) {
        return await(pool.preparedQuery("update rotation_run set state = 'running', step = $2, attempt = 0, not_before = $3, "
                        + "step_since = $3, claimed_by = null, claim_expires_at = null where id = $1 and state = 'stuck'")
                .execute(Tuple.of(runId, step.spelling(), time(now)))).rowCount() == 1;
    }

    long countStuck() {
        return first(await(pool.query("select count(*) as n from rotation_run where state = 'stuck'").execute()))
                .orElseThrow().getLong("n");
    }

    // --- rows --------------------------------------------------------------------------------------------------

    private static RotationSchedule schedule(Row row) {
        return new RotationSchedule(row.getString("id"), SecretRef.of(row.getString("backend"), row.getString("path")),
                row.getString("strategy"), parameters(row), row.getString("expression"),
                Duration.ofSeconds(row.getLong("window_seconds")), Duration.ofSeconds(row.getLong("jitter_seconds")),
                row.getBoolean("paused"), instant(row, "next_run_at"), Optional.ofNullable(row.getString("last_run_id")),
                Optional.ofNullable(row.getString("last_outcome")), instant(row, "last_finished_at"),
                instant(row, "last_success_at"), row.getString("created_by"));
    }

    private static RotationRun run(Row row) {
        return new RotationRun(row.getString("id"), row.getString("schedule_id"),
                SecretRef.of(row.getString("backend"), row.getString("path")), row.getString("strategy"), parameters(row),
                row.getString("token"), row.getString("triggered_by"), RunState.of(row.getString("state")),
                Step.of(row.getString("step")), row.getInteger("attempt"), Optional.ofNullable(row.getString("from_version")),
                Optional.ofNullable(row.getString("pending_version")), instant(row, "tested_at"),
                row.getOffsetDateTime("not_before").toInstant(), instant(row, "step_since"),
                Optional.ofNullable(row.getString("error_code")), row.getOffsetDateTime("created_at").toInstant(),
                instant(row, "finished_at"));
    }

    private static Map<String, Object> parameters(Row row) {
        Object value = row.getValue("parameters");
        try {
            return JSON.readValue(String.valueOf(value), new TypeReference<Map<String, Object>>() {});
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("rotation parameters are not a JSON object");
        }
    }

    private static String json(Map<String, Object> parameters) {
        try {
            return JSON.writeValueAsString(parameters);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("rotation parameters cannot be written as JSON");
        }
    }

    private static Optional<Instant> instant(Row row, String column) {
        return Optional.ofNullable(row.getOffsetDateTime(column)).map(OffsetDateTime::toInstant);
    }

    private static OffsetDateTime time(Instant instant) {
        return instant == null ? null : instant.atOffset(ZoneOffset.UTC);
    }

    private static Tuple tuple(Object... values) {
        return Tuple.from(Arrays.asList(values));
    }

    private static Optional<Row> first(RowSet<Row> rows) {
        var iterator = rows.iterator();
        return iterator.hasNext() ? Optional.of(iterator.next()) : Optional.empty();
    }

    private static <T> T await(Uni<T> uni) {
        return uni.await().atMost(TIMEOUT);
    }
}
