-- Login tokens: what the Vault-compatible API's auth/<mount>/login hands a Kubernetes ServiceAccount in exchange for its
-- JWT, so that clients which log in once and then renew (Vault Agent, External Secrets, Spring Cloud Vault) work
-- unchanged. A login token stands for the ServiceAccount it was issued to: its subject is that identity
-- (sa:<namespace>/<name>), which policies bind exactly as they bind the JWT itself. It lives ttl_seconds and may be
-- renewed up to max_expires_at, never past it; revocation is final. Only the hash of its secret is kept.
create table login_token (
    id              text primary key,
    subject         text        not null,
    secret_hash     bytea       not null,
    auth_mount      text        not null,
    role            text        not null,
    created_at      timestamptz not null,
    ttl_seconds     bigint      not null check (ttl_seconds > 0),
    expires_at      timestamptz not null,
    max_expires_at  timestamptz not null,
    last_renewed_at timestamptz,
    revoked_at      timestamptz,
    revoked_by      text,
    constraint login_token_within_max check (expires_at <= max_expires_at),
    constraint login_token_after_creation check (expires_at > created_at)
);
create index login_token_subject on login_token (subject);

-- Only renewal (expires_at, last_renewed_at) and revocation may change a login token, and revocation is final.
create function login_token_changes_are_renewal_or_revocation() returns trigger language plpgsql as $$
begin
    if old.revoked_at is not null then
        raise exception 'login_token %: revocation is final', old.id using errcode = 'insufficient_privilege';
    end if;
    if new.id <> old.id or new.subject <> old.subject or new.secret_hash <> old.secret_hash
       or new.auth_mount <> old.auth_mount or new.role <> old.role or new.created_at <> old.created_at
       or new.ttl_seconds <> old.ttl_seconds or new.max_expires_at <> old.max_expires_at then
        raise exception 'login_token %: only renewal or revocation may change a login token', old.id
            using errcode = 'insufficient_privilege';
    end if;
    return new;
end;
$$;
create trigger login_token_changes_are_renewal_or_revocation before update on login_token
    for each row execute function login_token_changes_are_renewal_or_revocation();

revoke all on login_token from public;

do $$
begin
    if '${app_role}' <> current_user and exists (select 1 from pg_roles where rolname = '${app_role}') then
        execute format('grant select, insert, update on login_token to %I', '${app_role}');
    end if;
end;
$$;
