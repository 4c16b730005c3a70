package dev.lanyard.rotation;

import dev.lanyard.secret.SecretRef;
import dev.lanyard.secret.SecretValue;
import jakarta.inject.Singleton;
import java.security.SecureRandom;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Two PostgreSQL roles with the same grants ({@code users}, both created beforehand) on a declared {@code target}; the
 * secret holds the one in use. A rotation gives the other role a new password and makes it current, so the login
 * clients hold keeps working through the rotation and until the next one (the previous version stays valid).
 * Passwords are set by an administrator login kept in another secret ({@code admin_secret}, {@code <backend>/<path>}
 * with {@code username} and {@code password}); every read of it is recorded in the audit log under the run's id.
 */
@Singleton
class PostgresAlternatingUsersStrategy implements RotationStrategy {

    private static final Set<String> PARAMETERS = parameters();

    private final SecureRandom random = new SecureRandom();
    private final RotationTargets targets;

    PostgresAlternatingUsersStrategy(RotationTargets targets) {
        this.targets = targets;
    }

    private static Set<String> parameters() {
        Set<String> all = new HashSet<>(PostgresSingleUserStrategy.PARAMETERS);
        all.add("users");
        all.add("admin_secret");
        return Set.copyOf(all);
    }

    @Override
    public String name() {
        return "postgres-alternating-users";
    }

    @Override
    public void validate(Map<String, Object> parameters) {
        targets.forSchedule(parameters);
        Parameters.only(parameters, PARAMETERS);
        PasswordPolicy.from(parameters, 32);
        List<String> users = Parameters.texts(parameters, "users", null);
        if (users.size() != 2 || users.get(0).equals(users.get(1))) {
            throw InvalidRotationException.invalidStrategy("parameter 'users' names two different roles");
        }
        users.forEach(user -> PostgresTarget.validateRole(user, "users"));
        references(parameters);
    }

    @Override
    public List<SecretRef> references(Map<String, Object> parameters) {
        String admin = Parameters.text(parameters, "admin_secret", null);
        int slash = admin.indexOf('/');
        if (slash <= 0 || slash == admin.length() - 1) {
            throw InvalidRotationException.invalidStrategy("parameter 'admin_secret' is <backend>/<path>");
        }
        return List.of(SecretRef.of(admin.substring(0, slash), admin.substring(slash + 1)));
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
        List<String> users = Parameters.texts(context.parameters(), "users", null);
        String inUse = PostgresSingleUserStrategy.username(current);
        if (!users.contains(inUse)) {
            throw new StepFailure(StepCode.CURRENT_VALUE_INVALID, "the secret's username is neither of the schedule's users");
        }
        Map<String, String> fields = new LinkedHashMap<>(current.reveal());
        fields.put("username", users.get(0).equals(inUse) ? users.get(1) : users.get(0));
        fields.put("password", new String(PasswordPolicy.from(context.parameters(), 32).generate(random)));
        return SecretValue.ofStrings(fields);
    }

    @Override
    public void set(StrategyContext context, SecretValue pending, SecretValue current) {
        PostgresTarget target = connections(context);
        try (Admin admin = admin(context)) {
            admin.setPassword(target, username(pending), password(pending));
        }
    }

    @Override
    public void test(StrategyContext context, SecretValue pending) {
        if (!connections(context).logsIn(username(pending), password(pending))) {
            throw new StepFailure(StepCode.TEST_FAILED, "the target does not accept the pending login yet");
        }
    }

    /**
     * The alternate role gets back the password the previous version holds for it, when one does (clients still
     * holding the previous version log in again); otherwise it is reported, to be recorded as held by nobody. The role
     * in use is verified to log in with the current password, and restored if it does not.
     */
    @Override
    public Optional<String> undo(StrategyContext context, Undo undo) {
        if (!undo.setBegan()) {
            return Optional.empty();
        }
        PostgresTarget target = connections(context);
        String alternate = username(undo.pending());
        Optional<String> earlier = undo.previous().filter(previous -> previous.field("username").filter(alternate::equals)
                .isPresent()).flatMap(previous -> previous.field("password"));
        String inUse = username(undo.current());
        try (Admin admin = admin(context)) {
            earlier.ifPresent(password -> admin.setPassword(target, alternate, password));
            if (!target.logsIn(inUse, password(undo.current()))) {
                admin.setPassword(target, inUse, password(undo.current()));
                if (!target.logsIn(inUse, password(undo.current()))) {
                    throw new StepFailure(StepCode.CURRENT_NOT_RESTORED,
                            "the current login does not work and could not be restored");
                }
            }
        }
        return earlier.isPresent() ? Optional.empty() : Optional.of(alternate);
    }

    private PostgresTarget connections(StrategyContext context) {
        return new PostgresTarget(targets.forRun(context.parameters()), context.deadline());
    }

    /** The administrator login, read (and recorded) through the context; closed after use. */
    private Admin admin(StrategyContext context) {
        return new Admin(context.read(references(context.parameters()).getFirst()));
    }

    private record Admin(SecretValue value) implements AutoCloseable {

        void setPassword(PostgresTarget target, String role, String password) {
            String user = value.field("username")
                    .orElseThrow(() -> new StepFailure(StepCode.ADMIN_SECRET_INVALID, "the admin secret has no 'username'"));
            String adminPassword = value.field("password")
                    .orElseThrow(() -> new StepFailure(StepCode.ADMIN_SECRET_INVALID, "the admin secret has no 'password'"));
            target.setPassword(user, adminPassword, role, password);
        }

        @Override
        public void close() {
            value.close();
        }
    }

    private static String username(SecretValue value) {
        return PostgresSingleUserStrategy.username(value);
    }

    private static String password(SecretValue value) {
        return PostgresSingleUserStrategy.password(value);
    }
}
