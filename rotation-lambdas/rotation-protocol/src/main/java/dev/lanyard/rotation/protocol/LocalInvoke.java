package dev.lanyard.rotation.protocol;

import com.amazonaws.services.lambda.runtime.ClientContext;
import com.amazonaws.services.lambda.runtime.CognitoIdentity;
import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.LambdaLogger;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.events.SecretsManagerRotationEvent;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.UUID;

/**
 * Invokes a handler the way Lambda would, from an event file, in this JVM: {@code LocalInvoke <handler class>
 * <event.json>}. The handler is made with its public no-argument constructor, so it reads its configuration from
 * the environment exactly as in Lambda. Log lines go to standard output; a one-line timing summary (init and
 * invocation, in milliseconds) goes to standard error. Exits 1 when the step throws.
 */
public final class LocalInvoke {
    private LocalInvoke() {
    }

    public static void main(String[] args) throws IOException, ReflectiveOperationException {
        if (args.length != 2) {
            System.err.println("usage: LocalInvoke <handler class> <event.json>");
            System.exit(2);
        }
        SecretsManagerRotationEvent event = readEvent(Path.of(args[1]));
        long initStart = System.nanoTime();
        @SuppressWarnings("unchecked")
        RequestHandler<SecretsManagerRotationEvent, Void> handler = (RequestHandler<SecretsManagerRotationEvent, Void>)
                Class.forName(args[0]).getConstructor().newInstance();
        long invokeStart = System.nanoTime();
        int status = 0;
        try {
            handler.handleRequest(event, new LocalContext(UUID.randomUUID().toString(), args[0]));
        } catch (RuntimeException e) {
            System.err.println("LocalInvoke: " + event.getStep() + " failed: " + e.getClass().getName()
                    + (e.getMessage() == null ? "" : ": " + e.getMessage()));
            status = 1;
        }
        long end = System.nanoTime();
        System.err.printf("LocalInvoke: {\"step\":\"%s\",\"initMs\":%.1f,\"invokeMs\":%.1f,\"ok\":%s}%n",
                event.getStep(), (invokeStart - initStart) / 1e6, (end - invokeStart) / 1e6, status == 0);
        System.exit(status);
    }

    static SecretsManagerRotationEvent readEvent(Path file) throws IOException {
        Map<String, Object> json = SecretJson.tryParseObject(Files.readString(file, StandardCharsets.UTF_8))
                .orElseThrow(() -> new IllegalArgumentException(file + " is not a JSON object"));
        SecretsManagerRotationEvent event = new SecretsManagerRotationEvent();
        event.setStep(text(json, "Step"));
        event.setSecretId(text(json, "SecretId"));
        event.setClientRequestToken(text(json, "ClientRequestToken"));
        event.setRotationToken(text(json, "RotationToken"));
        return event;
    }

    private static String text(Map<String, Object> json, String key) {
        Object value = json.get(key);
        return value == null ? null : value.toString();
    }

    private record LocalContext(String requestId, String functionName) implements Context {
        @Override
        public String getAwsRequestId() {
            return requestId;
        }

        @Override
        public String getLogGroupName() {
            return "/aws/lambda/" + functionName;
        }

        @Override
        public String getLogStreamName() {
            return "local";
        }

        @Override
        public String getFunctionName() {
            return functionName;
        }

        @Override
        public String getFunctionVersion() {
            return "$LATEST";
        }

        @Override
        public String getInvokedFunctionArn() {
            return null;
        }

        @Override
        public CognitoIdentity getIdentity() {
            return null;
        }

        @Override
        public ClientContext getClientContext() {
            return null;
        }

        @Override
        public int getRemainingTimeInMillis() {
            return 30_000;
        }

        @Override
        public int getMemoryLimitInMB() {
            return 512;
        }

        @Override
        public LambdaLogger getLogger() {
            return new LambdaLogger() {
                @Override
                public void log(String message) {
                    System.out.println(message);
                }

                @Override
                public void log(byte[] message) {
                    System.out.println(new String(message, StandardCharsets.UTF_8));
                }
            };
        }
    }
}
