variable "name" {
  description = "Name of the secret; it must start with the rotation function's secret_name_prefix."
  type        = string
}

variable "description" {
  description = "What the secret is."
  type        = string
}

variable "kms_key_arn" {
  description = "The key that encrypts the secret (../kms-key)."
  type        = string
}

variable "rotation_function_arn" {
  description = "The function that rotates it (../rotation-function function_arn)."
  type        = string
}

variable "rotation_role_arn" {
  description = "The rotation function's role (../rotation-function role_arn)."
  type        = string
}

variable "reader_role_arns" {
  description = "Roles that may read the value besides the rotation function: Lanyard's IRSA role."
  type        = list(string)
}

variable "rotation_schedule" {
  description = "When to rotate, as a Secrets Manager schedule expression."
  type        = string
  default     = "rate(30 days)"
}

variable "rotation_window" {
  description = "How long a rotation may take from its scheduled start."
  type        = string
  default     = "2h"
}

variable "initial_value" {
  description = "The first value, write-only (never stored in the state); null to put it out of band."
  type        = string
  default     = null
  sensitive   = true
  ephemeral   = true
}

variable "initial_value_version" {
  description = "Increase to send a new initial_value; null to create no version."
  type        = number
  default     = null
}

variable "recovery_window_in_days" {
  description = "Days a deleted secret can still be restored."
  type        = number
  default     = 30
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
