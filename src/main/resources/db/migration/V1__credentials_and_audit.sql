-- Lanyard schema, first version. Migrations run as the schema owner; the service connects as
-- ${app_role}, which gets only the privileges listed at the end.

create sequence audit_event_id_seq;

create table audit_event (
    id             bigint primary key default nextval('audit_event_id_seq'),
    occurred_at    timestamptz not null,
    request_id     text        not null,
    subject        text        not null,
    operation      text        not null,
    backend        text,
    path           text,
    version        text,
    lease_hmac     text,
    outcome        text        not null,
    status         integer     not null,
    error_code     text,
    client_address text
);
create index audit_event_occurred_at on audit_event (occurred_at);
create index audit_event_subject on audit_event (subject, occurred_at);
create index audit_event_lease on audit_event (lease_hmac) where lease_hmac is not null;

-- Append-only, enforced by the database itself: even a role that holds UPDATE or DELETE (the owner)
-- cannot change history without first dropping this trigger, which is a visible DDL act.
create function audit_event_reject_change() returns trigger language plpgsql as $$
begin
    raise exception 'audit_event is append-only: % is not allowed', tg_op using errcode = 'insufficient_privilege';
end;
$$;
create trigger audit_event_no_update_delete before update or delete on audit_event
    for each row execute function audit_event_reject_change();
create trigger audit_event_no_truncate before truncate on audit_event
    for each statement execute function audit_event_reject_change();

create table api_token (
    id          text primary key,
    name        text        not null unique,
    secret_hash bytea       not null,
    created_at  timestamptz not null,
    revoked_at  timestamptz
);

create table lease (
    fingerprint text primary key,
    owner       text        not null,
    backend     text        not null,
    path        text        not null,
    issued_at   timestamptz not null,
    expires_at  timestamptz not null,
    revoked_at  timestamptz
);
create index lease_owner_live on lease (owner, expires_at) where revoked_at is null;

revoke all on audit_event, api_token, lease from public;

do $$
begin
    if '${app_role}' <> current_user and exists (select 1 from pg_roles where rolname = '${app_role}') then
        execute format('grant select, insert on audit_event to %I', '${app_role}');
        execute format('grant usage on sequence audit_event_id_seq to %I', '${app_role}');
        execute format('grant select, insert, update on api_token, lease to %I', '${app_role}');
    end if;
end;
$$;
