package dev.lanyard.broker;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lanyard.secret.ChangesMissed;
import dev.lanyard.secret.SecretChanged;
import dev.lanyard.secret.SecretRef;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.vertx.core.Vertx;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.pubsub.PgSubscriber;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import org.eclipse.microprofile.config.Config;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * The broker's cache coherence across replicas, through PostgreSQL {@code LISTEN/NOTIFY}: a change made on this replica (a
 * finished rotation, a write, a revoked lease) is announced on {@value #CHANNEL}; a change another replica announced
 * goes through {@link Broker#changed} here, which drops the cached copies and fires the in-process event. When the
 * listening connection drops and comes back, notifications sent meanwhile are lost, so every cached value is dropped
 * ({@link Broker#changesMissed}). Payloads carry references only (the secret, the version, a lease fingerprint).
 */
@Singleton
class ChangeRelay {

    static final String CHANNEL = "lanyard_changes";
    /** The key this switch had while the relay lived with rotation: refused, so a stale setting cannot go unnoticed. */
    static final String RENAMED = "lanyard.rotation.relay";
    private static final Logger LOG = Logger.getLogger(ChangeRelay.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Vertx vertx;
    private final Pool pool;
    private final Broker broker;
    private final InstantSource clock;
    private final boolean enabled;
    /** Tells this process's own notifications apart from the other replicas'. */
    private final String replica = UUID.randomUUID().toString();
    private final Timer delay;
    private final AtomicBoolean subscribedBefore = new AtomicBoolean();
    private final String url;
    private final Optional<String> user;
    private final Optional<String> password;
    private PgSubscriber subscriber;

    ChangeRelay(Vertx vertx, Pool pool, Broker broker, InstantSource clock, BrokerConfig config, Config all,
                MeterRegistry meters, @ConfigProperty(name = "quarkus.datasource.reactive.url") String url,
                @ConfigProperty(name = "quarkus.datasource.username") Optional<String> user,
                @ConfigProperty(name = "quarkus.datasource.password") Optional<String> password) {
        this.vertx = vertx;
        this.pool = pool;
        this.broker = broker;
        this.clock = clock;
        this.enabled = config.relay();
        if (all.getConfigValue(RENAMED).getRawValue() != null) {
            throw new IllegalStateException(RENAMED + " was renamed lanyard.broker.relay (the relay is the broker's cache"
                    + " coherence across replicas): set that instead");
        }
        this.url = url;
        this.user = user;
        this.password = password;
        this.delay = Timer.builder("lanyard.relay.delay")
                .description("From a change on one replica to this replica dropping its cached copies").register(meters);
    }

    void start(@Observes StartupEvent started) {
        if (!enabled) {
            return;
        }
        PgConnectOptions options = PgConnectOptions.fromUri(url.replaceFirst("^vertx-reactive:", ""));
        user.ifPresent(options::setUser);
        password.ifPresent(options::setPassword);
        subscriber = PgSubscriber.subscriber(vertx, options).reconnectPolicy(retries -> 500L);
        subscriber.channel(CHANNEL)
                .handler(this::received)
                .subscribeHandler(ignored -> {
                    if (subscribedBefore.getAndSet(true)) {
                        LOG.info("change relay reconnected: dropping every cached value, changes may have been missed");
                        broker.changesMissed(new ChangesMissed(clock.instant()));
                    }
                });
        subscriber.closeHandler(ignored -> LOG.warn("change relay connection closed; reconnecting"));
        subscriber.connect().onFailure(failure -> LOG.warnf("change relay could not connect (%s); retrying",
                failure.getClass().getSimpleName()));
    }

    void stop(@Observes ShutdownEvent stopping) {
        if (subscriber != null) {
            subscriber.close();
        }
    }

    /** A change made here goes to the other replicas; a change relayed from one is never sent on again. */
    void relay(@Observes SecretChanged change) {
        if (!enabled || !change.local()) {
            return;
        }
        Map<String, String> payload = new LinkedHashMap<>();
        payload.put("replica", replica);
        payload.put("backend", change.ref().backend());
        payload.put("path", change.ref().path().value());
        payload.put("cause", change.cause().name());
        change.version().ifPresent(version -> payload.put("version", version));
        change.lease().ifPresent(lease -> payload.put("lease", lease));
        payload.put("at", change.at().toString());
        String text;
        try {
            text = JSON.writeValueAsString(payload);
        } catch (JsonProcessingException e) {
            return;
        }
        pool.preparedQuery("select pg_notify($1, $2)").execute(Tuple.of(CHANNEL, text)).subscribe().with(
                ignored -> {},
                failure -> LOG.warnf("a change to %s could not be relayed (%s); other replicas serve it until their caches expire",
                        change.ref(), failure.getClass().getSimpleName()));
    }

    private void received(String text) {
        SecretChanged change;
        try {
            Map<?, ?> payload = JSON.readValue(text, Map.class);
            if (replica.equals(payload.get("replica"))) {
                return;
            }
            change = new SecretChanged(SecretRef.of((String) payload.get("backend"), (String) payload.get("path")),
                    SecretChanged.Cause.valueOf((String) payload.get("cause")),
                    Optional.ofNullable((String) payload.get("version")), Optional.ofNullable((String) payload.get("lease")),
                    SecretChanged.Origin.THIS_REPLICA, Instant.parse((String) payload.get("at"))).relayed();
        } catch (JsonProcessingException | RuntimeException e) {
            LOG.warn("a relayed change could not be read; dropping every cached value instead");
            broker.changesMissed(new ChangesMissed(clock.instant()));
            return;
        }
        broker.changed(change);
        delay.record(Duration.between(change.at(), clock.instant()).abs());
    }
}
