package dev.lanyard.access;

/**
 * A failure of a package above {@code access} that knows how it is refused: the broker's lease limit and unknown leases
 * and backends, an invalid rotation request, a query the REST layer cannot read. {@link AuditedAccess} classifies it by
 * {@link #refusal()} without knowing its class; its message is the safe detail shown to the caller.
 */
public interface Refusable {

    Refusal refusal();

    /** Safe to show anyone: names parameters and paths, never a value. */
    String getMessage();
}
