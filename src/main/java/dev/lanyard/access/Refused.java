package dev.lanyard.access;

/**
 * The answer to an access that did not succeed: its {@link Refusal} and a safe detail, with the access's one audit
 * record already written — or, when {@link #recorded()} is false, with the audit log unable to write it
 * ({@link Refusal#AUDIT_UNAVAILABLE}). Either way it is answered as it is and never recorded again. Only
 * {@link AuditedAccess} makes them.
 */
public final class Refused extends RuntimeException {

    private final transient Refusal refusal;
    private final boolean recorded;

    Refused(Refusal refusal, String detail, boolean recorded, Throwable cause) {
        // The cause is kept for the log (an unexpected failure's stack) and for tests; it is never shown to the caller.
        super(detail, cause, false, false);
        this.refusal = refusal;
        this.recorded = recorded;
    }

    public Refusal refusal() {
        return refusal;
    }

    /** Safe to show anyone. */
    public String detail() {
        return getMessage();
    }

    /** Whether the access's audit record was written; false only when the audit log could not write it. */
    public boolean recorded() {
        return recorded;
    }

    /** A failure nobody anticipated: the caller sees {@code INTERNAL_ERROR}, the log sees the cause. */
    public boolean unexpected() {
        return refusal == Refusal.INTERNAL_ERROR;
    }

    @Override
    public String toString() {
        return "Refused[" + refusal + (recorded ? "" : ", unrecorded") + "]";
    }
}
