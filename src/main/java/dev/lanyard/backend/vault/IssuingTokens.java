package dev.lanyard.backend.vault;

import dev.lanyard.spi.BackendUnavailableException;
import io.github.jopenlibs.vault.Vault;
import io.github.jopenlibs.vault.VaultException;
import io.github.jopenlibs.vault.api.Auth;
import io.github.jopenlibs.vault.response.AuthResponse;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import org.jboss.logging.Logger;

/**
 * The tokens Lanyard issues dynamic credentials under. Vault revokes every lease with the token that created it, so a
 * credential works only as long as that token lives; Lanyard promises its holder an {@code expires_at}, so the token
 * must outlive it, whatever happens to Lanyard's own login and process.
 *
 * <p>With {@code issuing.token-role} set, credentials are issued under <em>issuing tokens</em>: orphans (so no
 * revocation of Lanyard's login token reaches them) made through that token role by Lanyard's login token, each asked
 * to live {@code credential-max-ttl + rotate-after}, never renewed. One is used while it has more than
 * {@code credential-max-ttl} (plus {@link #MARGIN}) to live, then the next is made. Every credential issued under one
 * can therefore live {@code credential-max-ttl} from its issue without anyone keeping anything alive: a restart, a
 * crash or another replica changes nothing, and renewals, which go through any replica's login token, stop there.
 *
 * <p>Without a token role (token auth only: the factory refuses AppRole and Kubernetes without one) credentials are
 * issued under the login token, and never promised past its expiry.
 */
final class IssuingTokens {

    private static final Logger LOG = Logger.getLogger(IssuingTokens.class);

    /** Room for the issue call itself: a token is not used for a credential it might not outlive by this much. */
    static final Duration MARGIN = Duration.ofMinutes(1);

    /** After a token role refused Lanyard, issues fail at once for this long instead of each asking it again. */
    static final Duration RETRY_REFUSED_AFTER = Duration.ofSeconds(30);

    /**
     * A token to issue under, and until when it lives. {@code own} is false for Lanyard's login token, true for an
     * issuing token.
     */
    record Issuer(Vault client, Instant expiresAt, boolean own) {
        @Override
        public String toString() {
            return "Issuer[(masked), expiresAt=" + expiresAt + ", own=" + own + "]";
        }
    }

    private final String backend;
    private final VaultBackendConfig.Issuing config;
    private final VaultSession session;
    private final Function<String, Vault> clientForToken;
    private final InstantSource clock;
    /** One token made at a time; a lock, not a monitor, for the virtual threads that block in it. */
    private final ReentrantLock making = new ReentrantLock();
    private volatile Issuer current;
    /** Why no issuing token can be made, for readiness; null once one was. */
    private volatile String problem;
    private volatile Instant refusedAt = Instant.MIN;
    /** The last issuing token found revoked out of band, for readiness. */
    private volatile String lastRevoked;

    IssuingTokens(String backend, VaultBackendConfig.Issuing config, VaultSession session,
                  Function<String, Vault> clientForToken, InstantSource clock) {
        this.backend = backend;
        this.config = config;
        this.session = session;
        this.clientForToken = clientForToken;
        this.clock = clock;
    }

    /**
     * The token to issue the next credential under, made first if the current one has too little life left.
     *
     * @throws BackendUnavailableException if the token role does not give Lanyard a token credentials can rely on
     */
    Issuer issuer(String path) throws VaultException, IOException {
        if (config.tokenRole().isEmpty()) {
            Vault client = session.client();
            return new Issuer(client, session.expiresAt().orElseThrow(), false);
        }
        Issuer token = current;
        if (token != null && usable(token)) {
            return token;
        }
        making.lock();
        try {
            token = current;
            if (token == null || !usable(token)) {
                if (problem != null && clock.instant().isBefore(refusedAt.plus(RETRY_REFUSED_AFTER))) {
                    throw new BackendUnavailableException(backend, "issue", path, "no usable issuing token (see readiness)", null);
                }
                token = make(path);
                current = token;
            }
            return token;
        } finally {
            making.unlock();
        }
    }

    /** How long a credential issued now under {@code issuer} may be promised to work. */
    Duration promise(Issuer issuer, Instant issuedAt) {
        Duration tokenLife = Duration.between(issuedAt, issuer.expiresAt());
        if (tokenLife.isNegative()) {
            return Duration.ZERO;
        }
        return tokenLife.compareTo(config.credentialMaxTtl()) < 0 ? tokenLife : config.credentialMaxTtl();
    }

    private boolean usable(Issuer token) {
        return clock.instant().plus(config.credentialMaxTtl()).plus(MARGIN).isBefore(token.expiresAt());
    }

