package dev.lanyard.k8s;

import dev.lanyard.secret.SecretRef;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Collection;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;

/**
 * Whether values a backend confirmed as not found may leave Secrets (resources whose {@code notFoundPolicy} is Merge or
 * Delete). A backend routed wrong — a KV mount disabled and enabled again empty, a Secrets Manager client pointed at
 * another region or account — answers "not found" for every secret, exactly as it answers for a deleted one; the
 * answer alone cannot tell them apart. The rest of the backend can: removal goes ahead only once the same backend has
 * served another secret, fetched from it after this one first went missing. A backend that serves nothing never gives
 * that evidence, so no refresh wave can remove every key of every resource it feeds; the resources say
 * {@link Reason#RemovalRefused} instead, until the secrets are back or an operator lists the backend in
 * {@code lanyard.k8s.backend-wide-removal}.
 *
 * <p>"Fetched after" is the value's fetch time ({@code issuedAt} of the broker's grant), not the time the controller
 * read it: a value served from the broker's cache says nothing about the backend now. The last good value served
 * because the backend failed ({@code stale-if-error}) is no evidence either. What the guard knows lives in the leader's
 * memory: a new leader gathers it again from its own reads.
 */
final class RemovalGuard {

    /** At most this many other resources are refreshed at a time to look for evidence. */
    static final int EVIDENCE_REFRESHES = 3;

    /** The guard's answer, with the message the status and the Event carry when it refuses. */
    record Decision(boolean allowed, String message) {
        static final Decision ALLOWED = new Decision(true, null);
    }

    /** The last answer for one secret: found (with the time the backend gave the value) or not found. */
    private record Answer(boolean found, Instant at) {}

    private final Map<SecretRef, Answer> answers = new ConcurrentHashMap<>();
    /** Since when each secret has been answered "not found" without a "found" in between. */
    private final Map<SecretRef, Instant> missingSince = new ConcurrentHashMap<>();
    private final Set<String> backendWide;
    private final InstantSource clock;

    /** @param backendWide the backends on which removal needs no evidence ({@code lanyard.k8s.backend-wide-removal}) */
    RemovalGuard(Set<String> backendWide, InstantSource clock) {
        this.backendWide = Set.copyOf(backendWide);
        this.clock = clock;
    }

    /** The backend served {@code ref}, fetched from it at {@code fetchedAt}. */
    void found(SecretRef ref, Instant fetchedAt) {
        answers.put(ref, new Answer(true, fetchedAt));
        missingSince.remove(ref);
    }

    /** The backend answered that {@code ref} does not exist. */
    void notFound(SecretRef ref) {
        Instant now = clock.instant();
        answers.put(ref, new Answer(false, now));
        missingSince.putIfAbsent(ref, now);
    }

    /**
     * Whether the values of {@code missing} may be removed now.
     *
     * @param known every secret the controller's resources read, to say in the refusal whether all of a backend's are gone
     */
    Decision mayRemove(Set<SecretRef> missing, Collection<SecretRef> known) {
        Map<String, Set<SecretRef>> byBackend = missing.stream().collect(Collectors.groupingBy(SecretRef::backend, Collectors.toSet()));
        for (Map.Entry<String, Set<SecretRef>> backend : byBackend.entrySet()) {
            Optional<String> refused = refusal(backend.getKey(), backend.getValue(), known);
            if (refused.isPresent()) {
                return new Decision(false, refused.get());
            }
        }
        return Decision.ALLOWED;
    }

    private Optional<String> refusal(String backend, Set<SecretRef> missing, Collection<SecretRef> known) {
        if (backendWide.contains(backend)) {
            return Optional.empty();
        }
        Instant now = clock.instant();
        Instant since = missing.stream().map(ref -> missingSince.getOrDefault(ref, now)).min(Instant::compareTo).orElse(now);
        boolean evidence = answers.entrySet().stream().anyMatch(answer -> answer.getKey().backend().equals(backend)
                && !missing.contains(answer.getKey()) && answer.getValue().found() && !answer.getValue().at().isBefore(since));
        if (evidence) {
            return Optional.empty();
        }
        Set<SecretRef> onBackend = known.stream().filter(ref -> ref.backend().equals(backend)).collect(Collectors.toSet());
        onBackend.addAll(missing);
        long gone = onBackend.stream().filter(ref -> missing.contains(ref) || missingSince.containsKey(ref)).count();
        if (gone == onBackend.size()) {
            return Optional.of("backend " + backend + " answers not found for every secret ExternalSecrets read from it ("
                    + gone + "); nothing was removed. A misrouted backend (a KV mount re-created empty, another region or"
                    + " account) looks like this; if the secrets really are all gone, list " + backend
                    + " in lanyard.k8s.backend-wide-removal");
        }
        return Optional.of("backend " + backend + " has served no other secret since this one went missing at " + since
                + "; nothing is removed until it has (or " + backend + " is listed in lanyard.k8s.backend-wide-removal)");
    }
}
