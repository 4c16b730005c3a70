package dev.lanyard.k8s;

import static dev.lanyard.k8s.ExternalSecrets.valid;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionNames;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionVersion;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.FieldValidateable.Validation;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The ExternalSecret ExternalSecrets.CRD in k8s-external-secrets/ (the file itself) against a real kube-apiserver: it is
 * Established, takes every sample, applies its defaults, and its schema and CEL rules turn away bad resources
 * with a message that names the rule.
 */
class ExternalSecretCrdIT {

    private static final String NAMESPACE = "crd-tests";

    private static KubeApiServer kube;
    private static KubernetesClient admin;

    @BeforeAll
    static void startApiServer() {
        kube = KubeApiServer.start();
        admin = kube.adminClient();
        kube.apply(ExternalSecrets.CRD);
        kube.createNamespace(NAMESPACE);
    }

    @AfterAll
    static void stopApiServer() {
        if (kube != null) {
            kube.close();
        }
    }

    @Test
    void theFileInTheRepositoryIsTheCrdTheServerServes() throws IOException {
        CustomResourceDefinition served = admin.apiextensions().v1().customResourceDefinitions().withName(ExternalSecrets.CRD_NAME).get();
        assertThat(served.getStatus().getConditions())
                .anySatisfy(c -> assertThat(c.getType() + "=" + c.getStatus()).isEqualTo("Established=True"))
                .anySatisfy(c -> assertThat(c.getType() + "=" + c.getStatus()).isEqualTo("NamesAccepted=True"));
        assertThat(served.getSpec().getGroup()).isEqualTo("lanyard.dev");
        CustomResourceDefinitionNames names = served.getSpec().getNames();
        assertThat(names.getKind()).isEqualTo(ExternalSecrets.KIND);
        assertThat(names.getPlural()).isEqualTo("externalsecrets");
        assertThat(names.getShortNames()).containsExactly("les").doesNotContain("es", "ces", "css", "ss", "ps", "gs");
        assertThat(names.getCategories()).containsExactly("lanyard");
        CustomResourceDefinitionVersion version = served.getSpec().getVersions().get(0);
        assertThat(version.getName()).isEqualTo("v1alpha1");
        assertThat(version.getSubresources().getStatus()).isNotNull();

        JsonNode fromFile = new ObjectMapper(new YAMLFactory()).readTree(ExternalSecrets.CRD.toFile()).at("/spec/versions/0");
        JsonNode fromServer = new ObjectMapper().readTree(admin.raw(
                "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/" + ExternalSecrets.CRD_NAME)).at("/spec/versions/0");
        assertThat(fromServer.get("schema")).isEqualTo(fromFile.get("schema"));
        assertThat(fromServer.get("additionalPrinterColumns")).isEqualTo(fromFile.get("additionalPrinterColumns"));
        assertThat(fromServer.get("selectableFields")).isEqualTo(fromFile.get("selectableFields"));
    }

    @Test
    void kubectlFindsItByShortNameAndCategoryAndPrintsItsColumns() {
        create(valid("columns"));
        String table = kube.kubectl("get", "les", "-n", NAMESPACE);
        assertThat(table.lines().findFirst().orElseThrow().split("\\s+"))
                .containsExactly("NAME", "SECRET", "REFRESH", "READY", "REASON", "SYNCED", "AGE");
        assertThat(table).contains("columns").contains("Periodic");
        String wide = kube.kubectl("get", "externalsecrets.lanyard.dev", "-n", NAMESPACE, "-o", "wide");
        assertThat(wide.lines().findFirst().orElseThrow().split("\\s+"))
                .containsExactly("NAME", "SECRET", "REFRESH", "INTERVAL", "IDENTITY", "READY", "REASON", "SYNCED", "AGE");
        assertThat(wide).contains("1h").contains("app");
        assertThat(kube.kubectl("get", "lanyard", "-n", NAMESPACE, "-o", "name")).contains("externalsecret.lanyard.dev/columns");
    }

