package dev.lanyard.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/**
 * The package tree is the architecture (shared/ARCHITECTURE.md): dependencies flow one way, rest → broker → spi →
 * secret; nothing depends on rest; no backend knows another; the audit chain format is plain Java; authentication and
 * policy never write the audit log; the production code never reaches the dev stack.
 */
class LayeringTest {

    private static final JavaClasses MAIN = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("dev.lanyard");

    @Test
    void nothingDependsOnTheRestLayer() {
        noClasses().that().resideOutsideOfPackage("dev.lanyard.rest..")
                .should().dependOnClassesThat().resideInAPackage("dev.lanyard.rest..")
                .check(MAIN);
    }

    @Test
    void theSpiAndValueTypesDependOnNoFeature() {
        noClasses().that().resideInAnyPackage("dev.lanyard.spi..", "dev.lanyard.secret..")
                .should().dependOnClassesThat().resideInAnyPackage("dev.lanyard.broker..", "dev.lanyard.backend..",
                        "dev.lanyard.rest..", "dev.lanyard.audit..", "dev.lanyard.auth..", "dev.lanyard.policy..")
                .check(MAIN);
    }

    @Test
    void backendsDoNotKnowEachOtherOrTheBroker() {
        noClasses().that().resideInAPackage("dev.lanyard.backend.vault..")
                .should().dependOnClassesThat().resideInAnyPackage("dev.lanyard.backend.local..", "dev.lanyard.broker..")
                .check(MAIN);
        noClasses().that().resideInAPackage("dev.lanyard.backend.local..")
                .should().dependOnClassesThat().resideInAnyPackage("dev.lanyard.backend.vault..", "dev.lanyard.broker..")
                .check(MAIN);
    }

    @Test
    void theBrokerDoesNotReachIntoBackends() {
        noClasses().that().resideInAPackage("dev.lanyard.broker..")
                .should().dependOnClassesThat().resideInAPackage("dev.lanyard.backend..")
                .check(MAIN);
    }

    @Test
    void noPackageCycles() {
        slices().matching("dev.lanyard.(*)..").should().beFreeOfCycles().check(MAIN);
    }

    @Test
    void noBackendDependsOnAnotherBackend() {
        slices().matching("dev.lanyard.backend.(*)..").should().notDependOnEachOther().check(MAIN);
    }

    @Test
    void theAuditChainFormatImportsNoFramework() {
        classes().that().resideInAPackage("dev.lanyard.audit.chain..")
                .should().onlyDependOnClassesThat().resideInAnyPackage("java..", "com.fasterxml.jackson..",
                        "org.bouncycastle..", "dev.lanyard.audit.chain..")
                .check(MAIN);
    }

    @Test
    void theAuditPortIsALeaf() {
        noClasses().that().resideInAPackage("dev.lanyard.audit")
                .should().dependOnClassesThat().resideInAnyPackage("dev.lanyard.audit.store..", "dev.lanyard.audit.chain..",
                        "dev.lanyard.broker..", "dev.lanyard.auth..", "dev.lanyard.rest..", "io.quarkus..", "io.vertx..",
                        "jakarta..")
                .check(MAIN);
    }

    @Test
    void authenticationAndPolicyDoNotWriteTheAuditLog() {
        noClasses().that().resideInAnyPackage("dev.lanyard.auth..", "dev.lanyard.policy..")
                .should().dependOnClassesThat().resideInAPackage("dev.lanyard.audit..")
                .check(MAIN);
    }

    @Test
    void nothingInTheProductionCodeDependsOnTheDevStack() {
        noClasses().should().dependOnClassesThat().resideInAPackage("dev.lanyard.devstack..")
                .check(MAIN);
    }
}
