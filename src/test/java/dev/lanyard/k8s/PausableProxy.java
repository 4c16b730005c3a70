package dev.lanyard.k8s;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A loopback TCP proxy in front of one address (the kube-apiserver, TLS and all) whose traffic a test can block and let
 * through again, as a network partition between one process and the API server would: while paused, connections are
 * accepted and held, and no byte goes either way; on resume, what was held is delivered. Only the process pointed at
 * the proxy is cut off; everything else reaches the server directly.
 */
public final class PausableProxy implements AutoCloseable {

    private final ServerSocket listener;
    private final InetSocketAddress target;
    private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
    private final Object gate = new Object();
    private volatile boolean paused;
    private volatile boolean closed;

    public PausableProxy(String host, int port) {
        target = new InetSocketAddress(host, port);
        try {
            listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Thread.ofPlatform().daemon().name("pausable-proxy-accept").start(this::accept);
    }

    public int port() {
        return listener.getLocalPort();
    }

    /** From now on, no byte passes either way until {@link #resume()}. */
    public void pause() {
        paused = true;
    }

    public void resume() {
        synchronized (gate) {
            paused = false;
            gate.notifyAll();
        }
    }

    private void accept() {
        while (!closed) {
            try {
                Socket client = listener.accept();
                sockets.add(client);
                Thread.ofPlatform().daemon().name("pausable-proxy-connect").start(() -> connect(client));
            } catch (IOException e) {
                return;
            }
        }
    }

    private void connect(Socket client) {
        try {
            awaitOpen();
            Socket upstream = new Socket();
            sockets.add(upstream);
            upstream.connect(target, 5_000);
            Thread.ofPlatform().daemon().name("pausable-proxy-up").start(() -> pump(client, upstream));
            pump(upstream, client);
        } catch (IOException e) {
            closeQuietly(client);
        }
    }

    private void pump(Socket from, Socket to) {
        byte[] buffer = new byte[16 * 1024];
        try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
            int read;
            while ((read = in.read(buffer)) >= 0) {
                awaitOpen();
                out.write(buffer, 0, read);
                out.flush();
            }
        } catch (IOException e) {
            // one side closed: close both
        } finally {
            closeQuietly(from);
            closeQuietly(to);
        }
    }

    private void awaitOpen() throws IOException {
        synchronized (gate) {
            while (paused && !closed) {
                try {
                    gate.wait(100);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted");
                }
            }
        }
    }

    private void closeQuietly(Socket socket) {
        sockets.remove(socket);
        try {
            socket.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }

    @Override
    public void close() {
        closed = true;
        resume();
        try {
            listener.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        sockets.forEach(this::closeQuietly);
    }
}