    private Issuer make(String path) throws VaultException, IOException {
        String role = config.tokenRole().orElseThrow();
        Duration wanted = config.credentialMaxTtl().plus(config.rotateAfter()).plus(MARGIN);
        Instant now = clock.instant();
        AuthResponse response;
        try {
            response = create(role, wanted);
        } catch (VaultException e) {
            int status = e.getHttpStatusCode();
            if (status == 400 || status == 403 || status == 404) {
                refusedAt = now;
                problem = status == 403
                        ? "Lanyard's token may not create tokens through token role '" + role + "' (403): grant update on auth/token/create/" + role
                        : "token role '" + role + "' refused to create an issuing token (" + status + "): does auth/token/roles/" + role + " exist?";
                LOG.errorf("backend %s: no issuing token, so nothing is issued: %s", backend, problem);
            }
            throw e;
        }
        String value = response.getAuthClientToken();
        Vault client = clientForToken.apply(value);
        boolean orphan = VaultResponses.parse(response).path("auth").path("orphan").asBoolean(false);
        Duration granted = response.getAuthLeaseDuration() == 0 ? VaultSession.UNLIMITED : Duration.ofSeconds(response.getAuthLeaseDuration());
        if (!orphan) {
            refuse(client, path, "token role '" + role + "' makes child tokens of Lanyard's login token, which die with it:"
                    + " set orphan=true on the role");
        }
        if (granted.compareTo(config.credentialMaxTtl().plus(MARGIN)) <= 0) {
            refuse(client, path, "token role '" + role + "' grants issuing tokens " + granted + ", no longer than"
                    + " issuing.credential-max-ttl (" + config.credentialMaxTtl() + ") and a minute: raise the role's"
                    + " token_explicit_max_ttl (or the token mount's max TTL), or lower credential-max-ttl");
        }
        problem = null;
        Issuer issuer = new Issuer(client, now.plus(granted), true);
        Instant lastUse = issuer.expiresAt().minus(config.credentialMaxTtl()).minus(MARGIN);
        LOG.infof("backend %s: new issuing token through token role '%s' (orphan): lives until %s, issues until %s",
                backend, role, issuer.expiresAt(), lastUse);
        if (granted.compareTo(wanted) < 0) {
            LOG.warnf("backend %s: token role '%s' granted %s of the %s asked for: a new issuing token every %s instead of %s",
                    backend, role, granted, wanted, Duration.between(now, lastUse), config.rotateAfter());
        }
        return issuer;
    }

    /** Creates one through the role; if Vault rejected Lanyard's login token itself, once more with its replacement. */
    private AuthResponse create(String role, Duration ttl) throws VaultException {
        Auth.TokenRequest request = new Auth.TokenRequest()
                .role(role)
                .ttl(ttl.toSeconds() + "s")
                .displayName("lanyard-issuing-" + backend)
                .meta(Map.of("lanyard-backend", backend));
        Vault login = session.client();
        long generation = session.generation();
        try {
            return login.auth().createToken(request);
        } catch (VaultException e) {
            if (e.getHttpStatusCode() == 403 && session.recoverFromRejection(generation)) {
                return session.client().auth().createToken(request);
            }
            throw e;
        }
    }

    private void refuse(Vault unusable, String path, String why) {
        problem = why;
        refusedAt = clock.instant();
        LOG.errorf("backend %s: no issuing token, so nothing is issued: %s", backend, why);
        try {
            unusable.auth().revokeSelf();
        } catch (VaultException e) {
            // It issued nothing; it runs out by itself.
        }
        throw new BackendUnavailableException(backend, "issue", path, "no usable issuing token (see readiness)", null);
    }

    /**
     * Called when Vault answered 403 to a call made under {@code failed}. If it is an issuing token Vault no longer
     * accepts (revoked out of band), it is dropped: every credential issued under it died with it, and the next issue
     * makes a new one. The login token is {@link VaultSession}'s to repair.
     *
     * @return true if a call made under {@code failed} is worth one more try under another token
     */
    boolean recoverFromRejection(Issuer failed) {
        if (!failed.own()) {
            return false;
        }
        making.lock();
        try {
            if (current != failed) {
                return current != null;
            }
            try {
                failed.client().auth().lookupSelf();
                return false;
            } catch (VaultException e) {
                if (e.getHttpStatusCode() != 403) {
                    return false;
                }
            }
            current = null;
            lastRevoked = "an issuing token was found revoked at " + clock.instant()
                    + ": credentials issued under it stopped working with it";
            LOG.warnf("backend %s: Vault no longer accepts the issuing token (revoked out of band): every credential issued"
                    + " under it stopped working with it; the next issue makes a new one", backend);
            return true;
        } finally {
            making.unlock();
        }
    }

    /** Asks Vault whether the current issuing token still lives, for health; drops it if it does not. */
    void verify() {
        Issuer token = current;
        if (token != null) {
            recoverFromRejection(token);
        }
    }

    /** Why nothing can be issued now; empty while issuing works or has not been tried. */
    Optional<String> problem() {
        return Optional.ofNullable(problem);
    }

    Optional<String> lastRevoked() {
        return Optional.ofNullable(lastRevoked);
    }
}
