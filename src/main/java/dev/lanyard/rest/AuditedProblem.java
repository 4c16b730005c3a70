package dev.lanyard.rest;

import dev.lanyard.broker.Classified;

/** A refusal whose audit row is already written; the mapper only turns it into problem+json. */
final class AuditedProblem extends RuntimeException {
    private final transient Classified classified;

    AuditedProblem(Classified classified) {
        super(classified.message(), null, false, false);
        this.classified = classified;
    }

    Classified classified() {
        return classified;
    }
}
