package dev.lanyard.broker;

import dev.lanyard.access.Refusable;
import dev.lanyard.access.Refusal;

/**
 * The credential this request was about to be handed was withdrawn: its issue could not be recorded by anyone it was
 * handed to. Answered like the audit failure that caused it; asking again issues a new one.
 */
final class WithdrawnCredentialException extends RuntimeException implements Refusable {

    WithdrawnCredentialException() {
        super("the credential could not be recorded and was withdrawn; ask again", null, false, false);
    }

    @Override
    public Refusal refusal() {
        return Refusal.AUDIT_UNAVAILABLE;
    }
}
