package dev.lanyard.backend.vault;

import dev.lanyard.support.SecretReference;
import io.github.jopenlibs.vault.Vault;
import io.github.jopenlibs.vault.VaultException;
import io.github.jopenlibs.vault.response.AuthResponse;
import io.github.jopenlibs.vault.response.LookupResponse;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Locale;
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
 *
 * <p>A token can also die between renewals: an operator revokes it (incident response) or Vault loses it. Vault then
 * answers 403 to everything, which is also its answer to a path the policy denies. {@link #recoverFromRejection}
 * tells the two apart with {@code lookup-self} and replaces a dead token once, however many calls saw it die: it logs
 * in again, or for the token method reads {@code auth.token} again, so a token an operator put there is taken up.
 *
 * <p>Credentials are not issued under this token when Lanyard may log in again (see {@link IssuingTokens}): a new
 * login leaves the old token to run out, and Vault revokes every lease created under it when it does.
 */
final class VaultSession {

    private static final Logger LOG = Logger.getLogger(VaultSession.class);

    /** A token with no TTL (root or periodic without expiry) is reported as this long-lived. */
    static final Duration UNLIMITED = Duration.ofDays(3650);

    private record Token(String value, Instant obtainedAt, Duration ttl, boolean renewable, Vault client, long generation) {
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
    /** Counts logins, so a caller that saw a token fail can tell whether it has been replaced since. Under the lock. */
    private long logins;
    /** Why Vault's rejection of Lanyard's token could not be repaired; null while the token works. */
    private volatile String unusable;
    /** When replacing a rejected token was last tried, so a burst of failing calls tries once, not once each. */
    private volatile Instant lastRepair = Instant.MIN;
    /** When Vault was first found rejecting the token that is being replaced. */
    private volatile Instant rejectedSince;
    /** The last time a token was found dead between renewals and replaced: what readiness reports while UP. */
    private volatile String lastReplacement;

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
            return (token != null ? token : loginLocked("first login")).client();
        } finally {
            maintenance.unlock();
        }
    }

    /** Which login the current token came from: 0 before the first, then one more for each login or replacement. */
    long generation() {
        Token token = current.get();
        return token == null ? 0 : token.generation();
    }

    /** When the current token expires, or empty before the first login. */
    Optional<Instant> expiresAt() {
        return Optional.ofNullable(current.get()).map(Token::expiresAt);
    }

    /** Why Lanyard's token cannot be used: Vault rejects it and it could not be replaced. Empty while it works. */
    Optional<String> problem() {
        return Optional.ofNullable(unusable);
    }

    /** The last time a dead token was replaced between renewals, for operators; empty if that never happened. */
    Optional<String> lastReplacement() {
        return Optional.ofNullable(lastReplacement);
    }

    /** Logs in with the configured method, replacing the current token. */
    Token login() throws VaultException {
        maintenance.lock();
        try {
            return loginLocked("login");
        } finally {
            maintenance.unlock();
        }
    }

    /** Logs in and says so at INFO, with why: logins are rare, and each one changes what Vault sees of Lanyard. */
    private Token loginLocked(String why) throws VaultException {
        Instant now = clock.instant();
        long generation = logins + 1;
        Token token = switch (auth.method()) {
            case TOKEN -> fromStaticToken(now, generation);
            case APPROLE -> fromAuthResponse(anonymousClient.auth().loginByAppRole(
                    auth.mount().orElse("approle"), auth.roleId().orElseThrow(), resolve(auth.secretId().orElseThrow())), now, generation);
            // Unlike loginByAppRole, the driver's loginByKubernetes takes the mount's full path below /v1/.
            case KUBERNETES -> fromAuthResponse(anonymousClient.auth().loginByKubernetes(
                    auth.role().orElseThrow(), resolve(auth.jwt()), "auth/" + auth.mount().orElse("kubernetes")), now, generation);
        };
        logins = generation;
        current.set(token);
        unusable = null;
        LOG.infof("backend %s: %s: logged in to Vault with %s; token TTL %s, renewable %s", backendName, why,
                auth.method() == VaultBackendConfig.Method.TOKEN ? "the token in auth.token" : method(), token.ttl(),
                token.renewable());
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
            loginLocked("first login");
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
                    current.set(new Token(token.value(), now, ttl, renewed.isAuthRenewable(), token.client(), token.generation()));
                    LOG.debugf("backend %s: renewed Vault token, TTL %s", backendName, ttl);
                    return true;
                }
            } catch (VaultException e) {
                if (e.getHttpStatusCode() == 403 && now.isBefore(token.expiresAt())) {
                    return replaceRejectedLocked(token, now);
                }
                if (e.getHttpStatusCode() != 403) {
                    LOG.warnf("backend %s: renewing Lanyard's Vault token failed (%s)", backendName, VaultFailures.describe(e));
                }
            }
        }
        if (auth.method() == VaultBackendConfig.Method.TOKEN) {
            return false;
        }
        loginLocked("Lanyard's token cannot be extended any more (max TTL reached, or not renewable)");
        return true;
    }

    /**
     * Called when Vault answered 403 to a call made with the token of {@code failedGeneration}. If that token is dead
     * (revoked or expired out of band) it is replaced: by logging in again, or for the token method by reading
     * {@code auth.token} again. A 403 for a path the policy denies leaves the token alone.
     *
     * @return true if the token in use now is another one than the call had, so the call is worth one more try
     */
    boolean recoverFromRejection(long failedGeneration) {
        maintenance.lock();
        try {
            Token token = current.get();
            if (token == null || token.generation() != failedGeneration) {
                return token != null;
            }
            Instant now = clock.instant();
            if (unusable != null && now.isBefore(lastRepair.plus(auth.checkInterval()))) {
                // Replacing it failed a moment ago: calls fail fast until the next try instead of each trying again.
                return false;
            }
            if (accepted(token)) {
                return false;
            }
            return replaceRejectedLocked(token, now);
        } finally {
            maintenance.unlock();
        }
    }

    /**
     * Asks Vault about the current token, and replaces it if it is dead. Health calls it, so a token revoked while no
     * request comes in is noticed at the next probe.
     */
    void verify() throws VaultException {
        client();
        recoverFromRejection(generation());
    }

    /** Whether Vault still knows the token; only a 403 to {@code lookup-self} (in Vault's default policy) says no. */
    private static boolean accepted(Token token) {
        try {
            token.client().auth().lookupSelf();
            return true;
        } catch (VaultException e) {
            return e.getHttpStatusCode() != 403;
        }
    }

    private boolean replaceRejectedLocked(Token dead, Instant now) {
        lastRepair = now;
        boolean firstTry = unusable == null;
        if (firstTry) {
            rejectedSince = now;
            LOG.warnf("backend %s: Vault no longer accepts Lanyard's token (revoked or expired out of band, %s before its"
                    + " expiry); replacing it", backendName, Duration.between(now, dead.expiresAt()).withNanos(0));
        }
        try {
            loginLocked("replacing Lanyard's rejected token");
            lastReplacement = "Vault rejected Lanyard's token at " + rejectedSince + " (revoked out of band?); replaced at "
                    + clock.instant();
            return true;
        } catch (VaultException | RuntimeException e) {
            String why = "Vault rejects Lanyard's token (revoked or expired out of band) since " + rejectedSince + ", and "
                    + (auth.method() == VaultBackendConfig.Method.TOKEN
                            ? "auth.token holds no valid token (" + VaultFailures.describe(e) + ")"
                            : "logging in again with " + method() + " failed (" + VaultFailures.describe(e) + ")");
            if (!why.equals(unusable)) {
                // Once per distinct reason, not once per retry.
                LOG.errorf("backend %s: %s", backendName, why);
            }
            unusable = why;
            return false;
        }
    }

    private String method() {
        return auth.method().name().toLowerCase(Locale.ROOT);
    }

    private Token fromStaticToken(Instant now, long generation) throws VaultException {
        String value = resolve(auth.token().orElseThrow());
        Vault client = clientForToken.apply(value);
        LookupResponse self = client.auth().lookupSelf();
        Duration ttl = self.getTTL() == 0 ? UNLIMITED : Duration.ofSeconds(self.getTTL());
        return new Token(value, now, ttl, self.isRenewable(), client, generation);
    }

    private Token fromAuthResponse(AuthResponse response, Instant now, long generation) {
        String value = response.getAuthClientToken();
        Duration ttl = response.getAuthLeaseDuration() == 0 ? UNLIMITED : Duration.ofSeconds(response.getAuthLeaseDuration());
        return new Token(value, now, ttl, response.isAuthRenewable(), clientForToken.apply(value), generation);
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
