import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A fleet of clients reading static secrets through Lanyard, each coming back for its secret when the answer says:
 * at {@code refresh_after} (what Lanyard asks of its clients) or at {@code expires_at} (a client that keeps a value
 * until it expires). Used by bench/fleet-simulation.sh, which starts the dev stack and runs both modes.
 *
 * <p>Client {@code i} reads {@code secret/demo/fleet/<i mod scopes>}: Lanyard caches a static secret once for all its
 * readers, so the backend sees one read per scope and refresh, however many clients share it. Every client is a
 * virtual thread; at most {@code FLEET_CONCURRENCY} requests are in flight at once, the rest wait their turn.
 *
 * <p>Per second of the run it records the answers (by the second they arrived), their latency, how late the requests
 * were against the moment the client meant to send them (the wait for a free slot), and the backend reads: from
 * OpenBao's own audit log (every request it received, by its timestamp) and, as a cross-check, from Lanyard's
 * {@code lanyard_backend_call_seconds_count} in {@code /q/metrics}, scraped every second.
 *
 * <pre>
 * java bench/FleetSimulation.java seed                        # FLEET_OPENBAO, FLEET_OPENBAO_TOKEN_FILE, FLEET_SCOPES
 * java bench/FleetSimulation.java run refresh-after|expiry    # FLEET_LANYARD, FLEET_TOKEN_FILE, FLEET_CSV, ...
 * </pre>
 * Environment: FLEET_CLIENTS (10000), FLEET_SCOPES (500), FLEET_DURATION (300 s), FLEET_CONCURRENCY (64),
 * FLEET_START (burst: every client's first request is due in the first second; spread: spread evenly over
 * FLEET_TTL), FLEET_TTL (60s, Lanyard's static-ttl: for the expected rate), FLEET_BACKEND_AUDIT (OpenBao's audit
 * log, optional), FLEET_SUMMARY (a CSV to append the run's figures to, optional). Secret values are never printed
 * or stored: only the two timestamps are read from an answer.
 */
public final class FleetSimulation {

    /** Where the fleet's secrets live in OpenBao's KV v2 mount {@code secret}; the demo policy covers it. */
    private static final String PREFIX = "demo/fleet/";
    private static final Pattern REFRESH_AFTER = Pattern.compile("\"refresh_after\":\"([^\"]+)\"");
    private static final Pattern EXPIRES_AT = Pattern.compile("\"expires_at\":\"([^\"]+)\"");
    private static final Pattern BACKEND_READS = Pattern.compile(
            "^lanyard_backend_call_seconds_count\\{([^}]*)}\\s+([0-9.eE+]+)", Pattern.MULTILINE);
    private static final Pattern AUDIT_REQUEST = Pattern.compile("^\\{\"time\":\"([^\"]+)\",\"type\":\"request\"");
    /** Seconds recorded after the end, for answers still in flight when the run ends. */
    private static final int TAIL = 60;
    private static final Duration RETRY = Duration.ofSeconds(1);

    public static void main(String[] args) throws Exception {
        if (args.length == 1 && args[0].equals("seed")) {
            seed();
        } else if (args.length == 2 && args[0].equals("run") && (args[1].equals("refresh-after") || args[1].equals("expiry"))) {
            new FleetSimulation(args[1]).run();
        } else {
            System.err.println("usage: FleetSimulation seed | run refresh-after|expiry");
            System.exit(2);
        }
    }

    private static String env(String name, String fallback) {
        String value = System.getenv(name);
        return value == null || value.isBlank() ? fallback : value.strip();
    }

    private static String required(String name) {
        String value = env(name, null);
        if (value == null) {
            throw new IllegalArgumentException(name + " is not set");
        }
        return value;
    }

    private static int positive(String name, int fallback) {
        int value = Integer.parseInt(env(name, Integer.toString(fallback)));
        if (value < 1) {
            throw new IllegalArgumentException(name + " must be at least 1, got " + value);
        }
        return value;
    }

    private static String secret(Path file) throws IOException {
        return Files.readString(file).strip();
    }

    private static HttpClient http() {
        // HTTP/1.1 as most service clients speak it; the default would offer an h2c upgrade on every connection.
        return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
    }

    /** Writes one KV v2 secret per scope, straight to OpenBao with its root token. */
    private static void seed() throws Exception {
        String openBao = required("FLEET_OPENBAO");
        String token = secret(Path.of(required("FLEET_OPENBAO_TOKEN_FILE")));
        int scopes = positive("FLEET_SCOPES", 500);
        HttpClient http = http();
        for (int scope = 0; scope < scopes; scope++) {
            HttpResponse<String> written = http.send(HttpRequest.newBuilder(URI.create(openBao + "/v1/secret/data/" + path(scope)))
                    .header("X-Vault-Token", token).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"data\":{\"value\":\"fleet value " + scope + "\"}}"))
                    .build(), HttpResponse.BodyHandlers.ofString());
            if (written.statusCode() != 200) {
                throw new IllegalStateException("OpenBao answered " + written.statusCode() + " writing " + path(scope));
            }
        }
        System.out.println("seeded " + scopes + " secrets under secret/" + PREFIX);
    }

    private static String path(int scope) {
        return PREFIX + String.format(Locale.ROOT, "%04d", scope);
    }

    private final String mode;
    private final String lanyard;
    private final String token;
    private final int clients;
    private final int scopes;
    private final int duration;
    private final int concurrency;
    private final boolean burst;
    private final Duration ttl;
    private final Path csv;
    private final Path backendAudit;
    private final HttpClient http = http();
    private final Semaphore slots;

    // Per second since the start: answers by arrival, their latency and lateness in ms, and the metric's readings.
    private final AtomicLongArray answered;
    private final AtomicLongArray non2xx;
    private final AtomicLongArray failed;
    private final AtomicLongArray latencySum;
    private final AtomicLongArray latencyMax;
    private final AtomicLongArray latenessMax;
    /** Requests sent at or after the expiry of the value the client held, and by how much at most. */
    private final AtomicLongArray sentExpired;
    private final AtomicLong expiredForMax = new AtomicLong();
    private final long[] metricReads;
    private final AtomicLong intervalSumMs = new AtomicLong();
    private final AtomicLong intervals = new AtomicLong();
    /** When the last client had its first answer: the end of the rollout. */
    private final AtomicLong rolloutDoneMs = new AtomicLong();
    private final AtomicInteger firstAnswers = new AtomicInteger();
    private volatile boolean fleetDone;
    private Instant start;
    private Instant end;

    private FleetSimulation(String mode) throws IOException {
        this.mode = mode;
        this.lanyard = required("FLEET_LANYARD");
        this.token = secret(Path.of(required("FLEET_TOKEN_FILE")));
        this.clients = positive("FLEET_CLIENTS", 10_000);
        this.scopes = positive("FLEET_SCOPES", 500);
        this.duration = positive("FLEET_DURATION", 300);
        this.concurrency = positive("FLEET_CONCURRENCY", 64);
        String startShape = env("FLEET_START", "burst");
        if (!startShape.equals("burst") && !startShape.equals("spread")) {
            throw new IllegalArgumentException("FLEET_START must be burst or spread, got " + startShape);
        }
        this.burst = startShape.equals("burst");
        this.ttl = Duration.parse("PT" + env("FLEET_TTL", "60s").toUpperCase(Locale.ROOT));
        this.csv = Path.of(required("FLEET_CSV"));
        this.backendAudit = env("FLEET_BACKEND_AUDIT", null) == null ? null : Path.of(env("FLEET_BACKEND_AUDIT", null));
        this.slots = new Semaphore(concurrency, true);
        int seconds = duration + TAIL;
        answered = new AtomicLongArray(seconds);
        non2xx = new AtomicLongArray(seconds);
        failed = new AtomicLongArray(seconds);
        latencySum = new AtomicLongArray(seconds);
        latencyMax = new AtomicLongArray(seconds);
        latenessMax = new AtomicLongArray(seconds);
        sentExpired = new AtomicLongArray(seconds);
        metricReads = new long[seconds + 1];
    }

    private void run() throws Exception {
        long before = scrapeBackendReads();
        start = Instant.now().plusMillis(500);
        end = start.plusSeconds(duration);
        System.out.printf(Locale.ROOT, "fleet %s: %d clients over %d scopes, %d in flight at most, %s start, %d s%n",
                mode, clients, scopes, concurrency, burst ? "burst" : "spread", duration);
        Thread sampler = Thread.ofPlatform().daemon().name("metrics-sampler").start(() -> sample(before));
        List<Thread> fleet = new ArrayList<>(clients);
        for (int i = 0; i < clients; i++) {
            int client = i;
            Instant first = burst ? start : start.plusMillis(ttl.toMillis() * client / clients);
            fleet.add(Thread.ofVirtual().name("client-" + client).start(() -> client(client, first)));
        }
        for (Thread client : fleet) {
            client.join();
        }
        fleetDone = true;
        sampler.join();
        long[] backend = backendAudit == null ? null : backendReadsFromAudit();
        write(backend);
        summarise(backend);
    }

    /** One client: reads its secret, sleeps until the answer's refresh point, and again, until the run ends. */
    private void client(int client, Instant first) {
        URI uri = URI.create(lanyard + "/v1/secrets/openbao/secret/" + path(client % scopes));
        HttpRequest request = HttpRequest.newBuilder(uri).header("Authorization", "Bearer " + token)
                .timeout(Duration.ofSeconds(30)).GET().build();
        Instant due = first;
        Instant heldUntil = null; // expires_at of the value this client holds
        try {
            while (due.isBefore(end)) {
                sleepUntil(due);
                slots.acquire();
                Instant sent = Instant.now();
                HttpResponse<String> response = null;
                try {
                    response = http.send(request, HttpResponse.BodyHandlers.ofString());
                } catch (IOException e) {
                    // counted below; the client tries again in a second, as a real one would
                } finally {
                    slots.release();
                }
                Instant received = Instant.now();
                int second = second(received);
                long latency = Duration.between(sent, received).toMillis();
                answered.incrementAndGet(second);
                latencySum.addAndGet(second, latency);
                latencyMax.accumulateAndGet(second, latency, Math::max);
                latenessMax.accumulateAndGet(second, Math.max(0, Duration.between(due, sent).toMillis()), Math::max);
                if (heldUntil != null && !sent.isBefore(heldUntil)) {
                    sentExpired.incrementAndGet(second);
                    expiredForMax.accumulateAndGet(Duration.between(heldUntil, sent).toMillis(), Math::max);
                }
                if (response == null) {
                    failed.incrementAndGet(second);
                } else if (response.statusCode() / 100 != 2) {
                    non2xx.incrementAndGet(second);
                }
                Instant expires = field(response, EXPIRES_AT);
                Instant next = field(response, mode.equals("expiry") ? EXPIRES_AT : REFRESH_AFTER);
                if (expires == null || next == null || !next.isAfter(received)) {
                    due = received.plus(RETRY);
                    continue;
                }
                if (heldUntil == null && firstAnswers.incrementAndGet() == clients) {
                    rolloutDoneMs.set(Duration.between(start, received).toMillis());
                }
                heldUntil = expires;
                // From the value's issue (expires_at - TTL) to the point this client comes back: one backend read per
                // scope per such interval, whoever of its readers comes back first.
                intervalSumMs.addAndGet(Duration.between(expires.minus(ttl), next).toMillis());
                intervals.incrementAndGet();
                due = next;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** A timestamp from a 2xx answer, or null. */
    private static Instant field(HttpResponse<String> response, Pattern field) {
        if (response == null || response.statusCode() / 100 != 2) {
            return null;
        }
        Matcher found = field.matcher(response.body());
        return found.find() ? Instant.parse(found.group(1)) : null;
    }

    private int second(Instant at) {
        long s = Duration.between(start, at).toMillis() / 1000;
        return (int) Math.max(0, Math.min(answered.length() - 1, s));
    }

    private static void sleepUntil(Instant due) throws InterruptedException {
        long millis = Duration.between(Instant.now(), due).toMillis();
        if (millis > 0) {
            Thread.sleep(millis);
        }
    }

    /** Reads Lanyard's backend read counter at every second of the run, on the second, until the fleet is done. */
    private void sample(long before) {
        metricReads[0] = before;
        try {
            for (int k = 1; k < metricReads.length; k++) {
                boolean last = fleetDone;
                sleepUntil(start.plusSeconds(k));
                metricReads[k] = scrapeBackendReads();
                if (last) {
                    for (int rest = k + 1; rest < metricReads.length; rest++) {
                        metricReads[rest] = metricReads[k];
                    }
                    return;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Lanyard's count of reads it sent to the backend {@code openbao}, every outcome; -1 when unreadable. */
    private long scrapeBackendReads() throws InterruptedException {
        try {
            HttpResponse<String> metrics = http.send(HttpRequest.newBuilder(URI.create(lanyard + "/q/metrics"))
                    .timeout(Duration.ofSeconds(5)).GET().build(), HttpResponse.BodyHandlers.ofString());
            Matcher line = BACKEND_READS.matcher(metrics.body());
            double total = 0;
            while (line.find()) {
                String labels = line.group(1);
                if (labels.contains("backend=\"openbao\"") && labels.contains("operation=\"read\"")) {
                    total += Double.parseDouble(line.group(2));
                }
            }
            return (long) total;
        } catch (IOException e) {
            return -1;
        }
    }

    /** Reads of the fleet's secrets that OpenBao received, per second of the run, from its audit log. */
    private long[] backendReadsFromAudit() throws IOException {
        long[] perSecond = new long[answered.length()];
        String path = "\"path\":\"secret/data/" + PREFIX;
        try (Stream<String> lines = Files.lines(backendAudit)) {
            lines.forEach(line -> {
                Matcher request = AUDIT_REQUEST.matcher(line);
                if (request.find() && line.contains(path) && line.contains("\"operation\":\"read\"")) {
                    long ms = Duration.between(start, Instant.parse(request.group(1))).toMillis();
                    if (ms >= 0 && ms / 1000 < perSecond.length) {
                        perSecond[(int) (ms / 1000)]++;
                    }
                }
            });
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
        return perSecond;
    }

    private int lastSecond() {
        int last = duration - 1;
        for (int s = duration; s < answered.length(); s++) {
            if (answered.get(s) > 0) {
                last = s;
            }
        }
        return last;
    }

    private void write(long[] backend) throws IOException {
        Files.createDirectories(csv.toAbsolutePath().getParent());
        try (PrintWriter out = new PrintWriter(Files.newBufferedWriter(csv))) {
            out.println("second,answers,non_2xx,failed,backend_reads,backend_reads_lanyard_metric,"
                    + "latency_mean_ms,latency_max_ms,lateness_max_ms,sent_after_expiry");
            for (int s = 0; s <= lastSecond(); s++) {
                long n = answered.get(s);
                long metric = metricReads[s] < 0 || metricReads[s + 1] < 0 ? -1 : metricReads[s + 1] - metricReads[s];
                out.printf(Locale.ROOT, "%d,%d,%d,%d,%s,%d,%.1f,%d,%d,%d%n", s, n, non2xx.get(s), failed.get(s),
                        backend == null ? "" : Long.toString(backend[s]), metric,
                        n == 0 ? 0.0 : (double) latencySum.get(s) / n, latencyMax.get(s), latenessMax.get(s), sentExpired.get(s));
            }
        }
    }

    /** Prints the run's figures and, with FLEET_SUMMARY set, appends them to that CSV as one row. */
    private void summarise(long[] backend) throws IOException {
        long requests = 0;
        long bad = 0;
        long failures = 0;
        long lateness = 0;
        long expiredSends = 0;
        for (int s = 0; s < answered.length(); s++) {
            expiredSends += sentExpired.get(s);
            requests += answered.get(s);
            bad += non2xx.get(s);
            failures += failed.get(s);
            lateness = Math.max(lateness, latenessMax.get(s));
        }
        long[] metric = new long[duration];
        for (int s = 0; s < duration; s++) {
            metric[s] = metricReads[s] < 0 || metricReads[s + 1] < 0 ? 0 : metricReads[s + 1] - metricReads[s];
        }
        // The backend's own count when its audit log was given, else Lanyard's.
        long[] reads = backend == null ? metric : backend;
        double rollout = rolloutDoneMs.get() / 1000.0;
        int after = (int) rollout + 1;
        Figures all = Figures.of(reads, 0, duration);
        Figures steady = Figures.of(reads, Math.min(after, duration), duration);
        double interval = intervals.get() == 0 ? 0 : intervalSumMs.get() / 1000.0 / intervals.get();
        double perTtl = scopes / (double) ttl.toSeconds();
        double perInterval = interval == 0 ? 0 : scopes / interval;
        long peakAnswers = 0;
        for (int s = 0; s < duration; s++) {
            peakAnswers = Math.max(peakAnswers, answered.get(s));
        }

        System.out.printf(Locale.ROOT, "answers %d (%.1f/s, peak %d/s), non-2xx %d, failed %d; rollout (every client answered once) %.1f s;"
                + " latest request %.1f s after it was due%n", requests, requests / (double) duration, peakAnswers, bad, failures,
                rollout, lateness / 1000.0);
        System.out.printf(Locale.ROOT, "%d requests were sent at or after the expiry of the value their client held, the latest %.1f s after%n",
                expiredSends, expiredForMax.get() / 1000.0);
        System.out.printf(Locale.ROOT, "clients came back %.1f s after their value's issue on average (%s): expected %.2f backend reads/s"
                + " (scopes / that); scopes / TTL = %.2f/s%n", interval, mode.equals("expiry") ? "expires_at" : "refresh_after",
                perInterval, perTtl);
        System.out.printf(Locale.ROOT, "backend reads (%s): %d, mean %.2f/s, max %d/s; after the rollout (s >= %d) mean %.2f/s,"
                        + " max %d/s, std dev %.2f%n", backend == null ? "Lanyard's metric" : "OpenBao audit log", all.total(),
                all.mean(), all.max(), after, steady.mean(), steady.max(), steady.stdDev());
        if (backend != null) {
            System.out.printf(Locale.ROOT, "Lanyard's metric counted %d backend reads in the same seconds (OpenBao: %d)%n",
                    Figures.of(metric, 0, duration).total(), all.total());
        }
        System.out.println("per-second figures: " + csv);

        String summary = env("FLEET_SUMMARY", null);
        if (summary != null) {
            Path file = Path.of(summary);
            boolean fresh = !Files.exists(file);
            try (PrintWriter out = new PrintWriter(Files.newBufferedWriter(file, StandardOpenOption.CREATE, StandardOpenOption.APPEND))) {
                if (fresh) {
                    out.println("mode,start,clients,scopes,ttl_s,duration_s,concurrency,answers,answers_per_s,answers_peak_per_s,"
                            + "non_2xx,failed,rollout_s,lateness_max_s,sent_after_expiry,sent_after_expiry_max_s,refresh_interval_mean_s,expected_scopes_per_interval,"
                            + "expected_scopes_per_ttl,backend_reads,backend_mean_per_s,backend_max_per_s,steady_from_s,"
                            + "steady_backend_mean_per_s,steady_backend_max_per_s,steady_backend_std_dev,backend_counted_by");
                }
                out.printf(Locale.ROOT, "%s,%s,%d,%d,%d,%d,%d,%d,%.1f,%d,%d,%d,%.1f,%.1f,%d,%.1f,%.1f,%.2f,%.2f,%d,%.2f,%d,%d,%.2f,%d,%.2f,%s%n",
                        mode, burst ? "burst" : "spread", clients, scopes, ttl.toSeconds(), duration, concurrency, requests,
                        requests / (double) duration, peakAnswers, bad, failures, rollout, lateness / 1000.0, expiredSends,
                        expiredForMax.get() / 1000.0, interval,
                        perInterval, perTtl, all.total(), all.mean(), all.max(), after, steady.mean(), steady.max(),
                        steady.stdDev(), backend == null ? "lanyard-metric" : "openbao-audit");
            }
        }
    }

    /** Total, mean, max and standard deviation of a per-second series over {@code [from, to)}. */
    private record Figures(long total, double mean, long max, double stdDev) {
        static Figures of(long[] perSecond, int from, int to) {
            int n = Math.max(1, to - from);
            long total = 0;
            long max = 0;
            for (int s = from; s < to; s++) {
                total += perSecond[s];
                max = Math.max(max, perSecond[s]);
            }
            double mean = total / (double) n;
            double squares = 0;
            for (int s = from; s < to; s++) {
                squares += (perSecond[s] - mean) * (perSecond[s] - mean);
            }
            return new Figures(total, mean, max, Math.sqrt(squares / n));
        }
    }
}
