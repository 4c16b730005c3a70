package dev.lanyard.k8s;

import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.InstantSource;
import java.time.temporal.ChronoUnit;
import java.time.format.DateTimeFormatter;
import org.jboss.logging.Logger;

/**
 * Kubernetes Events on an ExternalSecret ({@code kubectl describe les}): what the controller did or could not do, by
 * the same closed set of reasons as the status. Best effort: an Event that cannot be written is logged, never retried
 * at the expense of the sync.
 */
final class SyncEvents {

    private static final Logger LOG = Logger.getLogger(SyncEvents.class);
    static final String COMPONENT = "lanyard-external-secrets";

    private final KubernetesClient client;
    private final InstantSource clock;
    private final String instance;
    private final LeaderTerm term;

    /** @param term the leader term the Events are written in: none once it ends */
    SyncEvents(KubernetesClient client, InstantSource clock, String instance, LeaderTerm term) {
        this.client = client;
        this.clock = clock;
        this.instance = instance;
        this.term = term;
    }

    void record(ExternalSecret resource, Reason reason, String message) {
        if (!term.holds()) {
            return;
        }
        String now = DateTimeFormatter.ISO_INSTANT.format(clock.instant().truncatedTo(ChronoUnit.SECONDS));
        try {
            client.v1().events().inNamespace(resource.getMetadata().getNamespace()).resource(new EventBuilder()
                    .withNewMetadata().withGenerateName(resource.getMetadata().getName() + ".").endMetadata()
                    .withInvolvedObject(new ObjectReferenceBuilder()
                            .withApiVersion(resource.getApiVersion()).withKind(resource.getKind())
                            .withNamespace(resource.getMetadata().getNamespace()).withName(resource.getMetadata().getName())
                            .withUid(resource.getMetadata().getUid()).build())
                    .withReason(reason.name())
                    .withMessage(message)
                    .withType(reason.warning() ? "Warning" : "Normal")
                    .withFirstTimestamp(now).withLastTimestamp(now).withCount(1)
                    .withNewSource().withComponent(COMPONENT).endSource()
                    .withReportingComponent("lanyard.dev/external-secrets").withReportingInstance(instance)
                    .build()).create();
        } catch (KubernetesClientException e) {
            LOG.warnf("could not record the %s Event of ExternalSecret %s: the API server answered %d", reason, resource.key(), e.getCode());
        }
    }
}
