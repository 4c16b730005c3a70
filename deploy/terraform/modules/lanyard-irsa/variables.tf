variable "name" {
  description = "Name of the role."
  type        = string
}

variable "oidc_provider_arn" {
  description = "ARN of the cluster's IAM OIDC provider."
  type        = string
}

variable "oidc_issuer_url" {
  description = "The cluster's OIDC issuer URL (https://oidc.eks.<region>.amazonaws.com/id/<id>)."
  type        = string
}

variable "namespace" {
  description = "Namespace of Lanyard's ServiceAccount."
  type        = string
  default     = "lanyard"
}

variable "service_account" {
  description = "Name of Lanyard's ServiceAccount."
  type        = string
  default     = "lanyard"
}

variable "region" {
  description = "Region of the Secrets Manager endpoint Lanyard uses."
  type        = string
}

variable "kms_key_arn" {
  description = "The key that encrypts the secrets."
  type        = string
}

variable "readable_secret_arns" {
  description = "Secrets (ARNs or ARN patterns) Lanyard may read, with their versions and stages."
  type        = list(string)
}

variable "rotated_secret_arns" {
  description = "Secrets Lanyard's own rotation engine writes (new versions, stage moves); empty if it rotates none."
  type        = list(string)
  default     = []
}

variable "assumable_role_arns" {
  description = "Roles Lanyard assumes to issue short-lived AWS credentials to its callers."
  type        = list(string)
  default     = []
}

variable "checkpoint_bucket_arn" {
  description = "The audit checkpoint bucket (modules/audit-checkpoint-bucket); null when checkpoints go elsewhere."
  type        = string
  default     = null
}

variable "checkpoint_objects_arn" {
  description = "ARN pattern of the checkpoint objects Lanyard writes and reads."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
