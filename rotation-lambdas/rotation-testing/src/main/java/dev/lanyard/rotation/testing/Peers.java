package dev.lanyard.rotation.testing;

import java.nio.file.Path;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Gives tests the real peers as parameters ({@link MotoServer}, {@link PostgresServer}, {@link RotationService}):
 * each is started once per test JVM, on first use, and stopped when the run ends.
 */
public final class Peers implements ParameterResolver {
    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(Peers.class);

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        Class<?> type = parameter.getParameter().getType();
        return type == MotoServer.class || type == PostgresServer.class || type == RotationService.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        Class<?> type = parameter.getParameter().getType();
        if (type == PostgresServer.class) {
            return postgres(context);
        }
        if (type == RotationService.class) {
            return store(context).getOrComputeIfAbsent(RotationService.class, key -> new RotationService(moto(context)),
                    RotationService.class);
        }
        return moto(context);
    }

    private static MotoServer moto(ExtensionContext context) {
        return store(context).getOrComputeIfAbsent(MotoServer.class,
                key -> MotoServer.start(Path.of("target", "peers")), MotoServer.class);
    }

    private static PostgresServer postgres(ExtensionContext context) {
        return store(context).getOrComputeIfAbsent(PostgresServer.class, key -> PostgresServer.start(), PostgresServer.class);
    }

    // The root store closes what it holds (both servers are AutoCloseable) when the whole run is over.
    private static ExtensionContext.Store store(ExtensionContext context) {
        return context.getRoot().getStore(NAMESPACE);
    }
}
