package dev.lanyard.rotation.testing;

import static dev.lanyard.rotation.testing.RotationService.event;

import dev.lanyard.rotation.protocol.SecretJson;
import dev.lanyard.rotation.protocol.Step;
import dev.lanyard.rotation.testing.PackagedFunction.Invocation;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;

/**
 * The cold-start benchmark behind {@code bench/lambda-cold-start.sh}: how long each function's first invocation
 * takes in a fresh JVM, against moto and a real PostgreSQL started here, beside the same step's second
 * invocation in that JVM and a bare JVM start, all in one run.
 *
 * <p>Each run of a function starts two rotations (secrets A and B) and two fresh JVMs: one gets createSecret for A
 * then for B, the other setSecret for A then for B. The first event of a JVM is the cold invocation (for the
 * PostgreSQL functions, setSecret is the first to load the JDBC driver and log in), the second the warm one. Each
 * run measures Lambda's default JVM settings and C1 only, one after the other. Figures are printed only when
 * every JVM exited 0 and the state shows the steps happened (both pending versions have a value; for PostgreSQL,
 * both pending passwords log in); otherwise the failed checks are listed and the exit status is 1. Arguments:
 * runs, then {@code zip=handlerClass=kind} per function, kind being {@code single}, {@code alternating} or
 * {@code random}.
 */
public final class ColdStartBench {
    private final MotoServer moto;
    private final PostgresServer postgres;
    private final RotationService rotations;
    private final List<String> failures = new ArrayList<>();

    private ColdStartBench(MotoServer moto, PostgresServer postgres) {
        this.moto = moto;
        this.postgres = postgres;
        this.rotations = new RotationService(moto);
    }

    public static void main(String[] args) {
        int runs = Integer.parseInt(args[0]);
        Path work = Path.of(System.getProperty("bench.work", "target/bench"));
        try (MotoServer moto = MotoServer.start(work); PostgresServer postgres = PostgresServer.start()) {
            ColdStartBench bench = new ColdStartBench(moto, postgres);
            List<String> rows = new ArrayList<>();
            for (int i = 1; i < args.length; i++) {
                String[] spec = args[i].split("=");
                PackagedFunction function = PackagedFunction.unpack(Path.of(spec[0]), spec[1], work);
                String name = spec[1].substring(spec[1].lastIndexOf('.') + 1);
                rows.addAll(bench.measure(function, name, spec[2], runs));
            }
            if (!bench.failures.isEmpty()) {
                bench.failures.forEach(failure -> System.err.println("bench: check failed: " + failure));
                System.exit(1);
            }
            System.out.printf(Locale.ROOT, "%-46s %-7s %8s %8s %8s %8s %8s %9s %8s%n", "handler, step (median of " + runs + ", ms)",
                    "JVM", "bare JVM", "init", "1st call", "2nd call", "JVM wall", "wall/bare", "1st/2nd");
            rows.forEach(System.out::println);
        }
    }

    /**
     * The JVM settings each function is measured with: Lambda's defaults, and C1 only, which AWS suggests for
     * short-lived functions (set as JAVA_TOOL_OPTIONS in the function's environment).
     */
    private static final Map<String, String> VARIANTS = new LinkedHashMap<>();

    static {
        VARIANTS.put("default", "");
        VARIANTS.put("C1", "-XX:+TieredCompilation -XX:TieredStopAtLevel=1");
    }

    /** One handler: in each run, one sample per JVM setting, alternating, so load changes hit both alike. */
    private List<String> measure(PackagedFunction function, String name, String kind, int runs) {
        Map<String, Samples> samples = new LinkedHashMap<>();
        VARIANTS.keySet().forEach(variant -> samples.put(variant, new Samples()));
        for (int run = 0; run < runs; run++) {
            for (Map.Entry<String, String> variant : VARIANTS.entrySet()) {
                sample(function, name, kind, variant.getValue(), samples.get(variant.getKey()));
            }
        }
        String step = kind.equals("random") ? "createSecret" : "setSecret";
        return samples.entrySet().stream().map(entry -> entry.getValue().row(name + ", " + step, entry.getKey())).toList();
    }

