package dev.lanyard.rotation;

import io.quarkus.arc.DefaultBean;
import jakarta.inject.Singleton;

/**
 * Where a run can be interrupted: the engine reports each point it passes (a step begun, a write inside a step made, a
 * step recorded as ended). In production nothing happens; the crash tests replace this bean to stop the run dead at
 * each point, as a killed JVM would, and check that another attempt completes or rolls it back.
 */
interface RunFaults {

    /** @param point {@code <step>.<what>}: {@code create.started}, {@code create.put}, {@code set.applied} … */
    void reached(String point);

    /** Production: no faults. */
    @Singleton
    @DefaultBean
    class None implements RunFaults {
        @Override
        public void reached(String point) {}
    }
}
