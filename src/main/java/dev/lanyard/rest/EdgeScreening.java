package dev.lanyard.rest;

import dev.lanyard.access.Refusal;
import dev.lanyard.support.PathEscapes;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * The rules a request must meet before anything reads it: Lanyard's transport limits, one framing of the body, a
 * canonical path and a printable query. Pure: they read the request and decide, and {@link HttpEdge} (the Vert.x
 * wiring) records and answers what they refuse.
 */
final class EdgeScreening {

    static final int MAX_TARGET_LENGTH = 8 * 1024;
    static final int MAX_HEADER_BYTES = 16 * 1024;
    static final int MAX_HEADERS = 100;
    static final long MAX_BODY_BYTES = 16 * 1024;
    /** Where the Vault-compatible API is served (package vaultapi). */
    static final String VAULT_PREFIX = "/vault/";

    /** What a rule refused, with a detail safe to echo; {@code detail} null for the refusal's own. */
    record Rejection(Refusal refusal, String detail) {}

    private EdgeScreening() {}

    /** Why this request is refused before anything reads it, or null. */
    static Rejection refusal(HttpServerRequest request) {
        if (missingHost(request)) {
            return missingHostRefusal();
        }
        String target = request.uri();
        if (target.length() > MAX_TARGET_LENGTH) {
            return new Rejection(Refusal.URI_TOO_LONG, "the request target is longer than " + MAX_TARGET_LENGTH + " characters");
        }
        int headerBytes = 0;
        for (Map.Entry<String, String> header : request.headers()) {
            headerBytes += header.getKey().length() + header.getValue().length() + 4;
        }
        if (request.headers().size() > MAX_HEADERS || headerBytes > MAX_HEADER_BYTES) {
            return new Rejection(Refusal.HEADERS_TOO_LARGE, "the request has more than " + MAX_HEADERS
                    + " headers or more than " + MAX_HEADER_BYTES + " bytes of them");
        }
        List<String> lengths = request.headers().getAll(HttpHeaders.CONTENT_LENGTH);
        for (String length : lengths) {
            if (!length.matches("[0-9]{1,19}")) {
                return new Rejection(Refusal.BAD_REQUEST, "Content-Length is not a number");
            }
            if (Long.parseLong(length) > MAX_BODY_BYTES) {
                return bodyTooLarge();
            }
        }
        List<String> codings = request.headers().getAll(HttpHeaders.TRANSFER_ENCODING);
        if (!codings.isEmpty() && (!lengths.isEmpty() || codings.size() > 1
                || !codings.getFirst().trim().equalsIgnoreCase("chunked"))) {
            // RFC 9112 6.1: a body is framed one way; anything else is how requests are smuggled.
            return new Rejection(Refusal.BAD_REQUEST, "the body must be framed by Content-Length or by chunked alone");
        }
        if (!isCanonical(request.path())) {
            return new Rejection(Refusal.INVALID_PATH, null);
        }
        if (!isPrintableQuery(request.query())) {
            return new Rejection(Refusal.INVALID_QUERY, null);
        }
        return null;
    }

    /** RFC 9112 3.2: an HTTP/1.1 request without Host is refused (the HTTP layer would otherwise fail on it later). */
    static boolean missingHost(HttpServerRequest request) {
        return request.version() == HttpVersion.HTTP_1_1 && request.headers().get(HttpHeaders.HOST) == null;
    }

    static Rejection missingHostRefusal() {
        return new Rejection(Refusal.BAD_REQUEST, "an HTTP/1.1 request needs a Host header");
    }

    static Rejection bodyTooLarge() {
        return new Rejection(Refusal.BODY_TOO_LARGE, "the request body is larger than " + MAX_BODY_BYTES / 1024 + " KiB");
    }

    /**
     * Secret paths use only unreserved characters, so a raw path with a percent sign, a backslash, a matrix
     * parameter, an empty segment, a dot segment or anything outside printable ASCII is an attempt to be read two
     * ways (encoded slash, traversal, stripped parameters) and is refused before anything decodes or normalises it.
     * Under the Vault-compatible API's prefix, escapes of characters a secret path may hold ({@code %40} for
     * {@code @}, which hvac sends) are decoded once first, and the decoded path meets the same rules; any other escape
     * ({@code %2F}, {@code %2E%2E}, {@code %25}) is still refused.
     */
    static boolean isCanonical(String rawPath) {
        if (rawPath != null && rawPath.startsWith(VAULT_PREFIX)) {
            String decoded = PathEscapes.decodeSecretPathEscapes(rawPath);
            return decoded != null && isCanonicalAsIs(decoded);
        }
        return isCanonicalAsIs(rawPath);
    }

    private static boolean isCanonicalAsIs(String rawPath) {
        if (rawPath == null || rawPath.isEmpty() || rawPath.charAt(0) != '/' || rawPath.contains("//")) {
            return false;
        }
        for (int i = 0; i < rawPath.length(); i++) {
            char c = rawPath.charAt(i);
            if (c <= 0x20 || c >= 0x7f || c == '%' || c == '\\' || c == ';') {
                return false;
            }
        }
        for (String segment : rawPath.split("/")) {
            if (segment.equals(".") || segment.equals("..")) {
                return false;
            }
        }
        return true;
    }

    /**
     * A query string Lanyard will read: printable ASCII on the wire, '&' as the only separator, percent-escapes
     * that decode to UTF-8, and no control or invisible formatting characters once decoded.
     */
    static boolean isPrintableQuery(String rawQuery) {
        if (rawQuery == null) {
            return true;
        }
        for (int i = 0; i < rawQuery.length(); i++) {
            char c = rawQuery.charAt(i);
            if (c <= 0x20 || c >= 0x7f || c == ';' || c == '#') {
                return false;
            }
            if (c == '%' && (i + 2 >= rawQuery.length() || !isHex(rawQuery.charAt(i + 1)) || !isHex(rawQuery.charAt(i + 2)))) {
                return false;
            }
        }
        for (String part : rawQuery.split("&", -1)) {
            if (!isPrintableText(strictDecode(part.replace('+', ' ')))) {
                return false;
            }
        }
        return true;
    }

    /** Text that may be stored, logged or echoed: no control, line-separator or invisible formatting characters. */
    static boolean isPrintableText(String text) {
        if (text == null) {
            return false;
        }
        return text.codePoints().noneMatch(cp -> switch (Character.getType(cp)) {
            case Character.CONTROL, Character.FORMAT, Character.LINE_SEPARATOR, Character.PARAGRAPH_SEPARATOR,
                 Character.SURROGATE, Character.PRIVATE_USE, Character.UNASSIGNED -> true;
            default -> false;
        });
    }

    /** Decodes percent-escapes as UTF-8; null when they are not valid UTF-8. */
    private static String strictDecode(String component) {
        byte[] bytes = new byte[component.length()];
        int n = 0;
        for (int i = 0; i < component.length(); i++) {
            char c = component.charAt(i);
            if (c == '%') {
                bytes[n++] = (byte) Integer.parseInt(component, i + 1, i + 3, 16);
                i += 2;
            } else {
                bytes[n++] = (byte) c;
            }
        }
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes, 0, n)).toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }

    private static boolean isHex(char c) {
        return Character.digit(c, 16) >= 0;
    }
}
