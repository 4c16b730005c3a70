package dev.lanyard.database;

import dev.lanyard.support.SecretReference;
import dev.lanyard.support.TlsTrust;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.SslMode;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import javax.sql.DataSource;
import org.eclipse.microprofile.config.Config;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * TLS to Lanyard's own PostgreSQL, read once from the datasource's settings and applied to every connection Lanyard
 * makes to it: the reactive pool (Quarkus builds it from the same keys), the change relay's {@code LISTEN} connection
 * ({@link #serviceOptions}), the start-up schema check ({@link #serviceJdbc}) and the schema owner's jobs, migration and
 * audit pruning ({@link #ownerJdbc}). No connection can be set up differently: a TLS parameter on one of the URLs is
 * refused instead of being applied to that connection alone.
 *
 * <p>The keys are Quarkus's: {@value #MODE} ({@code disable}, {@code verify-ca} or {@code verify-full}),
 * {@value #CERTS} (one PEM file with the CA certificates that sign the server's certificate) and {@value #HOSTNAME}
 * ({@code HTTPS} under {@code verify-full}, which Lanyard sets by default; {@code NONE} under {@code verify-ca}).
 * {@code allow} and {@code prefer} fall back to plain text when TLS fails, and {@code require} checks the server's
 * chain in the reactive client but not in the JDBC driver: all three are refused, as are {@code trust-all} and trust
 * stores in JKS or PKCS#12 form, which the JDBC driver cannot read.
 */
public final class PostgresTls {

    static final String MODE = "quarkus.datasource.reactive.postgresql.ssl-mode";
    static final String CERTS = "quarkus.datasource.reactive.trust-certificate-pem.certs";
    static final String PEM_ENABLED = "quarkus.datasource.reactive.trust-certificate-pem";
    static final String HOSTNAME = "quarkus.datasource.reactive.hostname-verification-algorithm";
    static final String TRUST_ALL = "quarkus.datasource.reactive.trust-all";
    static final String URL = "quarkus.datasource.reactive.url";
    static final String USERNAME = "quarkus.datasource.username";
    static final String PASSWORD = "quarkus.datasource.password";
    static final String OWNER_URL = "lanyard.owner.jdbc-url";
    /** Trust stores the JDBC driver cannot read: each switch (Quarkus gives them a default of {@code false}) and its path. */
    private static final List<String> OTHER_TRUST = List.of("quarkus.datasource.reactive.trust-certificate-jks",
            "quarkus.datasource.reactive.trust-certificate-pfx");
    private static final String SEE = " (docs/configuration.md, \"TLS to PostgreSQL\")";

    /** The modes Lanyard accepts, spelled as PostgreSQL, Quarkus and the JDBC driver spell them. */
    public enum Mode {
        /** Plain text: only for a database on the same host or a network that is itself encrypted. */
        DISABLE("disable"),
        /** TLS; the server's certificate chain ends at the configured CA. */
        VERIFY_CA("verify-ca"),
        /** TLS; the chain ends at the configured CA and the certificate names the host connected to. */
        VERIFY_FULL("verify-full");

        private final String value;

        Mode(String value) {
            this.value = value;
        }

        public String value() {
            return value;
        }
    }

    private final Mode mode;
    private final Optional<Path> caFile;

    private PostgresTls(Mode mode, Optional<Path> caFile) {
        this.mode = mode;
        this.caFile = caFile;
    }

    /**
     * Reads and checks the settings.
     *
     * @throws IllegalStateException naming the key to change (never a password or a URL) when they cannot hold for
     *                               every connection alike
     */
    public static PostgresTls from(Config config) {
        Optional<String> configured = config.getOptionalValue(MODE, String.class).map(PostgresTls::lower);
        List<String> urlModes = urls(config).stream().map(PostgresTls::reactiveUrlMode).flatMap(Optional::stream)
                .distinct().toList();
        if (urlModes.size() > 1) {
            throw refused(URL + " names two different sslmode values");
        }
        Optional<String> inUrl = urlModes.stream().findFirst();
        if (configured.isPresent() && inUrl.isPresent() && !configured.equals(inUrl)) {
            throw refused(URL + " says sslmode=" + inUrl.get() + " but " + MODE + " says " + configured.get()
                    + ": set it once, with " + MODE);
        }
        String name = configured.or(() -> inUrl).orElse(Mode.DISABLE.value);
        Mode mode = switch (name) {
            case "disable" -> Mode.DISABLE;
            case "verify-ca" -> Mode.VERIFY_CA;
            case "verify-full" -> Mode.VERIFY_FULL;
            case "allow", "prefer" -> throw refused(MODE + "=" + name + " falls back to plain text when TLS fails, so an"
                    + " attacker on the path can turn TLS off: use verify-full (or disable on a loopback connection)");
            case "require" -> throw refused(MODE + "=require checks the server's certificate chain in the reactive"
                    + " client but not in the JDBC driver, so Lanyard's connections would differ: use verify-full with the"
                    + " server's CA in " + CERTS);
            default -> throw refused(MODE + "=" + name + " is not a PostgreSQL sslmode Lanyard accepts: disable, verify-ca"
                    + " or verify-full");
        };
        if (mode == Mode.DISABLE) {
            return new PostgresTls(mode, Optional.empty());
        }
        if (config.getOptionalValue(TRUST_ALL, Boolean.class).orElse(false)) {
            throw refused(TRUST_ALL + "=true accepts any server: name the server's CA in " + CERTS + " instead");
        }
        for (String key : OTHER_TRUST) {
            if (config.getOptionalValue(key, Boolean.class).orElse(false)
                    || config.getOptionalValue(key + ".path", String.class).isPresent()) {
                throw refused(key + " is in use, but the JDBC connections (schema check, migration, pruning) read PEM"
                        + " only: give the CA certificates as one PEM file in " + CERTS);
            }
        }
        List<String> certs = config.getOptionalValues(CERTS, String.class).orElse(List.of());
        if (certs.isEmpty()) {
            throw refused(MODE + "=" + name + " needs the CA that signs the server's certificate: set " + CERTS
                    + " to a PEM file" + (config.getOptionalValue(PEM_ENABLED, Boolean.class).orElse(false)
                    ? " (" + PEM_ENABLED + "=true alone names none)" : ""));
        }
        if (certs.size() > 1) {
            throw refused(CERTS + " names " + certs.size() + " files; the JDBC driver reads one: put the CA certificates"
                    + " in one PEM file");
        }
        Path ca = Path.of(certs.getFirst());
        try {
            TlsTrust.context(Optional.of(ca));
        } catch (IllegalStateException e) {
            throw refused(CERTS + ": " + e.getMessage());
        }
        String hostname = config.getOptionalValue(HOSTNAME, String.class).orElse("NONE").toUpperCase(Locale.ROOT);
        if (mode == Mode.VERIFY_FULL && !hostname.equals("HTTPS")) {
            throw refused(MODE + "=verify-full checks the server's name only with " + HOSTNAME + "=HTTPS (it is "
                    + hostname + "; the reactive client refuses to start without it)");
        }
        if (mode == Mode.VERIFY_CA && !hostname.equals("NONE")) {
            throw refused(MODE + "=verify-ca with " + HOSTNAME + "=" + hostname + " would check the server's name on the"
                    + " reactive connections only: use verify-full, or set " + HOSTNAME + "=NONE");
        }
        return new PostgresTls(mode, Optional.of(ca));
    }

    public Mode mode() {
        return mode;
    }

    /** Whether connections run TLS with the server's certificate checked. */
    public boolean verified() {
        return mode != Mode.DISABLE;
    }

    public Optional<Path> caFile() {
        return caFile;
    }

    /** For readiness and logs: the mode and the CA file, never a credential. */
    public String describe() {
        return caFile.map(ca -> mode.value + " (CA " + ca + ")").orElse(mode.value + " (plain text)");
    }

    /** {@code options} with this TLS: the mode, the CA, and the host name check under {@code verify-full}. */
    public PgConnectOptions apply(PgConnectOptions options) {
        options.setSslMode(SslMode.of(mode.value));
        caFile.ifPresent(ca -> options.setTrustOptions(new PemTrustOptions().addCertPath(ca.toString())));
        options.setHostnameVerificationAlgorithm(mode == Mode.VERIFY_FULL ? "HTTPS" : "");
        return options;
    }

    /**
     * The service's own connection as the reactive pool makes it ({@value #URL}, {@value #USERNAME},
     * {@value #PASSWORD}), with this TLS and {@code applicationName} (what {@code pg_stat_activity} shows).
     */
    public PgConnectOptions serviceOptions(Config config, String applicationName) {
        List<String> urls = urls(config);
        if (urls.isEmpty()) {
            throw new IllegalStateException(URL + " is not set: Lanyard needs its PostgreSQL");
        }
        PgConnectOptions options;
        try {
            options = PgConnectOptions.fromUri(urls.getFirst());
        } catch (RuntimeException e) {
            // The parser's message quotes the URL, which may hold a password.
            throw new IllegalStateException(URL + " is not a PostgreSQL URL (postgresql://host:port/database)");
        }
        config.getOptionalValue(USERNAME, String.class).ifPresent(options::setUser);
        config.getOptionalValue(PASSWORD, String.class).ifPresent(options::setPassword);
        options.addProperty("application_name", applicationName);
        return apply(options);
    }

    /** The service's own connection over JDBC (the start-up schema check): the reactive URL's host, port and database. */
    public DataSource serviceJdbc(Config config, String applicationName) {
        PgConnectOptions service = serviceOptions(config, applicationName);
        String host = service.getHost().contains(":") ? "[" + service.getHost() + "]" : service.getHost();
        return jdbc("jdbc:postgresql://" + host + ":" + service.getPort() + "/" + service.getDatabase(), URL,
                service.getUser(), service.getPassword(), applicationName);
    }

    /** The schema owner's connection for its jobs: {@value #OWNER_URL}, {@code lanyard.owner.username} and {@code .password}. */
    public DataSource ownerJdbc(Config config, String applicationName) {
        return jdbc(config.getValue(OWNER_URL, String.class), OWNER_URL, config.getValue("lanyard.owner.username", String.class),
                SecretReference.parse(config.getValue("lanyard.owner.password", String.class)).resolve(), applicationName);
    }

    /** A JDBC data source for {@code url}, which must not carry TLS parameters of its own ({@code key} names it in errors). */
    DataSource jdbc(String url, String key, String user, String password, String applicationName) {
        for (String parameter : parameters(url)) {
            if (parameter.startsWith("ssl")) {
                throw refused(key + " carries " + parameter + ": TLS to Lanyard's database is set once, with " + MODE
                        + " and " + CERTS + "; remove it from the URL");
            }
        }
        PGSimpleDataSource source = new PGSimpleDataSource();
        try {
            source.setURL(url);
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException(key + " is not a JDBC URL (jdbc:postgresql://host:port/database)");
        }
        source.setUser(user);
        source.setPassword(password);
        source.setApplicationName(applicationName);
        // Sends the name in the start-up packet (not in a SET afterwards), so the server's connection log shows it.
        source.setAssumeMinServerVersion("9.0");
        source.setSslMode(mode.value);
        caFile.ifPresent(ca -> source.setSslRootCert(ca.toString()));
        source.setConnectTimeout(10);
        return source;
    }

    private static List<String> urls(Config config) {
        List<String> urls = new ArrayList<>();
        for (String url : config.getOptionalValues(URL, String.class).orElse(List.of())) {
            urls.add(url.strip().replaceFirst("^vertx-reactive:", ""));
        }
        return urls;
    }

    /** The {@code sslmode} of a reactive URL, refusing any other TLS parameter (the reactive client would send it to the server). */
    private static Optional<String> reactiveUrlMode(String url) {
        Optional<String> mode = Optional.empty();
        int query = url.indexOf('?');
        if (query < 0) {
            return mode;
        }
        for (String pair : url.substring(query + 1).split("&")) {
            String[] parts = pair.split("=", 2);
            String name = lower(parts[0]);
            if (name.equals("sslmode") && parts.length == 2) {
                mode = Optional.of(lower(URLDecoder.decode(parts[1], StandardCharsets.UTF_8)));
            } else if (name.startsWith("ssl")) {
                throw refused(URL + " carries " + name + ": TLS to Lanyard's database is set with " + MODE + " and "
                        + CERTS + "; remove it from the URL");
            }
        }
        return mode;
    }

    private static List<String> parameters(String url) {
        int query = url.indexOf('?');
        if (query < 0) {
            return List.of();
        }
        List<String> names = new ArrayList<>();
        for (String pair : url.substring(query + 1).split("&")) {
            names.add(lower(pair.split("=", 2)[0]));
        }
        return names;
    }

    private static String lower(String text) {
        return text.strip().toLowerCase(Locale.ROOT);
    }

    private static IllegalStateException refused(String why) {
        return new IllegalStateException("TLS to PostgreSQL: " + why + SEE);
    }
}
