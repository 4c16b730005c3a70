-- The database itself enforces what the audit log promises (SECURITY.md, "What the database enforces").
-- The serving role ${app_role} may append events, record checkpoints that match the chain, and read. It may not
-- change, delete, truncate or prune anything. Pruning is an act of the schema owner, through audit_prune only,
-- and only of a sealed segment that has been archived. No session setting switches any of this off.

-- Every new row is a well-formed link: a positive seq, a 32-byte hash, a plausible status. Rows written before the
-- chain existed (V1) are left alone (NOT VALID applies the check to new rows only).
alter table audit_event add constraint audit_event_is_a_chain_link
    check (seq is not null and seq > 0 and hash is not null and octet_length(hash) = 32
           and status between 100 and 599) not valid;

-- Each new row follows the head exactly: no gap, no repeat, no row slipped in below the head. When the table is
-- empty, the chain continues after the newest checkpoint (rows removed behind the log's back do not make it restart
-- at 1; the verifier then reports the gap). Rows inserted earlier in the same statement count: a batch inserts
-- head+1, head+2, ... in order.
create function audit_event_follows_head() returns trigger language plpgsql as $$
declare
    head bigint;
begin
    select max(seq) into head from audit_event;
    if head is null then
        select max(seq) into head from audit_checkpoint;
    end if;
    if new.seq is distinct from coalesce(head, 0) + 1 then
        raise exception 'audit_event seq % does not follow the head %', new.seq, coalesce(head, 0)
            using errcode = 'check_violation';
    end if;
    return new;
end;
$$;
create trigger audit_event_seq_follows_head before insert on audit_event
    for each row execute function audit_event_follows_head();

-- Append-only without exceptions: V2's trigger let a DELETE through when a custom setting was 'on', which any
-- session can set. Now every UPDATE, DELETE and TRUNCATE is refused, for every role; only audit_prune, below, turns
-- the row trigger off inside its own transaction, which only the table's owner can do.
create or replace function audit_event_reject_change() returns trigger language plpgsql as $$
begin
    raise exception '% is append-only: % is not allowed', tg_table_name, tg_op using errcode = 'insufficient_privilege';
end;
$$;

-- Checkpoints are append-only too, and each must attest to the chain as stored: same hash at that seq, a 64-byte
-- Ed25519 signature, a key id in Lanyard's form, not signed in the future. PostgreSQL cannot check an Ed25519
-- signature, so every reader does (the verifier, the writer before it anchors on one, the prune job); a row with a
-- bad signature is reported, never trusted.
create function audit_checkpoint_attests_the_chain() returns trigger language plpgsql as $$
begin
    if new.seq is null or new.seq < 1
            or new.hash is distinct from (select hash from audit_event where seq = new.seq)
            or octet_length(new.signature) <> 64
            or new.key_id !~ '^[0-9a-f]{16}$'
            or new.signed_at > now() + interval '5 minutes' then
        raise exception 'checkpoint at seq % does not attest to the stored chain', new.seq
            using errcode = 'check_violation';
    end if;
    return new;
end;
$$;
create trigger audit_checkpoint_matches_chain before insert on audit_checkpoint
    for each row execute function audit_checkpoint_attests_the_chain();
create trigger audit_checkpoint_no_update_delete before update or delete on audit_checkpoint
    for each row execute function audit_event_reject_change();
create trigger audit_checkpoint_no_truncate before truncate on audit_checkpoint
    for each statement execute function audit_event_reject_change();

-- The serving role records checkpoints only through this function (no INSERT on the table): signing the head it
-- has just verified is all it needs. A checkpoint already recorded for that seq is left as it is.
create function audit_checkpoint_record(p_seq bigint, p_hash bytea, p_signed_at timestamptz, p_key_id text,
                                        p_signature bytea) returns boolean language plpgsql security definer
    set search_path = public as $$
declare
    added integer;
begin
    insert into audit_checkpoint (seq, hash, signed_at, key_id, signature)
    values (p_seq, p_hash, p_signed_at, p_key_id, p_signature)
    on conflict (seq) do nothing;
    get diagnostics added = row_count;
    return added = 1;
end;
$$;
revoke all on function audit_checkpoint_record(bigint, bytea, timestamptz, text, bytea) from public;

-- Pruning: the schema owner's act, never the serving role's. Only a segment that a checkpoint seals, that was
-- archived (an audit.archive event for it follows it in the log), and that ends below the head: the log is never
-- emptied, so the chain can never restart.
create or replace function audit_prune(up_to bigint) returns bigint language plpgsql security definer
    set search_path = public as $$
declare
    head bigint;
    removed bigint;
begin
    select max(seq) into head from audit_event;
    if up_to is null or head is null or up_to >= head then
        raise exception 'only events below the head can be pruned (head %, asked %)', head, up_to
            using errcode = 'check_violation';
    end if;
    if not exists (select 1 from audit_checkpoint c join audit_event e on e.seq = c.seq and e.hash = c.hash
                   where c.seq = up_to) then
        raise exception 'no checkpoint seals the log at seq %', up_to using errcode = 'check_violation';
    end if;
    if not exists (select 1 from audit_event where seq > up_to and operation = 'audit.archive'
                   and outcome = 'success' and backend = 'audit' and path = 'archive/' || up_to) then
        raise exception 'the events up to seq % have not been archived', up_to using errcode = 'check_violation';
    end if;
    -- Only the table's owner may disable its trigger, and only for this transaction: concurrent writers wait on the
    -- table lock and see the trigger enabled again.
    alter table audit_event disable trigger audit_event_no_update_delete;
    delete from audit_event where seq <= up_to or seq is null;
    get diagnostics removed = row_count;
    alter table audit_event enable trigger audit_event_no_update_delete;
    return removed;
end;
$$;
revoke all on function audit_prune(bigint) from public;

do $$
begin
    if '${app_role}' <> current_user and exists (select 1 from pg_roles where rolname = '${app_role}') then
        execute format('revoke insert, update, delete, truncate on audit_checkpoint from %I', '${app_role}');
        execute format('revoke update, delete, truncate on audit_event from %I', '${app_role}');
        execute format('revoke execute on function audit_prune(bigint) from %I', '${app_role}');
        execute format('grant execute on function audit_checkpoint_record(bigint, bytea, timestamptz, text, bytea) to %I',
                       '${app_role}');
        -- The service checks at start-up that the schema is migrated; it never migrates it.
        execute format('grant select on ${flyway:table} to %I', '${app_role}');
    end if;
end;
$$;
