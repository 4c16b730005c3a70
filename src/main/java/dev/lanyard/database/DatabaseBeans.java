package dev.lanyard.database;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import org.eclipse.microprofile.config.Config;

/** Reads TLS to Lanyard's own PostgreSQL once, and says which mode is in force ({@code lanyard_database_tls}). */
class DatabaseBeans {

    @Produces
    @Singleton
    PostgresTls postgresTls(Config config, MeterRegistry meters) {
        PostgresTls tls = PostgresTls.from(config);
        Gauge.builder("lanyard.database.tls", () -> tls.verified() ? 1 : 0)
                .description("1 when every connection to Lanyard's own PostgreSQL runs verified TLS (the mode is the label), 0 for plain text")
                .tag("mode", tls.mode().value())
                .register(meters);
        return tls;
    }
}
