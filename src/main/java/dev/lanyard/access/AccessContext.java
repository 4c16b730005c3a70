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
        CONTROLLER,
        /**
         * The Vault-compatible API ({@code /vault/v1/…}): a caller waits for an HTTP answer, in the status vocabulary
         * Vault's clients expect ({@link #status}); its records say they came this way ({@link #surface()}).
         */
        VAULT;

        /** Whether an access on this channel is answered with an HTTP status, which its record then carries. */
        public boolean answersOverHttp() {
            return this == API || this == VAULT;
        }

        /**
         * The status a refusal is answered with on this channel, and recorded as sent. Vault's clients read a token that
         * does not identify anyone as 403 (hvac's {@code is_authenticated()} is false only for 403, 400 or 404; Vault
         * Agent re-authenticates on "permission denied"), and a lease that cannot be renewed or revoked as 400 (Spring
         * Vault then treats the lease as expired rather than failed). Everything else keeps {@link Refusal#status()}.
         */
        public int status(Refusal refusal) {
            if (this == VAULT) {
                return switch (refusal) {
                    case UNAUTHENTICATED -> 403;
                    case LEASE_NOT_FOUND -> 400;
                    default -> refusal.status();
                };
            }
            return refusal.status();
        }

        /** What a record's {@code detail} says about the way the work came in, when it is not the native API; or null. */
        public String surface() {
            return this == VAULT ? "via vault-api" : null;
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

    /** A call of the Vault-compatible API. */
    public static AccessContext vault(Caller caller, String requestId, String clientAddress) {
        return new AccessContext(caller, requestId, clientAddress, Channel.VAULT);
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
