// Writes one secret into a Lanyard local store with Lanyard's own code, so the container check can fetch it
// through the image. Run with the packaged application on the class path:
//   java -cp 'target/quarkus-app/app/*:target/quarkus-app/lib/boot/*:target/quarkus-app/lib/main/*' scripts/seed-local-store.java \
//     <store-dir> file:<key-file> <path> <field>=<value>...
import dev.lanyard.backend.local.LocalSecretBackend;
import dev.lanyard.secret.SecretPath;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

class SeedLocalStore {
    public static void main(String[] args) {
        Map<String, String> fields = new LinkedHashMap<>();
        for (int i = 3; i < args.length; i++) {
            int eq = args[i].indexOf('=');
            fields.put(args[i].substring(0, eq), args[i].substring(eq + 1));
        }
        try (LocalSecretBackend store = LocalSecretBackend.open("local", Path.of(args[0]), args[1])) {
            String version = store.write(SecretPath.of(args[2]), fields).await().indefinitely();
            System.out.println("seeded " + args[2] + " version " + version);
        }
    }
}
