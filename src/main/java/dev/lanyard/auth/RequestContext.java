package dev.lanyard.auth;

import java.util.Objects;

/**
 * Who is asking, and the facts every outcome of their request is recorded with. A request over the HTTP API carries
 * how its answer will be rendered ({@link Answer}), so the audit record can say exactly what was sent; background
 * work (rotation, start-up, the Kubernetes controller) has no HTTP answer.
 *
 * @param correlationId the request id, or the id of the background work
 * @param channel       how the work reached Lanyard
 */
public record RequestContext(Caller caller, String correlationId, String clientAddress, Channel channel, Answer answer) {

    /** How the work reached Lanyard. */
    public enum Channel {
        /** A call of the HTTP API. */
        API,
        /** Lanyard's own scheduled or start-up work. */
        SYSTEM,
        /** The Kubernetes controller, acting for one resource with the identity it names. */
        CONTROLLER
    }

    /** The HTTP status a request will be answered with: for a success, or for the stable problem code of a failure. */
    @FunctionalInterface
    public interface Answer {
        int status(String problemCode, int successStatus);
    }

    public RequestContext {
        Objects.requireNonNull(caller, "caller");
        Objects.requireNonNull(correlationId, "correlationId");
        Objects.requireNonNull(channel, "channel");
    }

    /** A call of the HTTP API. */
    public static RequestContext http(Caller caller, String requestId, String clientAddress, Answer answer) {
        return new RequestContext(caller, requestId, clientAddress, Channel.API, Objects.requireNonNull(answer, "answer"));
    }

    /** Lanyard's own work, as {@link Caller#system()}. */
    public static RequestContext system(String correlationId) {
        return new RequestContext(Caller.system(), correlationId, null, Channel.SYSTEM, null);
    }

    /** The Kubernetes controller reading for a resource, as the identity that resource names. */
    public static RequestContext controller(Caller identity, String reconcileId) {
        return new RequestContext(identity, reconcileId, null, Channel.CONTROLLER, null);
    }

    /** The HTTP status this request is answered with, or null when nobody waits for one. */
    public Integer statusFor(String problemCode, int successStatus) {
        return answer == null ? null : answer.status(problemCode, successStatus);
    }
}
