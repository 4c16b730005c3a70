package dev.lanyard.rest;


/** A refusal whose audit row is already written; the mapper only turns it into problem+json. */
final class AuditedProblem extends RuntimeException {
    private final transient Classified classified;

    AuditedProblem(Classified classified) {
        this(classified, null);
    }

    /** {@code cause} is kept only so an unexpected failure can be logged; it is never shown to the caller. */
    AuditedProblem(Classified classified, Throwable cause) {
        super(classified.message(), cause, false, false);
        this.classified = classified;
    }

    Classified classified() {
        return classified;
    }
}
