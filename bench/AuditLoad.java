import dev.lanyard.audit.chain.CanonicalForm;
import dev.lanyard.audit.chain.ChainedEvent;
import dev.lanyard.audit.chain.CheckpointSigner;
import dev.lanyard.audit.chain.Seal;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import org.postgresql.PGConnection;

/**
 * Appends synthetic events to a running Lanyard's audit log as a correctly chained continuation of its head, so the
 * service keeps chaining onto it and the chain still verifies: it behaves as one more replica, holding the chain's
 * advisory lock for each chunk and sealing each chunk as one batch with the stack's audit signing key (without the seal
 * Lanyard would rightly refuse to chain onto rows someone else wrote). Used by bench/audit-queries.sh to time auditor
 * queries at millions of rows through the real HTTP API. Rows are spread over the 30 days before now, in seq order.
 *
 * <p>Usage: {@code java -cp target/classes:<deps> bench/AuditLoad.java <jdbc-url> <user> <password-file> <rows>
 * <signing-key-file>}
 */
public final class AuditLoad {

    /** AuditChainWriter.CHAIN_LOCK: the key every replica takes before chaining. */
    private static final long CHAIN_LOCK = 7_413_202_601L;
    private static final int CHUNK = 100_000;
    private static final String[] OPERATIONS = {"read", "issue", "renew", "revoke"};
    private static final String[] OUTCOMES = {"success", "success", "success", "denied", "not_found"};

    public static void main(String[] args) throws Exception {
        long rows = Long.parseLong(args[3]);
        String password = Files.readString(Path.of(args[2])).strip();
        Instant start = Instant.now().minus(Duration.ofDays(30));
        long spacingMicros = Duration.ofDays(30).toNanos() / 1000 / rows;
        HexFormat hex = HexFormat.of();
        CheckpointSigner signer = CheckpointSigner.fromBase64Seed(Files.readString(Path.of(args[4])));
        try (Connection db = DriverManager.getConnection(args[0], args[1], password)) {
            db.setAutoCommit(false);
            long done = 0;
            while (done < rows) {
                try (Statement s = db.createStatement()) {
                    s.execute("select pg_advisory_xact_lock(" + CHAIN_LOCK + ")");
                    long seq;
                    byte[] previous;
                    try (ResultSet head = s.executeQuery("select seq, hash from audit_event order by seq desc limit 1")) {
                        head.next();
                        seq = head.getLong(1);
                        previous = head.getBytes(2);
                    }
                    int n = (int) Math.min(CHUNK, rows - done);
                    long first = seq + 1;
                    StringBuilder copy = new StringBuilder(n * 300);
                    for (int i = 0; i < n; i++) {
                        long g = done + i;
                        seq++;
                        Instant at = start.plus(Duration.ofNanos(g * spacingMicros * 1000));
                        String backend = g % 2 == 0 ? "openbao" : "local";
                        String path = "secret/team-" + (g % 100) + "/app-" + (g % 10_000);
                        String leaseHmac = g % 4 == 1 ? hex.formatHex(CanonicalForm.chain(new byte[32], Long.toString(g / 4).getBytes())) : null;
                        String tokenId = "%016x".formatted(g % 1000);
                        ChainedEvent event = new ChainedEvent(CanonicalForm.FORMAT, seq, at, "bench-" + g, "caller",
                                "token:svc-" + (g % 1000), tokenId, OPERATIONS[(int) (g % 4)], "secret", backend, path, null,
                                Long.toString(g % 5), leaseHmac, OUTCOMES[(int) (g % 5)], 200, null, "127.0.0.1", null, null);
                        byte[] hash = CanonicalForm.chain(previous, CanonicalForm.encode(event));
                        previous = hash;
                        copy.append(CanonicalForm.FORMAT).append('\t').append(seq).append("\t\\\\x").append(hex.formatHex(hash))
                                .append('\t').append(CanonicalForm.timestamp(event.occurredAt())).append('\t').append(event.requestId())
                                .append("\tcaller\t").append(event.subject()).append('\t').append(event.operation())
                                .append("\tsecret\t").append(backend).append('\t').append(path).append("\t\\N\t")
                                .append(event.version()).append('\t').append(leaseHmac == null ? "\\N" : leaseHmac)
                                .append('\t').append(event.outcome()).append("\t200\t\\N\t127.0.0.1\t").append(tokenId);
                        if (i == n - 1) {
                            Seal seal = signer.seal(first, seq, hash);
                            copy.append('\t').append(first).append('\t').append(seal.keyId()).append("\t\\\\x")
                                    .append(hex.formatHex(seal.signature())).append('\n');
                        } else {
                            copy.append("\t\\N\t\\N\t\\N\n");
                        }
                    }
                    db.unwrap(PGConnection.class).getCopyAPI().copyIn("copy audit_event (format, seq, hash, occurred_at, "
                            + "request_id, actor_kind, subject, operation, target_kind, backend, path, detail, version, "
                            + "lease_hmac, outcome, status, error_code, client_address, credential_id, seal_first, seal_key_id, "
                            + "seal_signature) from stdin", new StringReader(copy.toString()));
                    db.commit();
                    done += n;
                    if (done % 1_000_000 == 0 || done == rows) {
                        System.out.println("  " + done + " rows");
                    }
                }
            }
            try (Statement s = db.createStatement()) {
                db.setAutoCommit(true);
                s.execute("analyze audit_event");
                s.execute("analyze audit_path_prefix");
            }
        }
    }
}
