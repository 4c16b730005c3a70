package dev.lanyard.broker;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lanyard.database.PostgresTls;
import dev.lanyard.secret.ChangesMissed;
import dev.lanyard.secret.SecretChanged;
import dev.lanyard.secret.SecretRef;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.vertx.core.Vertx;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.PgConnection;
import jakarta.enterprise.event.Event;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.random.RandomGenerator;
import org.eclipse.microprofile.config.Config;
import org.jboss.logging.Logger;

/**
 * The broker's cache coherence across replicas, through PostgreSQL {@code LISTEN/NOTIFY}: a change made on this replica (a
 * finished rotation, a write, a revoked lease) is announced on {@value #CHANNEL}; a change another replica announced
 * goes through {@link Broker#changed} here, which drops the cached copies and fires the in-process event. Payloads carry
 * references only (the secret, the version, a lease fingerprint).
 *
 * <p>The listening connection is the service's own ({@link PostgresTls#serviceOptions}: the pool's URL, user and TLS).
 * When it cannot be made, or drops, it is tried again for as long as the service runs, after a delay that doubles from
 * half a second to half a minute (with jitter); {@link #status()} says meanwhile why it is down, and readiness reports it.
 * Notifications sent while it was down are lost, so every cached value is dropped ({@link Broker#changesMissed}) each
 * time it listens again.
 *
 * <p>The same connection listens on the channels other parts of the service ask for ({@link #listenAlso}: the rotation
 * schedules' change announcements), so each replica holds one listening connection, with one TLS, retry and readiness
 * story; their notifications are fired as {@link Announcement} events, and a lost connection as {@link ChangesMissed}.
 */
@Singleton
public class ChangeRelay {

