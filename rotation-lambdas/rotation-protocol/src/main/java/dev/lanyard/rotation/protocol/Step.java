package dev.lanyard.rotation.protocol;

import java.util.Arrays;
import java.util.Optional;

/** The four steps Secrets Manager invokes a rotation function with, by the names it sends in the event. */
public enum Step {
    CREATE_SECRET("createSecret"),
    SET_SECRET("setSecret"),
    TEST_SECRET("testSecret"),
    FINISH_SECRET("finishSecret");

    private final String eventName;

    Step(String eventName) {
        this.eventName = eventName;
    }

    /** The name in the event's {@code Step} field. */
    public String eventName() {
        return eventName;
    }

    static Optional<Step> fromEventName(String name) {
        return Arrays.stream(values()).filter(step -> step.eventName.equals(name)).findFirst();
    }

    @Override
    public String toString() {
        return eventName;
    }
}
