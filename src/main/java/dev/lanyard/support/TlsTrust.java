package dev.lanyard.support;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.Collection;
import java.util.Optional;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * The TLS trust Lanyard uses towards one peer (Vault, a JWKS endpoint): the JVM's defaults, or only the CA
 * certificates in a PEM file the operator names. Configured in Lanyard's own properties, never taken from a
 * client library's environment variables.
 */
public final class TlsTrust {

    private TlsTrust() {}

    /**
     * An SSL context trusting exactly the certificates in {@code caFile}, or the JVM's default context when empty.
     *
     * @throws IllegalStateException naming the file (never its content) when it holds no readable certificate
     */
    public static SSLContext context(Optional<Path> caFile) {
        try {
            if (caFile.isEmpty()) {
                return SSLContext.getDefault();
            }
            Collection<? extends Certificate> certificates;
            try (InputStream in = Files.newInputStream(caFile.get())) {
                certificates = CertificateFactory.getInstance("X.509").generateCertificates(in);
            }
            if (certificates.isEmpty()) {
                throw new IllegalStateException("CA file " + caFile.get() + " holds no certificate");
            }
            KeyStore trusted = KeyStore.getInstance(KeyStore.getDefaultType());
            trusted.load(null, null);
            int i = 0;
            for (Certificate certificate : certificates) {
                trusted.setCertificateEntry("ca-" + i++, certificate);
            }
            TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            trust.init(trusted);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, trust.getTrustManagers(), null);
            return context;
        } catch (IOException e) {
            throw new IllegalStateException("CA file " + caFile.orElseThrow() + " cannot be read");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("CA file " + caFile.orElseThrow() + " does not hold PEM certificates");
        }
    }
}
