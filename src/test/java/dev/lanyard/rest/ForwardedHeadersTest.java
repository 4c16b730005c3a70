package dev.lanyard.rest;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ForwardedHeadersTest {

    @Test
    void forwardedAddressesAreBelievedOnlyFromNamedProxies() {
        assertThat(ForwardedHeaders.refusal(true, Optional.empty())).hasValueSatisfying(reason ->
                assertThat(reason).contains("trusted-proxies names no proxy"));
        assertThat(ForwardedHeaders.refusal(true, Optional.of(List.of(" ")))).isPresent();
        assertThat(ForwardedHeaders.refusal(true, Optional.of(List.of("10.0.0.0/8")))).isEmpty();
        assertThat(ForwardedHeaders.refusal(false, Optional.empty())).isEmpty();
    }
}
