output "lanyard_role_arn" {
  description = "Annotate Lanyard's ServiceAccount with it (eks.amazonaws.com/role-arn) in the environment's overlay."
  value       = module.lanyard.role_arn
}

output "kms_key_arn" {
  description = "The key that encrypts Lanyard's secrets."
  value       = module.key.key_arn
}

output "secret_arns" {
  description = "The rotated secrets, by name."
  value       = { for name, secret in module.secret : name => secret.secret_arn }
}

output "checkpoint_bucket" {
  description = "Set lanyard.audit.checkpoint-s3.bucket to it in the environment's overlay."
  value       = module.checkpoints.bucket
}
