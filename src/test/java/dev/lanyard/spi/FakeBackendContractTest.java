package dev.lanyard.spi;

import dev.lanyard.secret.SecretPath;
import dev.lanyard.support.TickingClock;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/** The in-memory fake keeps the same contract as the real backends, so tests written against it mean something. */
class FakeBackendContractTest extends SecretBackendContract {

    private static final String REFUSED = "contract/refused";

    private final TickingClock clock = new TickingClock();
    private final FakeBackend fake = new FakeBackend("fake", clock).rejecting(REFUSED);
    private final FakeBackend down = new FakeBackend("fake", clock).failing(true);

    @Override
    protected SecretBackend backend() {
        return fake;
    }

    @Override
    protected Set<BackendCapability> expectedCapabilities() {
        return EnumSet.allOf(BackendCapability.class);
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
        return List.of(SecretPath.of(REFUSED));
    }

    @Override
    protected Optional<SecretPath> issuablePath() {
        return Optional.of(SecretPath.of("creds/contract"));
    }
}
