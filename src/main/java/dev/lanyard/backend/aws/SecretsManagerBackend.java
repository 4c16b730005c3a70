package dev.lanyard.backend.aws;

import dev.lanyard.secret.InvalidSecretPathException;
import dev.lanyard.secret.Lease;
import dev.lanyard.secret.Secret;
import dev.lanyard.secret.SecretPath;
import dev.lanyard.secret.SecretRef;
import dev.lanyard.secret.SecretValue;
import dev.lanyard.secret.Stage;
import dev.lanyard.secret.VersionSelector;
import dev.lanyard.spi.BackendCapability;
import dev.lanyard.spi.BackendHealth;
import dev.lanyard.spi.NewVersion;
import dev.lanyard.spi.SecretBackend;
import dev.lanyard.spi.SecretNotFoundException;
import dev.lanyard.spi.StageMove;
import dev.lanyard.spi.UnsupportedBackendOperationException;
import dev.lanyard.spi.VersionInfo;
import dev.lanyard.spi.WriteConflictException;
import io.smallrye.mutiny.Uni;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Supplier;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerAsyncClient;
import software.amazon.awssdk.services.secretsmanager.model.DescribeSecretResponse;
import software.amazon.awssdk.services.secretsmanager.model.GetSecretValueRequest;
import software.amazon.awssdk.services.secretsmanager.model.ListSecretVersionIdsResponse;
import software.amazon.awssdk.services.secretsmanager.model.PutSecretValueRequest;
import software.amazon.awssdk.services.secretsmanager.model.ResourceExistsException;
import software.amazon.awssdk.services.secretsmanager.model.SecretVersionsListEntry;
import software.amazon.awssdk.services.sts.StsAsyncClient;
import software.amazon.awssdk.services.sts.model.AssumeRoleRequest;
import software.amazon.awssdk.services.sts.model.Credentials;

/**
 * AWS Secrets Manager and STS through the SDK's asynchronous clients ({@link AwsClients}): no thread waits on AWS.
 *
 * <p>Static secrets are addressed by name or ARN; Lanyard's stages are staging labels (see docs/backend-spi.md for the
 * mapping) and version ids are AWS's. A plain read asks for {@code AWSCURRENT} explicitly. When the current version
 * was read before ({@link CurrentVersions}), a read first asks {@code DescribeSecret} which version is current and
 * fetches the value only when that changed. Credentials are issued from {@code sts/<role>} by {@code AssumeRole},
 * in a session named after the caller; they expire and cannot be renewed or revoked.
 */
final class SecretsManagerBackend implements SecretBackend {

    static final Set<BackendCapability> CAPABILITIES = Set.of(BackendCapability.READ, BackendCapability.VERSIONS,
            BackendCapability.STAGES, BackendCapability.WRITE, BackendCapability.ISSUE);

    /** Where issued credentials come from: {@code sts/<role>}. */
    static final String STS_MOUNT = "sts";

    private final String name;
    private final AwsClients clients;
    private final SecretsManagerAsyncClient secretsManager;
    private final StsAsyncClient sts;
    private final Map<String, AwsBackendConfig.Role> roles;
    private final CurrentVersions currentVersions;
    private final AwsFailures failures;
    private final InstantSource clock;

