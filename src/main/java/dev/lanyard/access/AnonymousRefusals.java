package dev.lanyard.access;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A budget of audit rows for refusals of callers nobody has verified, per client address and minute. Without it
 * anyone who can reach the port could grow the audit log without limit. Within the budget every refusal is
 * recorded; the first refusal past it is recorded as {@code RATE_LIMITED} and answered 429; the rest of that
 * minute is answered 429 without a row of its own, and once the minute is over one aggregate row counts them
 * ({@link #endedWindows()}). Verified callers are never limited here: they are accountable. Behind a proxy, the
 * address is the client's only when the proxy is trusted to say so ({@code quarkus.http.proxy.trusted-proxies}).
 */
final class AnonymousRefusals {

    enum Verdict { RECORD, RECORD_LIMIT, LIMITED }

    static final Duration WINDOW = Duration.ofMinutes(1);
    /** Past this many tracked addresses, new ones share one budget: the map cannot be grown without limit either. */
    static final int MAX_ADDRESSES = 10_000;
    static final String SHARED = "shared";

    private record Window(Instant start, AtomicInteger used) {}

    /** Refusals of one address in one window that were answered 429 without a row of their own. */
    record Unrecorded(String address, Instant from, Instant until, int count) {}

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
                ? started(k, old, now) : old);
        int used = window.used().incrementAndGet();
        return used <= perWindow ? Verdict.RECORD : used == perWindow + 1 ? Verdict.RECORD_LIMIT : Verdict.LIMITED;
    }

    /**
     * Forgets the windows that ended, and says for each how many of its refusals were answered without a row: what an
     * aggregate row must account for, so a scanner's volume is never invisible.
     */
    List<Unrecorded> endedWindows() {
        Instant now = clock.instant();
        List<Unrecorded> ended = new ArrayList<>();
        Unrecorded replaced;
        while ((replaced = pending.poll()) != null) {
            ended.add(replaced);
        }
        windows.forEach((address, window) -> {
            if (expired(window, now) && windows.remove(address, window)) {
                int unrecorded = window.used().get() - perWindow - 1;
                if (unrecorded > 0) {
                    ended.add(new Unrecorded(address, window.start(), window.start().plus(WINDOW), unrecorded));
                }
            }
        });
        return ended;
    }

    int trackedAddresses() {
        return windows.size();
    }

    /**
     * A new window for {@code address}; a window that ended with refusals nobody recorded is kept aside until
     * {@link #endedWindows()} reports it.
     */
    private Window started(String address, Window old, Instant now) {
        if (old != null && old.used().get() > perWindow + 1) {
            pending.add(new Unrecorded(address, old.start(), old.start().plus(WINDOW), old.used().get() - perWindow - 1));
        }
        return new Window(now, new AtomicInteger());
    }

    /** Ended windows replaced by a new one before {@link #endedWindows()} saw them. */
    private final java.util.Queue<Unrecorded> pending = new java.util.concurrent.ConcurrentLinkedQueue<>();

    private static boolean expired(Window window, Instant now) {
        return !now.isBefore(window.start().plus(WINDOW));
    }
}
