package dev.lanyard.rotation;

import dev.lanyard.secret.SecretValue;
import jakarta.inject.Singleton;
import java.security.SecureRandom;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * One PostgreSQL login ({@code username}, {@code password} in the secret) whose password changes in place on a
 * declared {@code target}: the role logs in with its current password and sets the new one. Between set and finish the
 * old password no longer works while clients still hold it, so clients see failed logins during a rotation; use
 * alternating users where that matters.
 */
@Singleton
class PostgresSingleUserStrategy implements RotationStrategy {

    static final Set<String> PARAMETERS = parameters();

    private final SecureRandom random = new SecureRandom();
    private final RotationTargets targets;

    PostgresSingleUserStrategy(RotationTargets targets) {
        this.targets = targets;
    }

    private static Set<String> parameters() {
        Set<String> all = new HashSet<>(PasswordPolicy.PARAMETERS);
        all.add(RotationTargets.PARAMETER);
        return Set.copyOf(all);
    }

    @Override
    public String name() {
        return "postgres-single-user";
    }

    @Override
    public void validate(Map<String, Object> parameters) {
        targets.forSchedule(parameters);
        Parameters.only(parameters, PARAMETERS);
        PasswordPolicy.from(parameters, 32);
    }

    @Override
    public Optional<String> target(Map<String, Object> parameters) {
        return RotationTargets.named(parameters);
    }

    @Override
    public void ready(StrategyContext context) {
        targets.forRun(context.parameters());
    }

    @Override
    public SecretValue generate(StrategyContext context, SecretValue current) {
        String user = username(current);
        Map<String, String> fields = new LinkedHashMap<>(current.reveal());
        fields.put("username", user);
        fields.put("password", new String(PasswordPolicy.from(context.parameters(), 32).generate(random)));
        return SecretValue.ofStrings(fields);
    }

    @Override
    public void set(StrategyContext context, SecretValue pending, SecretValue current) {
        PostgresTarget target = connections(context);
        String user = username(current);
        if (target.logsIn(user, password(pending))) {
            return; // set before a crash: nothing left to do
        }
        target.setPassword(user, password(current), user, password(pending));
    }

    @Override
    public void test(StrategyContext context, SecretValue pending) {
        if (!connections(context).logsIn(username(pending), password(pending))) {
            throw new StepFailure(StepCode.TEST_FAILED, "the target does not accept the pending login yet");
        }
    }

    /**
     * The role back on the current password: verified by logging in with it, restored through the pending one if not.
     * When neither logs in, this run's password never landed (the set was refused or cancelled before it changed
     * anything): there is nothing of the run's to undo, and the run ends with the code that failed it.
     */
    @Override
    public Optional<String> undo(StrategyContext context, Undo undo) {
        if (!undo.setBegan()) {
            return Optional.empty();
        }
        PostgresTarget target = connections(context);
        String user = username(undo.current());
        if (target.logsIn(user, password(undo.current()))) {
            return Optional.empty();
        }
        if (!target.logsIn(user, password(undo.pending()))) {
            return Optional.empty();
        }
        target.setPassword(user, password(undo.pending()), user, password(undo.current()));
        if (!target.logsIn(user, password(undo.current()))) {
            throw new StepFailure(StepCode.CURRENT_NOT_RESTORED, "the current login does not work and could not be restored");
        }
        return Optional.empty();
    }

    private PostgresTarget connections(StrategyContext context) {
        return new PostgresTarget(targets.forRun(context.parameters()), context.deadline());
    }

    static String username(SecretValue value) {
        return value.field("username").filter(name -> name.matches("[a-z_][a-z0-9_]{0,62}"))
                .orElseThrow(() -> new StepFailure(StepCode.CURRENT_VALUE_INVALID, "the secret has no usable 'username' field"));
    }

    static String password(SecretValue value) {
        return value.field("password")
                .orElseThrow(() -> new StepFailure(StepCode.CURRENT_VALUE_INVALID, "the secret has no 'password' field"));
    }
}
