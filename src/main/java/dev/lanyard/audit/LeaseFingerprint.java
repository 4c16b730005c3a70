package dev.lanyard.audit;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * HMAC-SHA-256 of a lease id under a key only Lanyard holds. Audit rows and the lease table store this
 * instead of the id: an id is a bearer handle for renew/revoke, while the fingerprint lets an auditor
 * correlate events for one lease (and Lanyard look a lease up) without being able to use it.
 */
public final class LeaseFingerprint {

    private final SecretKeySpec key;

    public LeaseFingerprint(byte[] key) {
        if (key.length < 32) {
            throw new IllegalArgumentException("lease fingerprint key must be at least 32 bytes");
        }
        this.key = new SecretKeySpec(key.clone(), "HmacSHA256");
    }

    public String of(String leaseId) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(key);
            return HexFormat.of().formatHex(mac.doFinal(leaseId.getBytes(StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 unavailable", e);
        }
    }

    @Override
    public String toString() {
        return "LeaseFingerprint(key masked)";
    }
}
