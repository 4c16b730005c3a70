package dev.lanyard.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;

/**
 * One cached KV v2 read two ways, against the same Lanyard, interleaved so both see the same machine: through the
 * native route ({@code GET /v1/secrets/openbao/secret/demo/hello}, which rest/FetchRoutes serves) and through the
 * Vault-compatible API ({@code GET /vault/v1/secret/data/demo/hello} with {@code X-Vault-Token}). Both answer from the
 * broker's cache and write one audit row; what differs is the surface. Prints p50 and p90 of each and their ratio.
 * Sequential, one connection each: latency, not throughput.
 *
 * <p>Arguments: the dev stack's stack.json, the number of reads of each kind, the warm-up reads of each kind.
 */
public final class VaultReadLatency {

    private VaultReadLatency() {}

    public static void main(String[] args) throws Exception {
        JsonNode stack = new ObjectMapper().readTree(Files.readString(Path.of(args[0])));
        int reads = Integer.parseInt(args[1]);
        int warmup = Integer.parseInt(args[2]);
        String base = stack.path("lanyard_url").asText();
        String token = Files.readString(Path.of(stack.path("demo_token_file").asText())).strip();
        HttpRequest nativeRead = HttpRequest.newBuilder(URI.create(base + "/v1/secrets/openbao/secret/demo/hello"))
                .header("Authorization", "Bearer " + token).GET().build();
        HttpRequest vaultRead = HttpRequest.newBuilder(URI.create(base + "/vault/v1/secret/data/demo/hello"))
                .header("X-Vault-Token", token).GET().build();
        try (HttpClient nativeClient = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
             HttpClient vaultClient = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()) {
            long[] viaNative = new long[reads];
            long[] viaVault = new long[reads];
            for (int i = -warmup; i < reads; i++) {
                // Alternate which goes first, so neither always meets the other's leftovers (a commit in flight).
                boolean nativeFirst = (i & 1) == 0;
                long a = time(nativeFirst ? nativeClient : vaultClient, nativeFirst ? nativeRead : vaultRead);
                long b = time(nativeFirst ? vaultClient : nativeClient, nativeFirst ? vaultRead : nativeRead);
                if (i >= 0) {
                    viaNative[i] = nativeFirst ? a : b;
                    viaVault[i] = nativeFirst ? b : a;
                }
            }
            Arrays.sort(viaNative);
            Arrays.sort(viaVault);
            double nativeP50 = millis(viaNative[reads / 2]);
            double vaultP50 = millis(viaVault[reads / 2]);
            System.out.printf(Locale.ROOT, "cached KV reads of each: %d (after %d warm-up), interleaved%n", reads, warmup);
            System.out.printf(Locale.ROOT, "native   GET /v1/secrets/openbao/secret/demo/hello   p50 %.2f ms  p90 %.2f ms%n",
                    nativeP50, millis(viaNative[reads * 9 / 10]));
            System.out.printf(Locale.ROOT, "vault    GET /vault/v1/secret/data/demo/hello       p50 %.2f ms  p90 %.2f ms%n",
                    vaultP50, millis(viaVault[reads * 9 / 10]));
            System.out.printf(Locale.ROOT, "ratio of p50s (Vault-compatible / native): %.2f%n", vaultP50 / nativeP50);
        } catch (IOException e) {
            throw new IllegalStateException("the benchmark could not reach Lanyard", e);
        }
    }

    private static long time(HttpClient client, HttpRequest request) throws IOException, InterruptedException {
        long start = System.nanoTime();
        HttpResponse<String> answer = client.send(request, HttpResponse.BodyHandlers.ofString());
        long nanos = System.nanoTime() - start;
        if (answer.statusCode() != 200 || !answer.body().contains("greeting")) {
            throw new IllegalStateException(request.uri().getPath() + " answered " + answer.statusCode());
        }
        return nanos;
    }

    private static double millis(long nanos) {
        return nanos / 1_000_000.0;
    }
}
