# Remote state in S3, one state per environment, locked with S3's own lock file (no DynamoDB table needed).
# The settings come from environments/<env>.s3.tfbackend:
#   tofu init -backend-config=environments/staging.s3.tfbackend
terraform {
  backend "s3" {}
}
