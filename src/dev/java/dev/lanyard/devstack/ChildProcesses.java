package dev.lanyard.devstack;

import java.util.concurrent.TimeUnit;

/** What the dev stack's peer processes (OpenBao, moto) share: how they are stopped. */
final class ChildProcesses {

    private ChildProcesses() {}

    /** SIGTERM, then SIGKILL if it has not exited within 10 s; idempotent. */
    static void stop(Process process) {
        if (process.isAlive()) {
            process.destroy();
            try {
                if (!process.waitFor(10, TimeUnit.SECONDS)) {
                    process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
