package dev.lanyard.database;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.jboss.logging.Logger;

/**
 * Closes a connection that sent PostgreSQL something and has heard nothing back for the response timeout. It watches
 * bytes, not statements: the clock starts at the first write after the last read, and any byte read stops it. So a
 * connection idle in the pool is never touched, a long result that keeps arriving is never cut, and one whose path
 * black-holed (failover, lost packets — where TCP would retry for many minutes and the server's
 * {@code statement_timeout} never reaches the client) is closed: everything in flight on it fails at once and the pool
 * drops it and opens a fresh one.
 *
 * <p>Netty runs a handler's methods on its channel's event loop, so the state needs no synchronisation.
 */
final class ResponseDeadline extends ChannelDuplexHandler {

    private static final Logger LOG = Logger.getLogger(ResponseDeadline.class);
    static final String NAME = "lanyard-response-deadline";
    private static final long NOT_WAITING = Long.MIN_VALUE;

    private final long limitNanos;
    private final LongSupplier nanoTime;
    /** When the oldest write nothing has answered yet was made, or {@link #NOT_WAITING}. */
    private long waitingSince = NOT_WAITING;
    private ScheduledFuture<?> check;

    ResponseDeadline(Duration limit) {
        this(limit, System::nanoTime);
    }

    ResponseDeadline(Duration limit, LongSupplier nanoTime) {
        this.limitNanos = limit.toNanos();
        this.nanoTime = nanoTime;
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object message, ChannelPromise promise) throws Exception {
        if (waitingSince == NOT_WAITING) {
            waitingSince = nanoTime.getAsLong();
            if (check == null) {
                check = ctx.executor().schedule(() -> expire(ctx), limitNanos, TimeUnit.NANOSECONDS);
            }
        }
        super.write(ctx, message, promise);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object message) throws Exception {
        waitingSince = NOT_WAITING;
        super.channelRead(ctx, message);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        stop();
        super.channelInactive(ctx);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        stop();
    }

    private void stop() {
        if (check != null) {
            check.cancel(false);
            check = null;
        }
        waitingSince = NOT_WAITING;
    }

    /** Runs at the earliest moment the oldest unanswered write can be overdue; looks again later if it was answered since. */
    void expire(ChannelHandlerContext ctx) {
        check = null;
        if (waitingSince == NOT_WAITING || !ctx.channel().isActive()) {
            return;
        }
        long waited = nanoTime.getAsLong() - waitingSince;
        if (waited >= limitNanos) {
            LOG.warnf("closing the database connection to %s: no answer for %d ms (lanyard.database.response-timeout)",
                    ctx.channel().remoteAddress(), TimeUnit.NANOSECONDS.toMillis(waited));
            ctx.close();
            return;
        }
        check = ctx.executor().schedule(() -> expire(ctx), limitNanos - waited, TimeUnit.NANOSECONDS);
    }
}
