variable "name" {
  description = "Function name, also the name of its role and log group."
  type        = string
}

variable "handler" {
  description = "Handler of the function, e.g. dev.lanyard.rotation.postgres.singleuser.PostgresSingleUserHandler::handleRequest."
  type        = string
}

variable "package_path" {
  description = "The deployment package built by rotation-lambdas/, e.g. rotation-lambdas/postgres-single-user/target/postgres-single-user.zip."
  type        = string
}

variable "secret_name_prefix" {
  description = "The function may rotate only secrets whose names start with this prefix, e.g. lanyard/production/db/."
  type        = string
}

variable "master_secret_arns" {
  description = "Secrets the function reads to log in as a superuser (alternating-users strategy); empty otherwise."
  type        = list(string)
  default     = []
}

variable "kms_key_arn" {
  description = "The key that encrypts the secrets, the function's environment and its logs."
  type        = string
}

variable "vpc_id" {
  description = "VPC of the database."
  type        = string
}

variable "subnet_ids" {
  description = "Private subnets the function runs in (with a route to the database and the Secrets Manager endpoint)."
  type        = list(string)
}

variable "database_security_group_id" {
  description = "Security group of the database; it gets an ingress rule from the function."
  type        = string
}

variable "database_port" {
  description = "Port of the database."
  type        = number
  default     = 5432
}

variable "endpoint_security_group_id" {
  description = "Security group of the Secrets Manager interface VPC endpoint."
  type        = string
}

variable "environment" {
  description = "Extra environment for the function, e.g. PASSWORD_LENGTH or EXCLUDE_CHARACTERS."
  type        = map(string)
  default     = {}
}

variable "memory_size" {
  description = "Memory of the function in MB."
  type        = number
  default     = 512
}

variable "timeout_seconds" {
  description = "Timeout of one rotation step."
  type        = number
  default     = 60
}

variable "log_retention_days" {
  description = "How long the function's logs are kept."
  type        = number
  default     = 90
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
