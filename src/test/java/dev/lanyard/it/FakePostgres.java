package dev.lanyard.it;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A server on a loopback port that speaks just enough of PostgreSQL's v3 protocol to catch a password: it declines
 * TLS ('N' to an SSLRequest or a GSSENCRequest), answers a StartupMessage with AuthenticationCleartextPassword, and
 * keeps whatever password arrives. What a hostile host named in a schedule would do; the tests count what reached it.
 */
public final class FakePostgres implements AutoCloseable {

    private static final int SSL_REQUEST = 80877103;
    private static final int GSSENC_REQUEST = 80877104;
    private static final int PROTOCOL_3 = 196608;

    private final ServerSocket server;
    private final AtomicInteger connections = new AtomicInteger();
    private final AtomicInteger encryptionRequests = new AtomicInteger();
    private final List<String> users = new CopyOnWriteArrayList<>();
    private final List<String> passwords = new CopyOnWriteArrayList<>();

    private FakePostgres(ServerSocket server) {
        this.server = server;
    }

    public static FakePostgres start() {
        try {
            FakePostgres fake = new FakePostgres(new ServerSocket(0, 50, InetAddress.getLoopbackAddress()));
            Thread.ofVirtual().name("fake-postgres").start(fake::accept);
            return fake;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public int port() {
        return server.getLocalPort();
    }

    /** Connections accepted since the last {@link #reset()}. */
    public int connections() {
        return connections.get();
    }

    /** SSLRequests and GSSENCRequests, each declined. */
    public int encryptionRequests() {
        return encryptionRequests.get();
    }

    /** The users StartupMessages named: a client only sends one once it accepted the connection as it is. */
    public List<String> users() {
        return List.copyOf(users);
    }

    /** Every password that arrived, as sent. */
    public List<String> passwords() {
        return List.copyOf(passwords);
    }

    public void reset() {
        connections.set(0);
        encryptionRequests.set(0);
        users.clear();
        passwords.clear();
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket socket = server.accept();
                connections.incrementAndGet();
                Thread.ofVirtual().start(() -> serve(socket));
            } catch (IOException e) {
                return; // closed
            }
        }
    }

    private void serve(Socket socket) {
        try (socket; DataInputStream in = new DataInputStream(socket.getInputStream());
             DataOutputStream out = new DataOutputStream(socket.getOutputStream())) {
            socket.setSoTimeout(10_000);
            while (true) {
                int length = in.readInt();
                int code = in.readInt();
                if (code == SSL_REQUEST || code == GSSENC_REQUEST) {
                    encryptionRequests.incrementAndGet();
                    out.writeByte('N');
                    out.flush();
                    continue;
                }
                if (code != PROTOCOL_3) {
                    return; // a cancel request, or not PostgreSQL
                }
                byte[] parameters = in.readNBytes(length - 8);
                users.add(parameter(parameters, "user"));
                out.writeByte('R');
                out.writeInt(8);
                out.writeInt(3); // AuthenticationCleartextPassword
                out.flush();
                if (in.readByte() != 'p') {
                    return;
                }
                byte[] password = in.readNBytes(in.readInt() - 4);
                passwords.add(new String(password, 0, Math.max(0, password.length - 1), StandardCharsets.UTF_8));
                refuse(out);
                return;
            }
        } catch (EOFException e) {
            // the client gave up, as it should have
        } catch (IOException e) {
            // the client closed the connection
        }
    }

    private static String parameter(byte[] parameters, String name) {
        List<String> parts = new ArrayList<>();
        int start = 0;
        for (int i = 0; i < parameters.length; i++) {
            if (parameters[i] == 0) {
                parts.add(new String(parameters, start, i - start, StandardCharsets.UTF_8));
                start = i + 1;
            }
        }
        for (int i = 0; i + 1 < parts.size(); i += 2) {
            if (parts.get(i).equals(name)) {
                return parts.get(i + 1);
            }
        }
        return "";
    }

    /** ErrorResponse 28P01, as a server whose password check failed. */
    private static void refuse(DataOutputStream out) throws IOException {
        ByteArrayOutputStream fields = new ByteArrayOutputStream();
        for (String field : new String[] {"SFATAL", "C28P01", "Mpassword authentication failed"}) {
            fields.writeBytes(field.getBytes(StandardCharsets.UTF_8));
            fields.write(0);
        }
        fields.write(0);
        out.writeByte('E');
        out.writeInt(4 + fields.size());
        out.write(fields.toByteArray());
        out.flush();
    }

    @Override
    public void close() {
        try {
            server.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
