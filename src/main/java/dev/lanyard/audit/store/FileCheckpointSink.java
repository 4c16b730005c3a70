package dev.lanyard.audit.store;

import dev.lanyard.audit.chain.Checkpoint;
import dev.lanyard.audit.chain.CheckpointFile;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

/**
 * Checkpoints appended as JSON lines to one file ({@code lanyard.audit.checkpoint-file}), forced to disk: for one
 * process on one machine. A torn last line (a crash while appending) is skipped when read; a malformed line before it is
 * an error.
 */
final class FileCheckpointSink implements CheckpointSink {

    private final Path file;

    FileCheckpointSink(Path file) {
        this.file = file;
    }

    @Override
    public void publish(Checkpoint checkpoint) {
        try {
            if (file.getParent() != null) {
                Files.createDirectories(file.getParent());
            }
            try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.APPEND)) {
                channel.write(ByteBuffer.wrap((checkpoint.toJsonLine() + "\n").getBytes(StandardCharsets.UTF_8)));
                channel.force(true);
            }
        } catch (IOException e) {
            throw new IllegalStateException("checkpoint could not be published to " + describe(), e);
        }
    }

    @Override
    public List<Checkpoint> published(long fromSeq) {
        if (!Files.exists(file)) {
            return List.of();
        }
        try {
            return CheckpointFile.read(file).stream().filter(c -> c.seq() >= fromSeq).toList();
        } catch (IOException e) {
            throw new IllegalStateException("checkpoint file cannot be read", e);
        }
    }

    @Override
    public String describe() {
        return "file " + file;
    }
}
