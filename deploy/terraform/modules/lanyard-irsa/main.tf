# The IAM role Lanyard's pods assume through IRSA (EKS IAM roles for service accounts), with only the Secrets
# Manager, STS and S3 actions Lanyard calls: read secrets and their versions and stages, write a new version and
# move stages for rotations it runs itself, assume the roles it hands out as short-lived AWS credentials, and
# publish its audit checkpoints to their Object Lock bucket.
locals {
  issuer_host = replace(var.oidc_issuer_url, "https://", "")
}

data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]
    principals {
      type        = "Federated"
      identifiers = [var.oidc_provider_arn]
    }
    condition {
      test     = "StringEquals"
      variable = "${local.issuer_host}:sub"
      values   = ["system:serviceaccount:${var.namespace}:${var.service_account}"]
    }
    condition {
      test     = "StringEquals"
      variable = "${local.issuer_host}:aud"
      values   = ["sts.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "lanyard" {
  name                 = var.name
  description          = "Lanyard (${var.namespace}/${var.service_account})"
  assume_role_policy   = data.aws_iam_policy_document.assume.json
  max_session_duration = 3600
  tags                 = var.tags
}

data "aws_iam_policy_document" "lanyard" {
  statement {
    sid       = "ReadSecrets"
    actions   = ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret", "secretsmanager:ListSecretVersionIds"]
    resources = var.readable_secret_arns
  }

  dynamic "statement" {
    for_each = length(var.rotated_secret_arns) > 0 ? [1] : []
    content {
      sid       = "RotateSecrets"
      actions   = ["secretsmanager:PutSecretValue", "secretsmanager:UpdateSecretVersionStage"]
      resources = var.rotated_secret_arns
    }
  }

  statement {
    sid       = "SecretsKey"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [var.kms_key_arn]
    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["secretsmanager.${var.region}.amazonaws.com"]
    }
  }

  dynamic "statement" {
    for_each = length(var.assumable_role_arns) > 0 ? [1] : []
    content {
      sid       = "IssueAwsCredentials"
      actions   = ["sts:AssumeRole"]
      resources = var.assumable_role_arns
    }
  }

  # Audit checkpoints: write new objects and read them back, never delete or change their retention. Object Lock
  # (COMPLIANCE) keeps even this role from deleting them.
  dynamic "statement" {
    for_each = var.checkpoint_bucket_arn == null ? [] : [1]
    content {
      sid       = "PublishCheckpoints"
      actions   = ["s3:PutObject", "s3:GetObject"]
      resources = [var.checkpoint_objects_arn]
    }
  }

  dynamic "statement" {
    for_each = var.checkpoint_bucket_arn == null ? [] : [1]
    content {
      sid       = "ListCheckpoints"
      actions   = ["s3:ListBucket", "s3:GetBucketObjectLockConfiguration"]
      resources = [var.checkpoint_bucket_arn]
    }
  }
}

resource "aws_iam_role_policy" "lanyard" {
  name   = "lanyard"
  role   = aws_iam_role.lanyard.id
  policy = data.aws_iam_policy_document.lanyard.json
}
