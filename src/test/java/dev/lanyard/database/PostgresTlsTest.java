package dev.lanyard.database;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lanyard.devstack.DatabaseCertificates;
import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.SslMode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * One reading of the datasource's TLS settings for every connection to Lanyard's database, and the settings that
 * cannot hold for all of them alike refused at start-up with the key to change. The connections themselves, over TLS to
 * a PostgreSQL that accepts nothing else: {@code dev.lanyard.it.DatabaseTlsProcessIT}.
 */
class PostgresTlsTest {

    private static final String URL = "postgresql://db.internal:5433/lanyard";

    @TempDir
    Path work;

    private static SmallRyeConfig config(Map<String, String> properties) {
        // With the defaults Quarkus gives the switches, as the running service sees them.
        Map<String, String> all = new HashMap<>(Map.of(PostgresTls.URL, URL, PostgresTls.USERNAME, "lanyard_app",
                PostgresTls.PASSWORD, "app-password", PostgresTls.HOSTNAME, "HTTPS", PostgresTls.TRUST_ALL, "false",
                PostgresTls.PEM_ENABLED, "false", "quarkus.datasource.reactive.trust-certificate-jks", "false",
                "quarkus.datasource.reactive.trust-certificate-pfx", "false"));
        all.putAll(properties);
        return new SmallRyeConfigBuilder().withSources(new PropertiesConfigSource(all, "test", 500)).build();
    }

    private Map<String, String> verifyFull() {
        return Map.of(PostgresTls.MODE, "verify-full", PostgresTls.CERTS, DatabaseCertificates.create(work).ca().toString());
    }

    @Test
    void withoutSettingsEveryConnectionIsPlainText() {
        PostgresTls tls = PostgresTls.from(config(Map.of()));

        assertThat(tls.mode()).isEqualTo(PostgresTls.Mode.DISABLE);
        assertThat(tls.describe()).isEqualTo("disable (plain text)");
        PgConnectOptions relay = tls.serviceOptions(config(Map.of()), "lanyard-relay");
        assertThat(relay.getSslMode()).isEqualTo(SslMode.DISABLE);
        PGSimpleDataSource check = (PGSimpleDataSource) tls.serviceJdbc(config(Map.of()), "lanyard-schema-check");
        assertThat(check.getSslMode()).isEqualTo("disable");
    }

    @Test
    void verifyFullReachesTheRelayTheSchemaCheckAndTheOwnerJobsWithTheSameCa() throws Exception {
        Map<String, String> settings = new HashMap<>(verifyFull());
        Path ownerPassword = Files.writeString(work.resolve("owner"), "owner-password");
        settings.putAll(Map.of("lanyard.owner.jdbc-url", "jdbc:postgresql://db.internal:5433/lanyard",
                "lanyard.owner.username", "lanyard_owner", "lanyard.owner.password", "file:" + ownerPassword));
        SmallRyeConfig config = config(settings);
        PostgresTls tls = PostgresTls.from(config);
        String ca = work.resolve("ca.crt").toString();

        PgConnectOptions relay = tls.serviceOptions(config, "lanyard-relay");
        assertThat(relay.getSslMode()).isEqualTo(SslMode.VERIFY_FULL);
        assertThat(relay.getHostnameVerificationAlgorithm()).isEqualTo("HTTPS");
        assertThat(((PemTrustOptions) relay.getTrustOptions()).getCertPaths()).containsExactly(ca);
        assertThat(relay.getHost()).isEqualTo("db.internal");
        assertThat(relay.getUser()).isEqualTo("lanyard_app");
        assertThat(relay.getProperties()).containsEntry("application_name", "lanyard-relay");

        PGSimpleDataSource check = (PGSimpleDataSource) tls.serviceJdbc(config, "lanyard-schema-check");
        assertThat(check.getURL()).startsWith("jdbc:postgresql://db.internal:5433/lanyard");
        assertThat(check.getSslMode()).isEqualTo("verify-full");
        assertThat(check.getSslRootCert()).isEqualTo(ca);
        assertThat(check.getUser()).isEqualTo("lanyard_app");

        PGSimpleDataSource owner = (PGSimpleDataSource) tls.ownerJdbc(config, "lanyard-migrate");
        assertThat(owner.getSslMode()).isEqualTo("verify-full");
        assertThat(owner.getSslRootCert()).isEqualTo(ca);
        assertThat(owner.getUser()).isEqualTo("lanyard_owner");
        assertThat(tls.describe()).isEqualTo("verify-full (CA " + ca + ")");
    }

