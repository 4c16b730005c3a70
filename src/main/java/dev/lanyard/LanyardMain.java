package dev.lanyard;

import dev.lanyard.devstack.DevStack;
import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.annotations.QuarkusMain;

/**
 * Entry point. With {@code LANYARD_DEV_STACK=true} (what {@code scripts/run.sh} sets) it first starts the
 * embedded defaults, so Lanyard runs with nothing else installed; otherwise it starts on its configuration alone.
 */
@QuarkusMain
public final class LanyardMain {

    private LanyardMain() {}

    public static void main(String... args) {
        if (Boolean.parseBoolean(System.getenv("LANYARD_DEV_STACK"))) {
            DevStack stack = DevStack.start(java.nio.file.Path.of(".cache", "dev"));
            Runtime.getRuntime().addShutdownHook(new Thread(stack::close, "dev-stack-stop"));
            stack.configuration().forEach(System::setProperty);
            System.out.println(stack.greeting());
        }
        Quarkus.run(args);
    }
}
