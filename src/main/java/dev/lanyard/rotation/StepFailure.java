package dev.lanyard.rotation;

/**
 * A step that did not succeed, with its {@link StepCode}. Retryable failures are tried again with backoff; the others
 * roll the run back at once. The message never holds a value.
 */
final class StepFailure extends RuntimeException {

    private final StepCode code;

    StepFailure(StepCode code, String message) {
        super(message, null, false, false);
        this.code = code;
    }

    StepCode code() {
        return code;
    }

    boolean retryable() {
        return code.retryable();
    }
}
