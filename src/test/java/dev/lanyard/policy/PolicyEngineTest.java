package dev.lanyard.policy;

import static dev.lanyard.policy.Policies.rule;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lanyard.auth.Caller;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PolicyEngineTest {

    private static final Caller API = Caller.serviceAccount("payments", "api");
    private static final Caller WORKER = Caller.serviceAccount("payments", "worker");
    private static final Caller BILLING = Caller.serviceAccount("billing", "api");
    private static final Caller CI = Caller.apiToken("00000000000000aa", "ci");

    private final PolicyEngine engine = Policies.builder()
            .policy("payments", List.of("sa:payments/*", "token:ci"),
                    rule(List.of("vault/database/creds/payments"), "issue", "renew", "revoke"),
                    rule(List.of("vault/secret/payments/**"), "read"))
            .policy("auditors", List.of("token:auditor"),
                    rule(List.of("audit", "audit/**"), "audit:read"))
            .engine();

    @Test
    void nothingIsAllowedWithoutPolicies() {
        PolicyEngine empty = new PolicyEngine(Map.of());
        for (Capability capability : Capability.values()) {
            assertThat(empty.allows(API, capability, "vault/secret/payments/db")).isFalse();
        }
    }

    @Test
    void aBoundSubjectGetsExactlyTheCapabilitiesOfItsRules() {
        assertThat(engine.allows(API, Capability.READ, "vault/secret/payments/db")).isTrue();
        assertThat(engine.allows(API, Capability.ISSUE, "vault/database/creds/payments")).isTrue();
        assertThat(engine.allows(API, Capability.RENEW, "vault/database/creds/payments")).isTrue();
        assertThat(engine.allows(API, Capability.REVOKE, "vault/database/creds/payments")).isTrue();

        // Capabilities are per rule: read is not allowed on the creds path, issue not on the kv path.
        assertThat(engine.allows(API, Capability.READ, "vault/database/creds/payments")).isFalse();
        assertThat(engine.allows(API, Capability.ISSUE, "vault/secret/payments/db")).isFalse();
        assertThat(engine.allows(API, Capability.LEASE_ADMIN, "vault/database/creds/payments")).isFalse();
        assertThat(engine.allows(API, Capability.ROTATE, "vault/secret/payments/db")).isFalse();
    }

    /** Decisions are remembered; asking again, in any order, past the bound of what is remembered, answers the same. */
    @Test
    void rememberedDecisionsAnswerAsTheRulesDo() {
        for (int round = 0; round < 2; round++) {
            assertThat(engine.allows(API, Capability.READ, "vault/secret/payments/db")).isTrue();
            assertThat(engine.allows(BILLING, Capability.READ, "vault/secret/payments/db")).as("another caller, same path").isFalse();
            assertThat(engine.allows(API, Capability.ISSUE, "vault/secret/payments/db")).as("same path, other capability").isFalse();
        }
        for (int i = 0; i <= PolicyEngine.REMEMBERED_DECISIONS; i++) {
            assertThat(engine.allows(API, Capability.READ, (i % 2 == 0 ? "vault/secret/payments/" : "vault/secret/billing/") + i))
                    .isEqualTo(i % 2 == 0);
        }
        assertThat(engine.allows(API, Capability.READ, "vault/secret/payments/asked-after-the-bound")).isTrue();
        assertThat(engine.allows(API, Capability.READ, "vault/secret/billing/asked-after-the-bound")).isFalse();
        assertThat(engine.allows(BILLING, Capability.READ, "vault/secret/payments/db")).isFalse();
    }

    @Test
    void pathsOutsideEveryRuleAreDenied() {
        assertThat(engine.allows(API, Capability.READ, "vault/secret/billing/db")).isFalse();
        assertThat(engine.allows(API, Capability.ISSUE, "vault/database/creds/payments-admin")).isFalse();
        assertThat(engine.allows(API, Capability.ISSUE, "vault/database/creds/payments/x")).isFalse();
        assertThat(engine.allows(API, Capability.READ, "vault/secret/payments")).isFalse();
    }

    @Test
    void subjectGlobsBindWholeNamespacesButNoOthers() {
        assertThat(engine.allows(WORKER, Capability.READ, "vault/secret/payments/db")).isTrue();
        assertThat(engine.allows(CI, Capability.READ, "vault/secret/payments/db")).isTrue();
        assertThat(engine.allows(BILLING, Capability.READ, "vault/secret/payments/db")).isFalse();
        assertThat(engine.allows(Caller.serviceAccount("payments-evil", "api"), Capability.READ, "vault/secret/payments/db")).isFalse();
        assertThat(engine.allows(Caller.apiToken("00000000000000aa", "ci2"), Capability.READ, "vault/secret/payments/db")).isFalse();
    }

    @Test
    void capabilitySpellingsWithColonParse() {
        assertThat(engine.allows(Caller.apiToken("00000000000000aa", "auditor"), Capability.AUDIT_READ, "audit")).isTrue();
        assertThat(engine.allows(Caller.apiToken("00000000000000aa", "auditor"), Capability.READ, "vault/secret/payments/db")).isFalse();
    }

    @Test
    void unknownCapabilityIsRejectedAtConstruction() {
        Map<String, PolicyConfig.Policy> config = Policies.builder()
                .policy("typo", List.of("token:ci"), rule(List.of("vault/**"), "read", "wirte"))
                .asMap();

        assertThatThrownBy(() -> new PolicyEngine(config))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("policy 'typo' names unknown capability 'wirte'");
    }

    @Test
    void emptyCapabilityIsRejectedAtConstruction() {
        Map<String, PolicyConfig.Policy> config = Policies.builder()
                .policy("blank", List.of("token:ci"), rule(List.of("vault/**"), " "))
                .asMap();

        assertThatThrownBy(() -> new PolicyEngine(config)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void capabilityParsingAndSpelling() {
        assertThat(Capability.parse("read")).isEqualTo(Capability.READ);
        assertThat(Capability.parse(" Issue ")).isEqualTo(Capability.ISSUE);
        assertThat(Capability.parse("audit:read")).isEqualTo(Capability.AUDIT_READ);
        assertThat(Capability.parse("audit-read")).isEqualTo(Capability.AUDIT_READ);
        assertThat(Capability.AUDIT_READ.spelling()).isEqualTo("audit:read");
        assertThatThrownBy(() -> Capability.parse("superuser")).isInstanceOf(IllegalArgumentException.class);
    }

    /**
     * An operations grant meant for cleaning up leases ({@code **}, renew, revoke, lease:admin) administers leases
     * everywhere — and nothing of Lanyard's own: no token, no audit-log operation, no read of its namespaces.
     */
    @Test
    void aGrantOnEverythingNeverReachesLanyardsOwnNamespaces() {
        PolicyEngine ops = Policies.builder()
                .policy("ops", List.of("token:ops"), rule(List.of("**"), "read", "renew", "revoke", "lease:admin"))
                .engine();
        Caller caller = Caller.apiToken("00000000000000aa", "ops");

        assertThat(ops.allows(caller, Capability.LEASE_ADMIN, "vault/database/creds/payments")).isTrue();
        assertThat(ops.allows(caller, Capability.READ, "vault/secret/anything")).isTrue();
        for (Capability capability : Capability.values()) {
            assertThat(ops.allows(caller, capability, "lanyard/tokens/security")).as(capability.spelling()).isFalse();
            assertThat(ops.allows(caller, capability, "lanyard/tokens")).as(capability.spelling()).isFalse();
            assertThat(ops.allows(caller, capability, "audit/archive/10")).as(capability.spelling()).isFalse();
        }
        PolicyEngine wildcardFirst = Policies.builder()
                .policy("sneaky", List.of("token:ops"), rule(List.of("*/tokens/*", "*/**"), "read", "lease:admin"))
                .engine();
        assertThat(wildcardFirst.allows(caller, Capability.READ, "lanyard/tokens/security")).isFalse();
        assertThat(wildcardFirst.allows(caller, Capability.READ, "vault/tokens/x")).isTrue();
    }

    @Test
    void capabilitiesOfLanyardsOwnNamespacesAreGrantedOnlyWhereTheRuleNamesThem() {
        for (String capability : List.of("token:admin", "audit:read", "audit:admin")) {
            Map<String, PolicyConfig.Policy> broad = Policies.builder()
                    .policy("broad", List.of("token:ops"), rule(List.of("**"), capability)).asMap();
            assertThatThrownBy(() -> new PolicyEngine(broad)).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("grants " + capability + " on '**', which does not name");
        }
        PolicyEngine named = Policies.builder()
                .policy("tokens", List.of("token:ops"), rule(List.of("lanyard/tokens", "lanyard/tokens/ci-*"), "token:admin"))
                .engine();
        assertThat(named.allows(Caller.apiToken("00000000000000aa", "ops"), Capability.TOKEN_ADMIN, "lanyard/tokens/ci-1")).isTrue();
        assertThat(named.allows(Caller.apiToken("00000000000000aa", "ops"), Capability.TOKEN_ADMIN, "lanyard/tokens/security")).isFalse();
    }

    @Test
    void adminIsRefusedNamingTheThreeCapabilitiesItWasSplitInto() {
        Map<String, PolicyConfig.Policy> old = Policies.builder()
                .policy("ops", List.of("token:ops"), rule(List.of("vault/**"), "renew", "admin")).asMap();
        assertThatThrownBy(() -> new PolicyEngine(old)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("lease:admin").hasMessageContaining("token:admin").hasMessageContaining("audit:admin");
    }

    @Test
    void anyMatchingPolicyAllows() {
        PolicyEngine twoPolicies = Policies.builder()
                .policy("a", List.of("token:ops"), rule(List.of("vault/a/**"), "read"))
                .policy("b", List.of("token:*"), rule(List.of("vault/b/**"), "read"))
                .engine();
        Caller ops = Caller.apiToken("00000000000000aa", "ops");

        assertThat(twoPolicies.allows(ops, Capability.READ, "vault/a/x")).isTrue();
        assertThat(twoPolicies.allows(ops, Capability.READ, "vault/b/x")).isTrue();
        assertThat(twoPolicies.allows(Caller.apiToken("00000000000000aa", "other"), Capability.READ, "vault/a/x")).isFalse();
        assertThat(twoPolicies.allows(Caller.apiToken("00000000000000aa", "other"), Capability.READ, "vault/b/x")).isTrue();
    }

    @Test
    void aCallerMayUseAMountWhenSomeRuleCouldAllowItSomethingBelowIt() {
        assertThat(engine.mayUseUnder(API, "vault/secret")).isTrue();
        assertThat(engine.mayUseUnder(API, "vault/database")).isTrue();
        assertThat(engine.mayUseUnder(API, "vault/kv")).isFalse();
        assertThat(engine.mayUseUnder(BILLING, "vault/secret")).isFalse();
        PolicyEngine broad = Policies.builder().policy("ops", List.of("token:ops"), rule(List.of("**"), "read")).engine();
        assertThat(broad.mayUseUnder(Caller.apiToken("00000000000000aa", "ops"), "vault/secret")).isTrue();
        PolicyEngine sibling = Policies.builder().policy("x", List.of("token:x"), rule(List.of("vault/secrets/**"), "read")).engine();
        assertThat(sibling.mayUseUnder(Caller.apiToken("00000000000000aa", "x"), "vault/secret")).as("a longer name is another mount").isFalse();
    }

    @Test
    void theNamesOfThePoliciesThatBindACallerAreListedSorted() {
        assertThat(engine.namesFor(API)).containsExactly("payments");
        assertThat(engine.namesFor(BILLING)).isEmpty();
    }
}
