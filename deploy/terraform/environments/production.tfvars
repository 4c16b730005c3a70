environment = "production"
account_id  = "222222222222"
region      = "eu-west-1"

checkpoint_bucket_prefix = "example-org"

key_administrator_arns = ["arn:aws:iam::222222222222:role/platform-admin"]
oidc_provider_arn      = "arn:aws:iam::222222222222:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/PRODUCTIONCLUSTERID"
oidc_issuer_url        = "https://oidc.eks.eu-west-1.amazonaws.com/id/PRODUCTIONCLUSTERID"

vpc_id                                     = "vpc-0123456789abcdef0"
private_subnet_ids                         = ["subnet-0123456789abcdef1", "subnet-0123456789abcdef2"]
database_security_group_id                 = "sg-0123456789abcdef3"
secrets_manager_endpoint_security_group_id = "sg-0123456789abcdef4"

rotation_functions = {
  postgres-single-user = {
    module  = "postgres-single-user"
    handler = "dev.lanyard.rotation.postgres.singleuser.PostgresSingleUserHandler::handleRequest"
  }
  postgres-alternating-users = {
    module             = "postgres-alternating-users"
    handler            = "dev.lanyard.rotation.postgres.alternating.PostgresAlternatingUsersHandler::handleRequest"
    master_secret_arns = ["arn:aws:secretsmanager:eu-west-1:222222222222:secret:lanyard/production/master/postgres-*"]
  }
}

secrets = {
  payments-db = {
    description = "Login of the payments service to its database"
    rotation    = "postgres-alternating-users"
    schedule    = "rate(30 days)"
  }
}
