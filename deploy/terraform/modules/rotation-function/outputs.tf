output "function_arn" {
  description = "ARN of the rotation function, for ../rotated-secret."
  value       = aws_lambda_function.function.arn
}

output "role_arn" {
  description = "ARN of the function's role, for the KMS key policy."
  value       = aws_iam_role.function.arn
}

output "security_group_id" {
  description = "Security group of the function."
  value       = aws_security_group.function.id
}
