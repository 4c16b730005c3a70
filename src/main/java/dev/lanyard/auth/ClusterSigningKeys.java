package dev.lanyard.auth;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.Key;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.jboss.logging.Logger;
import org.jose4j.jwk.JsonWebKey;
import org.jose4j.jwk.JsonWebKeySet;
import org.jose4j.jws.JsonWebSignature;
import org.jose4j.jwx.JsonWebStructure;
import org.jose4j.keys.resolvers.VerificationKeyResolver;
import org.jose4j.lang.JoseException;
import org.jose4j.lang.UnresolvableKeyException;

/**
 * The cluster's ServiceAccount signing keys (its JWKS), kept fresh in the background so that verifying a token
 * normally costs no network call. A token signed with a key not seen yet (the cluster rotated its key) triggers one
 * bounded refresh, at most every {@code minRefreshGap}. When no keys can be had at all, verification fails with
 * {@link AuthenticationUnavailableException} (503): an unreachable JWKS says nothing about the caller, so it is not
 * answered as a bad token (401).
 */
final class ClusterSigningKeys implements VerificationKeyResolver, AutoCloseable {

    private static final Logger LOG = Logger.getLogger(ClusterSigningKeys.class);

    /** Fetches the JWKS document; throws when it cannot. */
    @FunctionalInterface
    interface Source {
        String fetch() throws IOException, InterruptedException;
    }

    private final Source source;
    private final InstantSource clock;
    private final Duration minRefreshGap;
    private final ReentrantLock refreshing = new ReentrantLock();
    private volatile List<JsonWebKey> keys = List.of();
    private volatile Instant lastAttempt = Instant.MIN;
    private volatile String problem;
    private ScheduledExecutorService background;

    ClusterSigningKeys(Source source, InstantSource clock, Duration minRefreshGap) {
        this.source = source;
        this.clock = clock;
        this.minRefreshGap = minRefreshGap;
    }

    /** Keys from the cluster's JWKS URL, over TLS trusting {@code trust}, each fetch bounded by {@code timeout}. */
    static Source url(URI url, HttpClient http, Duration timeout, Optional<String> bearerToken) {
        return () -> {
            HttpRequest.Builder request = HttpRequest.newBuilder(url).timeout(timeout).header("Accept", "application/json");
            bearerToken.ifPresent(token -> request.header("Authorization", "Bearer " + token));
            HttpResponse<String> response = http.send(request.GET().build(), HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 200) {
                throw new IOException("JWKS answered " + response.statusCode());
            }
            return response.body();
        };
    }

    /** Keys from a file distributed out of band; read again on every refresh. */
    static Source file(Path file) {
        return () -> Files.readString(file);
    }

    /** Refreshes every {@code interval} on a virtual thread, starting now. */
    void refreshEvery(Duration interval) {
        background = Executors.newSingleThreadScheduledExecutor(Thread.ofVirtual().name("jwks-refresh").factory());
        background.scheduleWithFixedDelay(this::refreshQuietly, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void refreshQuietly() {
        refreshing.lock();
        try {
            fetchLocked();
        } finally {
            refreshing.unlock();
        }
    }

    /** Fetches the keys unless an attempt was made within the gap; concurrent callers share one fetch. */
    void refreshIfDue() {
        refreshing.lock();
        try {
            if (clock.instant().isBefore(lastAttempt.plus(minRefreshGap))) {
                return;
            }
            fetchLocked();
        } finally {
            refreshing.unlock();
        }
    }

    /** Keeps the previous keys when the fetch fails, and remembers why. */
    private void fetchLocked() {
        lastAttempt = clock.instant();
        try {
            keys = List.copyOf(new JsonWebKeySet(source.fetch()).getJsonWebKeys());
            problem = null;
        } catch (IOException | JoseException e) {
            problem = describe(e);
            LOG.warnf("cluster signing keys could not be refreshed: %s", problem);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            problem = "interrupted";
        }
    }

    @Override
    public Key resolveKey(JsonWebSignature jws, List<JsonWebStructure> nestingContext) throws UnresolvableKeyException {
        Optional<JsonWebKey> key = find(jws);
        if (key.isEmpty()) {
            // A key not seen yet: the cluster may have rotated. One bounded fetch, never more often than the gap.
            refreshIfDue();
            key = find(jws);
        }
        if (keys.isEmpty()) {
            throw new AuthenticationUnavailableException("cluster signing keys unavailable"
                    + (problem == null ? "" : ": " + problem));
        }
        return key.orElseThrow(() -> new UnresolvableKeyException("no cluster signing key matches the token")).getKey();
    }

    private Optional<JsonWebKey> find(JsonWebSignature jws) {
        String kid = jws.getKeyIdHeaderValue();
        return keys.stream().filter(k -> kid == null || kid.equals(k.getKeyId())).findFirst();
    }

    private static String describe(Exception e) {
        return e instanceof HttpTimeoutException ? "timed out"
                : e instanceof ConnectException ? "connection refused"
                : e instanceof JoseException ? "not a JWKS document"
                : e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }

    @Override
    public void close() {
        if (background != null) {
            background.shutdownNow();
        }
    }
}
