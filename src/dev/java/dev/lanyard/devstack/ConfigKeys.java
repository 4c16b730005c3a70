package dev.lanyard.devstack;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.ConfigMappings;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * Prints every property name the service's {@code @ConfigMapping} roots accept, one per line, as SmallRye Config
 * spells them ({@code lanyard.vault.*.address}, {@code lanyard.policy.*.rules[*].paths}), for the document tests
 * (scripts/doc-tests.py), which hold every {@code lanyard.*} key a document shows to this list:
 * {@code ConfigKeys <classes directory>}.
 */
public final class ConfigKeys {

    private ConfigKeys() {}

    public static void main(String[] args) throws ClassNotFoundException {
        Path classes = Path.of(args.length > 0 ? args[0] : "target/classes");
        TreeSet<String> names = new TreeSet<>();
        for (String className : classNames(classes)) {
            Class<?> type = Class.forName(className, false, ConfigKeys.class.getClassLoader());
            ConfigMapping mapping = type.getAnnotation(ConfigMapping.class);
            if (type.isInterface() && mapping != null) {
                names.addAll(ConfigMappings.getProperties(new ConfigMappings.ConfigClass(type, mapping.prefix())).keySet());
            }
        }
        names.forEach(System.out::println);
    }

    private static List<String> classNames(Path classes) {
        try (Stream<Path> files = Files.walk(classes)) {
            return files.map(classes::relativize).map(Path::toString)
                    .filter(name -> name.endsWith(".class") && !name.contains("$$"))
                    .map(name -> name.substring(0, name.length() - ".class".length()).replace('/', '.'))
                    .sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
