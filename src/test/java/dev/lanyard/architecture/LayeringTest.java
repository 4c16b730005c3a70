package dev.lanyard.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import dev.lanyard.access.AccessContext;
import dev.lanyard.access.Refusable;
import dev.lanyard.audit.AuditEvent;
import dev.lanyard.audit.AuditLog;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.ClassVisitor;
import org.objectweb.asm.Handle;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;
import org.objectweb.asm.Type;

/**
 * The package tree is the architecture (shared/ARCHITECTURE.md): dependencies flow one way, rest → broker → access →
 * policy/audit/auth → spi → secret; nothing depends on rest; only {@code access} (and the store behind the port) writes
 * the audit log; no backend knows another; the audit chain format is plain Java; the production code never reaches the
 * dev stack. And no call runs back up at runtime: no class or lambda above a package implements an interface of it (the
 * way a status callback once let the broker consult the REST layer), apart from the sanctioned plug points below.
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

    @Test
    void onlyTheAuditedAccessAndTheStoreWriteTheAuditLog() {
        noClasses().that().resideOutsideOfPackages("dev.lanyard.access..", "dev.lanyard.audit..")
                .should().dependOnClassesThat().belongToAnyOf(AuditLog.class, AuditEvent.class)
                .because("every access is recorded by access.AuditedAccess, the one place that fails closed")
                .check(MAIN);
        noClasses().that().resideInAPackage("dev.lanyard.audit.chain..")
                .should().dependOnClassesThat().belongToAnyOf(AuditLog.class)
                .check(MAIN);
    }

    @Test
    void onlyTheDatabasePackageOpensJdbcConnections() {
        noClasses().that().resideOutsideOfPackage("dev.lanyard.database..")
                .should().dependOnClassesThat().belongToAnyOf(java.sql.DriverManager.class)
                .because("every connection to Lanyard's PostgreSQL, the owner's jobs included, goes through"
                        + " database.PostgresTls, the one TLS setting")
                .check(MAIN);
    }

    @Test
    void theAuditedAccessKnowsNothingAboveIt() {
        noClasses().that().resideInAPackage("dev.lanyard.access..")
                .should().dependOnClassesThat().resideInAnyPackage("dev.lanyard.broker..", "dev.lanyard.rotation..",
                        "dev.lanyard.k8s..", "dev.lanyard.rest..", "dev.lanyard.review..", "dev.lanyard.lifecycle..",
                        "dev.lanyard.health..", "dev.lanyard.backend..", "dev.lanyard.audit.store..", "dev.lanyard.audit.chain..")
                .check(MAIN);
    }

    /** The access context is facts, never a hole a caller could fill with code the access then runs. */
    @Test
    void theAccessContextCarriesNoCallback() {
        for (RecordComponent component : AccessContext.class.getRecordComponents()) {
            assertThat(component.getType().isInterface()).as("AccessContext.%s is an interface", component.getName()).isFalse();
        }
    }

    /**
     * A class or lambda in one package that implements an interface another package declares is code the other package
     * calls at runtime. That may only go down: the backends implement the SPI the broker calls, and failures of the
     * callers name their refusal through {@link Refusable}, which is data. Anything else — a lambda in {@code rest} handed
     * to the broker, say — is a call back up that no import graph shows.
     */
    @Test
    void noPackageImplementsAnotherPackagesInterfaceExceptThePlugPoints() {
        List<String> climbs = new ArrayList<>();
        for (JavaClass type : MAIN) {
            String owner = type.getName().replace('.', '/');
            ClassReader reader = reader(type);
            List<String> implemented = new ArrayList<>(Arrays.asList(reader.getInterfaces()));
            reader.accept(new ClassVisitor(Opcodes.ASM9) {
                @Override
                public MethodVisitor visitMethod(int access, String name, String descriptor, String signature, String[] exceptions) {
                    return new MethodVisitor(Opcodes.ASM9) {
                        @Override
                        public void visitInvokeDynamicInsn(String called, String site, Handle bootstrap, Object... arguments) {
                            if (bootstrap.getOwner().equals("java/lang/invoke/LambdaMetafactory")) {
                                implemented.add(Type.getReturnType(site).getInternalName());
                            }
                        }
                    };
                }
            }, ClassReader.SKIP_DEBUG);
            for (String iface : implemented) {
                if (iface.startsWith("dev/lanyard/") && !slice(iface).equals(slice(owner)) && !plugPoint(iface, owner)) {
                    climbs.add(owner + " implements " + iface);
                }
            }
        }
        assertThat(climbs).isEmpty();
    }

    private static final Set<String> REFUSABLE = Set.of(Refusable.class.getName().replace('.', '/'));

    private static boolean plugPoint(String iface, String owner) {
        return REFUSABLE.contains(iface) || slice(iface).equals("spi") && slice(owner).equals("backend");
    }

    /** The first package below dev.lanyard: {@code rest}, {@code broker}, {@code backend} … */
    private static String slice(String internalName) {
        String rest = internalName.substring("dev/lanyard/".length());
        int slash = rest.indexOf('/');
        return slash < 0 ? "" : rest.substring(0, slash);
    }

    private static ClassReader reader(JavaClass type) {
        try (InputStream bytes = type.getSource().orElseThrow().getUri().toURL().openStream()) {
            return new ClassReader(bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
