package dev.lanyard.it;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * A loopback TCP forwarder with a switch, for faults TCP itself would take many minutes to report. Dark, it stops
 * forwarding in both directions and closes nothing, as a path that loses every packet (a failover, a partition): what
 * arrives is held, the rest waits in the kernel's buffers, new connections are accepted and then hear nothing. Restored,
 * it delivers what it held, in order, then a close that happened meanwhile, and carries on.
 *
 * <p>It can go dark by itself at a precise moment: a {@link Rule} looks at every chunk as it passes and may say where
 * in it the path goes dark (before the chunk, or part-way, after a response's headers).
 */
final class BlackHoleProxy implements AutoCloseable {

    enum Direction { TO_SERVER, TO_CLIENT }

    /**
     * Decides, chunk by chunk, where the path goes dark. {@code chunk} is the bytes read as ISO-8859-1 text;
     * {@code connection} is state the rule keeps per proxied connection (what it has seen on it).
     */
    @FunctionalInterface
    interface Rule {
        /** The offset in {@code chunk} at which to go dark (0: before all of it), or -1 to let it all pass. */
        int darkAt(Direction direction, String chunk, Map<String, Object> connection);
    }

    private final InetSocketAddress target;
    private final ServerSocket listener;
    private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
    private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
    private final Object light = new Object();
    private boolean dark;
    private boolean closed;
    private volatile Rule rule;

    private BlackHoleProxy(InetSocketAddress target) {
        this.target = target;
        try {
            this.listener = new ServerSocket(0, 200, InetAddress.getLoopbackAddress());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        threads.submit(this::accept);
    }

    /** A proxy on a free loopback port in front of {@code 127.0.0.1:port}. */
    static BlackHoleProxy to(int port) {
        return new BlackHoleProxy(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
    }

    int port() {
        return listener.getLocalPort();
    }

    /** Goes dark at the first chunk the rule picks (once; the rule is then dropped). */
    void darkenWhen(Rule trigger) {
        rule = trigger;
    }

    void darken() {
        synchronized (light) {
            dark = true;
        }
    }

    void restore() {
        synchronized (light) {
            rule = null;
            dark = false;
            light.notifyAll();
        }
    }

    boolean isDark() {
        synchronized (light) {
            return dark;
        }
    }

    /** Waits until the proxy went dark (its rule fired), at most {@code bound}. */
    boolean awaitDark(Duration bound) throws InterruptedException {
        long until = System.nanoTime() + bound.toNanos();
        synchronized (light) {
            while (!dark && System.nanoTime() < until) {
                light.wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(until - System.nanoTime())));
            }
            return dark;
        }
    }

    private void accept() {
        while (!listener.isClosed()) {
            try {
                Socket client = listener.accept();
                sockets.add(client);
                threads.submit(() -> connect(client));
            } catch (IOException e) {
                return; // closed
            }
        }
    }

    private void connect(Socket client) {
        Socket server = new Socket();
        sockets.add(server);
        try {
            server.connect(target, 5_000);
        } catch (IOException e) {
            closeQuietly(client, server);
            return;
        }
        Map<String, Object> connection = new ConcurrentHashMap<>();
        threads.submit(() -> pump(client, server, Direction.TO_SERVER, connection));
        threads.submit(() -> pump(server, client, Direction.TO_CLIENT, connection));
    }

    private void pump(Socket from, Socket to, Direction direction, Map<String, Object> connection) {
        byte[] buffer = new byte[64 * 1024];
        try (InputStream in = from.getInputStream()) {
            OutputStream out = to.getOutputStream();
            int read;
            while ((read = in.read(buffer)) >= 0) {
                int darkAt = -1;
                Rule current = rule;
                if (current != null) {
                    darkAt = current.darkAt(direction, new String(buffer, 0, read, StandardCharsets.ISO_8859_1), connection);
                }
                if (darkAt >= 0) {
                    out.write(buffer, 0, darkAt);
                    out.flush();
                    synchronized (light) {
                        if (rule == current) {
                            rule = null;
                            dark = true;
                            light.notifyAll();
                        }
                    }
                }
                awaitLight();
                int from0 = Math.max(darkAt, 0);
                out.write(buffer, from0, read - from0);
                out.flush();
            }
            awaitLight();
            to.shutdownOutput();
        } catch (IOException | InterruptedException e) {
            closeQuietly(from, to);
        }
    }

    private void awaitLight() throws InterruptedException, IOException {
        synchronized (light) {
            while (dark && !closed) {
                light.wait();
            }
            if (closed) {
                throw new IOException("proxy closed");
            }
        }
    }

    private void closeQuietly(Socket... pair) {
        for (Socket socket : pair) {
            try {
                socket.close();
            } catch (IOException ignored) {
                // already gone
            }
            sockets.remove(socket);
        }
    }

    @Override
    public void close() {
        synchronized (light) {
            closed = true;
            light.notifyAll();
        }
        try {
            listener.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        sockets.forEach(socket -> closeQuietly(socket));
        threads.shutdownNow();
    }
}
