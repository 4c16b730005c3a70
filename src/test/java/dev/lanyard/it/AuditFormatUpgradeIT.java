package dev.lanyard.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lanyard.audit.chain.CanonicalForm;
import dev.lanyard.audit.chain.ChainVerifier;
import dev.lanyard.audit.chain.ChainedEvent;
import dev.lanyard.audit.chain.CheckpointSigner;
import dev.lanyard.audit.chain.Seal;
import dev.lanyard.database.SchemaMigration;
import dev.lanyard.devstack.EmbeddedDatabase;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Upgrading a database whose audit log was written before writer seals (V13 to V15 on a log of format 2 rows): the old
 * rows stay as they are and still verify, chained but not sealed; sealed format 3 rows chain onto them; and from then on
 * the old, unsealed format is refused, so it cannot be used to get around the seals.
 */
class AuditFormatUpgradeIT {

    private static final CheckpointSigner KEY = new CheckpointSigner(new byte[32]);

    @TempDir
    Path work;

    @Test
    void formatTwoRowsKeepVerifyingAndSealedRowsFollowThem() throws SQLException {
        try (EmbeddedDatabase database = EmbeddedDatabase.start(work.resolve("postgres"))) {
            String url = database.ownerConfig("unused").get("lanyard.owner.jdbc-url");
            Flyway.configure().dataSource(url, EmbeddedDatabase.OWNER, database.ownerPassword())
                    .locations("classpath:db/migration").placeholders(Map.of("app_role", EmbeddedDatabase.APP))
                    .target("12").load().migrate();

            // As the app role wrote them until V13: format 2, chained, no credential id, no seal.
            byte[] head = CanonicalForm.GENESIS;
            try (Connection app = database.app()) {
                for (long seq = 1; seq <= 3; seq++) {
                    ChainedEvent old = event(CanonicalForm.LEGACY_FORMAT, seq, null);
                    head = old.chainedAfter(head);
                    insert(app, old.withHash(head));
                }
            }

            SchemaMigration.migrate(url, EmbeddedDatabase.OWNER, database.ownerPassword(), EmbeddedDatabase.APP);

            try (Connection app = database.app()) {
                // A sealed batch of two chains onto the old head, as the writer of this version commits it.
                ChainedEvent fourth = event(CanonicalForm.FORMAT, 4, "0123456789abcdef");
                byte[] fourthHash = fourth.chainedAfter(head);
                ChainedEvent fifth = event(CanonicalForm.FORMAT, 5, "0123456789abcdef");
                byte[] fifthHash = fifth.chainedAfter(fourthHash);
                insert(app, fourth.withHash(fourthHash), fifth.withHash(fifthHash).withSeal(KEY.seal(4, 5, fifthHash)));

                // The unsealed old format no longer follows.
                ChainedEvent late = event(CanonicalForm.LEGACY_FORMAT, 6, null);
                assertThatThrownBy(() -> insert(app, late.withHash(late.chainedAfter(fifthHash))))
                        .hasMessageContaining("only sealed rows may follow");

                List<ChainedEvent> rows = rows(app);
                assertThat(rows).extracting(ChainedEvent::format).containsExactly(2, 2, 2, 3, 3);
                ChainVerifier.Result result = new ChainVerifier().verify(rows, CanonicalForm.GENESIS, 0, List.of(),
                        KEY.publicKey());
                assertThat(result.valid()).as(result.summary()).isTrue();
                assertThat(result.verifiedUpTo()).isEqualTo(5);
                assertThat(result.legacyUpTo()).isEqualTo(3L);
                assertThat(result.summary()).contains("up to seq 3 written before writer seals (format 2): chained, not sealed");
            }
        }
    }

    private static ChainedEvent event(int format, long seq, String credentialId) {
        return new ChainedEvent(format, seq, Instant.parse("2026-11-23T11:19:3" + seq + "Z"), "req-" + seq, "caller",
                "token:security", credentialId, "read", "secret", "openbao", "secret/payments/config", null, "1", null,
                "success", 200, null, "10.0.0.9", null, null);
    }

    private static void insert(Connection c, ChainedEvent... batch) throws SQLException {
        // Format 2 rows are written with the columns of before V13, which had no credential id and no seal.
        boolean sealed = batch[0].format() == CanonicalForm.FORMAT;
        StringBuilder sql = new StringBuilder("insert into audit_event (format, seq, hash, occurred_at, request_id, actor_kind,"
                + " subject, operation, target_kind, backend, path, version, outcome, status, client_address"
                + (sealed ? ", credential_id, seal_first, seal_key_id, seal_signature" : "") + ") values ");
        for (int i = 0; i < batch.length; i++) {
            sql.append(i == 0 ? "" : ", ").append(sealed
                    ? "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)" : "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
        }
        try (PreparedStatement s = c.prepareStatement(sql.toString())) {
            int p = 1;
            for (ChainedEvent e : batch) {
                s.setInt(p++, e.format());
                s.setLong(p++, e.seq());
                s.setBytes(p++, e.hash());
                s.setObject(p++, e.occurredAt().atOffset(ZoneOffset.UTC));
                s.setString(p++, e.requestId());
                s.setString(p++, e.actorKind());
                s.setString(p++, e.subject());
                s.setString(p++, e.operation());
                s.setString(p++, e.targetKind());
                s.setString(p++, e.backend());
                s.setString(p++, e.path());
                s.setString(p++, e.version());
                s.setString(p++, e.outcome());
                s.setObject(p++, e.status());
                s.setString(p++, e.clientAddress());
                if (sealed) {
                    s.setString(p++, e.credentialId());
                    Seal seal = e.seal();
                    if (seal == null) {
                        s.setNull(p++, Types.BIGINT);
                        s.setNull(p++, Types.VARCHAR);
                        s.setNull(p++, Types.BINARY);
                    } else {
                        s.setLong(p++, seal.firstSeq());
                        s.setString(p++, seal.keyId());
                        s.setBytes(p++, seal.signature());
                    }
                }
            }
            s.executeUpdate();
        }
    }

    private static List<ChainedEvent> rows(Connection c) throws SQLException {
        List<ChainedEvent> rows = new ArrayList<>();
        try (PreparedStatement s = c.prepareStatement("select * from audit_event order by seq"); ResultSet rs = s.executeQuery()) {
            while (rs.next()) {
                long sealFirst = rs.getLong("seal_first");
                Seal seal = rs.wasNull() ? null : new Seal(sealFirst, rs.getString("seal_key_id"), rs.getBytes("seal_signature"));
                rows.add(new ChainedEvent(rs.getInt("format"), rs.getLong("seq"),
                        rs.getObject("occurred_at", java.time.OffsetDateTime.class).toInstant(), rs.getString("request_id"),
                        rs.getString("actor_kind"), rs.getString("subject"), rs.getString("credential_id"),
                        rs.getString("operation"), rs.getString("target_kind"), rs.getString("backend"), rs.getString("path"),
                        rs.getString("detail"), rs.getString("version"), rs.getString("lease_hmac"), rs.getString("outcome"),
                        rs.getObject("status", Integer.class), rs.getString("error_code"), rs.getString("client_address"),
                        rs.getBytes("hash"), seal));
            }
        }
        return rows;
    }
}
