-- The way out when rows no Lanyard writer sealed sit at the head of the log (docs/audit-chain.md, "Quarantine"). Lanyard
-- refuses to chain onto them, so every audited request fails closed until they are dealt with. The schema owner's job
-- `audit-quarantine` checks the seals offline, then calls audit_quarantine, which moves those rows (and any checkpoint
-- rows above them) out of the chain into an append-only quarantine, keeping them whole as evidence. The chain then
-- continues from the last sealed row, and Lanyard records the quarantine in the log itself (operation
-- audit.quarantine), once.
create table audit_quarantine (
    id             bigint generated always as identity primary key,
    first_seq      bigint      not null,
    last_seq       bigint      not null,
    quarantined_at timestamptz not null default now(),
    quarantined_by text        not null default current_user,
    reason         text        not null check (btrim(reason) <> ''),
    check (first_seq <= last_seq)
);

-- Each row taken out of the chain, as it was (to_jsonb of the whole row): what an investigation starts from.
create table audit_quarantined_row (
    quarantine_id bigint not null references audit_quarantine (id),
    kind          text   not null check (kind in ('event', 'checkpoint')),
    seq           bigint not null,
    content       jsonb  not null,
    primary key (quarantine_id, kind, seq)
);

create trigger audit_quarantine_no_update_delete before update or delete on audit_quarantine
    for each row execute function audit_event_reject_change();
create trigger audit_quarantine_no_truncate before truncate on audit_quarantine
    for each statement execute function audit_event_reject_change();
create trigger audit_quarantined_row_no_update_delete before update or delete on audit_quarantined_row
    for each row execute function audit_event_reject_change();
create trigger audit_quarantined_row_no_truncate before truncate on audit_quarantined_row
    for each statement execute function audit_event_reject_change();

-- Lanyard records each quarantine once, as an event at audit/quarantine/<id>: replicas racing to record it cannot both
-- succeed. The predicate keeps the index to those few rows.
create unique index audit_event_quarantine_recorded on audit_event (path)
    where operation = 'audit.quarantine' and outcome = 'success';

-- The owner's act, under the chain lock so that no commit interleaves. It cannot check Ed25519 seals (PostgreSQL has
-- no Ed25519); the owner job does that first and refuses rows a writer sealed. What this function guarantees: only rows
-- from p_first up to the head move, never the whole table (the row before p_first stays and anchors the chain), and
-- every moved row is kept.
create function audit_quarantine(p_first bigint, p_reason text) returns bigint language plpgsql security definer
    set search_path = public as $$
declare
    head bigint;
    quarantine bigint;
begin
    perform pg_advisory_xact_lock(7413202601);
    select max(seq) into head from audit_event;
    if p_first is null or head is null or p_first > head then
        raise exception 'no audit row at seq % or above to quarantine (head %)', p_first, head
            using errcode = 'check_violation';
    end if;
    if not exists (select 1 from audit_event where seq = p_first - 1) then
        raise exception 'the row before seq % is not in the log: a quarantine never empties it', p_first
            using errcode = 'check_violation';
    end if;
    insert into audit_quarantine (first_seq, last_seq, reason) values (p_first, head, p_reason) returning id into quarantine;
    insert into audit_quarantined_row (quarantine_id, kind, seq, content)
        select quarantine, 'event', e.seq, to_jsonb(e) from audit_event e where e.seq >= p_first;
    insert into audit_quarantined_row (quarantine_id, kind, seq, content)
        select quarantine, 'checkpoint', c.seq, to_jsonb(c) from audit_checkpoint c where c.seq >= p_first;
    -- Only the tables' owner may disable their triggers, and only for this transaction (see audit_prune).
    alter table audit_event disable trigger audit_event_no_update_delete;
    alter table audit_path_prefix disable trigger audit_path_prefix_no_update_delete;
    alter table audit_checkpoint disable trigger audit_checkpoint_no_update_delete;
    delete from audit_event where seq >= p_first;
    delete from audit_path_prefix where seq >= p_first;
    delete from audit_checkpoint where seq >= p_first;
    alter table audit_checkpoint enable trigger audit_checkpoint_no_update_delete;
    alter table audit_path_prefix enable trigger audit_path_prefix_no_update_delete;
    alter table audit_event enable trigger audit_event_no_update_delete;
    return quarantine;
end;
$$;
revoke all on function audit_quarantine(bigint, text) from public;

revoke all on audit_quarantine, audit_quarantined_row from public;
do $$
begin
    if '${app_role}' <> current_user and exists (select 1 from pg_roles where rolname = '${app_role}') then
        execute format('grant select on audit_quarantine, audit_quarantined_row to %I', '${app_role}');
    end if;
end;
$$;
