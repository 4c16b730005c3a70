package dev.lanyard.it;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Reads audit rows straight from PostgreSQL, as an auditor with database access would. */
final class Audit {
    private Audit() {}

    static List<Map<String, Object>> rowsFor(String requestId) {
        return query("select * from audit_event where request_id = ? order by id", requestId);
    }

    static List<Map<String, Object>> allRows() {
        return query("select * from audit_event order by id");
    }

    static List<Map<String, Object>> query(String sql, Object... params) {
        try (Connection c = LanyardPeers.current().database().superuser("lanyard");
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

    static void execute(String sql) {
        try (Connection c = LanyardPeers.current().database().superuser("lanyard")) {
            c.createStatement().execute(sql);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }
}
