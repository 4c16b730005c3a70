-- Rotation (docs in README, "Rotating secrets"): one schedule per secret, and runs of four steps (create, set, test,
-- finish), each step's start and end recorded here before and after it runs, so that a run survives a crash of the
-- replica running it. No table holds a secret value: strategy parameters name targets and other secrets by reference.
create table rotation_schedule (
    id               text primary key,
    backend          text        not null,
    path             text        not null,
    strategy         text        not null,
    parameters       jsonb       not null default '{}'::jsonb,
    expression       text        not null,
    window_seconds   bigint      not null check (window_seconds > 0),
    jitter_seconds   bigint      not null default 0 check (jitter_seconds >= 0 and jitter_seconds <= window_seconds),
    paused           boolean     not null default false,
    next_run_at      timestamptz,
    window_ends_at   timestamptz,
    last_run_id      text,
    last_outcome     text,
    last_finished_at timestamptz,
    last_success_at  timestamptz,
    created_by       text        not null,
    created_at       timestamptz not null,
    updated_at       timestamptz not null,
    unique (backend, path)
);
create index rotation_schedule_due on rotation_schedule (next_run_at) where not paused;

create table rotation_run (
    id               text primary key,
    schedule_id      text        not null references rotation_schedule (id) on delete cascade,
    backend          text        not null,
    path             text        not null,
    strategy         text        not null,
    parameters       jsonb       not null,
    -- The idempotency token every put of this run carries: a repeated create finds the version it made.
    token            text        not null unique,
    triggered_by     text        not null,
    state            text        not null check (state in ('running', 'succeeded', 'failed', 'stuck')),
    step             text        not null check (step in ('create', 'set', 'test', 'finish', 'rollback', 'done')),
    attempt          integer     not null default 0,
    from_version     text,
    pending_version  text,
    -- Set only when the test step succeeded; finish cannot be reached without it, so no untested value is promoted.
    tested_at        timestamptz,
    not_before       timestamptz not null,
    step_since       timestamptz,
    claimed_by       text,
    claim_expires_at timestamptz,
    error_code       text,
    created_at       timestamptz not null,
    finished_at      timestamptz,
    constraint rotation_run_finish_after_test check (step <> 'finish' or tested_at is not null),
    constraint rotation_run_success_after_test check (state <> 'succeeded' or tested_at is not null)
);
-- Never two live runs for one secret, so never two pending versions.
create unique index rotation_run_one_live_per_secret on rotation_run (backend, path) where state in ('running', 'stuck');
create index rotation_run_claimable on rotation_run (not_before) where state = 'running';
create index rotation_run_by_schedule on rotation_run (schedule_id, created_at);

-- One row per execution of a step: a step retried or taken over after a crash has several, the crashed one without an end.
create table rotation_step (
    id         bigint generated always as identity primary key,
    run_id     text        not null references rotation_run (id) on delete cascade,
    step       text        not null,
    attempt    integer     not null,
    replica    text        not null,
    started_at timestamptz not null,
    ended_at   timestamptz,
    outcome    text check (outcome in ('success', 'retry', 'failed')),
    error_code text
);
create index rotation_step_by_run on rotation_step (run_id, id);

revoke all on rotation_schedule, rotation_run, rotation_step from public;

do $$
begin
    if '${app_role}' <> current_user and exists (select 1 from pg_roles where rolname = '${app_role}') then
        execute format('grant select, insert, update, delete on rotation_schedule, rotation_run, rotation_step to %I',
                       '${app_role}');
    end if;
end;
$$;
