package dev.lanyard.rotation;

import dev.lanyard.secret.SecretValue;
import jakarta.inject.Singleton;
import java.security.SecureRandom;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * One PostgreSQL login ({@code username}, {@code password} in the secret) whose password changes in place: the role
 * logs in with its current password and sets the new one. Between set and finish the old password no longer works
 * while clients still hold it, so clients see failed logins during a rotation; use alternating users where that
 * matters.
 */
@Singleton
class PostgresSingleUserStrategy implements RotationStrategy {

    static final Set<String> PARAMETERS = parameters();

    private final SecureRandom random = new SecureRandom();

    private static Set<String> parameters() {
        Set<String> all = new HashSet<>(PasswordPolicy.PARAMETERS);
        all.add("jdbc_url");
        return Set.copyOf(all);
    }

    @Override
    public String name() {
        return "postgres-single-user";
    }

    @Override
    public void validate(Map<String, Object> parameters) {
        Parameters.only(parameters, PARAMETERS);
        PostgresTarget.validateUrl(Parameters.text(parameters, "jdbc_url", null));
        PasswordPolicy.from(parameters, 32);
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
        PostgresTarget target = PostgresTarget.of(context);
        String user = username(current);
        if (target.logsIn(user, password(pending))) {
            return; // set before a crash: nothing left to do
        }
        target.setPassword(user, password(current), user, password(pending));
    }

    @Override
    public void test(StrategyContext context, SecretValue pending) {
        if (!PostgresTarget.of(context).logsIn(username(pending), password(pending))) {
            throw new StepFailure(StepCode.TEST_FAILED, "the target does not accept the pending login yet");
        }
    }

    @Override
    public void undo(StrategyContext context, SecretValue pending, SecretValue current) {
        PostgresTarget target = PostgresTarget.of(context);
        String user = username(current);
        if (target.logsIn(user, password(pending))) {
            target.setPassword(user, password(pending), user, password(current));
        }
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
