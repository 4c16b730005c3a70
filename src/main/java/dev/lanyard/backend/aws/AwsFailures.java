package dev.lanyard.backend.aws;

import dev.lanyard.spi.BackendException;
import dev.lanyard.spi.BackendRejectedException;
import dev.lanyard.spi.BackendUnavailableException;
import dev.lanyard.spi.SecretNotFoundException;
import dev.lanyard.spi.WriteConflictException;
import java.net.ConnectException;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CompletionException;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.ApiCallAttemptTimeoutException;
import software.amazon.awssdk.core.exception.ApiCallTimeoutException;
import software.amazon.awssdk.core.exception.SdkClientException;

/**
 * Turns the SDK's failures into typed ones. Only AWS's error code and status, and the kind of a client failure, are
 * used; AWS's messages (which may quote a client request token) are never passed on, and no cause is kept.
 *
 * <p>"Not found" is {@code ResourceNotFoundException} alone. A client pointed at the wrong region or account gets
 * exactly that for every secret, as it would for deleted ones: nothing in the answer tells them apart, so that case is
 * left to the callers that remove data on "not found" (the Kubernetes sync's removal guard).
 */
final class AwsFailures {

    /** Codes that mean AWS does not know the credentials Lanyard signed with: its configuration, not the caller's. */
    private static final Set<String> CREDENTIALS_REJECTED = Set.of("UnrecognizedClientException", "InvalidClientTokenId",
            "ExpiredTokenException", "ExpiredToken", "InvalidSignatureException", "SignatureDoesNotMatch");

    private final String backend;

    AwsFailures(String backend) {
        this.backend = backend;
    }

    /** The typed failure for whatever an SDK call failed with. */
    Throwable translate(Throwable failure, String operation, String path) {
        Throwable cause = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
        if (cause instanceof BackendException || cause instanceof IllegalArgumentException) {
            return cause;
        }
        if (cause instanceof AwsServiceException service) {
            return translate(service, operation, path);
        }
        return new BackendUnavailableException(backend, operation, path, describe(cause), null);
    }

    private BackendException translate(AwsServiceException failure, String operation, String path) {
        String code = errorCode(failure);
        int status = failure.statusCode();
        if (code.equals("ResourceNotFoundException")) {
            return new SecretNotFoundException(backend, operation, path);
        }
        if (status == 404) {
            // Secrets Manager says "no such secret" only with ResourceNotFoundException (a 400); a bare 404 comes from
            // something else at the endpoint (a proxy, another service), and says nothing about the secret.
            return new BackendUnavailableException(backend, operation, path,
                    "the endpoint answered 404 without Secrets Manager's ResourceNotFoundException; check the endpoint", null);
        }
        if (code.equals("InvalidRequestException") && markedForDeletion(failure)) {
            // A secret scheduled for deletion serves nothing until it is restored: to a reader it is gone.
            return new SecretNotFoundException(backend, operation, path);
        }
        if (code.equals("ResourceExistsException")) {
            return new WriteConflictException(backend, operation, path, WriteConflictException.Reason.TOKEN_REUSED);
        }
        if (failure.isThrottlingException() || status == 429) {
            return new BackendUnavailableException(backend, operation, path, "throttled by AWS, retries exhausted", null);
        }
        if (status >= 500) {
            return new BackendUnavailableException(backend, operation, path, "AWS answered " + status, null);
        }
        if (code.equals("DecryptionFailure")) {
            return new BackendUnavailableException(backend, operation, path, "the stored value cannot be decrypted", null);
        }
        return new BackendRejectedException(backend, operation, path, status == 0 ? 400 : status);
    }

    /** Whether AWS refused the credentials themselves (as opposed to a permission on one secret). */
    static boolean credentialsRejected(Throwable failure) {
        return unwrap(failure) instanceof AwsServiceException service && CREDENTIALS_REJECTED.contains(errorCode(service));
    }

    static String errorCode(AwsServiceException failure) {
        return failure.awsErrorDetails() == null || failure.awsErrorDetails().errorCode() == null
                ? "" : failure.awsErrorDetails().errorCode();
    }

    private static boolean markedForDeletion(AwsServiceException failure) {
        // AWS has no code of its own for it: "...because it was marked for deletion" (moto: "marked deleted").
        String message = failure.awsErrorDetails() == null ? null : failure.awsErrorDetails().errorMessage();
        return message != null && message.toLowerCase(Locale.ROOT).contains("marked") && message.toLowerCase(Locale.ROOT).contains("delet");
    }

    /** A failure to put into a health reason or a log line: its kind, never its message. */
    static String describe(Throwable failure) {
        Throwable cause = unwrap(failure);
        if (cause instanceof ApiCallTimeoutException || cause instanceof ApiCallAttemptTimeoutException) {
            return "timed out";
        }
        if (cause instanceof AwsServiceException service) {
            return "AWS answered " + service.statusCode() + (errorCode(service).isEmpty() ? "" : " " + errorCode(service));
        }
        for (Throwable t = cause; t != null; t = t.getCause()) {
            if (t instanceof ConnectException) {
                return "connection refused";
            }
            if (t.getClass().getSimpleName().contains("Timeout")) {
                return "timed out";
            }
        }
        if (cause instanceof SdkClientException && cause.getMessage() != null && cause.getMessage().startsWith("Unable to load credentials")) {
            // The default chain found nothing (no environment, web identity, container or instance profile).
            return "no AWS credentials found";
        }
        if (cause instanceof SdkClientException) {
            return "unreachable";
        }
        return "unexpected failure";
    }

    private static Throwable unwrap(Throwable failure) {
        return failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
    }
}