    private void sample(PackagedFunction function, String name, String kind, String javaOptions, Samples samples) {
        Map<String, String> environment = new HashMap<>(moto.functionEnvironment());
        if (!javaOptions.isEmpty()) {
            environment.put("JAVA_TOOL_OPTIONS", javaOptions);
        }
        samples.bare.add(function.bareJvmMs(environment));
        Rotation a = start(kind);
        Rotation b = start(kind);
        Invocation create = function.invoke(environment,
                event(Step.CREATE_SECRET, a.arn, a.token), event(Step.CREATE_SECRET, b.arn, b.token));
        check(create, name + " createSecret");
        check(hasValue(a) && hasValue(b), name + ": createSecret left a pending version without a value");
        Invocation set = function.invoke(environment,
                event(Step.SET_SECRET, a.arn, a.token), event(Step.SET_SECRET, b.arn, b.token));
        check(set, name + " setSecret");
        check(logsIn(kind, a) && logsIn(kind, b), name + ": a pending password does not log in after setSecret");
        Invocation measured = kind.equals("random") ? create : set;
        String step = kind.equals("random") ? "createSecret" : "setSecret";
        samples.init.add(measured.millis("init").orElse(Double.NaN));
        List<Double> steps = measured.timings().stream().filter(t -> step.equals(t.get("phase")))
                .map(t -> ((Number) t.get("ms")).doubleValue()).toList();
        samples.first.add(steps.isEmpty() ? Double.NaN : steps.get(0));
        samples.second.add(steps.size() < 2 ? Double.NaN : steps.get(1));
        samples.wall.add(measured.wallMs());
    }

    private static final class Samples {
        final List<Double> bare = new ArrayList<>();
        final List<Double> init = new ArrayList<>();
        final List<Double> first = new ArrayList<>();
        final List<Double> second = new ArrayList<>();
        final List<Double> wall = new ArrayList<>();

        String row(String label, String variant) {
            double bareMs = median(bare);
            return String.format(Locale.ROOT, "%-46s %-7s %8.0f %8.0f %8.0f %8.0f %8.0f %9.2f %8.1f", label, variant,
                    bareMs, median(init), median(first), median(second), median(wall), median(wall) / bareMs,
                    median(first) / median(second));
        }
    }

    private record Rotation(String arn, String token) {
    }

    private Rotation start(String kind) {
        String password = "initial-" + UUID.randomUUID();
        String secret;
        String username = PostgresServer.uniqueRole("bench");
        switch (kind) {
            case "single" -> {
                postgres.execute("CREATE ROLE " + username + " LOGIN PASSWORD '" + password + "'");
                secret = SecretJson.write(postgres.credential(username, password, Map.of()));
            }
            case "alternating" -> {
                String master = PostgresServer.uniqueRole("master");
                postgres.execute("CREATE ROLE " + master + " LOGIN CREATEROLE PASSWORD '" + password + "'",
                        "SET ROLE " + master, "CREATE ROLE " + username + " LOGIN PASSWORD '" + password + "'", "RESET ROLE");
                String masterArn = rotations.createSecret("bench-master", SecretJson.write(postgres.credential(master, password, Map.of())));
                secret = SecretJson.write(postgres.credential(username, password, Map.of("masterarn", masterArn)));
            }
            case "random" -> secret = "initial-value";
            default -> throw new IllegalArgumentException("unknown kind " + kind);
        }
        String arn = rotations.createSecret("bench-" + kind, secret);
        return new Rotation(arn, rotations.start(arn));
    }

    private boolean hasValue(Rotation rotation) {
        try {
            return !rotations.valueOf(rotation.arn, rotation.token).isEmpty();
        } catch (RuntimeException e) {
            return false;
        }
    }

    private boolean logsIn(String kind, Rotation rotation) {
        if (kind.equals("random")) {
            return true;
        }
        Map<String, Object> pending = SecretJson.parseObject(rotations.valueOf(rotation.arn, rotation.token));
        return postgres.canLogIn((String) pending.get("username"), (String) pending.get("password"));
    }

    private void check(Invocation invocation, String what) {
        check(invocation.exitStatus() == 0, what + " exited " + invocation.exitStatus() + ": " + invocation.stderr());
    }

    private void check(boolean condition, String failure) {
        if (!condition) {
            failures.add(failure);
        }
    }

    private static double median(List<Double> values) {
        List<Double> sorted = values.stream().sorted().toList();
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }
}