    static final String CHANNEL = "lanyard_changes";
    /** The key this switch had while the relay lived with rotation: refused, so a stale setting cannot go unnoticed. */
    static final String RENAMED = "lanyard.rotation.relay";
    static final Duration FIRST_RETRY = Duration.ofMillis(500);
    static final Duration LONGEST_RETRY = Duration.ofSeconds(30);
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
    private static final Logger LOG = Logger.getLogger(ChangeRelay.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Where the relay stands, for readiness: never a credential or a URL. */
    public record Status(State state, boolean tls, Optional<String> problem, Instant since, int reconnects) {

        public enum State {
            /** {@code lanyard.broker.relay=false}. */
            OFF,
            /** Not listening yet since start-up. */
            CONNECTING,
            /** Listening on the channel. */
            LISTENING,
            /** Listened before, or tried to, and is not listening now: retrying. */
            DOWN
        }

        /** Whether this replica hears of the other replicas' changes (or was told not to listen). */
        public boolean coherent() {
            return state == State.OFF || state == State.LISTENING;
        }

        /** {@code off}, {@code listening over TLS|plain text}, or {@code DOWN since …: why}. */
        public String describe() {
            return switch (state) {
                case OFF -> "off (lanyard.broker.relay=false)";
                case LISTENING -> "listening on " + CHANNEL + " over " + (tls ? "TLS" : "plain text")
                        + (reconnects > 0 ? ", reconnected " + reconnects + " times" : "");
                case CONNECTING, DOWN -> (state == State.CONNECTING ? "not listening yet" : "DOWN") + " since " + since
                        + problem.map(p -> ": " + p).orElse("") + "; retrying";
            };
        }
    }

    private final Vertx vertx;
    private final Pool pool;
    private final Broker broker;
    private final InstantSource clock;
    private final RandomGenerator random;
    private final boolean enabled;
    private final Config config;
    private final PostgresTls tls;
    private final Duration firstRetry;
    private final Duration longestRetry;
    /** Tells this process's own notifications apart from the other replicas'. */
    private final String replica = UUID.randomUUID().toString();
    private final AtomicBoolean listenedBefore = new AtomicBoolean();
    /** The channels listened on for others, besides {@value #CHANNEL}. */
    private final Set<String> alsoListening = ConcurrentHashMap.newKeySet();
    private final Event<Announcement> announcements;
    private Timer delay;
    private Counter connectFailures;
    private PgConnectOptions options;
    private volatile Status status;
    private volatile boolean stopped;
    /** The listening connection; set and cleared on its event loop. */
    private volatile PgConnection connection;
    private volatile long retryTimer = -1;
    private int failures;
    private int reconnects;

    @Inject
    ChangeRelay(Vertx vertx, Pool pool, Broker broker, InstantSource clock, RandomGenerator random, BrokerConfig brokerConfig,
                Config config, MeterRegistry meters, PostgresTls tls, Event<Announcement> announcements) {
        this(vertx, pool, broker, clock, random, brokerConfig, config, meters, tls, announcements, FIRST_RETRY, LONGEST_RETRY);
    }

    ChangeRelay(Vertx vertx, Pool pool, Broker broker, InstantSource clock, RandomGenerator random, BrokerConfig brokerConfig,
                Config config, MeterRegistry meters, PostgresTls tls, Event<Announcement> announcements, Duration firstRetry,
                Duration longestRetry) {
        if (config.getConfigValue(RENAMED).getRawValue() != null) {
            throw new IllegalStateException(RENAMED + " was renamed lanyard.broker.relay (the relay is the broker's cache"
                    + " coherence across replicas): set that instead");
        }
        this.vertx = vertx;
        this.pool = pool;
        this.broker = broker;
        this.clock = clock;
        this.random = random;
        this.enabled = brokerConfig.relay();
        this.config = config;
        this.tls = tls;
        this.announcements = announcements;
        this.firstRetry = firstRetry;
        this.longestRetry = longestRetry;
        this.status = new Status(enabled ? Status.State.CONNECTING : Status.State.OFF, false, Optional.empty(),
                clock.instant(), 0);
        if (enabled) {
            // Registered only while the relay runs: an instance without them, beside others, is one whose cache
            // nobody keeps coherent (the alert LanyardRelayAbsent).
            delay = Timer.builder("lanyard.relay.delay")
                    .description("From a change on one replica to this replica dropping its cached copies").register(meters);
            connectFailures = Counter.builder("lanyard.relay.connect.failures")
                    .description("Attempts to open the relay's listening connection that failed").register(meters);
            Gauge.builder("lanyard.relay.connected", this, relay -> relay.status.state() == Status.State.LISTENING ? 1 : 0)
                    .description("1 while this replica listens for the other replicas' changes").register(meters);
            Gauge.builder("lanyard.relay.tls", this, relay -> relay.status.state() == Status.State.LISTENING && relay.status.tls() ? 1 : 0)
                    .description("1 while the relay's listening connection runs TLS").register(meters);
        }
    }

    /** A notification on a channel asked for with {@link #listenAlso}. */
    public record Announcement(String channel, String payload) {}

    /**
     * Listens on {@code channel} too, from now on and after every reconnection, firing each notification on it as an
     * {@link Announcement}. Whoever asks must assume that what was announced while the connection was down is lost: a
     * {@link ChangesMissed} event follows each reconnection.
     *
     * @return whether anything will be heard: {@code false} when the relay is off ({@code lanyard.broker.relay=false}),
     *         and this replica holds no listening connection
     */
    public boolean listenAlso(String channel) {
        if (!channel.matches("[a-z_]{1,63}") || channel.equals(CHANNEL)) {
            throw new IllegalArgumentException("not a channel to listen on: " + channel);
        }
        if (!enabled) {
            return false;
        }
        if (alsoListening.add(channel)) {
            PgConnection listening = connection;
            if (listening != null) {
                // Asked for after the connection was made: listen on it now (a later reconnection listens anyway).
                listening.query("LISTEN " + channel).execute().onFailure(failure -> listening.close());
            }
        }
        return true;
    }

    /** Where the relay stands now. */
    public Status status() {
        return status;
    }

    void start(@Observes StartupEvent started) {
        if (!enabled) {
            return;
        }
        options = tls.serviceOptions(config, "lanyard-relay");
        options.setConnectTimeout((int) CONNECT_TIMEOUT.toMillis());
        connect();
    }

    void stop(@Observes ShutdownEvent stopping) {
        stopped = true;
        long timer = retryTimer;
        if (timer >= 0) {
            vertx.cancelTimer(timer);
        }
        PgConnection listening = connection;
        connection = null;
        if (listening != null) {
            listening.close();
        }
    }

    private void connect() {
        if (stopped) {
            return;
        }
        Set<String> asked = Set.copyOf(alsoListening);
        PgConnection.connect(vertx, options).compose(opened -> {
            opened.notificationHandler(notification -> {
                if (CHANNEL.equals(notification.getChannel())) {
                    received(notification.getPayload());
                } else if (alsoListening.contains(notification.getChannel())) {
                    announcements.fire(new Announcement(notification.getChannel(), notification.getPayload()));
                }
            });
            opened.closeHandler(ignored -> lost(opened));
            StringBuilder listen = new StringBuilder("LISTEN " + CHANNEL);
            asked.forEach(channel -> listen.append("; LISTEN ").append(channel));
            return opened.query(listen.toString()).execute().map(ignored -> opened)
                    .onFailure(failure -> opened.close());
        }).onComplete(result -> {
            if (result.succeeded()) {
                listening(result.result(), asked);
            } else {
                failed(result.cause());
            }
        });
    }

    private void listening(PgConnection opened, Set<String> asked) {
        if (stopped) {
            opened.close();
            return;
        }
        connection = opened;
        alsoListening.stream().filter(channel -> !asked.contains(channel))
                .forEach(late -> opened.query("LISTEN " + late).execute().onFailure(failure -> opened.close()));
        failures = 0;
        boolean encrypted = opened.isSSL();
        boolean again = listenedBefore.getAndSet(true);
        if (again) {
            reconnects++;
        }
        status = new Status(Status.State.LISTENING, encrypted, Optional.empty(), clock.instant(), reconnects);
        LOG.infof("change relay listening on %s over %s", CHANNEL, encrypted ? "TLS, " + tls.describe() : "plain text");
        if (again) {
            LOG.info("change relay listens again: dropping every cached value, changes may have been missed");
            broker.changesMissed(new ChangesMissed(clock.instant()));
        }
    }

    private void lost(PgConnection closed) {
        if (closed != connection) {
            return;
        }
        connection = null;
        if (stopped) {
            return;
        }
        status = new Status(Status.State.DOWN, false, Optional.of("the listening connection closed"), clock.instant(), reconnects);
        LOG.warnf("change relay connection closed; listening again in %d ms", firstRetry.toMillis());
        retryAfter(firstRetry);
    }

    private void failed(Throwable failure) {
        if (stopped) {
            return;
        }
        failures++;
        connectFailures.increment();
        String reason = describe(failure);
        Status.State state = listenedBefore.get() ? Status.State.DOWN : Status.State.CONNECTING;
        Instant since = status.state() == state ? status.since() : clock.instant();
        status = new Status(state, false, Optional.of(reason), since, reconnects);
        Duration wait = backoff(failures);
        LOG.warnf("change relay could not listen (%s), attempt %d; trying again in %d ms", reason, failures, wait.toMillis());
        retryAfter(wait);
    }

    private void retryAfter(Duration wait) {
        retryTimer = vertx.setTimer(Math.max(1, wait.toMillis()), id -> {
            retryTimer = -1;
            connect();
        });
    }

    /** Doubles from the first retry up to the longest, less up to a quarter at random so replicas do not retry in step. */
    Duration backoff(int failure) {
        long base = firstRetry.toMillis() << Math.min(failure - 1, 20);
        long capped = Math.min(base, longestRetry.toMillis());
        return Duration.ofMillis(capped - (long) (random.nextDouble() * capped / 4));
    }

    /** The failure's kind and the server's or the TLS layer's words; they name hosts and roles, never passwords. */
    private static String describe(Throwable failure) {
        Throwable root = failure;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String message = root.getMessage() == null ? "" : ": " + root.getMessage().replaceAll("\\s+", " ");
        String text = root.getClass().getSimpleName() + message;
        return text.length() > 240 ? text.substring(0, 240) + "…" : text;
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
