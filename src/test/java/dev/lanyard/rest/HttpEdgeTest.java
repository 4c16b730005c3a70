package dev.lanyard.rest;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class HttpEdgeTest {

    @ParameterizedTest
    @ValueSource(strings = {
            "/",
            "/v1/secrets/vault/database/creds/app",
            "/v1/leases",
            "/v1/secrets/vault/secret/payments/db",
            "/v1/secrets/vault/a.b/.hidden",
            "/v1/secrets/vault/...",
    })
    void canonicalPathsPass(String path) {
        assertThat(HttpEdge.isCanonical(path)).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "/v1/secrets/vault/database%2Fcreds/app",   // encoded slash
            "/v1/secrets/vault/%2e%2e/admin",           // encoded dot segment
            "/v1/secrets/vault/%252e",                  // double-encoded
            "/v1/secrets/vault/a\\b",                   // backslash
            "/v1/secrets/vault/..\\admin",
            "/v1//secrets/vault/x",                     // empty segment
            "//v1/secrets",
            "/v1/secrets/vault/x//",
            "/v1/secrets/../admin",                     // dot segments
            "/v1/secrets/./vault/x",
            "/v1/secrets/vault/x/..",
            "/v1/secrets/vault/x/.",
            "/..",
            "..",
    })
    void nonCanonicalPathsAreRefused(String path) {
        assertThat(HttpEdge.isCanonical(path)).isFalse();
    }

    @Test
    void nullIsNotCanonical() {
        assertThat(HttpEdge.isCanonical(null)).isFalse();
    }
}
