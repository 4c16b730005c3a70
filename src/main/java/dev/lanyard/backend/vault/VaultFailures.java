package dev.lanyard.backend.vault;

import dev.lanyard.spi.BackendException;
import dev.lanyard.spi.BackendRejectedException;
import dev.lanyard.spi.BackendUnavailableException;
import dev.lanyard.spi.SecretNotFoundException;
import io.github.jopenlibs.vault.VaultException;
import io.github.jopenlibs.vault.response.VaultResponse;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.net.http.HttpTimeoutException;

/**
 * Turns Vault's answers into typed failures. Only the status and the failure's kind are used: the driver's messages
 * quote Vault's response bodies, which are never passed on.
 */
final class VaultFailures {

    private final String backend;

    VaultFailures(String backend) {
        this.backend = backend;
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
