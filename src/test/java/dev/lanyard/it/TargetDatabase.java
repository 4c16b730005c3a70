package dev.lanyard.it;

import dev.lanyard.devstack.FreePort;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.HexFormat;
import java.util.Properties;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * The PostgreSQL server whose logins the rotation tests change, apart from Lanyard's own database and set up as a
 * production target should be: TLS only (its certificate, for {@code localhost} and {@code 127.0.0.1}, signed by a
 * CA made for the test), SCRAM passwords, and no entry in {@code pg_hba.conf} for a connection without TLS. Its
 * {@code apps} database is where the rotated roles log in; the tests connect as Lanyard must, verifying the
 * certificate and the host name.
 */
public final class TargetDatabase implements AutoCloseable {

    public static final String DATABASE = "apps";
    private static final String SUPERUSER = "postgres";

    private final EmbeddedPostgres postgres;
    private final Path caFile;
    private final String superuserPassword;

    private TargetDatabase(EmbeddedPostgres postgres, Path caFile, String superuserPassword) {
        this.postgres = postgres;
        this.caFile = caFile;
        this.superuserPassword = superuserPassword;
    }

    public static TargetDatabase start(Path work) {
        try {
            Files.createDirectories(work);
            Path tls = Files.createDirectories(work.resolve("tls"));
            Path ca = certificates(tls);
            Path data = work.resolve("data");
            EmbeddedPostgres postgres = EmbeddedPostgres.builder()
                    .setPort(FreePort.pick())
                    .setDataDirectory(data)
                    .setCleanDataDirectory(true)
                    .setRegisterShutdownHook(false)
                    .setServerConfig("listen_addresses", "127.0.0.1")
                    .setServerConfig("password_encryption", "scram-sha-256")
                    .setServerConfig("ssl", "on")
                    .setServerConfig("ssl_cert_file", tls.resolve("server.crt").toString())
                    .setServerConfig("ssl_key_file", tls.resolve("server.key").toString())
                    // The superuser without a password, over TLS, only while the roles are set up.
                    .setDataDirectoryCustomizer(dir -> hba(dir.toPath(), "hostssl all " + SUPERUSER + " 127.0.0.1/32 trust\n"))
                    .setOutputRedirector(ProcessBuilder.Redirect.appendTo(work.resolve("postgres.log").toFile()))
                    .setErrorRedirector(ProcessBuilder.Redirect.appendTo(work.resolve("postgres.log").toFile()))
                    .start();
            byte[] random = new byte[18];
            new SecureRandom().nextBytes(random);
            TargetDatabase database = new TargetDatabase(postgres, ca, HexFormat.of().formatHex(random));
            try (Connection c = database.connect(SUPERUSER, "", "postgres"); Statement s = c.createStatement()) {
                s.execute("create database " + DATABASE);
                s.execute("alter role " + SUPERUSER + " password '" + database.superuserPassword + "'");
                hba(data, "hostssl all all 127.0.0.1/32 scram-sha-256\n");
                s.execute("select pg_reload_conf()");
            }
            return database;
        } catch (IOException e) {
            throw new UncheckedIOException("the rotation target's PostgreSQL did not start", e);
        } catch (SQLException e) {
            throw new IllegalStateException("the rotation target's PostgreSQL set-up failed", e);
        }
    }

    public int port() {
        return postgres.getPort();
    }

    /** The CA certificate (PEM) the server's certificate chains to: what an operator declares as ssl-root-cert. */
    public Path caFile() {
        return caFile;
    }

    public String superuserPassword() {
        return superuserPassword;
    }

    /** A superuser connection to {@code apps}, for creating roles and holding locks on them. */
    public Connection superuser() throws SQLException {
        return connect(SUPERUSER, superuserPassword, DATABASE);
    }

    /** Whether {@code user} logs in to {@code apps} with {@code password}: true, false on a refused login. */
    public boolean logsIn(String user, String password) throws SQLException {
        try (Connection c = connect(user, password, DATABASE); Statement s = c.createStatement()) {
            s.execute("select 1");
            return true;
        } catch (SQLException e) {
            if (e.getSQLState() != null && e.getSQLState().startsWith("28")) {
                return false;
            }
            throw e;
        }
    }

    private Connection connect(String user, String password, String database) throws SQLException {
        Properties properties = new Properties();
        properties.setProperty("user", user);
        properties.setProperty("password", password);
        properties.setProperty("sslmode", "verify-full");
        properties.setProperty("sslrootcert", caFile.toString());
        return DriverManager.getConnection("jdbc:postgresql://localhost:" + port() + "/" + database, properties);
    }

    @Override
    public void close() {
        try {
            postgres.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void hba(Path data, String rules) {
        try {
            Files.writeString(data.resolve("pg_hba.conf"), rules);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A CA and a server certificate for localhost and 127.0.0.1 it signed; returns the CA's PEM file. */
    private static Path certificates(Path tls) throws IOException {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
            generator.initialize(2048);
            KeyPair ca = generator.generateKeyPair();
            KeyPair server = generator.generateKeyPair();
            X500Name caName = new X500Name("CN=Lanyard rotation test CA");
            X509v3CertificateBuilder caCert = builder(caName, caName, 1, ca.getPublic());
            caCert.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
            caCert.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
            X509v3CertificateBuilder serverCert = builder(caName, new X500Name("CN=localhost"), 2, server.getPublic());
            serverCert.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName[] {
                    new GeneralName(GeneralName.dNSName, "localhost"),
                    new GeneralName(GeneralName.iPAddress, InetAddress.getLoopbackAddress().getHostAddress())}));
            serverCert.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment));
            serverCert.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth));
            Path caFile = tls.resolve("ca.crt");
            Files.writeString(caFile, pem("CERTIFICATE", sign(caCert, ca.getPrivate()).getEncoded()));
            Files.writeString(tls.resolve("server.crt"), pem("CERTIFICATE", sign(serverCert, ca.getPrivate()).getEncoded()));
            Path key = tls.resolve("server.key");
            Files.writeString(key, pem("PRIVATE KEY", server.getPrivate().getEncoded()));
            Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-------"));
            return caFile;
        } catch (GeneralSecurityException | OperatorCreationException e) {
            throw new IllegalStateException("test certificates could not be made", e);
        }
    }

    private static X509v3CertificateBuilder builder(X500Name issuer, X500Name subject, long serial, PublicKey key) {
        Instant now = Instant.now();
        return new JcaX509v3CertificateBuilder(issuer, BigInteger.valueOf(serial), Date.from(now.minus(Duration.ofDays(1))),
                Date.from(now.plus(Duration.ofDays(30))), subject, key);
    }

    private static X509Certificate sign(X509v3CertificateBuilder builder, PrivateKey key)
            throws OperatorCreationException, GeneralSecurityException {
        return new JcaX509CertificateConverter().getCertificate(builder.build(new JcaContentSignerBuilder("SHA256withRSA").build(key)));
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }
}
