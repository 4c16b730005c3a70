package dev.lanyard.spi;

/**
 * Health of one backend instance.
 *
 * @param reason short operator-facing explanation, such as {@code "connection refused"} or {@code "sealed"};
 *               never contains credentials
 */
public record BackendHealth(boolean up, String reason) {
    public static BackendHealth healthy() {
        return new BackendHealth(true, "ok");
    }

    public static BackendHealth unhealthy(String reason) {
        return new BackendHealth(false, reason);
    }
}