    SecretsManagerBackend(String name, AwsClients clients, Map<String, AwsBackendConfig.Role> roles,
                          int versionCheckEntries, InstantSource clock) {
        this.name = name;
        this.clients = clients;
        this.secretsManager = clients.secretsManager();
        this.sts = clients.sts();
        this.roles = Map.copyOf(roles);
        this.currentVersions = new CurrentVersions(versionCheckEntries);
        this.failures = new AwsFailures(name);
        this.clock = clock;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public Set<BackendCapability> capabilities() {
        return CAPABILITIES;
    }

    // ---- reads -----------------------------------------------------------------------------------------------------

    @Override
    public Uni<Secret> read(SecretPath path, VersionSelector selector) {
        String secretId;
        GetSecretValueRequest.Builder request;
        try {
            secretId = SecretsManagerNames.secretId(path);
            request = GetSecretValueRequest.builder().secretId(secretId);
            switch (selector) {
                case VersionSelector.Current c -> request.versionStage(SecretsManagerNames.CURRENT);
                case VersionSelector.ById byId -> request.versionId(SecretsManagerNames.versionId(byId.id()));
                case VersionSelector.ByStage byStage -> request.versionStage(SecretsManagerNames.label(byStage.stage()));
            }
        } catch (InvalidSecretPathException e) {
            return Uni.createFrom().failure(e);
        }
        if (selector instanceof VersionSelector.Current && currentVersions.versionOf(secretId).isPresent()) {
            return readCurrentIfChanged(path, secretId);
        }
        boolean current = selector instanceof VersionSelector.Current;
        return call("read", path, () -> secretsManager.getSecretValue(request.build()))
                .map(response -> {
                    SecretValue value = SecretFields.of(response);
                    if (current) {
                        currentVersions.remember(secretId, response.versionId(), value);
                    }
                    return secret(path, value, response.versionId());
                });
    }

    /** A read of a secret whose current version was read before: the value is fetched again only if it changed. */
    private Uni<Secret> readCurrentIfChanged(SecretPath path, String secretId) {
        return call("read", path, () -> secretsManager.describeSecret(r -> r.secretId(secretId)))
                .chain(description -> {
                    String currentId = currentVersionId(description, path);
                    Optional<CurrentVersions.Known> known = currentVersions.ifStill(secretId, currentId);
                    if (known.isPresent()) {
                        return Uni.createFrom().item(secret(path, known.get().value(), currentId));
                    }
                    return call("read", path, () -> secretsManager.getSecretValue(r -> r.secretId(secretId).versionId(currentId)))
                            .map(response -> {
                                SecretValue value = SecretFields.of(response);
                                currentVersions.remember(secretId, response.versionId(), value);
                                return secret(path, value, response.versionId());
                            });
                })
                .onFailure(SecretNotFoundException.class).invoke(() -> currentVersions.forget(secretId));
    }

    private String currentVersionId(DescribeSecretResponse description, SecretPath path) {
        if (description.deletedDate() != null) {
            throw new SecretNotFoundException(name, "read", path.value());
        }
        return description.versionIdsToStages().entrySet().stream()
                .filter(entry -> entry.getValue().contains(SecretsManagerNames.CURRENT))
                .map(Map.Entry::getKey)
                .findFirst()
                .orElseThrow(() -> new SecretNotFoundException(name, "read", path.value()));
    }

    private Secret secret(SecretPath path, SecretValue value, String versionId) {
        return new Secret(new SecretRef(name, path), value, Optional.of(versionId), Lease.ofStaticValue(clock.instant()));
    }

    // ---- writes ----------------------------------------------------------------------------------------------------

    @Override
    public Uni<String> put(SecretPath path, NewVersion version) {
        String secretId;
        String label;
        try {
            secretId = SecretsManagerNames.secretId(path);
            label = SecretsManagerNames.label(version.stage());
        } catch (InvalidSecretPathException e) {
            return Uni.createFrom().failure(e);
        }
        // Copied now, on the caller's thread: the caller may close its value once the put completes.
        Map<String, String> fields = version.value().reveal();
        String secretString = SecretFields.secretString(fields);
        PutSecretValueRequest.Builder put = PutSecretValueRequest.builder()
                .secretId(secretId).secretString(secretString).versionStages(label);
        version.token().ifPresent(put::clientRequestToken);
        if (version.becomesCurrent()) {
            return putValue(path, put.build())
                    .onFailure(SecretNotFoundException.class).recoverWithUni(missing ->
                            createSecret(path, secretId, secretString, version.token(), put.build(), missing));
        }
        return versionsOf(path, "put", secretId).chain(versions -> {
            Optional<String> token = version.token();
            if (token.isPresent() && versions.stream().anyMatch(v -> v.versionId().equals(token.get()))) {
                return retriedPut(path, secretId, token.get(), fields);
            }
            if (versions.stream().anyMatch(v -> v.versionStages().contains(label))) {
                // AWS would move the label silently; the SPI promises never two pending versions.
                return Uni.createFrom().failure(new WriteConflictException(name, "put", path.value(),
                        WriteConflictException.Reason.STAGE_TAKEN));
            }
            return putValue(path, put.build());
        });
    }

    private Uni<String> putValue(SecretPath path, PutSecretValueRequest request) {
        return call("put", path, () -> secretsManager.putSecretValue(request)).map(response -> response.versionId());
    }

    /** The first plain write of a secret creates it; one created meanwhile by someone else gets the version instead. */
    private Uni<String> createSecret(SecretPath path, String secretId, String secretString, Optional<String> token,
                                     PutSecretValueRequest retry, Throwable missing) {
        if (SecretsManagerNames.isArn(secretId)) {
            // An ARN names a secret that exists; it cannot be created under it.
            return Uni.createFrom().failure(missing);
        }
        return Uni.createFrom().completionStage(() -> secretsManager.createSecret(r -> {
                    r.name(secretId).secretString(secretString);
                    token.ifPresent(r::clientRequestToken);
                }))
                .map(response -> response.versionId())
                .onFailure(ResourceExistsException.class).recoverWithUni(() -> putValue(path, retry))
                .onFailure().transform(failure -> failures.translate(failure, "put", path.value()));
    }

    /**
     * A staged put retried under a token whose version exists: the version the first attempt made, if it holds the
     * same value (AWS itself would overwrite the stages of a pending version written under the same token).
     */
    private Uni<String> retriedPut(SecretPath path, String secretId, String token, Map<String, String> fields) {
        return call("put", path, () -> secretsManager.getSecretValue(r -> r.secretId(secretId).versionId(token)))
                .map(response -> {
                    try (SecretValue existing = SecretFields.of(response)) {
                        if (!existing.reveal().equals(fields)) {
                            throw new WriteConflictException(name, "put", path.value(), WriteConflictException.Reason.TOKEN_REUSED);
                        }
                    }
                    return token;
                });
    }

    // ---- stages ----------------------------------------------------------------------------------------------------

    @Override
    public Uni<Void> moveStage(SecretPath path, StageMove move) {
        String secretId;
        String label;
        Optional<String> from;
        Optional<String> to;
        try {
            secretId = SecretsManagerNames.secretId(path);
            label = SecretsManagerNames.label(move.stage());
            from = move.from().map(SecretsManagerNames::versionId);
            to = move.to().map(SecretsManagerNames::versionId);
        } catch (InvalidSecretPathException e) {
            return Uni.createFrom().failure(e);
        }
        String operation = "move a stage of";
        boolean promoting = move.stage().equals(Stage.CURRENT);
        return versionsOf(path, operation, secretId).chain(versions -> {
            Optional<String> holder = holderOf(versions, label);
            if (holder.equals(to)) {
                // Already done (a retried move); finish what a move interrupted before its second call left.
                return promoting ? takePendingOff(path, secretId, versions, to.orElseThrow()) : Uni.createFrom().voidItem();
            }
            if (!holder.equals(from)) {
                return Uni.createFrom().failure(new WriteConflictException(name, operation, path.value(),
                        WriteConflictException.Reason.STAGE_MOVED));
            }
            if (to.isPresent() && versions.stream().noneMatch(v -> v.versionId().equals(to.get()))) {
                return Uni.createFrom().failure(new SecretNotFoundException(name, operation, path.value()));
            }
            // AWS checks RemoveFromVersionId itself, so of two racing moves the second fails there.
            Uni<Void> moved = Uni.createFrom().completionStage(() -> secretsManager.updateSecretVersionStage(r -> {
                        r.secretId(secretId).versionStage(label);
                        from.ifPresent(r::removeFromVersionId);
                        to.ifPresent(r::moveToVersionId);
                    }))
                    .onFailure(AwsServiceException.class).transform(failure -> lostRace((AwsServiceException) failure, operation, path))
                    .onFailure().transform(failure -> failures.translate(failure, operation, path.value()))
                    .replaceWithVoid();
            return promoting ? moved.chain(() -> takePendingOff(path, secretId, versions, to.orElseThrow())) : moved;
        });
    }

    private Throwable lostRace(AwsServiceException failure, String operation, SecretPath path) {
        // The stage was not where RemoveFromVersionId said: someone moved it between the listing and the move.
        return AwsFailures.errorCode(failure).equals("InvalidParameterException")
                ? new WriteConflictException(name, operation, path.value(), WriteConflictException.Reason.STAGE_MOVED)
                : failure;
    }

    /** Promoting a pending version ends its being pending. */
    private Uni<Void> takePendingOff(SecretPath path, String secretId, List<SecretVersionsListEntry> versions, String promoted) {
        boolean pending = versions.stream().anyMatch(v -> v.versionId().equals(promoted)
                && v.versionStages().contains(SecretsManagerNames.PENDING));
        if (!pending) {
            return Uni.createFrom().voidItem();
        }
        return call("move a stage of", path, () -> secretsManager.updateSecretVersionStage(r -> r.secretId(secretId)
                .versionStage(SecretsManagerNames.PENDING).removeFromVersionId(promoted))).replaceWithVoid();
    }

    private static Optional<String> holderOf(List<SecretVersionsListEntry> versions, String label) {
        return versions.stream().filter(v -> v.versionStages().contains(label)).map(SecretVersionsListEntry::versionId).findFirst();
    }

    @Override
    public Uni<List<VersionInfo>> versions(SecretPath path) {
        String secretId;
        try {
            secretId = SecretsManagerNames.secretId(path);
        } catch (InvalidSecretPathException e) {
            return Uni.createFrom().failure(e);
        }
        return versionsOf(path, "list versions of", secretId).map(versions -> versions.stream().map(v -> {
            Set<Stage> stages = new LinkedHashSet<>();
            v.versionStages().forEach(label -> SecretsManagerNames.stage(label).ifPresent(stages::add));
            return new VersionInfo(v.versionId(), Optional.ofNullable(v.createdDate()), stages);
        }).toList());
    }

    /**
     * Every version, deprecated ones too, oldest first. {@code DescribeSecret} comes first: a secret marked for
     * deletion is not found for stage work either (its versions are still listed), and moto answers a listing of a
     * secret that does not exist with a 500 instead of AWS's {@code ResourceNotFoundException}.
     */
    private Uni<List<SecretVersionsListEntry>> versionsOf(SecretPath path, String operation, String secretId) {
        return call(operation, path, () -> secretsManager.describeSecret(r -> r.secretId(secretId)))
                .chain(description -> {
                    if (description.deletedDate() != null) {
                        return Uni.createFrom().failure(new SecretNotFoundException(name, operation, path.value()));
                    }
                    return call(operation, path, () -> {
                        List<SecretVersionsListEntry> all = new ArrayList<>();
                        return secretsManager.listSecretVersionIdsPaginator(r -> r.secretId(description.arn()).includeDeprecated(true))
                                .subscribe(page -> all.addAll(page.versions()))
                                .thenApply(done -> all);
                    });
                })
                .map(all -> {
                    if (all.isEmpty()) {
                        throw new SecretNotFoundException(name, operation, path.value());
                    }
                    // Stable: versions made within one clock tick keep the order AWS lists them in.
                    List<SecretVersionsListEntry> sorted = new ArrayList<>(all);
                    sorted.sort(Comparator.comparing(SecretVersionsListEntry::createdDate,
                            Comparator.nullsFirst(Comparator.naturalOrder())));
                    return sorted;
                });
    }

    // ---- issued credentials ----------------------------------------------------------------------------------------

    @Override
    public Uni<Secret> issue(SecretPath rolePath) {
        return issue(rolePath, "lanyard");
    }

    @Override
    public Uni<Secret> issue(SecretPath rolePath, String requester) {
        Objects.requireNonNull(requester, "requester");
        String role = rolePath.withinMount();
        if (!rolePath.mount().equals(STS_MOUNT) || role.isEmpty() || role.contains("/")) {
            return Uni.createFrom().failure(new UnsupportedBackendOperationException(name, "issue", rolePath.value()));
        }
        AwsBackendConfig.Role settings = roles.get(role);
        if (settings == null) {
            return Uni.createFrom().failure(new SecretNotFoundException(name, "issue", rolePath.value()));
        }
        AssumeRoleRequest.Builder request = AssumeRoleRequest.builder()
                .roleArn(settings.arn())
                .roleSessionName(StsSessions.name(requester))
                .durationSeconds(Math.toIntExact(settings.duration().toSeconds()));
        settings.sessionPolicy().ifPresent(request::policy);
        if (settings.sessionTags()) {
            request.tags(StsSessions.tags(requester));
        }
        Instant asked = clock.instant();
        return call("issue", rolePath, () -> sts.assumeRole(request.build())).map(response -> {
            Credentials credentials = response.credentials();
            // Never longer than asked for: STS's clock may run a little ahead of Lanyard's.
            Duration ttl = Duration.between(asked, credentials.expiration());
            if (ttl.compareTo(settings.duration()) > 0) {
                ttl = settings.duration();
            }
            SecretValue value = SecretValue.ofStrings(Map.of(
                    "access_key_id", credentials.accessKeyId(),
                    "secret_access_key", credentials.secretAccessKey(),
                    "session_token", credentials.sessionToken()));
            return new Secret(new SecretRef(name, rolePath), value, Optional.empty(),
                    Lease.expiring(asked, ttl.isNegative() ? Duration.ZERO : ttl));
        });
    }

    // ---- health ----------------------------------------------------------------------------------------------------

    /**
     * Up when Secrets Manager answers a signed request: a refusal to list secrets still proves the endpoint and the
     * credentials work, so only unreachable endpoints and rejected credentials are down.
     */
    @Override
    public Uni<BackendHealth> health() {
        return Uni.createFrom().completionStage(() -> secretsManager.listSecrets(r -> r.maxResults(1)))
                .map(ok -> BackendHealth.healthy())
                .onFailure().recoverWithItem(failure -> {
                    if (AwsFailures.credentialsRejected(failure)) {
                        return BackendHealth.unhealthy("AWS rejected Lanyard's credentials");
                    }
                    if (unwrapped(failure) instanceof AwsServiceException service && service.statusCode() == 403) {
                        return BackendHealth.healthy();
                    }
                    return BackendHealth.unhealthy(AwsFailures.describe(failure));
                });
    }

    private static Throwable unwrapped(Throwable failure) {
        return failure.getCause() != null && failure instanceof CompletionException ? failure.getCause() : failure;
    }

    @Override
    public void close() {
        currentVersions.clear();
        clients.close();
    }

    private <T> Uni<T> call(String operation, SecretPath path, Supplier<CompletableFuture<T>> call) {
        return Uni.createFrom().completionStage(call)
                .onFailure().transform(failure -> failures.translate(failure, operation, path.value()));
    }
}
