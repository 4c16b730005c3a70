package dev.lanyard.audit.chain;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads the checkpoint file: one {@link Checkpoint} JSON line each. Checkpoints are appended one line at a time, so a
 * crash can leave the last line incomplete; that line (and only that one) is skipped, since the checkpoint it held was
 * also recorded in the database, and was never relied on. A malformed line anywhere else is an error. Plain Java.
 */
public final class CheckpointFile {

    private CheckpointFile() {}

    /** @throws IllegalArgumentException naming the line when a line other than the last is not a checkpoint */
    public static List<Checkpoint> read(Path file) throws IOException {
        List<String> lines = new ArrayList<>();
        try (BufferedReader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                lines.add(line);
            }
        }
        boolean endsWithNewline = Files.size(file) > 0 && endsWithNewline(file);
        List<Checkpoint> checkpoints = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if (line.isBlank()) {
                continue;
            }
            try {
                checkpoints.add(Checkpoint.fromJsonLine(line));
            } catch (IllegalArgumentException e) {
                boolean torn = i == lines.size() - 1 && !endsWithNewline;
                if (!torn) {
                    throw new IllegalArgumentException(file + " line " + (i + 1) + ": " + e.getMessage());
                }
            }
        }
        return checkpoints;
    }

    private static boolean endsWithNewline(Path file) throws IOException {
        try (FileChannel channel = FileChannel.open(file)) {
            ByteBuffer last = ByteBuffer.allocate(1);
            channel.read(last, channel.size() - 1);
            return last.get(0) == '\n';
        }
    }
}
