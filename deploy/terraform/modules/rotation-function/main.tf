# One rotation function from rotation-lambdas/ (one strategy, for example PostgreSQL single user), its
# least-privilege role, its network access to the database and to Secrets Manager, and its log group. One
# function serves every secret whose name starts with secret_name_prefix; ../rotated-secret wires each secret.
data "aws_caller_identity" "current" {}
data "aws_region" "current" {}
data "aws_partition" "current" {}

locals {
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.region
  account_id = data.aws_caller_identity.current.account_id
  # The function itself; an ARN is needed before it exists, for the role's conditions.
  function_arn       = "arn:${local.partition}:lambda:${local.region}:${local.account_id}:function:${var.name}"
  secret_arn_pattern = "arn:${local.partition}:secretsmanager:${local.region}:${local.account_id}:secret:${var.secret_name_prefix}*"
  # C1 only: about half the cold start (rotation-lambdas/README.md, bench/lambda-cold-start.sh); a rotation never
  # runs long enough for C2's code to pay off. The same default as rotation-lambdas/template.yaml; var.environment
  # may replace it.
  default_environment = {
    JAVA_TOOL_OPTIONS = "-XX:+TieredCompilation -XX:TieredStopAtLevel=1"
  }
}

data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_iam_role" "function" {
  name               = var.name
  description        = "Rotation function ${var.name}"
  assume_role_policy = data.aws_iam_policy_document.assume.json
  tags               = var.tags
}

data "aws_iam_policy_document" "function" {
  # The four rotation steps, on the secrets this function rotates, and only while Secrets Manager names this
  # function as their rotation function.
  statement {
    sid = "RotateOwnSecrets"
    actions = [
      "secretsmanager:DescribeSecret",
      "secretsmanager:GetSecretValue",
      "secretsmanager:PutSecretValue",
      "secretsmanager:UpdateSecretVersionStage",
    ]
    resources = [local.secret_arn_pattern]
    condition {
      test     = "StringEquals"
      variable = "secretsmanager:resource/AllowRotationLambdaArn"
      values   = [local.function_arn]
    }
  }

  # A superuser secret that logs in to change other users' passwords (the alternating-users strategy).
  dynamic "statement" {
    for_each = length(var.master_secret_arns) > 0 ? [1] : []
    content {
      sid       = "ReadMasterSecrets"
      actions   = ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"]
      resources = var.master_secret_arns
    }
  }

  statement {
    sid       = "GeneratePasswords"
    actions   = ["secretsmanager:GetRandomPassword"]
    resources = ["*"]
  }

  statement {
    sid       = "SecretsKey"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [var.kms_key_arn]
    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["secretsmanager.${local.region}.amazonaws.com"]
    }
  }

  statement {
    sid       = "OwnLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.function.arn}:*"]
  }

  # What Lambda needs to attach the function to the VPC (AWS's AWSLambdaVPCAccessExecutionRole, narrowed to
  # this region and account where the API allows it).
  statement {
    sid       = "VpcAttachment"
    actions   = ["ec2:CreateNetworkInterface", "ec2:DeleteNetworkInterface", "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses"]
    resources = ["*"]
    condition {
      test     = "StringEquals"
      variable = "aws:RequestedRegion"
      values   = [local.region]
    }
  }
  statement {
    sid       = "VpcDescribe"
    actions   = ["ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets", "ec2:DescribeSecurityGroups", "ec2:DescribeVpcs"]
    resources = ["*"]
  }
}

resource "aws_iam_role_policy" "function" {
  name   = "rotation"
  role   = aws_iam_role.function.id
  policy = data.aws_iam_policy_document.function.json
}

resource "aws_cloudwatch_log_group" "function" {
  name              = "/aws/lambda/${var.name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
  tags              = var.tags
}

# The function reaches the database and the Secrets Manager endpoint, nothing else.
resource "aws_security_group" "function" {
  name_prefix = "${var.name}-"
  description = "Rotation function ${var.name}"
  vpc_id      = var.vpc_id
  tags        = var.tags
  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_security_group_egress_rule" "database" {
  security_group_id            = aws_security_group.function.id
  description                  = "PostgreSQL"
  ip_protocol                  = "tcp"
  from_port                    = var.database_port
  to_port                      = var.database_port
  referenced_security_group_id = var.database_security_group_id
}

resource "aws_vpc_security_group_ingress_rule" "database_from_function" {
  security_group_id            = var.database_security_group_id
  description                  = "Rotation function ${var.name}"
  ip_protocol                  = "tcp"
  from_port                    = var.database_port
  to_port                      = var.database_port
  referenced_security_group_id = aws_security_group.function.id
}

resource "aws_vpc_security_group_egress_rule" "secrets_manager" {
  security_group_id            = aws_security_group.function.id
  description                  = "Secrets Manager interface endpoint"
  ip_protocol                  = "tcp"
  from_port                    = 443
  to_port                      = 443
  referenced_security_group_id = var.endpoint_security_group_id
}

resource "aws_vpc_security_group_ingress_rule" "endpoint_from_function" {
  security_group_id            = var.endpoint_security_group_id
  description                  = "Rotation function ${var.name}"
  ip_protocol                  = "tcp"
  from_port                    = 443
  to_port                      = 443
  referenced_security_group_id = aws_security_group.function.id
}

resource "aws_lambda_function" "function" {
  function_name    = var.name
  description      = "Secrets Manager rotation: ${var.handler}"
  role             = aws_iam_role.function.arn
  runtime          = "java21"
  architectures    = ["x86_64"]
  handler          = var.handler
  filename         = var.package_path
  source_code_hash = filebase64sha256(var.package_path)
  memory_size      = var.memory_size
  timeout          = var.timeout_seconds
  kms_key_arn      = var.kms_key_arn

  environment {
    variables = merge(local.default_environment, var.environment, {
      # The VPC endpoint's private DNS name resolves to the endpoint; said explicitly, as AWS's templates do.
      SECRETS_MANAGER_ENDPOINT = "https://secretsmanager.${local.region}.amazonaws.com"
    })
  }

  vpc_config {
    subnet_ids         = var.subnet_ids
    security_group_ids = [aws_security_group.function.id]
  }

  logging_config {
    log_format = "Text"
    log_group  = aws_cloudwatch_log_group.function.name
  }

  tracing_config {
    mode = "PassThrough"
  }

  tags = var.tags
}

# Only Secrets Manager, only from this account, may invoke it.
resource "aws_lambda_permission" "secrets_manager" {
  statement_id   = "SecretsManagerRotation"
  action         = "lambda:InvokeFunction"
  function_name  = aws_lambda_function.function.function_name
  principal      = "secretsmanager.amazonaws.com"
  source_account = local.account_id
}
