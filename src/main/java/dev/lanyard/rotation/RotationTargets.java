package dev.lanyard.rotation;

import io.quarkus.runtime.Startup;
import jakarta.inject.Singleton;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * The database servers an operator declared for rotation ({@code lanyard.rotation.targets}), checked once at start-up:
 * every problem is reported together and Lanyard does not start with any. A schedule names one of them; nothing a
 * caller sends can add a host, a port, a TLS setting or a connection property.
 */
@Singleton
@Startup // a declaration that cannot be used stops the start, not the first rotation
class RotationTargets {

    /** The parameter by which a PostgreSQL strategy names its target. */
    static final String PARAMETER = "target";
    /** The parameter that named a host before targets were declared; refused on new schedules, failed on old ones. */
    static final String REPLACED = "jdbc_url";

    private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9-]{0,62}");
    private static final Pattern HOST = Pattern.compile("[A-Za-z0-9][A-Za-z0-9.-]{0,252}");
    private static final Pattern IPV6 = Pattern.compile("[0-9A-Fa-f:.]{2,45}");
    private static final Pattern DATABASE = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_$.-]{0,62}");
    private static final Pattern LOOPBACK_V4 = Pattern.compile("127(\\.(25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])){3}");

    /** How Lanyard's connections to a target are secured. */
    enum SslMode {
        DISABLE("disable"), REQUIRE("require"), VERIFY_CA("verify-ca"), VERIFY_FULL("verify-full");

        private final String spelling;

        SslMode(String spelling) {
            this.spelling = spelling;
        }

        String spelling() {
            return spelling;
        }

        static Optional<SslMode> of(String text) {
            for (SslMode mode : values()) {
                if (mode.spelling.equals(text)) {
                    return Optional.of(mode);
                }
            }
            return Optional.empty();
        }
    }

    /** One declared server, as connections to it are made. */
    record Declared(String name, String host, int port, String database, SslMode sslMode, Optional<Path> rootCert,
                    boolean channelBindingRequired) {

        String url() {
            String literal = host.contains(":") ? "[" + host + "]" : host;
            return "jdbc:postgresql://" + literal + ":" + port + "/" + database;
        }
    }

    private final Map<String, Declared> byName = new TreeMap<>();

    RotationTargets(RotationConfig config) {
        List<String> problems = new ArrayList<>();
        config.targets().forEach((name, target) -> declare(name, target, problems));
        if (!problems.isEmpty()) {
            throw new IllegalStateException("lanyard.rotation.targets cannot be used: " + String.join("; ", problems));
        }
    }

    private void declare(String name, RotationConfig.Target target, List<String> problems) {
        String key = "lanyard.rotation.targets.\"" + name + "\"";
        int before = problems.size();
        if (!NAME.matcher(name).matches()) {
            problems.add(key + ": a target's name is 1 to 63 of [a-z0-9-], starting with a letter or digit");
        }
        String host = target.host();
        boolean ipv6 = host.contains(":");
        if (!(ipv6 ? IPV6.matcher(host).matches() : HOST.matcher(host).matches())) {
            problems.add(key + ".host is a host name or an IP address (no brackets, no port)");
        }
        if (target.port() < 1 || target.port() > 65535) {
            problems.add(key + ".port is from 1 to 65535");
        }
        if (!DATABASE.matcher(target.database()).matches()) {
            problems.add(key + ".database is 1 to 63 of [A-Za-z0-9_$.-]");
        }
        Optional<SslMode> mode = SslMode.of(target.sslMode());
        if (mode.isEmpty()) {
            problems.add(key + ".ssl-mode is verify-full, verify-ca, require or disable (prefer and allow fall back to "
                    + "plaintext and are not offered)");
        }
        boolean channelBindingRequired = switch (target.channelBinding()) {
            case "require" -> true;
            case "prefer" -> false;
            default -> {
                problems.add(key + ".channel-binding is prefer or require");
                yield false;
            }
        };
        if (mode.filter(SslMode.DISABLE::equals).isPresent() && !loopback(host)) {
            problems.add(key + ".ssl-mode=disable is accepted only for a loopback host (a sidecar proxy): over a network "
                    + "a password would travel in the clear to whoever answers");
        }
        if (mode.filter(SslMode.DISABLE::equals).isPresent() && channelBindingRequired) {
            problems.add(key + ".channel-binding=require needs TLS: it cannot go with ssl-mode=disable");
        }
        if (mode.filter(SslMode.REQUIRE::equals).isPresent() && !channelBindingRequired) {
            problems.add(key + ".ssl-mode=require does not verify the server, so it is accepted only with "
                    + "channel-binding=require (SCRAM bound to the TLS channel: no password reaches an impostor)");
        }
        target.sslRootCert().ifPresent(file -> {
            if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
                problems.add(key + ".ssl-root-cert is not a readable file: " + file);
            }
        });
        if (problems.size() == before) {
            byName.put(name, new Declared(name, host, target.port(), target.database(), mode.orElseThrow(),
                    target.sslRootCert().map(Path::toAbsolutePath), channelBindingRequired));
        }
    }

    /** Loopback by its literal spelling only: a name that resolves elsewhere later must not pass. */
    private static boolean loopback(String host) {
        return host.equals("localhost") || host.equals("::1") || host.equals("0:0:0:0:0:0:0:1")
                || LOOPBACK_V4.matcher(host).matches();
    }

    /** The target name the parameters give, as recorded on the schedule's row and in audit events; unchecked. */
    static Optional<String> named(Map<String, Object> parameters) {
        return parameters.get(PARAMETER) instanceof String name && NAME.matcher(name).matches() ? Optional.of(name)
                : Optional.empty();
    }

    Optional<Declared> find(String name) {
        return Optional.ofNullable(byName.get(name));
    }

    /**
     * The target a schedule's parameters name, checked as the schedule is stored.
     *
     * @throws InvalidRotationException {@code INVALID_STRATEGY} when they name a URL or no declared target
     */
    Declared forSchedule(Map<String, Object> parameters) {
        if (parameters.containsKey(REPLACED)) {
            throw InvalidRotationException.invalidStrategy("parameter 'jdbc_url' is no longer accepted: name the server "
                    + "with 'target', one an operator declared under lanyard.rotation.targets (docs/rotation.md)");
        }
        String name = Parameters.text(parameters, PARAMETER, null);
        return find(name).orElseThrow(() -> InvalidRotationException.invalidStrategy(
                "parameter 'target' names no rotation target an operator declared (lanyard.rotation.targets)"));
    }

    /**
     * The target a run's parameters name, as the run is about to use it: a schedule stored before targets existed
     * ({@code jdbc_url}), or naming a target since removed, fails before anything is touched.
     *
     * @throws StepFailure {@code TARGET_NOT_DECLARED}
     */
    Declared forRun(Map<String, Object> parameters) {
        if (parameters.containsKey(REPLACED)) {
            throw new StepFailure(StepCode.TARGET_NOT_DECLARED,
                    "the schedule names a jdbc_url, which is no longer used: update it to name a declared target");
        }
        Object name = parameters.get(PARAMETER);
        if (!(name instanceof String text) || !byName.containsKey(text)) {
            throw new StepFailure(StepCode.TARGET_NOT_DECLARED, "the schedule's target is not declared on this replica");
        }
        return byName.get(text);
    }
}
