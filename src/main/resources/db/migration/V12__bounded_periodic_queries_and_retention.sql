-- What every replica runs on a timer stays bounded by what is live, not by history, and history ends: the schema
-- owner's retention job (`java -jar quarkus-run.jar retention`, docs/operating.md) deletes leases that have been
-- dead (expired or revoked) and rotation runs that have been finished for longer than their configured ages. The app
-- role deletes none of these rows (bench/periodic-queries.sh measures each query at scale).

-- The lease cap gauges (broker/LeaseMetrics) count the live leases of each identity: a range of this index read
-- without touching the table, however many expired rows it holds (lease_owner_live, led by the owner, served that
-- query only by scanning every unrevoked row, or with PostgreSQL 18's skip scan one descent per identity ever seen).
-- Retention finds the long-expired rows through it, and the long-revoked ones through the second.
create index lease_live_by_expiry on lease (expires_at) include (owner) where revoked_at is null;
create index lease_revoked_at on lease (revoked_at) where revoked_at is not null;

-- Retention finds finished runs by when they finished, and deletes their step records through rotation_step_by_run.
create index rotation_run_finished on rotation_run (finished_at) where state in ('succeeded', 'failed');

-- The per-schedule gauges (rotation/RotationMetrics) follow changes instead of reading every schedule every poll:
-- a schedule created or deleted, or whose expression or last success changed, is announced on this channel with its
-- id, by whichever replica (or operator) changed it, when the change commits. Each replica reads only those rows.
create function rotation_schedule_announce() returns trigger language plpgsql as $$
begin
    perform pg_notify('lanyard_rotation_schedules', coalesce(new.id, old.id));
    return null;
end;
$$;
create trigger rotation_schedule_announce_created_deleted after insert or delete on rotation_schedule
    for each row execute function rotation_schedule_announce();
create trigger rotation_schedule_announce_changed after update on rotation_schedule
    for each row when (old.expression is distinct from new.expression
                       or old.last_success_at is distinct from new.last_success_at
                       or old.backend is distinct from new.backend or old.path is distinct from new.path)
    execute function rotation_schedule_announce();

-- Runs and their steps leave only through retention. The service still deletes schedules, and with them their runs
-- and steps: a cascade runs as the owner of the table it deletes from, not as the role that deleted the schedule.
do $$
begin
    if '${app_role}' <> current_user and exists (select 1 from pg_roles where rolname = '${app_role}') then
        execute format('revoke delete on rotation_run, rotation_step from %I', '${app_role}');
    end if;
end;
$$;
