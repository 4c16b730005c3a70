package dev.lanyard.rest;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class EdgeScreeningTest {

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
        assertThat(EdgeScreening.isCanonical(path)).isTrue();
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
            "/v1/secrets/vault/x;y=1",                  // matrix parameter, stripped by the REST layer
            "/v1/secrets/vault;y=1/x",
            "/v1/secrets/vault/x\u0001",                // control character
            "/v1/secrets/vault/x\u007f",
            "/v1/secrets/vault/caf\u00e9",              // outside ASCII
            "/v1/secrets/vault/a b",
    })
    void nonCanonicalPathsAreRefused(String path) {
        assertThat(EdgeScreening.isCanonical(path)).isFalse();
    }

    @Test
    void nullIsNotCanonical() {
        assertThat(EdgeScreening.isCanonical(null)).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {"subject=token:app", "path=openbao/secret/**&limit=10", "from=2026-01-01T00:00:00Z",
            "subject=%C3%A9t%C3%A9", "a=1&b=", "x=a+b"})
    void printableQueriesPass(String query) {
        assertThat(EdgeScreening.isPrintableQuery(query)).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"subject=%00", "subject=a%0ab", "subject=%1b%5b31m", "subject=%7f", "subject=%c2%85",
            "subject=%e2%80%ae", "subject=%e2%80%a8", "version=1;x=2", "subject=%zz", "subject=%4", "subject=%ff%fe",
            "subject=a\u0001", "subject=caf\u00e9", "subject=a#b"})
    void queriesThatCouldNotBeRecordedFaithfullyAreRefused(String query) {
        assertThat(EdgeScreening.isPrintableQuery(query)).isFalse();
    }

    @Test
    void noQueryIsFine() {
        assertThat(EdgeScreening.isPrintableQuery(null)).isTrue();
    }
}
