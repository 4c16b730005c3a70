package dev.lanyard.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lanyard.devstack.EmbeddedDatabase;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Reads audit rows straight from PostgreSQL, as an auditor with database access would. Injected by {@link PostgresResource}. */
public final class AuditRows {

    private final EmbeddedDatabase database;

    AuditRows(EmbeddedDatabase database) {
        this.database = database;
    }

    public List<Map<String, Object>> rowsFor(String requestId) {
        return query("select * from audit_event where request_id = ? order by seq", requestId);
    }

    /** The one row a request wrote; fails the test if there is none or more than one. */
    public Map<String, Object> single(String requestId) {
        List<Map<String, Object>> rows = rowsFor(requestId);
        assertThat(rows).as("audit rows for " + requestId).hasSize(1);
        return rows.getFirst();
    }

    List<Map<String, Object>> allRows() {
        return query("select * from audit_event order by seq");
    }

    public List<Map<String, Object>> query(String sql, Object... params) {
        try (Connection c = database.superuser(EmbeddedDatabase.DATABASE);
             PreparedStatement s = c.prepareStatement(sql)) {
            for (int i = 0; i < params.length; i++) {
                s.setObject(i + 1, params[i]);
            }
            try (ResultSet rs = s.executeQuery()) {
                ResultSetMetaData meta = rs.getMetaData();
                List<Map<String, Object>> rows = new ArrayList<>();
                while (rs.next()) {
                    Map<String, Object> row = new LinkedHashMap<>();
                    for (int col = 1; col <= meta.getColumnCount(); col++) {
                        row.put(meta.getColumnName(col), rs.getObject(col));
                    }
                    rows.add(row);
                }
                return rows;
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    void execute(String sql) {
        try (Connection c = database.superuser(EmbeddedDatabase.DATABASE)) {
            c.createStatement().execute(sql);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }
}