    @Test
    void anSslmodeInTheReactiveUrlIsReadNotThrownAndMustAgreeWithTheSetting() {
        Map<String, String> settings = new HashMap<>(verifyFull());
        settings.remove(PostgresTls.MODE);
        settings.put(PostgresTls.URL, URL + "?sslmode=verify-full");
        PostgresTls tls = PostgresTls.from(config(settings));
        assertThat(tls.mode()).isEqualTo(PostgresTls.Mode.VERIFY_FULL);
        assertThat(tls.serviceOptions(config(settings), "lanyard-relay").getSslMode()).isEqualTo(SslMode.VERIFY_FULL);

        settings.put(PostgresTls.MODE, "disable");
        assertThatThrownBy(() -> PostgresTls.from(config(settings))).hasMessageContaining(
                "quarkus.datasource.reactive.url says sslmode=verify-full but quarkus.datasource.reactive.postgresql.ssl-mode says disable");
        settings.put(PostgresTls.URL, URL + "?sslrootcert=/etc/ca.pem");
        assertThatThrownBy(() -> PostgresTls.from(config(settings))).hasMessageContaining(
                "quarkus.datasource.reactive.url carries sslrootcert");
    }

    @Test
    void aTlsParameterOnAJdbcUrlIsRefusedRatherThanAppliedToThatConnectionAlone() throws Exception {
        Map<String, String> settings = new HashMap<>(verifyFull());
        Path ownerPassword = Files.writeString(work.resolve("owner"), "owner-password");
        settings.putAll(Map.of("lanyard.owner.jdbc-url", "jdbc:postgresql://db.internal/lanyard?sslmode=require&password=hunter2",
                "lanyard.owner.username", "lanyard_owner", "lanyard.owner.password", "file:" + ownerPassword));
        SmallRyeConfig config = config(settings);

        assertThatThrownBy(() -> PostgresTls.from(config).ownerJdbc(config, "lanyard-migrate"))
                .hasMessageContaining("lanyard.owner.jdbc-url carries sslmode")
                .hasMessageNotContaining("hunter2");
    }

    @Test
    void settingsThatCannotHoldForEveryConnectionAreRefusedNamingTheKey() {
        String ca = DatabaseCertificates.create(work).ca().toString();
        Map<Map<String, String>, String> refusals = Map.of(
                Map.of(PostgresTls.MODE, "require"), "ssl-mode=require checks the server's certificate chain in the reactive client but not in the JDBC driver",
                Map.of(PostgresTls.MODE, "prefer"), "falls back to plain text",
                Map.of(PostgresTls.MODE, "verify-full"), "needs the CA that signs the server's certificate: set quarkus.datasource.reactive.trust-certificate-pem.certs",
                Map.of(PostgresTls.MODE, "verify-full", PostgresTls.CERTS, ca, PostgresTls.HOSTNAME, "NONE"),
                "verify-full checks the server's name only with quarkus.datasource.reactive.hostname-verification-algorithm=HTTPS",
                Map.of(PostgresTls.MODE, "verify-ca", PostgresTls.CERTS, ca), "use verify-full, or set quarkus.datasource.reactive.hostname-verification-algorithm=NONE",
                Map.of(PostgresTls.MODE, "verify-full", PostgresTls.CERTS, ca + "," + ca), "the JDBC driver reads one",
                Map.of(PostgresTls.MODE, "verify-full", PostgresTls.CERTS, ca, PostgresTls.TRUST_ALL, "true"), "trust-all=true accepts any server",
                Map.of(PostgresTls.MODE, "verify-full", "quarkus.datasource.reactive.trust-certificate-jks.path", "/etc/ca.jks"), "read PEM only",
                Map.of(PostgresTls.MODE, "verify-full", "quarkus.datasource.reactive.trust-certificate-pfx", "true"), "read PEM only",
                Map.of(PostgresTls.MODE, "verify-full", PostgresTls.CERTS, work.resolve("missing.pem").toString()), "cannot be read");
        refusals.forEach((settings, message) -> assertThatThrownBy(() -> PostgresTls.from(config(settings)))
                .as(settings.toString()).isInstanceOf(IllegalStateException.class).hasMessageContaining(message)
                .hasMessageContaining("TLS to PostgreSQL"));
    }

    @Test
    void verifyCaWithoutTheNameCheckIsAccepted() {
        String ca = DatabaseCertificates.create(work).ca().toString();
        SmallRyeConfig config = config(Map.of(PostgresTls.MODE, "verify-ca", PostgresTls.CERTS, ca, PostgresTls.HOSTNAME, "NONE"));
        PostgresTls tls = PostgresTls.from(config);
        assertThat(tls.serviceOptions(config, "x").getHostnameVerificationAlgorithm()).isEmpty();
        assertThat(((PGSimpleDataSource) tls.serviceJdbc(config, "x")).getSslMode()).isEqualTo("verify-ca");
    }
}
