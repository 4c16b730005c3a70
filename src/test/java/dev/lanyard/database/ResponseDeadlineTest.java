package dev.lanyard.database;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The connection-level deadline, on a channel whose clock the test moves (Netty's embedded event loop, time frozen). */
class ResponseDeadlineTest {

    private final AtomicLong now = new AtomicLong(1_000_000_000L);
    private final EmbeddedChannel connection = new EmbeddedChannel();

    @BeforeEach
    void watch() {
        connection.freezeTime();
        connection.pipeline().addFirst(ResponseDeadline.NAME, new ResponseDeadline(Duration.ofSeconds(10), now::get));
    }

    private void advance(Duration by) {
        now.addAndGet(by.toNanos());
        connection.advanceTimeBy(by.toNanos(), TimeUnit.NANOSECONDS);
        connection.runScheduledPendingTasks();
    }

    private void send() {
        connection.writeOutbound(Unpooled.copiedBuffer("Q select 1", StandardCharsets.US_ASCII));
    }

    private void answer() {
        connection.writeInbound(Unpooled.copiedBuffer("T D C Z", StandardCharsets.US_ASCII));
    }

    @Test
    void aRequestNothingAnswersClosesTheConnectionAtTheDeadline() {
        send();
        advance(Duration.ofMillis(9_999));
        assertThat(connection.isOpen()).isTrue();
        advance(Duration.ofMillis(1));
        assertThat(connection.isOpen()).as("closed 10 s after the unanswered write").isFalse();
    }

    @Test
    void aConnectionIdleInThePoolIsNeverClosed() {
        send();
        answer();
        advance(Duration.ofHours(1));
        assertThat(connection.isOpen()).isTrue();
    }

    @Test
    void theClockRunsFromTheOldestUnansweredWrite() {
        send();
        advance(Duration.ofSeconds(6));
        send(); // pipelined behind the first: the path is the same, so is the wait
        advance(Duration.ofSeconds(4));
        assertThat(connection.isOpen()).isFalse();
    }

    @Test
    void anAnswerRestartsTheClockForTheNextRequest() {
        send();
        advance(Duration.ofSeconds(8));
        answer();
        send();
        advance(Duration.ofSeconds(8));
        assertThat(connection.isOpen()).as("16 s since the first write, 8 s since the last answer").isTrue();
        advance(Duration.ofSeconds(2));
        assertThat(connection.isOpen()).isFalse();
    }
}
