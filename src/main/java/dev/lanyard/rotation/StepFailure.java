package dev.lanyard.rotation;

/**
 * A step that did not succeed, with a stable code recorded on the run and in the audit log. Retryable failures are
 * tried again with backoff; the others roll the run back at once. The message never holds a value.
 */
final class StepFailure extends RuntimeException {

    private final String code;
    private final boolean retryable;

    private StepFailure(String code, boolean retryable, String message, Throwable cause) {
        super(message, cause, false, false);
        this.code = code;
        this.retryable = retryable;
    }

    static StepFailure retry(String code, String message) {
        return new StepFailure(code, true, message, null);
    }

    static StepFailure permanent(String code, String message) {
        return new StepFailure(code, false, message, null);
    }

    String code() {
        return code;
    }

    boolean retryable() {
        return retryable;
    }
}
