package dev.lanyard.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lanyard.auth.ApiTokens;
import dev.lanyard.devstack.EmbeddedDatabase;
import dev.lanyard.devstack.FreePort;
import dev.lanyard.devstack.OpenBaoDevServer;
import io.restassured.path.json.JsonPath;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Every wait has a deadline: the packaged Lanyard, its PostgreSQL and OpenBao behind {@link BlackHoleProxy}s that stop
 * forwarding, without closing anything, at a chosen moment of an audit commit or of a backend's answer. Under a small
 * load of audited reads, every request is answered within its deadline plus a margin, every 200 has its audit row, the
 * chain stays one valid chain, and the service recovers when the path comes back.
 *
 * <p>Two replicas share the database: {@code proxied} reaches it through the proxy, {@code direct} does not, as a
 * replica on the healthy side of a partition. The deadlines are scaled down so that the test is short; the path stays
 * dark for longer than any of them, so a wait without a deadline shows as an answer that came only with the light.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BlackHoleProcessIT {

    private static final Duration ACQUIRE = Duration.ofSeconds(2);
    private static final Duration RESPONSE = Duration.ofSeconds(3);
    private static final Duration APPEND = Duration.ofSeconds(1);
    private static final Duration COMMIT = Duration.ofSeconds(3);
    private static final Duration BACKEND = Duration.ofSeconds(3);
    /**
     * The longest an audited read may take with its database dark: one API token lookup (waiting for a connection,
     * then for its answer) and its audit record (taken into a commit, then that commit).
     */
    private static final Duration DEADLINE = ACQUIRE.plus(RESPONSE).plus(APPEND).plus(COMMIT);
    /** Scheduling noise on a shared 2-core machine. */
    private static final Duration MARGIN = Duration.ofSeconds(4);
    /** Longer than every deadline, so that an answer that waited for the light cannot pass for one within them. */
    private static final Duration DARK_FOR = Duration.ofSeconds(20);
    /** Longer than the append deadline, shorter than the commit deadline: a hiccup. */
    private static final Duration HICCUP = Duration.ofMillis(1_800);
    private static final Pattern PROBLEM_CODE = Pattern.compile("\"code\"\\s*:\\s*\"([A-Z_]+)\"");

    /** The audit writer's chain lock, as its first statement of every commit takes it (AuditChainWriter.CHAIN_LOCK). */
    private static final String CHAIN_LOCK = "pg_advisory_xact_lock(7413202601)";
    /** PostgreSQL's ReadyForQuery, idle: the end of a transaction. */
    private static final String TRANSACTION_OVER = "Z\0\0\0\u0005I";

    private Path work;
    private EmbeddedDatabase database;
    private OpenBaoDevServer openBao;
    private BlackHoleProxy toDatabase;
    private BlackHoleProxy toOpenBao;
    private PackagedLanyard lanyards;
    private Process proxied;
    private Process direct;
    private String proxiedBase;
    private String directBase;
    private String token;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    @BeforeAll
    void start() throws Exception {
        work = Files.createTempDirectory("lanyard-black-hole-");
        database = EmbeddedDatabase.start(work.resolve("postgres"));
        openBao = OpenBaoDevServer.start(OpenBaoDevServer.findBinary().orElseThrow(() -> new IllegalStateException(
                "the 'bao' binary is needed: run scripts/test.sh")), work.resolve("openbao"));
        openBao.cli("kv", "put", "secret/deadline/config", "api_key=deadline-test");
        openBao.cli("kv", "put", "secret/deadline/slow", "api_key=never-served");
        openBao.cli("kv", "put", "secret/deadline/after", "api_key=served-again");
        toDatabase = BlackHoleProxy.to(database.port());
        toOpenBao = BlackHoleProxy.to(URI.create(openBao.address()).getPort());
        lanyards = new PackagedLanyard(work);
        lanyards.migrate(database);
        token = ApiTokens.generate(new SecureRandom());

        Map<String, String> config = new LinkedHashMap<>(database.lanyardConfig());
        config.put("quarkus.http.host", "127.0.0.1");
        config.put("lanyard.audit.lease-hmac-key", "file:" + secret("hmac", randomKey()));
        config.put("lanyard.audit.signing-key", "file:" + secret("signing", randomKey()));
        config.put("lanyard.audit.checkpoint-interval", "1h");
        config.put("lanyard.rotation.poll-interval", "off");
        config.put("lanyard.vault.openbao.address", openBao.address());
        config.put("lanyard.vault.openbao.auth.token", "file:" + secret("bao", openBao.rootToken()));
        config.put("lanyard.vault.distant.address", "http://127.0.0.1:" + toOpenBao.port());
        config.put("lanyard.vault.distant.auth.token", "file:" + secret("bao-distant", openBao.rootToken()));
        config.put("lanyard.vault.distant.connect-timeout", "1s");
        config.put("lanyard.vault.distant.read-timeout", "2s");
        config.put("lanyard.auth.bootstrap-tokens.load", "file:" + secret("token", token));
        // Short, so that token lookups (Hibernate Reactive) happen while the database is dark too.
        config.put("lanyard.auth.token-cache-ttl", "2s");
        config.put("lanyard.policy.load.subjects", "token:load");
        config.put("lanyard.policy.load.rules[0].paths", "**");
        config.put("lanyard.policy.load.rules[0].capabilities", "read");
        config.put("lanyard.policy.load.rules[1].paths", "audit/**");
        config.put("lanyard.policy.load.rules[1].capabilities", "audit:read");
        config.put("lanyard.database.connect-timeout", "2s");
        config.put("lanyard.database.acquire-timeout", ACQUIRE.toSeconds() + "s");
        config.put("lanyard.database.response-timeout", RESPONSE.toSeconds() + "s");
        config.put("lanyard.audit.append-timeout", APPEND.toSeconds() + "s");
        config.put("lanyard.audit.commit-timeout", COMMIT.toSeconds() + "s");
        config.put("lanyard.audit.lock-timeout", "1s");
        config.put("lanyard.audit.statement-timeout", "2s");
        config.put("lanyard.broker.backend-timeout", BACKEND.toSeconds() + "s");

        Map<String, String> directConfig = new LinkedHashMap<>(config);
        int directPort = FreePort.pick();
        directConfig.put("quarkus.http.port", String.valueOf(directPort));
        directBase = "http://127.0.0.1:" + directPort;
        int proxiedPort = FreePort.pick();
        config.put("quarkus.http.port", String.valueOf(proxiedPort));
        config.put("quarkus.datasource.reactive.url", "postgresql://127.0.0.1:" + toDatabase.port() + "/" + EmbeddedDatabase.DATABASE);
        proxiedBase = "http://127.0.0.1:" + proxiedPort;

        // One after the other: two JVMs starting at once on a busy 2-core machine can each take longer than awaitReady allows.
        proxied = lanyards.start(config, "proxied");
        lanyards.awaitReady(proxied, proxiedBase);
        direct = lanyards.start(directConfig, "direct");
        lanyards.awaitReady(direct, directBase);
    }

    @AfterAll
    void stop() {
        for (Process process : new Process[] {proxied, direct}) {
            if (process != null) {
                process.destroyForcibly();
            }
        }
        for (AutoCloseable peer : new AutoCloseable[] {toDatabase, toOpenBao, openBao, database}) {
            try {
                if (peer != null) {
                    peer.close();
                }
            } catch (Exception e) {
                // stopping anyway
            }
        }
    }

    /** One request of the load: who sent it where, when (ns since the run began), how long it took, and what it got. */
    record Answer(String id, String replica, long startedNanos, long tookNanos, int status, String code) {
        boolean answered() {
            return status > 0;
        }

        /** The answer as a row records it: the status and, for a refusal, its code. */
        String recorded() {
            return status + (code == null ? "" : " " + code);
        }

        long tookMillis() {
            return TimeUnit.NANOSECONDS.toMillis(tookNanos);
        }
    }

    /** A run of the load around one dark period: every answer, and when the path went dark and came back. */
    record Run(List<Answer> answers, long darkAtNanos, long restoredAtNanos) {
        List<Answer> of(String replica) {
            return answers.stream().filter(a -> a.replica().equals(replica)).toList();
        }
    }

    /**
     * The audit writer's commit goes dark after PostgreSQL committed it and before its answer reached Lanyard: the batch
     * landed, its requests are refused at the commit deadline (fail closed), and the next commit chains after the rows
     * that landed instead of writing them again or forking the chain.
     */
    @Test
    void aCommitWhoseAnswerIsLostIsRefusedInTimeAndChainedAfter() throws Exception {
        Run run = underLoad(commitAnswerLost());

        assertEveryRequestAnsweredInTimeAndEvery200Recorded(run);
        assertRefusedWhileDark(run);
        assertRecoveredAndOneValidChain(run);
        // A row that records another answer than the one given: the batch may hold reads' records as well as a refusal's
        // (a token lookup that failed as the path went dark). A refusal recorded once the light returned records its own
        // answer, and is not one of these.
        Map<String, String> rows = recordedAnswers();
        List<Answer> refusedButLanded = run.of("proxied").stream()
                .filter(a -> a.status() == 503 && rows.containsKey(a.id()) && !rows.get(a.id()).equals(a.recorded())).toList();
        assertThat(refusedButLanded).as("requests of the batch that landed unseen: refused, their rows kept").isNotEmpty()
                .allSatisfy(a -> assertThat(a.code()).isEqualTo("AUDIT_UNAVAILABLE"));
        report("commit answer lost", run, refusedButLanded);
    }

    /**
     * The audit writer's COMMIT goes dark on its way to PostgreSQL: its requests are refused at the commit deadline and
     * nothing of the batch is written. PostgreSQL rolls the silent transaction back within the commit deadline too, so
     * the chain lock it holds does not stop the replica on the healthy side of the partition for long.
     */
    @Test
    void aCommitThatNeverReachesTheServerIsRefusedInTimeAndFreesTheChainLock() throws Exception {
        Run run = underLoad(commitRequestLost());

        assertEveryRequestAnsweredInTimeAndEvery200Recorded(run);
        assertRefusedWhileDark(run);
        assertRecoveredAndOneValidChain(run);
        Set<String> recorded = recordedIds();
        assertThat(run.of("proxied")).filteredOn(a -> a.status() != 200)
                .as("requests refused with a row recording an answer they never got").noneMatch(a -> recorded.contains(a.id()));
        // The healthy replica appends again once PostgreSQL ended the silent transaction, long before the light returns.
        long lockFreeBy = run.darkAtNanos() + COMMIT.plus(MARGIN).toNanos();
        assertThat(run.of("direct")).filteredOn(a -> a.startedNanos() > lockFreeBy && a.startedNanos() < run.restoredAtNanos())
                .as("the direct replica's reads while the proxied one's transaction was dark").isNotEmpty()
                .allSatisfy(a -> assertThat(a.status()).as(a.toString()).isEqualTo(200));
        report("commit request lost", run, List.of());
    }

    /**
     * The path to PostgreSQL goes dark while an audit COMMIT is on its way, for longer than the append deadline but less
     * than the commit deadline: the commit completes when the light returns, and the requests whose events it carried
     * are answered 200, not refused at the append deadline while their rows land anyway.
     */
    @Test
    void aCommitDarkForLessThanItsDeadlineAnswersItsRequestsWhenTheLightReturns() throws Exception {
        Run run = underLoad(commitRequestLost(), HICCUP);

        assertEveryRequestAnsweredInTimeAndEvery200Recorded(run);
        assertRecoveredAndOneValidChain(run);
        Set<String> recorded = recordedIds();
        assertThat(run.answers()).filteredOn(a -> recorded.contains(a.id()))
                .as("requests whose row records them answered 200").isNotEmpty()
                .allSatisfy(a -> assertThat(a.status()).as(a.toString()).isEqualTo(200));
        report("commit dark for " + HICCUP.toMillis() + " ms", run, List.of());
    }

    /**
     * OpenBao goes dark part-way through an answer (its headers arrived, its body does not), and then altogether: each
     * read is refused 503 {@code BACKEND_UNAVAILABLE} within the backend deadline, and reads work again with the light.
     */
    @Test
    void aBackendThatGoesDarkIsRefusedWithinItsDeadline() throws Exception {
        Duration bound = BACKEND.plus(MARGIN);
        toOpenBao.darkenWhen((direction, chunk, connection) -> {
            if (direction == BlackHoleProxy.Direction.TO_SERVER) {
                connection.put("request", chunk.contains("/v1/secret/data/deadline/slow"));
                return -1;
            }
            int headersEnd = chunk.indexOf("\r\n\r\n");
            return Boolean.TRUE.equals(connection.get("request")) && headersEnd >= 0 ? headersEnd + 4 : -1;
        });
        Answer midAnswer = read(directBase, "distant/secret/deadline/slow", "direct", System.nanoTime(), bound.plusSeconds(30));
        assertThat(toOpenBao.isDark()).as("the proxy went dark after the answer's headers").isTrue();
        assertThat(midAnswer.status()).as(midAnswer.toString()).isEqualTo(503);
        assertThat(midAnswer.code()).isEqualTo("BACKEND_UNAVAILABLE");
        assertThat(midAnswer.tookMillis()).as("answered within the backend deadline plus a margin").isLessThanOrEqualTo(bound.toMillis());

        // Now the request itself goes unanswered (the Vault driver's own read timeout is the first to fire).
        Answer silent = read(directBase, "distant/secret/deadline/slow", "direct", System.nanoTime(), bound.plusSeconds(30));
        assertThat(silent.status()).as(silent.toString()).isEqualTo(503);
        assertThat(silent.code()).isEqualTo("BACKEND_UNAVAILABLE");
        assertThat(silent.tookMillis()).isLessThanOrEqualTo(bound.toMillis());

        toOpenBao.restore();
        Answer after = read(directBase, "distant/secret/deadline/after", "direct", System.nanoTime(), bound.plusSeconds(30));
        assertThat(after.status()).as("OpenBao reachable again: " + after).isEqualTo(200);
        System.out.printf("[black-hole] backend dark mid-answer: 503 after %d ms; dark before the answer: 503 after %d ms%n",
                midAnswer.tookMillis(), silent.tookMillis());
    }

    // --- the load and the fault -----------------------------------------------------------------------------------

    /** The audit writer's COMMIT reaches PostgreSQL, which commits; its answer never reaches Lanyard. */
    private static BlackHoleProxy.Rule commitAnswerLost() {
        return (direction, chunk, connection) -> {
            trackChainLock(direction, chunk, connection);
            if (direction == BlackHoleProxy.Direction.TO_CLIENT && connection.containsKey("chain-lock")
                    && chunk.contains("COMMIT\0")) {
                return 0;
            }
            endTransaction(direction, chunk, connection);
            return -1;
        };
    }

    /** The audit writer's COMMIT is lost on its way: the chain lock is held and the rows are inserted, uncommitted. */
    private static BlackHoleProxy.Rule commitRequestLost() {
        return (direction, chunk, connection) -> {
            trackChainLock(direction, chunk, connection);
            if (direction == BlackHoleProxy.Direction.TO_SERVER && connection.containsKey("chain-lock")
                    && chunk.contains("COMMIT")) {
                return 0;
            }
            endTransaction(direction, chunk, connection);
            return -1;
        };
    }

    /** Marks a connection once the audit writer takes the chain lock on it. */
    private static void trackChainLock(BlackHoleProxy.Direction direction, String chunk, Map<String, Object> connection) {
        if (direction == BlackHoleProxy.Direction.TO_SERVER && chunk.contains(CHAIN_LOCK)) {
            connection.put("chain-lock", true);
        }
    }

    /** A connection goes back to the pool between transactions: what it does next may be no audit commit. */
    private static void endTransaction(BlackHoleProxy.Direction direction, String chunk, Map<String, Object> connection) {
        if (direction == BlackHoleProxy.Direction.TO_CLIENT && chunk.contains(TRANSACTION_OVER)) {
            connection.remove("chain-lock");
        }
    }

    /**
     * Reads on both replicas (six workers on the proxied one, two on the direct one); after a few seconds the rule is
     * armed, the path stays dark for {@link #DARK_FOR} from the moment it fires, and the load goes on for a while after
     * the light returns.
     */
    private Run underLoad(BlackHoleProxy.Rule fault) throws Exception {
        return underLoad(fault, DARK_FOR);
    }

    private Run underLoad(BlackHoleProxy.Rule fault, Duration darkFor) throws Exception {
        ConcurrentLinkedQueue<Answer> answers = new ConcurrentLinkedQueue<>();
        AtomicBoolean running = new AtomicBoolean(true);
        long begin = System.nanoTime();
        Duration patience = DEADLINE.plus(MARGIN).plusSeconds(30);
        ExecutorService load = Executors.newVirtualThreadPerTaskExecutor();
        for (int worker = 0; worker < 8; worker++) {
            String replica = worker < 6 ? "proxied" : "direct";
            String base = worker < 6 ? proxiedBase : directBase;
            load.submit(() -> {
                while (running.get()) {
                    answers.add(read(base, "openbao/secret/deadline/config", replica, begin, patience));
                }
                return null;
            });
        }
        long darkAt;
        long restoredAt;
        try {
            Thread.sleep(3_000);
            toDatabase.darkenWhen(fault);
            assertThat(toDatabase.awaitDark(Duration.ofSeconds(30))).as("an audit commit went dark").isTrue();
            darkAt = System.nanoTime() - begin;
            Thread.sleep(darkFor.toMillis());
        } finally {
            toDatabase.restore();
        }
        restoredAt = System.nanoTime() - begin;
        Thread.sleep(8_000);
        running.set(false);
        load.shutdown();
        assertThat(load.awaitTermination(patience.toSeconds() + 10, TimeUnit.SECONDS)).as("the load stopped").isTrue();
        return new Run(new ArrayList<>(answers), darkAt, restoredAt);
    }

    private Answer read(String base, String path, String replica, long begin, Duration patience) {
        String id = "dl-" + replica + "-" + UUID.randomUUID();
        HttpRequest request = HttpRequest.newBuilder(URI.create(base + "/v1/secrets/" + path))
                .header("Authorization", "Bearer " + token).header("X-Request-Id", id).timeout(patience).GET().build();
        long started = System.nanoTime();
        try {
            HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
            long took = System.nanoTime() - started;
            Matcher code = PROBLEM_CODE.matcher(response.body());
            return new Answer(id, replica, started - begin, took, response.statusCode(),
                    response.statusCode() != 200 && code.find() ? code.group(1) : null);
        } catch (IOException e) {
            return new Answer(id, replica, started - begin, System.nanoTime() - started, -1, e.getClass().getSimpleName());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Answer(id, replica, started - begin, System.nanoTime() - started, -1, "interrupted");
        }
    }

    // --- what must hold ----------------------------------------------------------------------------------------------

    private void assertEveryRequestAnsweredInTimeAndEvery200Recorded(Run run) throws Exception {
        assertThat(run.answers()).as("requests answered").hasSizeGreaterThan(100);
        assertThat(run.answers()).as("every request answered").allMatch(Answer::answered);
        long bound = DEADLINE.plus(MARGIN).toMillis();
        assertThat(run.answers()).as("every request answered within %d ms", bound)
                .allSatisfy(a -> assertThat(a.tookMillis()).as(a.toString()).isLessThanOrEqualTo(bound));
        Set<String> recorded = recordedIds();
        List<String> unrecorded = run.answers().stream().filter(a -> a.status() == 200).map(Answer::id)
                .filter(id -> !recorded.contains(id)).toList();
        assertThat(unrecorded).as("200 responses without their audit row").isEmpty();
        // The only answer a row may contradict is AUDIT_UNAVAILABLE: a batch that landed unseen. Never the reverse.
        Map<String, String> rows = recordedAnswers();
        assertThat(run.answers()).filteredOn(a -> rows.containsKey(a.id()) && !rows.get(a.id()).equals(a.recorded()))
                .as("requests whose row records another answer than the one they got")
                .allSatisfy(a -> assertThat(a.code()).as(a + " recorded as " + rows.get(a.id())).isEqualTo("AUDIT_UNAVAILABLE"));
    }

    private void assertRefusedWhileDark(Run run) {
        assertThat(run.of("proxied")).as("the proxied replica refused reads while its audit commit was dark")
                .anyMatch(a -> a.status() == 503 && "AUDIT_UNAVAILABLE".equals(a.code()));
    }

    private void assertRecoveredAndOneValidChain(Run run) throws Exception {
        long settled = run.restoredAtNanos() + MARGIN.toNanos();
        assertThat(run.of("proxied")).filteredOn(a -> a.startedNanos() > settled)
                .as("the proxied replica's reads once the path is back").isNotEmpty()
                .allSatisfy(a -> assertThat(a.status()).as(a.toString()).isEqualTo(200));
        try (Connection c = database.superuser(EmbeddedDatabase.DATABASE);
             ResultSet twice = c.createStatement().executeQuery(
                     "select request_id from audit_event where request_id like 'dl-%' group by request_id having count(*) > 1")) {
            assertThat(twice.next()).as("an event written twice").isFalse();
        }
        HttpResponse<String> verify = http.send(HttpRequest.newBuilder(URI.create(directBase + "/v1/audit/verify"))
                .header("Authorization", "Bearer " + token).POST(HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(verify.statusCode()).isEqualTo(200);
        assertThat(JsonPath.from(verify.body()).getBoolean("valid")).as(verify.body()).isTrue();
    }

    /** Request ids with a row that records them answered 200. */
    private Set<String> recordedIds() throws Exception {
        return idsWithRows(" and status = 200");
    }

    /** Each request's row, as the answer it records: its status and, for a refusal, its code ("503 AUDIT_UNAVAILABLE"). */
    private Map<String, String> recordedAnswers() throws Exception {
        Map<String, String> answers = new HashMap<>();
        try (Connection c = database.superuser(EmbeddedDatabase.DATABASE);
             ResultSet rows = c.createStatement().executeQuery(
                     "select request_id, status, error_code from audit_event where request_id like 'dl-%'")) {
            while (rows.next()) {
                answers.put(rows.getString(1), rows.getInt(2) + (rows.getString(3) == null ? "" : " " + rows.getString(3)));
            }
        }
        return answers;
    }

    private Set<String> idsWithRows(String condition) throws Exception {
        Set<String> ids = new HashSet<>();
        try (Connection c = database.superuser(EmbeddedDatabase.DATABASE);
             ResultSet rows = c.createStatement().executeQuery(
                     "select request_id from audit_event where request_id like 'dl-%'" + condition)) {
            while (rows.next()) {
                ids.add(rows.getString(1));
            }
        }
        return ids;
    }

    /** The figures the issue asks for: how long a request waited when its commit went dark. */
    private static void report(String scenario, Run run, List<Answer> refusedButLanded) {
        List<Answer> dark = run.of("proxied").stream()
                .filter(a -> a.startedNanos() < run.restoredAtNanos() && a.startedNanos() + a.tookNanos() > run.darkAtNanos())
                .toList();
        Map<String, List<Long>> byOutcome = new HashMap<>();
        dark.forEach(a -> byOutcome.computeIfAbsent(a.status() + (a.code() == null ? "" : " " + a.code()), k -> new ArrayList<>())
                .add(a.tookMillis()));
        String summary = byOutcome.entrySet().stream().map(e -> {
            List<Long> times = e.getValue().stream().sorted().toList();
            return e.getKey() + ": n=" + times.size() + " median=" + times.get(times.size() / 2) + "ms max=" + times.getLast() + "ms";
        }).collect(Collectors.joining("; "));
        System.out.printf("[black-hole] %s: requests in flight or sent while dark (%d): %s; in the batch that landed unseen: %s%n",
                scenario, dark.size(), summary, refusedButLanded.stream().map(a -> a.tookMillis() + "ms").toList());
    }

    private Path secret(String name, String value) throws IOException {
        return Files.writeString(work.resolve(name), value);
    }

    private static String randomKey() {
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        return Base64.getEncoder().encodeToString(key);
    }
}
