package dev.lanyard.rotation.postgres;

import dev.lanyard.rotation.protocol.MalformedSecretException;
import dev.lanyard.rotation.protocol.SecretJson;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A PostgreSQL credential in the JSON shape AWS's templates use:
 * {@code {"engine": "postgres", "host": …, "username": …, "password": …, "dbname": …, "port": …, "ssl": …,
 * "masterarn": …}}. {@code engine}, {@code host}, {@code username} and {@code password} are required; {@code dbname}
 * defaults to {@code postgres} and {@code port} to 5432. Other keys are kept through a rotation. {@link #toString()}
 * never shows the password.
 */
public final class PostgresSecret {
    private static final Set<String> ENGINES = Set.of("postgres", "aurora-postgresql");
    private static final List<String> REQUIRED = List.of("host", "username", "password");

    private final Map<String, Object> fields;

    private PostgresSecret(Map<String, Object> fields) {
        this.fields = fields;
    }

    /** Parses and checks a secret's value, with the templates' messages for what is missing. */
    public static PostgresSecret parse(String value) {
        Map<String, Object> fields = SecretJson.parseObject(value);
        for (String field : REQUIRED) {
            if (!(fields.get(field) instanceof String text) || text.isEmpty()) {
                throw new MalformedSecretException(field + " key is missing from secret JSON");
            }
        }
        if (!ENGINES.contains(String.valueOf(fields.get("engine")))) {
            throw new MalformedSecretException("Database engine must be set to 'postgres' in order to use this rotation lambda");
        }
        PostgresSecret secret = new PostgresSecret(fields);
        secret.port(); // a port that is not a number is malformed now, not at the first login
        return secret;
    }

    public String host() {
        return (String) fields.get("host");
    }

    public int port() {
        Object port = fields.get("port");
        if (port == null) {
            return 5432;
        }
        try {
            int number = port instanceof Number n ? n.intValue() : Integer.parseInt(port.toString().strip());
            if (number > 0 && number < 65536) {
                return number;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new MalformedSecretException("port in secret JSON is not a TCP port number");
    }

    public String username() {
        return (String) fields.get("username");
    }

    public String password() {
        return (String) fields.get("password");
    }

    public String dbname() {
        return fields.get("dbname") instanceof String name && !name.isEmpty() ? name : "postgres";
    }

    /** The ARN of the secret holding the credentials that manage this user (alternating users). */
    public String masterArn() {
        if (!(fields.get("masterarn") instanceof String arn) || arn.isEmpty()) {
            throw new MalformedSecretException("masterarn key is missing from secret JSON");
        }
        return arn;
    }

    /** How to use TLS, from the {@code ssl} key, by the templates' rules. */
    public Tls tls() {
        Object ssl = fields.get("ssl");
        if (ssl instanceof Boolean required) {
            return required ? Tls.REQUIRED : Tls.DISABLED;
        }
        if (ssl instanceof String text) {
            return switch (text.toLowerCase(Locale.ROOT)) {
                case "true" -> Tls.REQUIRED;
                case "false" -> Tls.DISABLED;
                default -> Tls.PREFERRED;
            };
        }
        return Tls.PREFERRED;
    }

    /** This secret with other credentials (same host, database and other keys). */
    public PostgresSecret withCredentials(String username, String password) {
        Map<String, Object> copy = new LinkedHashMap<>(fields);
        copy.put("username", username);
        copy.put("password", password);
        return new PostgresSecret(copy);
    }

    /** This secret connecting to another database ({@code null}: the default). */
    public PostgresSecret withDbname(String dbname) {
        Map<String, Object> copy = new LinkedHashMap<>(fields);
        if (dbname == null) {
            copy.remove("dbname");
        } else {
            copy.put("dbname", dbname);
        }
        return new PostgresSecret(copy);
    }

    /** This secret with the TLS setting of {@code other} (the templates log in with AWSPREVIOUS that way). */
    public PostgresSecret withTlsOf(PostgresSecret other) {
        Map<String, Object> copy = new LinkedHashMap<>(fields);
        copy.remove("ssl");
        Optional.ofNullable(other.fields.get("ssl")).ifPresent(ssl -> copy.put("ssl", ssl));
        return new PostgresSecret(copy);
    }

    /** The raw value of the {@code dbname} key, for copying to another secret. */
    public String dbnameOrNull() {
        return fields.get("dbname") instanceof String name ? name : null;
    }

    public String toJson() {
        return SecretJson.write(fields);
    }

    @Override
    public String toString() {
        return "PostgresSecret[" + username() + "@" + host() + ":" + port() + "/" + dbname() + ", password=***]";
    }

    /** TLS for a login. */
    public enum Tls {
        /** TLS with certificate and host name verification, nothing else. */
        REQUIRED,
        /** No TLS. */
        DISABLED,
        /** Verified TLS first; without TLS when that fails (the templates' default when {@code ssl} is absent). */
        PREFERRED
    }
}
