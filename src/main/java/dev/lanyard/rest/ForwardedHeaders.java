package dev.lanyard.rest;

import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import java.util.List;
import java.util.Optional;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * Behind an ingress every client arrives from the proxy's address, so the per-address budget of unverified refusals and
 * every audit row's client address would name the proxy. Quarkus can take the client's address from
 * {@code X-Forwarded-For} / {@code Forwarded} ({@code quarkus.http.proxy.*}) — but believing those headers from anyone
 * lets any client choose its own address, and with it a fresh budget per request. So forwarding is refused at
 * start-up unless the proxies allowed to speak for clients are named ({@code quarkus.http.proxy.trusted-proxies}).
 */
@Singleton
class ForwardedHeaders {

    void check(@Observes StartupEvent started,
               @ConfigProperty(name = "quarkus.http.proxy.proxy-address-forwarding", defaultValue = "false") boolean forwarding,
               @ConfigProperty(name = "quarkus.http.proxy.trusted-proxies") Optional<List<String>> trusted) {
        refusal(forwarding, trusted).ifPresent(reason -> {
            throw new IllegalStateException(reason);
        });
    }

    static Optional<String> refusal(boolean forwarding, Optional<List<String>> trusted) {
        boolean named = trusted.filter(list -> list.stream().anyMatch(proxy -> !proxy.isBlank())).isPresent();
        return forwarding && !named
                ? Optional.of("quarkus.http.proxy.proxy-address-forwarding is on but quarkus.http.proxy.trusted-proxies names"
                        + " no proxy: any client could choose the address its refusals are counted and recorded under."
                        + " Name the ingress's addresses (CIDRs allowed), or turn forwarding off")
                : Optional.empty();
    }
}
