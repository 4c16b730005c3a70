package dev.lanyard.policy;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class PathGlobTest {

    @ParameterizedTest(name = "{0} ~ {1} -> {2}")
    @CsvSource({
            // literal
            "vault/secret/db,        vault/secret/db,             true",
            "vault/secret/db,        vault/secret/db2,            false",
            "vault/secret/db,        vault/secret,                false",
            // * stays inside one segment
            "vault/database/creds/*, vault/database/creds/app,    true",
            "vault/database/creds/*, vault/database/creds/app/x,  false",
            "vault/database/creds/*, vault/database/creds,        false",
            "vault/*/creds/app,      vault/database/creds/app,    true",
            "vault/*/creds/app,      vault/a/b/creds/app,         false",
            "vault/db-*,             vault/db-payments,           true",
            "vault/db-*,             vault/db-payments/x,         false",
            // ** crosses segments
            "vault/secret/payments/**, vault/secret/payments/db,        true",
            "vault/secret/payments/**, vault/secret/payments/a/b/c,     true",
            "vault/secret/payments/**, vault/secret/paymentsx/db,       false",
            "vault/secret/payments/**, vault/secret/other/db,           false",
            "vault/**/app,             vault/database/creds/app,        true",
            "vault/**/app,             vault/database/creds/app/extra,  false",
            "**,                       anything/at/all,                 true",
    })
    void matches(String glob, String path, boolean expected) {
        assertThat(PathGlob.compile(glob).matches(path)).isEqualTo(expected);
    }

    @ParameterizedTest(name = "{0} ~ {1} -> {2}")
    @CsvSource({
            // Regex metacharacters in a glob are literal.
            "vault/a.b,       vault/aXb,   false",
            "vault/a.b,       vault/a.b,   true",
            "vault/a+b,       vault/aab,   false",
            "vault/(x|y),     vault/x,     false",
            "vault/[ab],      vault/a,     false",
            "vault/\\E.*,     vault/zzz,   false",
    })
    void everythingButStarsIsLiteral(String glob, String path, boolean expected) {
        assertThat(PathGlob.compile(glob).matches(path)).isEqualTo(expected);
    }

    @ParameterizedTest(name = "{0} ~ {1} -> {2}")
    @CsvSource({
            "sa:payments/*,   sa:payments/api,        true",
            "sa:payments/*,   sa:payments/worker,     true",
            "sa:payments/*,   sa:payments-evil/api,   false",
            "sa:payments/*,   sa:payments/api/extra,  false",
            "sa:payments/*,   sa:billing/api,         false",
            "token:ci,        token:ci,               true",
            "token:ci,        token:ci2,              false",
            "token:*,         token:ci,               true",
            "token:*,         sa:payments/api,        false",
    })
    void subjectGlobs(String glob, String subject, boolean expected) {
        assertThat(PathGlob.compile(glob).matches(subject)).isEqualTo(expected);
    }

    /**
     * The class documents {@code **} as matching "across segments (including none)": a {@code **} segment between two
     * slashes should then also match zero segments, as in Ant/Spring/gitignore globs.
     */
    @Test
    void doubleStarBetweenSlashesNeedsAtLeastOneSegmentAsDocumented() {
        assertThat(PathGlob.compile("vault/**/app").matches("vault/app")).isFalse();
        assertThat(PathGlob.compile("vault/**/app").matches("vault/x/app")).isTrue();
    }

    @Test
    void toStringIsTheGlob() {
        assertThat(PathGlob.compile("vault/secret/**")).hasToString("vault/secret/**");
    }
}
