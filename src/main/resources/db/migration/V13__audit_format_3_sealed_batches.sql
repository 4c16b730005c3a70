-- Canonical format 3 (docs/audit-chain.md): rows carry the id of the credential the caller authenticated with (an API
-- token's public 16-hex id) beside its name, and the last row of every batch a Lanyard writer commits carries the
-- writer's seal, an Ed25519 signature over the batch's range and last hash with a key the database never sees. Rows of
-- format 2 stay as they are and still verify; new ones can be written only until the first format 3 row exists.
alter table audit_event
    add column credential_id text,
    add column seal_first bigint,
    add column seal_key_id text,
    add column seal_signature bytea;

-- The database cannot check an Ed25519 signature; it checks that a seal is well formed and where it may be. Every
-- reader (the writer before it chains onto the head, the checkpoint signer, the verifiers) checks the signature.
alter table audit_event drop constraint audit_event_is_a_chain_link;
alter table audit_event add constraint audit_event_is_a_chain_link
    check (seq is not null and seq > 0 and hash is not null and octet_length(hash) = 32 and format in (2, 3)
           and actor_kind in ('caller', 'system', 'controller')
           and target_kind in ('none', 'secret', 'lease', 'token', 'policy', 'audit', 'rotation', 'kubernetes')
           and (status is null or status between 100 and 599)
           and (format = 3 or (credential_id is null and seal_first is null and seal_key_id is null
                               and seal_signature is null))
           and (seal_first is null) = (seal_key_id is null) and (seal_first is null) = (seal_signature is null)
           and (seal_first is null or (seal_first > 0 and octet_length(seal_signature) = 64
                                       and seal_key_id ~ '^[0-9a-f]{16}$'))) not valid;

-- V9's check, once per insert statement, plus one rule: no format 2 row after a format 3 row. Without it, anyone with
-- the app role's password could append rows in the unsealed old format above sealed ones. The previous row's format
-- comes from the same index step as its seq, and the added rows are scanned once, as before.
create or replace function audit_event_batch_follows_head() returns trigger language plpgsql as $$
declare
    low bigint;
    high bigint;
    added_rows bigint;
    newest_legacy bigint;
    oldest_sealed_format bigint;
    head bigint;
    head_format smallint;
    newest bigint;
begin
    select min(seq), max(seq), count(*), max(seq) filter (where format = 2), min(seq) filter (where format = 3)
    into low, high, added_rows, newest_legacy, oldest_sealed_format from added;
    if added_rows = 0 then
        return null;
    end if;
    if high - low + 1 <> added_rows then
        raise exception 'audit_event rows % to % are not one contiguous run of seq', low, high
            using errcode = 'check_violation';
    end if;
    -- Each lookup is one step down the seq index, whatever the table's size and statistics: a range condition with
    -- a parameter (seq > high) would be planned for a third of the table and scan it.
    select seq, format into head, head_format from audit_event where seq < low order by seq desc limit 1;
    if head is null then
        select max(seq) into head from audit_checkpoint;
    end if;
    if low is distinct from coalesce(head, 0) + 1 then
        raise exception 'audit_event seq % does not follow the head %', low, coalesce(head, 0)
            using errcode = 'check_violation';
    end if;
    if newest_legacy is not null and (head_format = 3 or oldest_sealed_format < newest_legacy) then
        raise exception 'audit_event seq % is format 2 after format 3 rows: only sealed rows may follow them', newest_legacy
            using errcode = 'check_violation';
    end if;
    select max(seq) into newest from audit_event;
    if newest <> high then
        raise exception 'audit_event seq % does not follow the head %', low, newest
            using errcode = 'check_violation';
    end if;
    return null;
end;
$$;
