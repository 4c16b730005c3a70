package dev.lanyard.rotation;

import jakarta.annotation.Priority;
import jakarta.enterprise.inject.Alternative;
import jakarta.inject.Singleton;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The rotation engine's fault points under test: armed with one point, the next run to pass it stops dead there (an
 * {@link Error} the engine does not catch, so nothing more is written, as when the JVM is killed). Disarmed, nothing
 * happens.
 */
@Alternative
@Priority(1)
@Singleton
public class CrashingFaults implements RunFaults {

    /** What a crash looks like to the code around the engine. */
    public static final class SimulatedCrash extends Error {
        SimulatedCrash(String point) {
            super("simulated crash at " + point, null, false, false);
        }
    }

    private static final AtomicReference<String> ARMED = new AtomicReference<>();

    /** The next run to reach {@code point} dies there, once. */
    public static void crashAt(String point) {
        ARMED.set(point);
    }

    public static void disarm() {
        ARMED.set(null);
    }

    @Override
    public void reached(String point) {
        String armed = ARMED.get();
        // compareAndSet compares by identity: pass it the very string that was armed.
        if (point.equals(armed) && ARMED.compareAndSet(armed, null)) {
            throw new SimulatedCrash(point);
        }
    }
}
