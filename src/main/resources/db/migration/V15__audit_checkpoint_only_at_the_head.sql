-- A checkpoint is a signed statement about the chain's head; the database now takes one only of the current head. It
-- accepted any stored seq whose hash matched, so anyone with the app role's password could record a checkpoint below
-- the head, where Lanyard never signs, with a garbage signature: a lasting false tamper alarm, and a seq that Lanyard's
-- own checkpoint could no longer take (issue 21, item 3). PostgreSQL still cannot check the Ed25519 signature: every
-- reader does (Lanyard ignores and reports rows its key did not sign, and publishes its own checkpoint regardless).
-- Lanyard records its checkpoint under the chain lock, in the transaction that read the head, so the head cannot move
-- in between.
create or replace function audit_checkpoint_attests_the_chain() returns trigger language plpgsql as $$
declare
    head bigint;
begin
    select max(seq) into head from audit_event;
    if new.seq is distinct from head then
        raise exception 'checkpoint at seq % is not of the head (%): only the current head can be signed', new.seq, head
            using errcode = 'check_violation';
    end if;
    if new.seq < 1
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
