package dev.lanyard.access;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A budget of audit rows for refusals of callers nobody has verified, per client address and minute. Without it
 * anyone who can reach the port could grow the audit log without limit. Within the budget every refusal is
 * recorded; the first refusal past it is recorded as {@code RATE_LIMITED} and answered 429; the rest of that
 * minute is answered 429 without a row. Verified callers are never limited here: they are accountable.
 */
final class AnonymousRefusals {

    enum Verdict { RECORD, RECORD_LIMIT, LIMITED }

    static final Duration WINDOW = Duration.ofMinutes(1);
    /** Past this many tracked addresses, new ones share one budget: the map cannot be grown without limit either. */
    static final int MAX_ADDRESSES = 10_000;
    static final String SHARED = "shared";

    private record Window(Instant start, AtomicInteger used) {}

    private final int perWindow;
    private final InstantSource clock;
    private final ConcurrentHashMap<String, Window> windows = new ConcurrentHashMap<>();

    AnonymousRefusals(int perWindow, InstantSource clock) {
        if (perWindow < 1) {
            throw new IllegalArgumentException("the budget must allow at least one row per minute");
        }
        this.perWindow = perWindow;
        this.clock = clock;
    }

    Verdict admit(String clientAddress) {
        Instant now = clock.instant();
        String key = clientAddress == null ? SHARED : clientAddress;
        if (!windows.containsKey(key) && windows.size() >= MAX_ADDRESSES) {
            windows.values().removeIf(w -> expired(w, now));
            if (windows.size() >= MAX_ADDRESSES) {
                key = SHARED;
            }
        }
        Window window = windows.compute(key, (k, old) -> old == null || expired(old, now)
                ? new Window(now, new AtomicInteger()) : old);
        int used = window.used().incrementAndGet();
        return used <= perWindow ? Verdict.RECORD : used == perWindow + 1 ? Verdict.RECORD_LIMIT : Verdict.LIMITED;
    }

    int trackedAddresses() {
        return windows.size();
    }

    private static boolean expired(Window window, Instant now) {
        return !now.isBefore(window.start().plus(WINDOW));
    }
}
