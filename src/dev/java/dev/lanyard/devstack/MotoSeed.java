package dev.lanyard.devstack;

import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.iam.IamClient;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerClient;

/** The dev stack's AWS demo in moto: a secret with two versions and an IAM role to assume. */
final class MotoSeed {

    static final String SECRET = "demo/hello";
    static final String ROLE = "demo";

    private MotoSeed() {}

    /** @return the role's ARN */
    static String seed(MotoServer moto) {
        var credentials = StaticCredentialsProvider.create(AwsBasicCredentials.create("dev-stack", "dev-stack"));
        try (SdkHttpClient http = UrlConnectionHttpClient.create();
             SecretsManagerClient secrets = SecretsManagerClient.builder().httpClient(http).region(Region.of(MotoServer.REGION))
                     .endpointOverride(moto.endpoint()).credentialsProvider(credentials).build();
             IamClient iam = IamClient.builder().httpClient(http).region(Region.AWS_GLOBAL)
                     .endpointOverride(moto.endpoint()).credentialsProvider(credentials).build()) {
            secrets.createSecret(r -> r.name(SECRET).secretString("{\"greeting\": \"hello from AWS, first version\"}"));
            secrets.putSecretValue(r -> r.secretId(SECRET).secretString("{\"greeting\": \"hello from AWS\"}"));
            return iam.createRole(r -> r.roleName(ROLE).assumeRolePolicyDocument("""
                    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
                      "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": ["sts:AssumeRole", "sts:TagSession"]}]}""")).role().arn();
        }
    }
}
