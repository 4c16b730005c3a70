# Lanyard's AWS side for one environment: the KMS key, the role Lanyard assumes through IRSA, the Object Lock bucket
# its audit checkpoints are published to, the rotation functions of rotation-lambdas/ and the secrets they rotate. Run once per environment with its variable file:
#   tofu init -backend-config=environments/staging.s3.tfbackend
#   tofu plan -var-file=environments/staging.tfvars
locals {
  secret_prefix = "lanyard/${var.environment}/"
  secret_arns   = "arn:aws:secretsmanager:${var.region}:${var.account_id}:secret:${local.secret_prefix}*"
}

module "key" {
  source             = "./modules/kms-key"
  name               = "lanyard-${var.environment}"
  administrator_arns = var.key_administrator_arns
  user_arns          = concat([module.lanyard.role_arn], [for f in module.rotation : f.role_arn])
}

module "checkpoints" {
  source         = "./modules/audit-checkpoint-bucket"
  bucket         = "${var.checkpoint_bucket_prefix}-lanyard-${var.environment}-audit-checkpoints"
  retention_days = var.checkpoint_retention_days
}

module "lanyard" {
  source                 = "./modules/lanyard-irsa"
  name                   = "lanyard-${var.environment}"
  oidc_provider_arn      = var.oidc_provider_arn
  oidc_issuer_url        = var.oidc_issuer_url
  region                 = var.region
  kms_key_arn            = module.key.key_arn
  readable_secret_arns   = [local.secret_arns]
  rotated_secret_arns    = var.lanyard_rotates ? [local.secret_arns] : []
  assumable_role_arns    = var.assumable_role_arns
  checkpoint_bucket_arn  = module.checkpoints.bucket_arn
  checkpoint_objects_arn = module.checkpoints.objects_arn
}

# One function per rotation strategy (a module of rotation-lambdas/), serving all secrets of that strategy.
module "rotation" {
  source   = "./modules/rotation-function"
  for_each = var.rotation_functions

  name                       = "lanyard-${var.environment}-${each.key}"
  handler                    = each.value.handler
  package_path               = "${var.rotation_lambdas_dir}/${each.value.module}/target/${each.value.module}.zip"
  secret_name_prefix         = "${local.secret_prefix}${each.key}/"
  master_secret_arns         = each.value.master_secret_arns
  environment                = each.value.environment
  kms_key_arn                = module.key.key_arn
  vpc_id                     = var.vpc_id
  subnet_ids                 = var.private_subnet_ids
  database_security_group_id = var.database_security_group_id
  endpoint_security_group_id = var.secrets_manager_endpoint_security_group_id
}

module "secret" {
  source   = "./modules/rotated-secret"
  for_each = var.secrets

  name                  = "${local.secret_prefix}${each.value.rotation}/${each.key}"
  description           = each.value.description
  kms_key_arn           = module.key.key_arn
  rotation_function_arn = module.rotation[each.value.rotation].function_arn
  rotation_role_arn     = module.rotation[each.value.rotation].role_arn
  reader_role_arns      = [module.lanyard.role_arn]
  rotation_schedule     = each.value.schedule
}
