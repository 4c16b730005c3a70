package dev.lanyard.it;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a test field the real-peer test resources fill: {@link dev.lanyard.devstack.EmbeddedDatabase} and
 * {@link AuditRows} from {@link PostgresResource}, a {@link VaultPeer} from {@link OpenBaoResource} (the value names
 * which: {@code openbao}, the default, or {@code doomed}, the one tests may stop), {@link TestCallers} from
 * {@link TestCallers.Resource}.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.FIELD)
public @interface InjectPeer {
    String value() default "openbao";
}
