variable "bucket" {
  description = "Name of the bucket (globally unique)."
  type        = string
}

variable "prefix" {
  description = "Key prefix Lanyard writes checkpoints under (lanyard.audit.checkpoint-s3.prefix)."
  type        = string
  default     = "lanyard/checkpoints/"
}

variable "retention_days" {
  description = "How long each checkpoint is locked (COMPLIANCE). Keep it longer than the audit log is kept: a checkpoint that could be deleted cannot expose a rewritten log."
  type        = number
  default     = 2555
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
