package dev.lanyard.it;

import io.quarkus.test.common.QuarkusTestResource;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * The real peers every {@code @QuarkusTest} of the service runs against, one test resource each, started in this order
 * on free loopback ports and stopped afterwards: PostgreSQL (migrated by its owner), OpenBao (the local {@code bao}, or
 * Testcontainers Vault with {@code LANYARD_VAULT_PEER=testcontainers}), and the callers, keys and policies. A class with
 * its own test profile ({@link OwnPeers}) gets a fresh set.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.TYPE)
@QuarkusTestResource(value = PostgresResource.class, restrictToAnnotatedClass = false)
@QuarkusTestResource(value = OpenBaoResource.class, restrictToAnnotatedClass = false)
@QuarkusTestResource(value = TestCallers.Resource.class, restrictToAnnotatedClass = false)
public @interface RealPeers {}
