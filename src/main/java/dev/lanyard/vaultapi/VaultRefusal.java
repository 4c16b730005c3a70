package dev.lanyard.vaultapi;

import dev.lanyard.access.Refusable;
import dev.lanyard.access.Refusal;

/** A request this API refuses for a reason of its own (a token that cannot be renewed, an unreadable increment). */
final class VaultRefusal extends RuntimeException implements Refusable {

    private final transient Refusal refusal;

    VaultRefusal(Refusal refusal, String detail) {
        super(detail, null, false, false);
        this.refusal = refusal;
    }

    @Override
    public Refusal refusal() {
        return refusal;
    }
}
