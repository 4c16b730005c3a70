output "bucket" {
  description = "The bucket's name, for lanyard.audit.checkpoint-s3.bucket."
  value       = aws_s3_bucket.checkpoints.id
}

output "bucket_arn" {
  description = "The bucket's ARN."
  value       = aws_s3_bucket.checkpoints.arn
}

output "objects_arn" {
  description = "ARN pattern of the checkpoint objects under the prefix, for Lanyard's role."
  value       = "${aws_s3_bucket.checkpoints.arn}/${var.prefix}*"
}
