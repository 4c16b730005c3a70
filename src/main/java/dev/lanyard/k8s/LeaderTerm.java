package dev.lanyard.k8s;

import java.util.function.LongSupplier;

/**
 * One period in which this replica leads the ExternalSecret controller. It holds from the election until it is ended,
 * and only while the Lease was renewed within the renew deadline: measured on this process's monotonic clock from the
 * start of the last renewal that succeeded, so it stops holding on time even while a renewal hangs on an unreachable API
 * server (another replica may take the Lease over a lease duration after that renewal, which is later). Every write
 * the controller makes to the cluster asks it first, so a reconcile still running when the term ends writes nothing
 * more.
 */
final class LeaderTerm {

    /** A controller without leader election: the only one, holding until it is ended. */
    static LeaderTerm uncontested() {
        return new LeaderTerm(0, () -> 0, 0, Long.MAX_VALUE);
    }

    /** Thrown by {@link #check()} when the term no longer holds: the write it guards is not made. */
    static final class Deposed extends RuntimeException {
        Deposed(int term) {
            super("leader term " + term + " has ended", null, false, false);
        }
    }

    private final int number;
    private final LongSupplier nanos;
    private final long renewDeadlineNanos;
    private volatile long renewedAt;
    private volatile boolean ended;

    /**
     * @param renewedAt when the renewal that won the election started, on {@code nanos}
     */
    LeaderTerm(int number, LongSupplier nanos, long renewedAt, long renewDeadlineNanos) {
        this.number = number;
        this.nanos = nanos;
        this.renewedAt = renewedAt;
        this.renewDeadlineNanos = renewDeadlineNanos;
    }

    int number() {
        return number;
    }

    /** A renewal that started at {@code startedAt} succeeded. An ended term never holds again. */
    synchronized void renewed(long startedAt) {
        if (startedAt - renewedAt > 0) {
            renewedAt = startedAt;
        }
    }

    boolean holds() {
        return !ended && nanos.getAsLong() - renewedAt < renewDeadlineNanos;
    }

    /** @throws Deposed when the term no longer holds */
    void check() {
        if (!holds()) {
            throw new Deposed(number);
        }
    }

    void end() {
        ended = true;
    }

    @Override
    public String toString() {
        return "term " + number;
    }
}
