package dev.lanyard.vaultapi;

import io.quarkus.test.common.QuarkusTestResource;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * The Vault-compatible API's tests share the one Lanyard, OpenBao and PostgreSQL of {@code @RealPeers}: this adds the
 * API's mounts and the clients' callers to it ({@link VaultClients.Resource}), for every test of that application.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.TYPE)
@QuarkusTestResource(value = VaultClients.Resource.class, restrictToAnnotatedClass = false)
public @interface VaultSurface {}
