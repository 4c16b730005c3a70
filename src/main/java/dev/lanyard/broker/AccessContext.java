package dev.lanyard.broker;

import dev.lanyard.auth.Caller;
import java.util.Objects;

/** Who is asking, and the request facts the audit log records with every outcome. */
public record AccessContext(Caller caller, String requestId, String clientAddress) {
    public AccessContext {
        Objects.requireNonNull(caller, "caller");
        Objects.requireNonNull(requestId, "requestId");
    }
}
