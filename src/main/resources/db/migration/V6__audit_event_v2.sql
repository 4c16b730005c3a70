-- Audit event v2 (docs/audit-chain.md, canonical format 2): who acted (a caller, Lanyard itself, its Kubernetes
-- controller), what kind of thing the event is about, a detail for targets that are more than a path (a rotation run
-- and step, a Kubernetes object), and an HTTP status only when an HTTP caller was answered. The canonical encoding
-- changes with it, so a chain written in format 1 could not be continued: no production chain existed before v2, and
-- this migration refuses to run on a database that has one rather than leave it unverifiable.
do $$
begin
    if exists (select 1 from audit_event where seq is not null) then
        raise exception 'audit_event holds a format 1 chain; archive and remove it before migrating to format 2';
    end if;
end;
$$;

alter table audit_event
    add column format smallint,
    add column actor_kind text,
    add column target_kind text,
    add column detail text;
alter table audit_event alter column status drop not null;
alter table audit_event drop constraint audit_event_is_a_chain_link;
alter table audit_event add constraint audit_event_is_a_chain_link
    check (seq is not null and seq > 0 and hash is not null and octet_length(hash) = 32 and format = 2
           and actor_kind in ('caller', 'system', 'controller')
           and target_kind in ('none', 'secret', 'lease', 'token', 'policy', 'audit', 'rotation', 'kubernetes')
           and (status is null or status between 100 and 599)) not valid;
