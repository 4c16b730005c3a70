variable "name" {
  description = "Name of the key's alias (alias/<name>) and prefix of the rotation functions' log groups."
  type        = string
}

variable "administrator_arns" {
  description = "IAM principals that administer the key (and cannot use it to decrypt)."
  type        = list(string)
}

variable "user_arns" {
  description = "IAM roles that use the key through Secrets Manager: Lanyard's IRSA role and the rotation functions' roles."
  type        = list(string)
}

variable "deletion_window_in_days" {
  description = "Days between scheduling the key's deletion and its deletion."
  type        = number
  default     = 30
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