    static Stream<Path> samples() throws IOException {
        Stream<Path> files = Files.list(ExternalSecrets.DIRECTORY.resolve("samples"));
        return files.filter(p -> p.toString().endsWith(".yaml")).sorted();
    }

    @ParameterizedTest
    @MethodSource("samples")
    void everySampleIsAccepted(Path sample) {
        try (var in = Files.newInputStream(sample)) {
            List<HasMetadata> resources = admin.load(in).items();
            assertThat(resources).isNotEmpty();
            for (HasMetadata resource : resources) {
                assertThat(resource.getKind()).isEqualTo(ExternalSecrets.KIND);
                HasMetadata stored = admin.resource(resource).inNamespace(NAMESPACE).fieldValidation(Validation.STRICT).create();
                assertThat(stored.getMetadata().getGeneration()).isEqualTo(1L);
            }
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void defaultsAreApplied() {
        GenericKubernetesResource stored = create("""
                apiVersion: lanyard.dev/v1alpha1
                kind: ExternalSecret
                metadata:
                  name: defaults
                spec:
                  serviceAccountName: app
                  refreshInterval: 1h
                  data:
                    - secretKey: password
                      remoteRef: {backend: openbao, path: secret/app/db, property: password}
                """);
        Map<String, Object> spec = stored.get("spec");
        assertThat(spec).containsEntry("refreshPolicy", "Periodic");
        assertThat(spec.get("target")).isEqualTo(Map.of("creationPolicy", "Owner", "deletionPolicy", "Retain",
                "notFoundPolicy", "Retain", "immutable", false));
    }

    static Stream<Arguments> invalidResources() {
        return Stream.of(
                invalid("no spec", null, "spec: Required value"),
                invalid("no data", """
                        serviceAccountName: app
                        refreshInterval: 1h
                        """, "spec.data or spec.dataFrom must list at least one entry"),
                invalid("empty data", """
                        serviceAccountName: app
                        refreshInterval: 1h
                        data: []
                        """, "spec.data in body should have at least 1 items"),
                invalid("no identity", """
                        refreshInterval: 1h
                        data: [{secretKey: k, remoteRef: {backend: openbao, path: secret/app/db}}]
                        """, "spec.serviceAccountName: Required value"),
                invalid("identity not a name", """
                        serviceAccountName: Payments_API
                        refreshInterval: 1h
                        data: [{secretKey: k, remoteRef: {backend: openbao, path: secret/app/db}}]
                        """, "spec.serviceAccountName in body should match"),
                invalid("periodic without interval", """
                        serviceAccountName: app
                        data: [{secretKey: k, remoteRef: {backend: openbao, path: secret/app/db}}]
                        """, "spec.refreshInterval: Required value: refreshInterval is required when refreshPolicy is Periodic"),
                invalid("interval without periodic", """
                        serviceAccountName: app
                        refreshPolicy: OnChange
                        refreshInterval: 1h
                        data: [{secretKey: k, remoteRef: {backend: openbao, path: secret/app/db}}]
                        """, "spec.refreshInterval: Forbidden: refreshInterval applies only to refreshPolicy Periodic"),
                invalid("interval too short", """
                        serviceAccountName: app
                        refreshInterval: 10s
                        data: [{secretKey: k, remoteRef: {backend: openbao, path: secret/app/db}}]
                        """, "spec.refreshInterval: Invalid value: \"string\": refreshInterval must be between 30s and 168h"),
                invalid("interval too long", """
                        serviceAccountName: app
                        refreshInterval: 169h
                        data: [{secretKey: k, remoteRef: {backend: openbao, path: secret/app/db}}]
                        """, "refreshInterval must be between 30s and 168h"),
                invalid("interval in days", """
                        serviceAccountName: app
                        refreshInterval: 1d
                        data: [{secretKey: k, remoteRef: {backend: openbao, path: secret/app/db}}]
                        """, "spec.refreshInterval in body should match"),
                invalid("unknown refresh policy", """
                        serviceAccountName: app
                        refreshPolicy: Always
                        data: [{secretKey: k, remoteRef: {backend: openbao, path: secret/app/db}}]
                        """, "spec.refreshPolicy: Unsupported value: \"Always\""),
                invalid("immutable and refreshing", """
                        serviceAccountName: app
                        refreshInterval: 1h
                        target: {immutable: true}
                        data: [{secretKey: k, remoteRef: {backend: openbao, path: secret/app/db}}]
                        """, "spec.target.immutable: Forbidden: target.immutable needs refreshPolicy CreatedOnce"),
                invalid("duplicate secret key", """
                        serviceAccountName: app
                        refreshInterval: 1h
                        data:
                          - {secretKey: k, remoteRef: {backend: openbao, path: secret/app/db}}
                          - {secretKey: k, remoteRef: {backend: openbao, path: secret/app/other}}
                        """, "spec.data[1]: Duplicate value"),
                invalid("secret key with a space", """
                        serviceAccountName: app
                        refreshInterval: 1h
                        data: [{secretKey: "my key", remoteRef: {backend: openbao, path: secret/app/db}}]
                        """, "spec.data[0].secretKey in body should match '^[-._a-zA-Z0-9]+$'"),
                invalid("remote ref without path", """
                        serviceAccountName: app
                        refreshInterval: 1h
                        data: [{secretKey: k, remoteRef: {backend: openbao}}]
                        """, "spec.data[0].remoteRef.path: Required value"),
                invalid("path climbing out", """
                        serviceAccountName: app
                        refreshInterval: 1h
                        data: [{secretKey: k, remoteRef: {backend: openbao, path: secret/../admin}}]
                        """, "spec.data[0].remoteRef.path: Invalid value: \"string\": path must not contain . or .. segments"),
                invalid("path with an empty segment", """
                        serviceAccountName: app
                        refreshInterval: 1h
                        data: [{secretKey: k, remoteRef: {backend: openbao, path: secret//admin}}]
                        """, "spec.data[0].remoteRef.path in body should match"),
                invalid("backend not a name", """
                        serviceAccountName: app
                        refreshInterval: 1h
                        data: [{secretKey: k, remoteRef: {backend: "open bao", path: secret/app/db}}]
                        """, "spec.data[0].remoteRef.backend in body should match"),
                invalid("version with a space", """
                        serviceAccountName: app
                        refreshInterval: 1h
                        data: [{secretKey: k, remoteRef: {backend: aws, path: app/db, version: "AWS CURRENT"}}]
                        """, "spec.data[0].remoteRef.version in body should match"),
                invalid("dataFrom with extract and find", """
                        serviceAccountName: app
                        refreshInterval: 1h
                        dataFrom:
                          - extract: {backend: openbao, path: secret/app/db}
                            find: {backend: openbao, path: secret/app}
                        """, "spec.dataFrom[0]: Invalid value: \"object\": each dataFrom entry sets exactly one of extract or find"),
                invalid("dataFrom with neither", """
                        serviceAccountName: app
                        refreshInterval: 1h
                        dataFrom: [{}]
                        """, "each dataFrom entry sets exactly one of extract or find"),
                invalid("target name not a DNS name", """
                        serviceAccountName: app
                        refreshInterval: 1h
                        target: {name: Payments_DB}
                        data: [{secretKey: k, remoteRef: {backend: openbao, path: secret/app/db}}]
                        """, "spec.target.name in body should match"),
                invalid("unknown creation policy", """
                        serviceAccountName: app
                        refreshInterval: 1h
                        target: {creationPolicy: CreateOrMerge}
                        data: [{secretKey: k, remoteRef: {backend: openbao, path: secret/app/db}}]
                        """, "spec.target.creationPolicy: Unsupported value: \"CreateOrMerge\""),
                invalid("delete a merged secret", """
                        serviceAccountName: app
                        refreshInterval: 1h
                        target: {creationPolicy: Merge, deletionPolicy: Delete}
                        data: [{secretKey: k, remoteRef: {backend: openbao, path: secret/app/db}}]
                        """, "spec.target.deletionPolicy: Forbidden: deletionPolicy Delete needs creationPolicy Owner"),
                invalid("delete an orphan", """
                        serviceAccountName: app
                        refreshInterval: 1h
                        target: {creationPolicy: Orphan, deletionPolicy: Delete}
                        data: [{secretKey: k, remoteRef: {backend: openbao, path: secret/app/db}}]
                        """, "deletionPolicy Delete needs creationPolicy Owner"),
                invalid("delete a merged secret when its source is gone", """
                        serviceAccountName: app
                        refreshInterval: 1h
                        target: {creationPolicy: Merge, notFoundPolicy: Delete}
                        data: [{secretKey: k, remoteRef: {backend: openbao, path: secret/app/db}}]
                        """, "spec.target.notFoundPolicy: Forbidden: notFoundPolicy Delete needs creationPolicy Owner"),
                invalid("unknown not-found policy", """
                        serviceAccountName: app
                        refreshInterval: 1h
                        target: {notFoundPolicy: Remove}
                        data: [{secretKey: k, remoteRef: {backend: openbao, path: secret/app/db}}]
                        """, "spec.target.notFoundPolicy: Unsupported value: \"Remove\""),
                invalid("merge with a type", """
                        serviceAccountName: app
                        refreshInterval: 1h
                        target: {creationPolicy: Merge, template: {type: kubernetes.io/tls}}
                        data: [{secretKey: k, remoteRef: {backend: openbao, path: secret/app/db}}]
                        """, "spec.target.template.type: Forbidden: creationPolicy Merge writes keys into a Secret Lanyard does not own"),
                invalid("merge and immutable", """
                        serviceAccountName: app
                        refreshPolicy: CreatedOnce
                        target: {creationPolicy: Merge, immutable: true}
                        data: [{secretKey: k, remoteRef: {backend: openbao, path: secret/app/db}}]
                        """, "spec.target.immutable: Forbidden: creationPolicy Merge cannot make a Secret Lanyard does not own immutable"),
                invalid("none with a template", """
                        serviceAccountName: app
                        refreshInterval: 1h
                        target: {creationPolicy: None, template: {data: {k: "{{ .k }}"}}}
                        data: [{secretKey: k, remoteRef: {backend: openbao, path: secret/app/db}}]
                        """, "spec.target: Forbidden: creationPolicy None writes no Secret, so template and immutable are not allowed"),
                invalid("none with restarts", """
                        serviceAccountName: app
                        refreshInterval: 1h
                        target: {creationPolicy: None}
                        data: [{secretKey: k, remoteRef: {backend: openbao, path: secret/app/db}}]
                        rolloutRestartTargets: [{kind: Deployment, name: api}]
                        """, "spec.rolloutRestartTargets: Forbidden: rolloutRestartTargets are not allowed with creationPolicy None"),
                invalid("created once with restarts", """
                        serviceAccountName: app
                        refreshPolicy: CreatedOnce
                        data: [{secretKey: k, remoteRef: {backend: openbao, path: secret/app/db}}]
                        rolloutRestartTargets: [{kind: Deployment, name: api}]
                        """, "spec.rolloutRestartTargets: Forbidden: rolloutRestartTargets are not allowed with refreshPolicy CreatedOnce"),
                invalid("restart a Job", """
                        serviceAccountName: app
                        refreshInterval: 1h
                        data: [{secretKey: k, remoteRef: {backend: openbao, path: secret/app/db}}]
                        rolloutRestartTargets: [{kind: Job, name: api}]
                        """, "spec.rolloutRestartTargets[0].kind: Unsupported value: \"Job\": supported values: \"Deployment\", \"StatefulSet\", \"DaemonSet\""),
                invalid("restart in another namespace", """
                        serviceAccountName: app
                        refreshInterval: 1h
                        data: [{secretKey: k, remoteRef: {backend: openbao, path: secret/app/db}}]
                        rolloutRestartTargets: [{kind: Deployment, name: api, namespace: kube-system}]
                        """, 400, "unknown field \"spec.rolloutRestartTargets[0].namespace\""),
                invalid("restart the same workload twice", """
                        serviceAccountName: app
                        refreshInterval: 1h
                        data: [{secretKey: k, remoteRef: {backend: openbao, path: secret/app/db}}]
                        rolloutRestartTargets: [{kind: Deployment, name: api}, {kind: Deployment, name: api}]
                        """, "spec.rolloutRestartTargets[1]: Duplicate value"),
                invalid("a token-minting type", """
                        serviceAccountName: app
                        refreshInterval: 1h
                        target: {template: {type: kubernetes.io/service-account-token}}
                        data: [{secretKey: k, remoteRef: {backend: openbao, path: secret/app/db}}]
                        """, "spec.target.template.type: Invalid value: \"string\": template.type must not be a ServiceAccount token or bootstrap token type"),
                invalid("a bootstrap token type", """
                        serviceAccountName: app
                        refreshInterval: 1h
                        target: {template: {type: bootstrap.kubernetes.io/token}}
                        data: [{secretKey: k, remoteRef: {backend: openbao, path: secret/app/db}}]
                        """, "template.type must not be a ServiceAccount token or bootstrap token type"),
                invalid("a forged ownership label", """
                        serviceAccountName: app
                        refreshInterval: 1h
                        target: {template: {metadata: {labels: {app.kubernetes.io/managed-by: lanyard}}}}
                        data: [{secretKey: k, remoteRef: {backend: openbao, path: secret/app/db}}]
                        """, "spec.target.template.metadata.labels: Invalid value: \"object\": template.metadata.labels must not set app.kubernetes.io/managed-by or lanyard.dev/ keys"),
                invalid("a forged ownership annotation", """
                        serviceAccountName: app
                        refreshInterval: 1h
                        target: {template: {metadata: {annotations: {lanyard.dev/owner: someone}}}}
                        data: [{secretKey: k, remoteRef: {backend: openbao, path: secret/app/db}}]
                        """, "template.metadata.annotations must not set lanyard.dev/ keys"),
                invalid("a label key with a space", """
                        serviceAccountName: app
                        refreshInterval: 1h
                        target: {template: {metadata: {labels: {"team name": payments}}}}
                        data: [{secretKey: k, remoteRef: {backend: openbao, path: secret/app/db}}]
                        """, "template.metadata.labels keys must be Kubernetes label keys"),
                invalid("a label value too long", """
                        serviceAccountName: app
                        refreshInterval: 1h
                        target: {template: {metadata: {labels: {team: %s}}}}
                        data: [{secretKey: k, remoteRef: {backend: openbao, path: secret/app/db}}]
                        """.formatted("p".repeat(64)), "spec.target.template.metadata.labels.team: Too long: may not be more than 63"),
                invalid("a template key with a slash", """
                        serviceAccountName: app
                        refreshInterval: 1h
                        target: {template: {data: {"a/b": "{{ .k }}"}}}
                        data: [{secretKey: k, remoteRef: {backend: openbao, path: secret/app/db}}]
                        """, "template.data keys must be Secret keys"));
    }

    private static Arguments invalid(String name, String spec, String expectedMessage) {
        return invalid(name, spec, 422, expectedMessage);
    }

    /** 422 Unprocessable for what the schema and its rules reject; 400 Bad Request for fields it does not know. */
    private static Arguments invalid(String name, String spec, int expectedCode, String expectedMessage) {
        String resource = "apiVersion: lanyard.dev/v1alpha1\nkind: ExternalSecret\nmetadata:\n  name: invalid\n"
                + (spec == null ? "" : "spec:\n" + spec.indent(2));
        return Arguments.of(name, resource, expectedCode, expectedMessage);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("invalidResources")
    void theApiServerRejects(String name, String resource, int expectedCode, String expectedMessage) {
        KubernetesClientException rejection = catchThrowableOfType(KubernetesClientException.class,
                () -> admin.resource(resource).inNamespace(NAMESPACE).dryRun().fieldValidation(Validation.STRICT).create());
        assertThat(rejection).as(name + " must be rejected").isNotNull();
        assertThat(rejection.getCode()).isEqualTo(expectedCode);
        assertThat(rejection.getStatus().getMessage()).contains(expectedMessage);
    }

    @Test
    void theValidBaseOfTheRejectionsIsAccepted() {
        // each rejection above differs from an accepted resource only in what its name says
        assertThat(admin.resource(valid("base")).inNamespace(NAMESPACE).dryRun().fieldValidation(Validation.STRICT).create())
                .isNotNull();
    }

    @Test
    void statusIsASubresourceThatDoesNotBumpTheGeneration() {
        GenericKubernetesResource created = create(valid("status"));
        assertThat(created.getMetadata().getGeneration()).isEqualTo(1L);
        Resource<GenericKubernetesResource> resource = ExternalSecrets.of(admin).inNamespace(NAMESPACE).withName("status");

        GenericKubernetesResource patched = resource.subresource("status").patch(PatchContext.of(PatchType.JSON_MERGE), """
                {"status": {"observedGeneration": 1, "secretName": "status", "syncedAt": "2026-12-01T08:00:00Z",
                  "dataHmac": "q83vEjRWeJqrze8SNFZ4mqvN7xI0VniaSsvN7xI0Vng",
                  "syncedVersions": [{"backend": "openbao", "path": "secret/app/db", "version": "3"}],
                  "conditions": [{"type": "Ready", "status": "True", "reason": "Synced", "message": "synced 1 key",
                                  "lastTransitionTime": "2026-12-01T08:00:00Z", "observedGeneration": 1}]}}
                """);
        assertThat(patched.getMetadata().getGeneration()).isEqualTo(1L);
        Map<String, Object> status = patched.get("status");
        assertThat(status).containsEntry("secretName", "status").containsKey("conditions");

        // status sent through the main resource is ignored, and a spec change bumps the generation
        GenericKubernetesResource edited = resource.patch(PatchContext.of(PatchType.JSON_MERGE),
                "{\"spec\": {\"refreshInterval\": \"2h\"}, \"status\": {\"secretName\": \"forged\"}}");
        assertThat(edited.getMetadata().getGeneration()).isEqualTo(2L);
        Map<String, Object> statusAfterEdit = edited.get("status");
        assertThat(statusAfterEdit).containsEntry("secretName", "status");

        assertThatThrownBy(() -> resource.subresource("status").patch(PatchContext.of(PatchType.JSON_MERGE),
                "{\"status\": {\"conditions\": [{\"type\": \"Ready\", \"status\": \"False\", \"reason\": \"Oops\","
                        + " \"lastTransitionTime\": \"2026-12-01T08:00:00Z\"}]}}"))
                .isInstanceOf(KubernetesClientException.class)
                .hasMessageContaining("status.conditions[0].reason: Unsupported value: \"Oops\"");
    }

    @Test
    void theTargetNameAndIdentityAreSelectableFields() {
        create(valid("select-a").replace("serviceAccountName: app", "serviceAccountName: billing"));
        create(valid("select-b"));
        assertThat(ExternalSecrets.of(admin).inNamespace(NAMESPACE).withField("spec.serviceAccountName", "billing").list().getItems())
                .extracting(r -> r.getMetadata().getName()).containsExactly("select-a");
        assertThat(ExternalSecrets.of(admin).inNamespace(NAMESPACE).withField("spec.target.name", "select-b").list().getItems())
                .extracting(r -> r.getMetadata().getName()).containsExactly("select-b");
    }

    private static GenericKubernetesResource create(String yaml) {
        return (GenericKubernetesResource) admin.resource(yaml).inNamespace(NAMESPACE).fieldValidation(Validation.STRICT).create();
    }
}
