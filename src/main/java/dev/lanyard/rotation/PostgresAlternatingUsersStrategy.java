package dev.lanyard.rotation;

import dev.lanyard.secret.SecretRef;
import dev.lanyard.secret.SecretValue;
import jakarta.inject.Singleton;
import java.security.SecureRandom;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Two PostgreSQL roles with the same grants ({@code users}, both created beforehand); the secret holds the one in use.
 * A rotation gives the other role a new password and makes it current, so the login clients hold keeps working through
 * the rotation and until the next one (the previous version stays valid). Passwords are set by an administrator login
 * kept in another secret ({@code admin_secret}, {@code <backend>/<path>} with {@code username} and {@code password}).
 */
@Singleton
class PostgresAlternatingUsersStrategy implements RotationStrategy {

    private static final Set<String> PARAMETERS = parameters();

    private final SecureRandom random = new SecureRandom();

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
        Parameters.only(parameters, PARAMETERS);
        PostgresTarget.validateUrl(Parameters.text(parameters, "jdbc_url", null));
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
        try (SecretValue admin = context.read(references(context.parameters()).getFirst())) {
            String adminUser = admin.field("username")
                    .orElseThrow(() -> new StepFailure(StepCode.ADMIN_SECRET_INVALID, "the admin secret has no 'username'"));
            String adminPassword = admin.field("password")
                    .orElseThrow(() -> new StepFailure(StepCode.ADMIN_SECRET_INVALID, "the admin secret has no 'password'"));
            PostgresTarget.of(context).setPassword(adminUser, adminPassword, PostgresSingleUserStrategy.username(pending),
                    PostgresSingleUserStrategy.password(pending));
        }
    }

    @Override
    public void test(StrategyContext context, SecretValue pending) {
        if (!PostgresTarget.of(context).logsIn(PostgresSingleUserStrategy.username(pending), PostgresSingleUserStrategy.password(pending))) {
            throw new StepFailure(StepCode.TEST_FAILED, "the target does not accept the pending login yet");
        }
    }
}
