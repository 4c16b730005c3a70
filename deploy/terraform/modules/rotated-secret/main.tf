# One Secrets Manager secret, encrypted with Lanyard's key, rotated on a schedule by a function of
# ../rotation-function, and readable only by the roles named in reader_role_arns (and its rotation function).
data "aws_iam_policy_document" "secret" {
  # Deny by default: whoever the account's IAM policies allow, only these principals may read or change the
  # value. Administration (describe, tag, delete) stays with IAM.
  statement {
    sid       = "OnlyNamedPrincipalsTouchTheValue"
    effect    = "Deny"
    actions   = ["secretsmanager:GetSecretValue", "secretsmanager:PutSecretValue", "secretsmanager:UpdateSecretVersionStage"]
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = ["*"]
    }
    condition {
      test     = "StringNotEquals"
      variable = "aws:PrincipalArn"
      values   = concat(var.reader_role_arns, [var.rotation_role_arn])
    }
  }
}

resource "aws_secretsmanager_secret" "secret" {
  name                    = var.name
  description             = var.description
  kms_key_id              = var.kms_key_arn
  recovery_window_in_days = var.recovery_window_in_days
  policy                  = data.aws_iam_policy_document.secret.json
  tags                    = var.tags
}

# The first value (for a database login: engine, host, port, dbname, username, password). Write-only: it is sent
# to AWS and never stored in the state. Leave it null to put the first value out of band.
resource "aws_secretsmanager_secret_version" "initial" {
  count                    = var.initial_value_version == null ? 0 : 1
  secret_id                = aws_secretsmanager_secret.secret.id
  secret_string_wo         = var.initial_value
  secret_string_wo_version = var.initial_value_version
}

resource "aws_secretsmanager_secret_rotation" "secret" {
  secret_id           = aws_secretsmanager_secret.secret.id
  rotation_lambda_arn = var.rotation_function_arn
  rotate_immediately  = false
  rotation_rules {
    schedule_expression = var.rotation_schedule
    duration            = var.rotation_window
  }
  depends_on = [aws_secretsmanager_secret_version.initial]
}
