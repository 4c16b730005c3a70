provider "aws" {
  region = var.region
  # A plan for one environment cannot touch another environment's account.
  allowed_account_ids = [var.account_id]
  default_tags {
    tags = {
      "app.kubernetes.io/part-of" = "lanyard"
      environment                 = var.environment
      managed-by                  = "opentofu"
    }
  }
}
