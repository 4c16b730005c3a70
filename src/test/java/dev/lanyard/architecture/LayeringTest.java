package dev.lanyard.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/** Dependencies flow one way: rest → broker → spi → secret. Nothing depends on rest; backends only on spi. */
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
}
