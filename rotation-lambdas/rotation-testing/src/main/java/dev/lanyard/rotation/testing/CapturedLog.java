package dev.lanyard.rotation.testing;

import dev.lanyard.rotation.protocol.RotationLog;
import dev.lanyard.rotation.protocol.SecretJson;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.List;
import java.util.Map;

/** A {@link RotationLog} whose lines a test can read back. */
public final class CapturedLog {
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final RotationLog log = new RotationLog(new PrintStream(bytes, true, StandardCharsets.UTF_8), Clock.systemUTC());

    public RotationLog log() {
        return log;
    }

    public List<String> lines() {
        return bytes.toString(StandardCharsets.UTF_8).lines().toList();
    }

    /** Each line as the JSON object it must be; a line that is not one fails the test. */
    public List<Map<String, Object>> objects() {
        return lines().stream().map(SecretJson::parseObject).toList();
    }
}
