variable "environment" {
  description = "staging or production; part of every name."
  type        = string
  validation {
    condition     = contains(["staging", "production"], var.environment)
    error_message = "The environment is staging or production."
  }
}

variable "account_id" {
  description = "The AWS account of this environment; the provider refuses any other."
  type        = string
}

variable "region" {
  description = "AWS region."
  type        = string
}

variable "key_administrator_arns" {
  description = "Principals that administer the KMS key."
  type        = list(string)
}

variable "oidc_provider_arn" {
  description = "The EKS cluster's IAM OIDC provider."
  type        = string
}

variable "oidc_issuer_url" {
  description = "The EKS cluster's OIDC issuer URL."
  type        = string
}

variable "assumable_role_arns" {
  description = "Roles Lanyard may assume to hand out short-lived AWS credentials."
  type        = list(string)
  default     = []
}

variable "checkpoint_bucket_prefix" {
  description = "First part of the audit checkpoint bucket's name (bucket names are global): <prefix>-lanyard-<environment>-audit-checkpoints."
  type        = string
}

variable "checkpoint_retention_days" {
  description = "How long each audit checkpoint stays locked (COMPLIANCE mode); longer than the audit log is kept."
  type        = number
  default     = 2555
}

variable "lanyard_rotates" {
  description = "Whether Lanyard's own rotation engine writes versions of the secrets (besides the rotation functions)."
  type        = bool
  default     = false
}

variable "vpc_id" {
  description = "VPC of the databases."
  type        = string
}

variable "private_subnet_ids" {
  description = "Private subnets for the rotation functions."
  type        = list(string)
}

variable "database_security_group_id" {
  description = "Security group of the databases whose logins are rotated."
  type        = string
}

variable "secrets_manager_endpoint_security_group_id" {
  description = "Security group of the Secrets Manager interface VPC endpoint."
  type        = string
}

variable "rotation_lambdas_dir" {
  description = "Where the rotation-lambdas/ build put its packages, relative to this directory."
  type        = string
  default     = "../../rotation-lambdas"
}

variable "rotation_functions" {
  description = "Rotation functions by strategy name: the rotation-lambdas/ module and its handler."
  type = map(object({
    module             = string
    handler            = string
    master_secret_arns = optional(list(string), [])
    environment        = optional(map(string), {})
  }))
}

variable "secrets" {
  description = "Rotated secrets by name, each naming its strategy (a key of rotation_functions) and schedule."
  type = map(object({
    description = string
    rotation    = string
    schedule    = optional(string, "rate(30 days)")
  }))
  default = {}
}
