package dev.lanyard.rest;

import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import jakarta.ws.rs.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class DeclaredRoutesTest {

    private static final String RUN = "0b6f5b1e-8c1d-4c44-9f2a-3d1f0c2b7a10";

    @Test
    void everyResourceTheRestLayerServesIsInTheTable() {
        List<Class<?>> annotated = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("dev.lanyard").stream().filter(c -> c.isAnnotatedWith(Path.class))
                .<Class<?>>map(JavaClass::reflect).toList();
        assertThat(annotated).isNotEmpty();
        assertThat(DeclaredRoutes.RESOURCES).containsExactlyInAnyOrderElementsOf(annotated);
    }

    @Test
    void aPathTakesTheMethodsItsRoutesDeclareAndHeadWhereverGet() {
        DeclaredRoutes routes = DeclaredRoutes.API;
        assertThat(routes.methods("/v1/secrets/openbao/secret/payments/db")).containsExactly("GET", "HEAD", "PUT");
        assertThat(routes.methods("/v1/creds/openbao/database/creds/app")).containsExactly("POST");
        assertThat(routes.methods("/v1/leases/renew")).containsExactly("POST");
        assertThat(routes.methods("/v1/tokens")).containsExactly("GET", "HEAD", "POST");
        assertThat(routes.methods("/v1/tokens/0123456789abcdef")).containsExactly("DELETE");
        assertThat(routes.methods("/v1/rotations/" + RUN)).containsExactly("DELETE", "GET", "HEAD", "PUT");
        assertThat(routes.methods("/v1/rotations/" + RUN + "/runs")).containsExactly("GET", "HEAD", "POST");
        assertThat(routes.methods("/v1/rotations/" + RUN + "/runs/" + RUN + "/rollback")).containsExactly("POST");
        assertThat(routes.methods("/v1/audit/verify")).containsExactly("POST");
    }

    @Test
    void aPathNoRouteHasTakesNothing() {
        DeclaredRoutes routes = DeclaredRoutes.API;
        assertThat(routes.methods("/v1/secrets/openbao")).isEmpty();
        assertThat(routes.methods("/v1/rotations/" + RUN + "/elsewhere")).isEmpty();
        assertThat(routes.methods("/v1/tokens/a/b")).isEmpty();
        assertThat(routes.methods("/v1")).isEmpty();
        assertThat(routes.methods("/")).isEmpty();
    }

    @Test
    void theTableSpellsEachRouteAsTheDocumentDoes() {
        assertThat(DeclaredRoutes.API.routes()).containsEntry("/v1/secrets/{backend}/{path}", Set.of("GET", "HEAD", "PUT"))
                .containsEntry("/v1/rotations/{id}/runs/{run}", Set.of("GET", "HEAD")).hasSize(21);
    }

    @Test
    void allowListsTheMethodsInOneOrder() {
        assertThat(DeclaredRoutes.allow(Set.of("PUT", "GET", "HEAD"))).isEqualTo("GET, HEAD, PUT");
    }
}
