package dev.lanyard.spi;

import dev.lanyard.secret.SecretPath;
import dev.lanyard.support.TickingClock;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * A backend that only reads, as a KV v1-only store would be: the contract's other half, where every operation it does
 * not declare is refused before any I/O.
 */
class ReadOnlyFakeBackendContractTest extends SecretBackendContract {

    private static final Set<BackendCapability> READ_ONLY = EnumSet.of(BackendCapability.READ);

    private final TickingClock clock = new TickingClock();
    private final FakeBackend fake = new FakeBackend("readonly", clock, READ_ONLY);
    private final FakeBackend down = new FakeBackend("readonly", clock, READ_ONLY).failing(true);

    @Override
    protected SecretBackend backend() {
        return fake;
    }

    @Override
    protected Set<BackendCapability> expectedCapabilities() {
        return READ_ONLY;
    }

    @Override
    protected SecretPath freshPath() {
        return SecretPath.of("contract/" + UUID.randomUUID());
    }

    @Override
    protected List<String> seed(SecretPath path, List<Map<String, String>> versions) {
        return versions.stream().map(fields -> fake.putStatic(path.value(), fields)).toList();
    }

    @Override
    protected String absentVersionId() {
        return "999";
    }

    @Override
    protected String malformedVersionId() {
        return "v-one";
    }

    @Override
    protected SecretBackend unreachableBackend() {
        return down;
    }

    @Override
    protected List<SecretPath> pathsThePeerRefuses() {
        return List.of();
    }
}
