package dev.lanyard.backend.vault;

import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import java.io.IOException;
import java.net.Authenticator;
import java.net.CookieHandler;
import java.net.ProxySelector;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;

/**
 * The Vault driver's HTTP client, sending the current trace context on as W3C {@code traceparent}: the driver has no
 * hook for headers, so every request it builds is copied with the header added. The context is the backend call's
 * span (BlockingCalls carries it to the virtual thread the driver runs on); with tracing off there is none and the
 * request goes unchanged.
 */
final class TraceContextHttpClient extends HttpClient {

    private final HttpClient delegate;

    TraceContextHttpClient(HttpClient delegate) {
        this.delegate = delegate;
    }

    private static HttpRequest withTraceContext(HttpRequest request) {
        HttpRequest.Builder copy = HttpRequest.newBuilder(request, (name, value) -> true);
        W3CTraceContextPropagator.getInstance().inject(Context.current(), copy, (builder, key, value) -> builder.setHeader(key, value));
        return copy.build();
    }

    @Override
    public <T> HttpResponse<T> send(HttpRequest request, HttpResponse.BodyHandler<T> handler) throws IOException, InterruptedException {
        return delegate.send(withTraceContext(request), handler);
    }

    @Override
    public <T> CompletableFuture<HttpResponse<T>> sendAsync(HttpRequest request, HttpResponse.BodyHandler<T> handler) {
        return delegate.sendAsync(withTraceContext(request), handler);
    }

    @Override
    public <T> CompletableFuture<HttpResponse<T>> sendAsync(HttpRequest request, HttpResponse.BodyHandler<T> handler,
                                                            HttpResponse.PushPromiseHandler<T> pushes) {
        return delegate.sendAsync(withTraceContext(request), handler, pushes);
    }

    @Override
    public Optional<CookieHandler> cookieHandler() {
        return delegate.cookieHandler();
    }

    @Override
    public Optional<Duration> connectTimeout() {
        return delegate.connectTimeout();
    }

    @Override
    public Redirect followRedirects() {
        return delegate.followRedirects();
    }

    @Override
    public Optional<ProxySelector> proxy() {
        return delegate.proxy();
    }

    @Override
    public SSLContext sslContext() {
        return delegate.sslContext();
    }

    @Override
    public SSLParameters sslParameters() {
        return delegate.sslParameters();
    }

    @Override
    public Optional<Authenticator> authenticator() {
        return delegate.authenticator();
    }

    @Override
    public Version version() {
        return delegate.version();
    }

    @Override
    public Optional<Executor> executor() {
        return delegate.executor();
    }
}
