package dev.lanyard.rotation.protocol;

import java.io.PrintStream;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Structured logs: one JSON object per line on standard output, which Lambda sends to CloudWatch Logs as one event
 * (Logs Insights reads the fields without a parse rule). A line carries the rotation's step, secret, version and
 * request, a fixed message written in the code, and only the {@link LogField}s; there is no way to log a value.
 */
public final class RotationLog {
    private final PrintStream out;
    private final Clock clock;

    public RotationLog(PrintStream out, Clock clock) {
        this.out = out;
        this.clock = clock;
    }

    public static RotationLog toStandardOutput() {
        return new RotationLog(System.out, Clock.systemUTC());
    }

    public void info(Rotation rotation, String message) {
        write("INFO", rotation, message, Map.of());
    }

    public void info(Rotation rotation, String message, Map<LogField, ?> fields) {
        write("INFO", rotation, message, fields);
    }

    public void warn(Rotation rotation, String message, Map<LogField, ?> fields) {
        write("WARN", rotation, message, fields);
    }

    public void error(Rotation rotation, String message, Map<LogField, ?> fields) {
        write("ERROR", rotation, message, fields);
    }

    private void write(String level, Rotation rotation, String message, Map<LogField, ?> fields) {
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("time", clock.instant().toString());
        line.put("level", level);
        line.put("message", message);
        line.put("step", rotation.step() == null ? null : rotation.step().eventName());
        line.put("secretId", rotation.secretId());
        line.put("versionId", rotation.token());
        line.put("requestId", rotation.requestId());
        fields.forEach((field, value) -> line.put(field.key(), value == null ? null : value.toString()));
        String json = SecretJson.write(line);
        synchronized (out) {
            out.println(json);
            out.flush();
        }
    }
}
