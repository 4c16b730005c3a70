package dev.lanyard.spi;

import java.util.List;

/** Start-up refusal: the configured backends are inconsistent. Lists every problem found. */
public final class InvalidBackendConfigException extends IllegalStateException {
    private final List<String> problems;

    public InvalidBackendConfigException(List<String> problems) {
        super("invalid backend configuration:\n  - " + String.join("\n  - ", problems));
        this.problems = List.copyOf(problems);
    }

    public List<String> problems() {
        return problems;
    }
}
