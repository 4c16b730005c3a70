package dev.lanyard.audit.store;

import dev.lanyard.audit.chain.CheckpointSigner;

import dev.lanyard.support.SecretReference;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

class AuditBeans {

    /** The checkpoint key: signs heads here, and verifies the checkpoints the writer and the verifier anchor on. */
    @Produces
    @Singleton
    CheckpointSigner checkpointSigner(AuditConfig config) {
        return CheckpointSigner.fromBase64Seed(SecretReference.parse(config.signingKey()).resolve());
    }
}
