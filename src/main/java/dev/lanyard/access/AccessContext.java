package dev.lanyard.access;

import dev.lanyard.auth.Caller;
import java.util.Objects;

/**
 * Who is asking, through which channel, and the facts every outcome of their work is recorded with. The HTTP status an
 * access is answered with is not carried here: it follows from the outcome ({@link Refusal#status()}, or the success
 * status the caller names), and is recorded only on channels that answer over HTTP.
 *
 * @param correlationId the request id, or the id of the background work (a rotation run, a reconcile, start-up)
 * @param clientAddress where an HTTP caller connected from; null for background work
 * @param channel       how the work reached Lanyard
 */
public record AccessContext(Caller caller, String correlationId, String clientAddress, Channel channel) {

    /** How the work reached Lanyard. */
    public enum Channel {
        /** A call of the HTTP API: the caller waits for an answer whose status is recorded. */
        API,
        /** Lanyard's own scheduled or start-up work. */
        SYSTEM,
        /** The Kubernetes controller, acting for one resource with the identity it names. */
        CONTROLLER;

        /** Whether an access on this channel is answered with an HTTP status, which its record then carries. */
        public boolean answersOverHttp() {
            return this == API;
        }
    }

    public AccessContext {
        Objects.requireNonNull(caller, "caller");
        Objects.requireNonNull(correlationId, "correlationId");
        Objects.requireNonNull(channel, "channel");
    }

    /** A call of the HTTP API. */
    public static AccessContext http(Caller caller, String requestId, String clientAddress) {
        return new AccessContext(caller, requestId, clientAddress, Channel.API);
    }

    /** Lanyard's own work, as {@link Caller#system()}. */
    public static AccessContext system(String correlationId) {
        return new AccessContext(Caller.system(), correlationId, null, Channel.SYSTEM);
    }

    /** The Kubernetes controller working for a resource, as the identity that resource names. */
    public static AccessContext controller(Caller identity, String reconcileId) {
        return new AccessContext(identity, reconcileId, null, Channel.CONTROLLER);
    }
}
