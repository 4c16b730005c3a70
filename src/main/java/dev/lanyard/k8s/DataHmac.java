package dev.lanyard.k8s;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Base64;
import java.util.Map;
import java.util.TreeMap;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * HMAC-SHA-256 of a Secret's data under a key only the controller holds, for {@code status.dataHmac} and the
 * restart annotation. A plain hash would let anyone who can read the status (or a Deployment) confirm a guess of
 * the values; the HMAC says only "changed" or "unchanged". Keys and values are length-prefixed in key order, so no
 * two different maps encode alike.
 */
final class DataHmac {

    private final SecretKeySpec key;

    DataHmac(byte[] key) {
        if (key.length < 32) {
            throw new IllegalArgumentException("the data HMAC key must be at least 32 bytes");
        }
        this.key = new SecretKeySpec(key.clone(), "HmacSHA256");
    }

    String of(Map<String, byte[]> data) {
        Mac mac = mac();
        for (Map.Entry<String, byte[]> entry : new TreeMap<>(data).entrySet()) {
            byte[] name = entry.getKey().getBytes(StandardCharsets.UTF_8);
            mac.update(ByteBuffer.allocate(4).putInt(name.length).array());
            mac.update(name);
            mac.update(ByteBuffer.allocate(4).putInt(entry.getValue().length).array());
            mac.update(entry.getValue());
        }
        return Base64.getUrlEncoder().withoutPadding().encodeToString(mac.doFinal());
    }

    private Mac mac() {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(key);
            return mac;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 unavailable", e);
        }
    }

    @Override
    public String toString() {
        return "DataHmac(key masked)";
    }
}
