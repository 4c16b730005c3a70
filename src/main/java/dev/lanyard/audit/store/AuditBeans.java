package dev.lanyard.audit.store;

import dev.lanyard.audit.LeaseFingerprint;
import dev.lanyard.audit.chain.CheckpointSigner;

import dev.lanyard.support.SecretReference;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.util.Base64;

class AuditBeans {

    /** The checkpoint key: signs heads here, and verifies the checkpoints the writer and the verifier anchor on. */
    @Produces
    @Singleton
    CheckpointSigner checkpointSigner(AuditConfig config) {
        return CheckpointSigner.fromBase64Seed(SecretReference.parse(config.signingKey()).resolve());
    }

    /**
     * The key lease ids are fingerprinted with: audit rows and the lease table hold the fingerprint, never the id.
     * Keep it stable: changing it breaks the correlation of one lease's events across the change.
     */
    @Produces
    @Singleton
    LeaseFingerprint leaseFingerprint(AuditConfig config) {
        byte[] key;
        try {
            key = Base64.getDecoder().decode(SecretReference.parse(config.leaseHmacKey()).resolve());
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("lanyard.audit.lease-hmac-key must reference a base64 key: " + e.getMessage());
        }
        return new LeaseFingerprint(key);
    }
}
