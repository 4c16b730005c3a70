package dev.lanyard.rotation;

import dev.lanyard.secret.SecretValue;
import jakarta.inject.Singleton;
import java.security.SecureRandom;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * A random password or API key under a {@link PasswordPolicy}, in one field of the secret ({@code field}, default
 * {@code password}); the secret's other fields are kept. Nothing outside Lanyard learns it, so the test step checks
 * only that what was stored is what the policy makes.
 */
@Singleton
class RandomValueStrategy implements RotationStrategy {

    private static final Set<String> PARAMETERS = parameters();

    private final SecureRandom random = new SecureRandom();

    private static Set<String> parameters() {
        Set<String> all = new HashSet<>(PasswordPolicy.PARAMETERS);
        all.add("field");
        return Set.copyOf(all);
    }

    @Override
    public String name() {
        return "random";
    }

    @Override
    public void validate(Map<String, Object> parameters) {
        Parameters.only(parameters, PARAMETERS);
        PasswordPolicy.from(parameters, 32);
        if (!Parameters.text(parameters, "field", "password").matches("[A-Za-z0-9_.-]{1,64}")) {
            throw InvalidRotationException.invalidStrategy("parameter 'field' is 1 to 64 of [A-Za-z0-9_.-]");
        }
    }

    @Override
    public SecretValue generate(StrategyContext context, SecretValue current) {
        PasswordPolicy policy = PasswordPolicy.from(context.parameters(), 32);
        Map<String, String> fields = new LinkedHashMap<>(current.reveal());
        fields.put(field(context), new String(policy.generate(random)));
        return SecretValue.ofStrings(fields);
    }

    @Override
    public void test(StrategyContext context, SecretValue pending) {
        String value = pending.field(field(context))
                .orElseThrow(() -> new StepFailure(StepCode.PENDING_VALUE_INVALID, "the pending version lacks its field"));
        if (!PasswordPolicy.from(context.parameters(), 32).admits(value)) {
            throw new StepFailure(StepCode.PENDING_VALUE_INVALID, "the pending value does not meet the policy");
        }
    }

    private static String field(StrategyContext context) {
        return Parameters.text(context.parameters(), "field", "password");
    }
}
