package dev.lanyard.backend.vault;

import dev.lanyard.support.SecretReference;
import io.github.jopenlibs.vault.Vault;
import io.github.jopenlibs.vault.VaultException;
import io.github.jopenlibs.vault.response.AuthResponse;
import io.github.jopenlibs.vault.response.LookupResponse;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import org.jboss.logging.Logger;

/**
 * Lanyard's own login at one Vault: the current client token, when it was obtained, and how long it lives.
 *
 * <p>{@link #renewIfDue()} is called periodically. Once {@code renewAt} of the token's TTL has passed, the
 * token is renewed; if it cannot be renewed (not renewable, max TTL reached, revoked) and the auth method can
 * log in again (AppRole, Kubernetes), it logs in again. A static token that can no longer be renewed simply
 * runs out, and health reports that.
 */
final class VaultSession {

    private static final Logger LOG = Logger.getLogger(VaultSession.class);

    /** A token with no TTL (root or periodic without expiry) is reported as this long-lived. */
    private static final Duration UNLIMITED = Duration.ofDays(3650);

    private record Token(String value, Instant obtainedAt, Duration ttl, boolean renewable, Vault client) {
        Instant expiresAt() {
            return obtainedAt.plus(ttl);
        }

        @Override
        public String toString() {
            return "Token[(masked), obtainedAt=" + obtainedAt + ", ttl=" + ttl + ", renewable=" + renewable + "]";
        }
    }

    private final String backendName;
    private final VaultBackendConfig.Auth auth;
    private final Function<String, Vault> clientForToken;
    private final Vault anonymousClient;
    private final InstantSource clock;
    private final AtomicReference<Token> current = new AtomicReference<>();
    /**
     * One login or renewal at a time. A lock rather than {@code synchronized}: the login blocks on HTTP, and a
     * virtual thread blocked inside a monitor pins its carrier on Java 21.
     */
    private final ReentrantLock maintenance = new ReentrantLock();

    VaultSession(String backendName, VaultBackendConfig.Auth auth, Function<String, Vault> clientForToken, InstantSource clock) {
        this.backendName = backendName;
        this.auth = auth;
        this.clientForToken = clientForToken;
        this.anonymousClient = clientForToken.apply(null);
        this.clock = clock;
    }

    /**
     * The client carrying the current token; logs in first if there is none yet. Concurrent first calls log in
     * once: the others wait for that login (a limited-use AppRole secret id is spent once, not once per caller).
     */
    Vault client() throws VaultException {
        Token token = current.get();
        if (token != null) {
            return token.client();
        }
        maintenance.lock();
        try {
            token = current.get();
            return (token != null ? token : loginLocked()).client();
        } finally {
            maintenance.unlock();
        }
    }

    /** When the current token expires, or empty before the first login. */
    Optional<Instant> expiresAt() {
        return Optional.ofNullable(current.get()).map(Token::expiresAt);
    }

    /** Logs in with the configured method, replacing the current token. */
    Token login() throws VaultException {
        maintenance.lock();
        try {
            return loginLocked();
        } finally {
            maintenance.unlock();
        }
    }

    private Token loginLocked() throws VaultException {
        Instant now = clock.instant();
        Token token = switch (auth.method()) {
            case TOKEN -> fromStaticToken(now);
            case APPROLE -> fromAuthResponse(anonymousClient.auth().loginByAppRole(
                    auth.mount().orElse("approle"), auth.roleId().orElseThrow(), resolve(auth.secretId().orElseThrow())), now);
            // Unlike loginByAppRole, the driver's loginByKubernetes takes the mount's full path below /v1/.
            case KUBERNETES -> fromAuthResponse(anonymousClient.auth().loginByKubernetes(
                    auth.role().orElseThrow(), resolve(auth.jwt()), "auth/" + auth.mount().orElse("kubernetes")), now);
        };
        current.set(token);
        LOG.debugf("backend %s: logged in to Vault with %s, token TTL %s", backendName, auth.method(), token.ttl());
        return token;
    }

    /**
     * Renews or replaces the token if {@code renewAt} of its TTL has passed.
     *
     * @return true if the token was renewed or replaced
     */
    boolean renewIfDue() throws VaultException {
        maintenance.lock();
        try {
            return renewIfDueLocked();
        } finally {
            maintenance.unlock();
        }
    }

    private boolean renewIfDueLocked() throws VaultException {
        Token token = current.get();
        if (token == null) {
            loginLocked();
            return true;
        }
        Instant now = clock.instant();
        Instant due = token.obtainedAt().plusMillis((long) (token.ttl().toMillis() * auth.renewAt()));
        if (now.isBefore(due)) {
            return false;
        }
        if (token.renewable()) {
            try {
                AuthResponse renewed = token.client().auth().renewSelf();
                Duration ttl = Duration.ofSeconds(renewed.getAuthLeaseDuration());
                // Vault caps renewals at the token's max TTL; a renewal that no longer extends it is a signal to log in again.
                if (!ttl.isZero() && now.plus(ttl).isAfter(token.expiresAt())) {
                    current.set(new Token(token.value(), now, ttl, renewed.isAuthRenewable(), token.client()));
                    LOG.debugf("backend %s: renewed Vault token, TTL %s", backendName, ttl);
                    return true;
                }
            } catch (VaultException e) {
                LOG.warnf("backend %s: renewing Lanyard's Vault token failed (status %d)", backendName, e.getHttpStatusCode());
            }
        }
        if (auth.method() == VaultBackendConfig.Method.TOKEN) {
            return false;
        }
        loginLocked();
        return true;
    }

    private Token fromStaticToken(Instant now) throws VaultException {
        String value = resolve(auth.token().orElseThrow());
        Vault client = clientForToken.apply(value);
        LookupResponse self = client.auth().lookupSelf();
        Duration ttl = self.getTTL() == 0 ? UNLIMITED : Duration.ofSeconds(self.getTTL());
        return new Token(value, now, ttl, self.isRenewable(), client);
    }

    private Token fromAuthResponse(AuthResponse response, Instant now) {
        String value = response.getAuthClientToken();
        Duration ttl = response.getAuthLeaseDuration() == 0 ? UNLIMITED : Duration.ofSeconds(response.getAuthLeaseDuration());
        return new Token(value, now, ttl, response.isAuthRenewable(), clientForToken.apply(value));
    }

    private static String resolve(String reference) {
        return SecretReference.parse(reference).resolve();
    }

    /** For tests and health: what Vault reports about the current token. */
    Map<String, Object> describe() {
        Token token = current.get();
        return token == null ? Map.of("loggedIn", false)
                : Map.of("loggedIn", true, "ttl", token.ttl().toString(), "renewable", token.renewable());
    }
}
