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

    /** hvac escapes {@code @ : = +} in every path segment: under the Vault-compatible API they are decoded once. */
    @ParameterizedTest
    @ValueSource(strings = {
            "/vault/v1/secret/data/app%40prod",
            "/vault/v1/secret/data/k%3Dv/a%2Bb/c%3Ad",
            "/vault/v1/secret/data/plain",
            "/vault/v1/sys/leases/renew/database/creds/app/AbC",
    })
    void vaultPathsMayEscapeWhatASecretPathMayHold(String path) {
        assertThat(EdgeScreening.isCanonical(path)).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "/vault/v1/secret/data/a%2Fb",       // an encoded slash is still two paths
            "/vault/v1/secret/data/%2e%2e/x",    // an encoded dot segment is still a dot segment once decoded
            "/vault/v1/secret/data/%2E",
            "/vault/v1/secret/data/%252e",       // a percent sign is not a path character
            "/vault/v1/secret/data/a%20b",
            "/vault/v1/secret/data/a%",
            "/vault/v1/secret/data/a%4",
            "/vault/v1/secret/data/a%zz",
            "/vault/v1/secret/data/../x",
            "/vault/v1/secret//data/x",
            "/v1/secrets/vault/app%40prod",      // the native API decodes nothing
    })
    void vaultPathsStillMeetTheNativeRulesOnceDecoded(String path) {
        assertThat(EdgeScreening.isCanonical(path)).isFalse();
    }
}
