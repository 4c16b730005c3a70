output "key_arn" {
  description = "ARN of the key that encrypts Lanyard's secrets."
  value       = aws_kms_key.secrets.arn
}

output "alias_name" {
  description = "The key's alias."
  value       = aws_kms_alias.secrets.name
}
