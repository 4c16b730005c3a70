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

    LanyardMain() {}

    public static void main(String... args) {
        if (Boolean.parseBoolean(System.getenv("LANYARD_DEV_STACK"))) {
            DevStack stack = DevStack.start(java.nio.file.Path.of(".cache", "dev"));
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                // Let Lanyard finish its own shutdown (the final audit checkpoint needs the database) first.
                awaitQuarkusShutdown();
                stack.close();
            }, "dev-stack-stop"));
            stack.configuration().forEach(System::setProperty);
            System.out.println(stack.greeting());
        }
        Quarkus.run(args);
    }

    private static void awaitQuarkusShutdown() {
        io.quarkus.runtime.Application application = io.quarkus.runtime.Application.currentApplication();
        if (application == null) {
            return;
        }
        Thread waiter = new Thread(application::awaitShutdown, "await-quarkus-shutdown");
        waiter.setDaemon(true);
        waiter.start();
        try {
            waiter.join(30_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
