package dev.lanyard.rotation;

import jakarta.inject.Singleton;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.random.RandomGenerator;

/**
 * Where a schedule's next window falls and when its run starts inside it: at the window's opening plus a random delay
 * of up to the jitter, so that many secrets on one schedule do not all rotate in the same second.
 */
@Singleton
class Windows {

    private final RandomGenerator random;
    private final InstantSource clock;

    Windows(RandomGenerator random, InstantSource clock) {
        this.random = random;
        this.clock = clock;
    }

    RotationStore.Window after(RotationSchedule schedule, Instant after) {
        return ScheduleExpression.parse(schedule.expression()).next(after)
                .map(opens -> new RotationStore.Window(opens.plus(jitter(schedule.jitter())), opens.plus(schedule.window())))
                .orElse(new RotationStore.Window(null, null));
    }

    RotationStore.Window next(RotationSchedule schedule) {
        return after(schedule, clock.instant());
    }

    private Duration jitter(Duration most) {
        return most.isZero() ? Duration.ZERO : Duration.ofMillis((long) (random.nextDouble() * most.toMillis()));
    }
}
