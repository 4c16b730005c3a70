output "role_arn" {
  description = "ARN of the role, for the ServiceAccount annotation eks.amazonaws.com/role-arn."
  value       = aws_iam_role.lanyard.arn
}
