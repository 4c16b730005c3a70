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
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;

/**
 * Invokes a handler the way Lambda would, from event files, in this JVM: {@code LocalInvoke <handler class>
 * <event.json>...}. The handler is made once with its public no-argument constructor, so it reads its
 * configuration from the environment exactly as in Lambda, then gets each event in turn, like one execution
 * environment getting several invocations. Log lines go to standard output; for the init and each invocation a
 * one-line JSON timing summary (milliseconds) goes to standard error. Exits 1 at the first step that throws.
 */
public final class LocalInvoke {
    private LocalInvoke() {
    }

    public static void main(String[] args) throws IOException, ReflectiveOperationException {
        if (args.length < 2) {
            System.err.println("usage: LocalInvoke <handler class> <event.json>...");
            System.exit(2);
        }
        List<SecretsManagerRotationEvent> events = new ArrayList<>();
        for (int i = 1; i < args.length; i++) {
            events.add(readEvent(Path.of(args[i])));
        }
        long initStart = System.nanoTime();
        @SuppressWarnings("unchecked")
        RequestHandler<SecretsManagerRotationEvent, Void> handler = (RequestHandler<SecretsManagerRotationEvent, Void>)
                Class.forName(args[0]).getConstructor().newInstance();
        System.err.printf(Locale.ROOT, "LocalInvoke: {\"phase\":\"init\",\"ms\":%.1f}%n", (System.nanoTime() - initStart) / 1e6);
        for (SecretsManagerRotationEvent event : events) {
            long start = System.nanoTime();
            try {
                handler.handleRequest(event, new LocalContext(UUID.randomUUID().toString(), args[0]));
            } catch (RuntimeException e) {
                System.err.println("LocalInvoke: " + event.getStep() + " failed: " + e.getClass().getName()
                        + (e.getMessage() == null ? "" : ": " + e.getMessage()));
                System.exit(1);
            }
            System.err.printf(Locale.ROOT, "LocalInvoke: {\"phase\":\"%s\",\"ms\":%.1f}%n",
                    event.getStep(), (System.nanoTime() - start) / 1e6);
        }
        System.exit(0);
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
