package dev.lanyard.rest;

import jakarta.ws.rs.HttpMethod;
import jakarta.ws.rs.Path;
import java.lang.annotation.Annotation;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Which methods each API path takes, read from the JAX-RS annotations the REST layer routes by and the OpenAPI document
 * is generated from, so the three cannot disagree. {@link AccessFilters} answers a method a path does not take with 405
 * and an {@code Allow} header from here, whatever the method (RESTEasy's own 405 names no methods, and its answer to
 * {@code OPTIONS} lists every method of the resource class, whatever the path).
 *
 * <p>{@code HEAD} is taken wherever {@code GET} is (the REST layer answers it as a {@code GET} without a body);
 * {@code OPTIONS} is taken nowhere.
 */
final class DeclaredRoutes {

    /** A template variable, {@code {name}} or {@code {name: regex}}; declared first, as the table below is built from it. */
    private static final Pattern VARIABLE = Pattern.compile("\\{\\s*(\\w[\\w.-]*)\\s*(?::\\s*((?:[^{}]|\\{[^{}]*})*))?}");

    /** The resources the REST layer serves; DeclaredRoutesTest checks that no class with {@code @Path} is missing. */
    static final List<Class<?>> RESOURCES = List.of(SecretResource.class, TokenResource.class, RotationResource.class,
            AuditResource.class);

    static final DeclaredRoutes API = of(RESOURCES);

    private record Route(String template, Pattern pattern, Set<String> methods) {}

    private final List<Route> routes;

    private DeclaredRoutes(List<Route> routes) {
        this.routes = routes;
    }

    static DeclaredRoutes of(List<Class<?>> resources) {
        Map<String, Set<String>> methods = new LinkedHashMap<>();
        for (Class<?> resource : resources) {
            Path root = resource.getAnnotation(Path.class);
            if (root == null) {
                throw new IllegalArgumentException(resource.getSimpleName() + " has no @Path");
            }
            for (Method method : resource.getMethods()) {
                String verb = verb(method);
                if (verb == null) {
                    continue;
                }
                Path sub = method.getAnnotation(Path.class);
                String template = join(root.value(), sub == null ? "" : sub.value());
                methods.computeIfAbsent(template, t -> new TreeSet<>()).add(verb);
            }
        }
        List<Route> routes = new ArrayList<>();
        methods.forEach((template, verbs) -> {
            Set<String> served = new TreeSet<>(verbs);
            if (served.contains(HttpMethod.GET)) {
                served.add(HttpMethod.HEAD);
            }
            routes.add(new Route(template, compile(template), Collections.unmodifiableSet(served)));
        });
        return new DeclaredRoutes(List.copyOf(routes));
    }

    /** The methods this path takes; empty when no declared route has this path. */
    Set<String> methods(String path) {
        Set<String> taken = new TreeSet<>();
        for (Route route : routes) {
            if (route.pattern().matcher(path).matches()) {
                taken.addAll(route.methods());
            }
        }
        return taken;
    }

    /** Every route as the document spells it ({@code /v1/secrets/{backend}/{path}}) with the methods it takes. */
    Map<String, Set<String>> routes() {
        Map<String, Set<String>> all = new LinkedHashMap<>();
        routes.forEach(route -> all.put(VARIABLE.matcher(route.template()).replaceAll("{$1}"), route.methods()));
        return all;
    }

    /** The {@code Allow} header for these methods, in a stable order. */
    static String allow(Set<String> methods) {
        return String.join(", ", new TreeSet<>(methods));
    }

    private static String verb(Method method) {
        for (Annotation annotation : method.getAnnotations()) {
            HttpMethod verb = annotation.annotationType().getAnnotation(HttpMethod.class);
            if (verb != null) {
                return verb.value();
            }
        }
        return null;
    }

    private static String join(String root, String sub) {
        String joined = ("/" + root + "/" + sub).replaceAll("/+", "/");
        return joined.length() > 1 && joined.endsWith("/") ? joined.substring(0, joined.length() - 1) : joined;
    }

    /** A JAX-RS template as a regular expression: {@code {name}} is one segment, {@code {name: regex}} its regex. */
    private static Pattern compile(String template) {
        StringBuilder regex = new StringBuilder();
        Matcher variable = VARIABLE.matcher(template);
        int end = 0;
        while (variable.find()) {
            regex.append(Pattern.quote(template.substring(end, variable.start())));
            regex.append('(').append(variable.group(2) == null ? "[^/]+" : variable.group(2).strip()).append(')');
            end = variable.end();
        }
        regex.append(Pattern.quote(template.substring(end)));
        return Pattern.compile(regex.toString());
    }
}
