package dev.lanyard.audit.chain;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/** Runs the offline verifier in-process (its main would exit the JVM) and captures what it prints. */
public final class OfflineVerifierAccess {

    public record Outcome(int exitCode, String output) {}

    private OfflineVerifierAccess() {}

    /** The raw key from a file holding it in base64, as the offline verifier reads it. */
    public static byte[] publicKey(Path file) throws IOException {
        return OfflineVerifier.readPublicKey(file);
    }

    public static Outcome run(Path export, Path publicKey, Path checkpoints) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = OfflineVerifier.run(new String[] {export.toString(), publicKey.toString(), checkpoints.toString()},
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Outcome(code, out.toString(StandardCharsets.UTF_8) + err.toString(StandardCharsets.UTF_8));
    }
}
