package dev.lanyard.audit;

import java.util.Locale;

/** Who acted: a caller over the API, Lanyard itself (start-up, checkpoints, rotation), or its Kubernetes controller. */
public enum ActorKind {
    /** A caller of the HTTP API, authenticated or not ({@code anonymous}). */
    CALLER,
    /** Lanyard on its own account: start-up facts, checkpoints, scheduled rotations. */
    SYSTEM,
    /** The Kubernetes controller, acting for one custom resource with that resource's identity. */
    CONTROLLER;

    public String spelling() {
        return name().toLowerCase(Locale.ROOT);
    }
}
