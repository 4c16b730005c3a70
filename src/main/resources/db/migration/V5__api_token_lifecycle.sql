-- API tokens get a lifecycle: created by the bootstrap configuration or by an administrator through the API, with an
-- optional expiry, revoked for good. A name (the identity policies bind to) may have more than one live token, so a
-- token can be replaced without a gap; revocation is recorded with who did it and is never undone.
alter table api_token drop constraint api_token_name_key;
alter table api_token
    add column expires_at timestamptz,
    add column created_by text not null default 'bootstrap',
    add column revoked_by text;
create index api_token_name on api_token (name);

-- Revocation is final, for the service's role and the owner alike: a revoked token cannot be brought back.
create function api_token_revocation_is_final() returns trigger language plpgsql as $$
begin
    if old.revoked_at is not null and (new.revoked_at is null or new.revoked_at <> old.revoked_at) then
        raise exception 'api_token %: revocation is final', old.id using errcode = 'insufficient_privilege';
    end if;
    if new.id <> old.id or new.secret_hash <> old.secret_hash or new.name <> old.name then
        raise exception 'api_token %: only revocation may change a token', old.id using errcode = 'insufficient_privilege';
    end if;
    return new;
end;
$$;
create trigger api_token_revocation_is_final before update on api_token
    for each row execute function api_token_revocation_is_final();
