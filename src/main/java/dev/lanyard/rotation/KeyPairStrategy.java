package dev.lanyard.rotation;

import dev.lanyard.secret.SecretValue;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.RSAKeyGenParameterSpec;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;

/**
 * A new key pair, by BouncyCastle: Ed25519, RSA (3072 or 4096 bits) or EC P-256. The private key is stored as PKCS#8
 * PEM in {@code private_key}, the public half beside it as SubjectPublicKeyInfo PEM in {@code public_key}, the
 * algorithm in {@code algorithm}. The test step signs with one half and verifies with the other.
 */
@Singleton
class KeyPairStrategy implements RotationStrategy {

    private static final BouncyCastleProvider BC = new BouncyCastleProvider();
    private static final Set<String> ALGORITHMS = Set.of("ed25519", "rsa-3072", "rsa-4096", "ec-p256");

    private final SecureRandom random = new SecureRandom();

    @Override
    public String name() {
        return "key-pair";
    }

    @Override
    public void validate(Map<String, Object> parameters) {
        Parameters.only(parameters, Set.of("algorithm"));
        String algorithm = Parameters.text(parameters, "algorithm", "ed25519");
        if (!ALGORITHMS.contains(algorithm)) {
            throw InvalidRotationException.invalidStrategy("parameter 'algorithm' is one of " + ALGORITHMS.stream().sorted().toList());
        }
    }

    @Override
    public SecretValue generate(StrategyContext context, SecretValue current) {
        String algorithm = context.text("algorithm").orElse("ed25519");
        try {
            KeyPair pair = generator(algorithm).generateKeyPair();
            Map<String, String> fields = new LinkedHashMap<>();
            fields.put("algorithm", algorithm);
            fields.put("private_key", pem(new JcaPKCS8Generator(pair.getPrivate(), null).generate()));
            fields.put("public_key", pem(pair.getPublic()));
            return SecretValue.ofStrings(fields);
        } catch (GeneralSecurityException | IOException e) {
            throw new StepFailure(StepCode.KEY_GENERATION_FAILED, "the key pair could not be generated");
        }
    }

    private KeyPairGenerator generator(String algorithm) throws GeneralSecurityException {
        KeyPairGenerator generator;
        switch (algorithm) {
            case "rsa-3072", "rsa-4096" -> {
                generator = KeyPairGenerator.getInstance("RSA", BC);
                generator.initialize(new RSAKeyGenParameterSpec(Integer.parseInt(algorithm.substring(4)), RSAKeyGenParameterSpec.F4), random);
            }
            case "ec-p256" -> {
                generator = KeyPairGenerator.getInstance("EC", BC);
                generator.initialize(new ECGenParameterSpec("P-256"), random);
            }
            default -> {
                generator = KeyPairGenerator.getInstance("Ed25519", BC);
                generator.initialize(255, random);
            }
        }
        return generator;
    }

    private static String pem(Object object) throws IOException {
        StringWriter out = new StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
            writer.writeObject(object);
        }
        return out.toString();
    }

    @Override
    public void test(StrategyContext context, SecretValue pending) {
        String algorithm = pending.field("algorithm").orElse("");
        try {
            PrivateKey privateKey = new JcaPEMKeyConverter().setProvider(BC)
                    .getPrivateKey(PrivateKeyInfo.getInstance(parse(pending, "private_key")));
            PublicKey publicKey = new JcaPEMKeyConverter().setProvider(BC)
                    .getPublicKey(SubjectPublicKeyInfo.getInstance(parse(pending, "public_key")));
            String scheme = switch (algorithm) {
                case "rsa-3072", "rsa-4096" -> "SHA256withRSA";
                case "ec-p256" -> "SHA256withECDSA";
                default -> "Ed25519";
            };
            byte[] challenge = new byte[32];
            random.nextBytes(challenge);
            Signature signer = Signature.getInstance(scheme, BC);
            signer.initSign(privateKey);
            signer.update(challenge);
            byte[] signature = signer.sign();
            Signature verifier = Signature.getInstance(scheme, BC);
            verifier.initVerify(publicKey);
            verifier.update(challenge);
            if (!verifier.verify(signature)) {
                throw new StepFailure(StepCode.PENDING_VALUE_INVALID, "the public key does not verify the private key's signature");
            }
        } catch (GeneralSecurityException | IOException | IllegalArgumentException e) {
            throw new StepFailure(StepCode.PENDING_VALUE_INVALID, "the pending key pair cannot be read back");
        }
    }

    private static Object parse(SecretValue value, String field) throws IOException {
        String pem = value.field(field).orElseThrow(() -> new IllegalArgumentException("missing"));
        try (PEMParser parser = new PEMParser(new StringReader(pem))) {
            Object parsed = parser.readObject();
            if (parsed == null) {
                throw new IllegalArgumentException("not PEM");
            }
            return parsed;
        } catch (UncheckedIOException e) {
            throw new IllegalArgumentException("not PEM");
        }
    }
}
