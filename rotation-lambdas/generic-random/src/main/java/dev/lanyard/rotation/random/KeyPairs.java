package dev.lanyard.rotation.random;

import dev.lanyard.rotation.protocol.MalformedSecretException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.RSAKeyGenParameterSpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;
import java.util.Base64;

/** Key pairs in PEM (SPKI public, PKCS#8 private), made and checked with the JDK's own providers. */
final class KeyPairs {
    private final SecureRandom random;

    KeyPairs(SecureRandom random) {
        this.random = random;
    }

    /** The algorithms a key-pair secret may name in its {@code algorithm} key. */
    enum Algorithm {
        ED25519("Ed25519", "Ed25519", "Ed25519"),
        ECDSA_P256("ECDSA-P256", "EC", "SHA256withECDSA"),
        RSA_3072("RSA-3072", "RSA", "SHA256withRSA");

        private final String secretName;
        private final String keyAlgorithm;
        private final String signatureAlgorithm;

        Algorithm(String secretName, String keyAlgorithm, String signatureAlgorithm) {
            this.secretName = secretName;
            this.keyAlgorithm = keyAlgorithm;
            this.signatureAlgorithm = signatureAlgorithm;
        }

        String secretName() {
            return secretName;
        }

        static Algorithm named(String name) {
            return Arrays.stream(values()).filter(algorithm -> algorithm.secretName.equals(name)).findFirst()
                    .orElseThrow(() -> new MalformedSecretException(
                            "algorithm in secret JSON must be one of Ed25519, ECDSA-P256, RSA-3072"));
        }
    }

    record PemPair(String publicKey, String privateKey) {
        @Override
        public String toString() {
            return "PemPair[publicKey=" + publicKey + ", privateKey=***]";
        }
    }

    PemPair generate(Algorithm algorithm) {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance(algorithm.keyAlgorithm);
            switch (algorithm) {
                case ED25519 -> generator.initialize(255, random);
                case ECDSA_P256 -> generator.initialize(new ECGenParameterSpec("secp256r1"), random);
                case RSA_3072 -> generator.initialize(new RSAKeyGenParameterSpec(3072, RSAKeyGenParameterSpec.F4), random);
            }
            KeyPair pair = generator.generateKeyPair();
            return new PemPair(pem("PUBLIC KEY", pair.getPublic().getEncoded()),
                    pem("PRIVATE KEY", pair.getPrivate().getEncoded()));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("this JVM cannot make " + algorithm.secretName + " keys", e);
        }
    }

    /** Whether the private key signs what the public key verifies: the pair belongs together and both parse. */
    boolean belongTogether(Algorithm algorithm, PemPair pair) {
        try {
            KeyFactory keys = KeyFactory.getInstance(algorithm.keyAlgorithm);
            PublicKey publicKey = keys.generatePublic(new X509EncodedKeySpec(unpem("PUBLIC KEY", pair.publicKey())));
            PrivateKey privateKey = keys.generatePrivate(new PKCS8EncodedKeySpec(unpem("PRIVATE KEY", pair.privateKey())));
            byte[] challenge = new byte[32];
            random.nextBytes(challenge);
            Signature signer = Signature.getInstance(algorithm.signatureAlgorithm);
            signer.initSign(privateKey, random);
            signer.update(challenge);
            byte[] signature = signer.sign();
            Signature verifier = Signature.getInstance(algorithm.signatureAlgorithm);
            verifier.initVerify(publicKey);
            verifier.update(challenge);
            return verifier.verify(signature);
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            return false;
        }
    }

    private static String pem(String label, byte[] der) {
        String body = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der);
        return "-----BEGIN " + label + "-----\n" + body + "\n-----END " + label + "-----\n";
    }

    private static byte[] unpem(String label, String pem) {
        String begin = "-----BEGIN " + label + "-----";
        String end = "-----END " + label + "-----";
        int from = pem.indexOf(begin);
        int to = pem.indexOf(end);
        if (from < 0 || to < from) {
            throw new IllegalArgumentException("not a PEM " + label);
        }
        return Base64.getMimeDecoder().decode(pem.substring(from + begin.length(), to));
    }
}
