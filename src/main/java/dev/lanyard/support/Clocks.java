package dev.lanyard.support;

import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.security.SecureRandom;
import java.time.InstantSource;
import java.util.random.RandomGenerator;

/**
 * Time and randomness are injected everywhere, so leases, schedules and jitter can be tested by moving a
 * clock instead of sleeping. Tests replace these with alternatives.
 */
public class Clocks {

    @Produces
    @Singleton
    InstantSource clock() {
        return InstantSource.system();
    }

    @Produces
    @Singleton
    RandomGenerator random() {
        return new SecureRandom();
    }
}
