package dev.lanyard.backend.aws;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.sts.model.Tag;

class StsSessionsTest {

    @Test
    void aSubjectBecomesASessionNameInStsAlphabet() {
        assertThat(StsSessions.name("sa:payments/api")).isEqualTo("sa-payments-api");
        assertThat(StsSessions.name("token:ci deploy")).isEqualTo("token-ci-deploy");
        assertThat(StsSessions.name("system")).isEqualTo("system");
    }

    @Test
    void aLongSubjectKeepsItsStartAndAHashSoTwoNeverShareAName() {
        String common = "sa:" + "n".repeat(60) + "/";
        String first = StsSessions.name(common + "first");
        String second = StsSessions.name(common + "second");
        assertThat(first).hasSize(64).matches("[A-Za-z0-9_+=,.@-]+").startsWith("sa-nnn");
        assertThat(second).hasSize(64).isNotEqualTo(first);
    }

    @Test
    void aServiceAccountIsTaggedWithItsNamespaceAndName() {
        assertThat(StsSessions.tags("sa:payments/api")).extracting(Tag::key, Tag::value).containsExactly(
                tuple("lanyard:caller", "sa:payments/api"),
                tuple("lanyard:namespace", "payments"),
                tuple("lanyard:service-account", "api"));
        assertThat(StsSessions.tags("token:ci#1")).extracting(Tag::value).containsExactly("token:ci-1");
    }
}
