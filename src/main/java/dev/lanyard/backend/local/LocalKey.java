package dev.lanyard.backend.local;

import dev.lanyard.support.SecretReference;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import org.bouncycastle.crypto.InvalidCipherTextException;
import org.bouncycastle.crypto.engines.AESEngine;
import org.bouncycastle.crypto.modes.GCMBlockCipher;
import org.bouncycastle.crypto.modes.GCMModeCipher;
import org.bouncycastle.crypto.params.AEADParameters;
import org.bouncycastle.crypto.params.KeyParameter;

/**
 * The local store's AES-256 key, and the sealed format it produces: AES-256-GCM through BouncyCastle's
 * lightweight API.
 *
 * <p>Sealed layout, {@value #HEADER_LENGTH} header bytes followed by the GCM output:
 * <pre>
 *   offset 0        1 byte    format version, {@value #FORMAT_V1} (AES-256-GCM, 96-bit nonce, 128-bit tag)
 *   offset 1       12 bytes   nonce, fresh from {@link SecureRandom} for every seal
 *   offset 13       n bytes   ciphertext (same length as the plaintext)
 *   offset 13+n    16 bytes   authentication tag
 * </pre>
 * The header is not encrypted but is authenticated: a changed nonce fails the tag, and the format version is
 * also part of the associated data the caller supplies ({@code "lanyard-local:v1:..."}).
 *
 * <p>The key bytes never leave this class except as the base64 text the caller passed in; {@link #toString()} is
 * masked, exception messages never contain key material, and {@link #close()} zeroes the key.
 */
public final class LocalKey implements AutoCloseable {

    /** AES-256. */
    public static final int LENGTH = 32;
    static final byte FORMAT_V1 = 1;
    static final int NONCE_LENGTH = 12;
    static final int TAG_BITS = 128;
    static final int HEADER_LENGTH = 1 + NONCE_LENGTH;
    private static final int TAG_LENGTH = TAG_BITS / 8;

    /** Shared and thread-safe; nonces must be unpredictable and unique, so never an injectable generator. */
    private static final SecureRandom NONCES = new SecureRandom();

    private final byte[] key;
    private volatile boolean closed;

    private LocalKey(byte[] key) {
        this.key = key;
    }

    /** A fresh random key, base64-encoded, for the dev launcher or an operator creating a store. */
    public static String generate() {
        byte[] fresh = new byte[LENGTH];
        NONCES.nextBytes(fresh);
        try {
            return Base64.getEncoder().encodeToString(fresh);
        } finally {
            Arrays.fill(fresh, (byte) 0);
        }
    }

    /**
     * Decodes a base64 key of exactly {@value #LENGTH} bytes.
     *
     * @throws IllegalArgumentException with a message that never quotes the input (the JDK's base64 error would
     *                                  echo the offending character of the key, so it is not passed on)
     */
    public static LocalKey decode(String base64) {
        if (base64 == null) {
            throw new IllegalArgumentException("the key is missing");
        }
        byte[] bytes;
        try {
            bytes = Base64.getDecoder().decode(base64.strip());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("the key is not valid base64");
        }
        if (bytes.length != LENGTH) {
            int length = bytes.length;
            Arrays.fill(bytes, (byte) 0);
            throw new IllegalArgumentException(
                    "the key must decode to " + LENGTH + " bytes (AES-256), but decodes to " + length + " bytes");
        }
        return new LocalKey(bytes);
    }

    /** Resolves a {@code file:}/{@code env:} reference and decodes the key it names. */
    public static LocalKey resolve(String keyReference) {
        return decode(SecretReference.parse(keyReference).resolve());
    }

    /** Encrypts {@code plaintext} under a fresh nonce; {@code associatedData} is authenticated, not stored. */
    byte[] seal(byte[] plaintext, byte[] associatedData) {
        byte[] nonce = new byte[NONCE_LENGTH];
        NONCES.nextBytes(nonce);
        KeyParameter keyParameter = keyParameter();
        try {
            GCMModeCipher gcm = GCMBlockCipher.newInstance(AESEngine.newInstance());
            gcm.init(true, new AEADParameters(keyParameter, TAG_BITS, nonce, associatedData));
            byte[] sealed = new byte[HEADER_LENGTH + gcm.getOutputSize(plaintext.length)];
            sealed[0] = FORMAT_V1;
            System.arraycopy(nonce, 0, sealed, 1, NONCE_LENGTH);
            int written = gcm.processBytes(plaintext, 0, plaintext.length, sealed, HEADER_LENGTH);
            written += gcm.doFinal(sealed, HEADER_LENGTH + written);
            if (HEADER_LENGTH + written != sealed.length) {
                throw new IllegalStateException("unexpected GCM output length");
            }
            return sealed;
        } catch (InvalidCipherTextException e) {
            // Cannot happen when encrypting; never carries data.
            throw new IllegalStateException("encryption failed", e);
        } finally {
            Arrays.fill(keyParameter.getKey(), (byte) 0);
        }
    }

    /**
     * Verifies and decrypts a value produced by {@link #seal}. The caller owns (and must zero) the result.
     *
     * @throws InvalidCipherTextException when the format is unknown, the value is truncated, the key is wrong, the
     *                                    value was altered or the associated data differs; the message names no data
     */
    byte[] open(byte[] sealed, byte[] associatedData) throws InvalidCipherTextException {
        if (sealed.length < HEADER_LENGTH + TAG_LENGTH) {
            throw new InvalidCipherTextException("sealed value is truncated");
        }
        if (sealed[0] != FORMAT_V1) {
            throw new UnknownFormatException();
        }
        byte[] nonce = Arrays.copyOfRange(sealed, 1, HEADER_LENGTH);
        KeyParameter keyParameter = keyParameter();
        byte[] plaintext = null;
        try {
            GCMModeCipher gcm = GCMBlockCipher.newInstance(AESEngine.newInstance());
            gcm.init(false, new AEADParameters(keyParameter, TAG_BITS, nonce, associatedData));
            int inputLength = sealed.length - HEADER_LENGTH;
            plaintext = new byte[gcm.getOutputSize(inputLength)];
            int written = gcm.processBytes(sealed, HEADER_LENGTH, inputLength, plaintext, 0);
            written += gcm.doFinal(plaintext, written);
            if (written != plaintext.length) {
                byte[] exact = Arrays.copyOf(plaintext, written);
                Arrays.fill(plaintext, (byte) 0);
                plaintext = exact;
            }
            byte[] result = plaintext;
            plaintext = null;
            return result;
        } finally {
            // GCM decryption streams out plaintext before the tag is checked: never leave unverified bytes behind.
            if (plaintext != null) {
                Arrays.fill(plaintext, (byte) 0);
            }
            Arrays.fill(keyParameter.getKey(), (byte) 0);
        }
    }

    /** A per-operation copy of the key, zeroed by the caller once the cipher is done with it. */
    private KeyParameter keyParameter() {
        if (closed) {
            throw new IllegalStateException("key was closed");
        }
        return new KeyParameter(key);
    }

    /** Zeroes the key; later seal/open calls fail. */
    @Override
    public void close() {
        closed = true;
        Arrays.fill(key, (byte) 0);
    }

    @Override
    public String toString() {
        return "LocalKey[(masked)]";
    }

    /** The sealed value's format byte is not one this version of Lanyard writes. */
    static final class UnknownFormatException extends InvalidCipherTextException {
        UnknownFormatException() {
            super("sealed value has an unknown format version");
        }
    }
}
