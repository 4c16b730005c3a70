package dev.lanyard.backend.vault;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lanyard.secret.SecretPath;
import dev.lanyard.spi.BackendException;
import dev.lanyard.spi.BackendRejectedException;
import dev.lanyard.spi.BackendUnavailableException;
import dev.lanyard.spi.SecretNotFoundException;
import io.github.jopenlibs.vault.VaultException;
import io.github.jopenlibs.vault.response.VaultResponse;
import java.io.IOException;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.net.http.HttpTimeoutException;
import java.time.InstantSource;

/**
 * Turns Vault's answers into typed failures. Only the status, the failure's kind and whether Vault has a handler for
 * the route are used: the driver's messages quote Vault's response bodies, which are never passed on.
 *
 * <p>Vault answers 404 both for a secret that does not exist ({@code {"errors":[]}}) and for a path under a mount that
 * does not exist ({@code {"errors":["no handler for route \"secret/data/…\". route entry not found."]}}, as after
 * {@code bao secrets disable secret}). Only the first is "not found": the second says the same of every secret under
 * the mount, so it is the backend that is unavailable, and a reader (the Kubernetes sync above all) must not conclude
 * that the secret was deleted.
 */
final class VaultFailures {

    private static final String NO_HANDLER = "no handler for route";

    private final String backend;
    private final MissingMounts missing;
    private final InstantSource clock;

    VaultFailures(String backend, MissingMounts missing, InstantSource clock) {
        this.backend = backend;
        this.missing = missing;
        this.clock = clock;
    }

    /**
     * For a call on a secret's path: a 404 without a handler for the route is the mount missing (unavailable, and
     * recorded for health); any other answer means the mount is there.
     */
    void checkStatus(VaultResponse response, String operation, SecretPath path) {
        mountAnswered(response, operation, path);
        checkStatus(response, operation, path.value());
    }

    /**
     * Whether the mount answered at all. Call on every answer to a call on a secret's path that is read before
     * {@link #checkStatus}: a 404 whose errors say Vault has no handler for the route is thrown as unavailable.
     */
    void mountAnswered(VaultResponse response, String operation, SecretPath path) {
        if (response.getRestResponse().getStatus() == 404 && noHandler(response)) {
            missing.missing(path.mount(), clock.instant());
            throw new BackendUnavailableException(backend, operation, path.value(),
                    "mount '" + path.mount() + "' is missing: Vault has no handler for it", null);
        }
        int status = response.getRestResponse().getStatus();
        if (status == 404 || status >= 200 && status < 300) {
            // 403 is not an answer from the mount: Vault refuses a path its policy does not grant before routing it
            missing.answered(path.mount());
        }
    }

    private static boolean noHandler(VaultResponse response) {
        try {
            for (JsonNode error : VaultResponses.parse(response).path("errors")) {
                if (error.asText("").contains(NO_HANDLER)) {
                    return true;
                }
            }
            return false;
        } catch (IOException notJson) {
            return false;
        }
    }

    void checkStatus(VaultResponse response, String operation, String path) {
        int status = response.getRestResponse().getStatus();
        if (status >= 200 && status < 300) {
            return;
        }
        throw translate(status, operation, path, null);
    }

    BackendException translate(int status, String operation, String path, Throwable cause) {
        // Vault answers 400 for a lease it does not know and for a dynamic role that does not exist.
        if (status == 404 || (status == 400 && (operation.equals("renew") || operation.equals("revoke") || operation.equals("issue")))) {
            return new SecretNotFoundException(backend, operation, path);
        }
        if (status == 0 || status >= 500 || status == 429) {
            return new BackendUnavailableException(backend, operation, path,
                    status == 0 ? describe(cause) : "backend answered " + status, cause);
        }
        return new BackendRejectedException(backend, operation, path, status);
    }

    /** A failure to put into a health reason or a log line: its kind, never its message. */
    static String describe(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof ConnectException) {
                return "connection refused";
            }
            if (t instanceof HttpTimeoutException || t instanceof SocketTimeoutException) {
                return "timed out";
            }
        }
        if (failure instanceof VaultException e && e.getHttpStatusCode() > 0) {
            return "backend answered " + e.getHttpStatusCode();
        }
        return "unreachable";
    }
}
