# Read-only: enough for `terraform plan` of the stack on a pull request. The one write is the state
# lockfile (`use_lockfile`), limited to `.tflock` keys.

data "aws_iam_policy_document" "plan" {
  statement {
    sid    = "EcrRead"
    effect = "Allow"
    actions = [
      "ecr:DescribeImages", "ecr:DescribeRepositories", "ecr:GetLifecyclePolicy", "ecr:GetRepositoryPolicy",
      "ecr:ListImages", "ecr:ListTagsForResource",
    ]
    resources = local.ecr_repositories
  }

  statement {
    sid    = "LambdaRead"
    effect = "Allow"
    actions = [
      "lambda:GetAlias", "lambda:GetFunction", "lambda:GetFunctionCodeSigningConfig",
      "lambda:GetFunctionConcurrency", "lambda:GetFunctionConfiguration", "lambda:GetPolicy",
      "lambda:ListAliases", "lambda:ListTags", "lambda:ListVersionsByFunction",
    ]
    resources = ["${local.arn_prefix.lambda}*", "${local.arn_prefix.lambda}*:*"]
  }

  statement {
    sid    = "IamRead"
    effect = "Allow"
    actions = [
      "iam:GetRole", "iam:GetRolePolicy", "iam:ListAttachedRolePolicies", "iam:ListInstanceProfilesForRole",
      "iam:ListRolePolicies",
    ]
    resources = ["${local.arn_prefix.role}*"]
  }

  statement {
    sid    = "CiRolesRead"
    effect = "Allow"
    # So a scheduled drift check can also plan this module's own unit (applied by an administrator).
    actions = [
      "iam:GetOpenIDConnectProvider", "iam:GetPolicy", "iam:GetPolicyVersion", "iam:GetRole", "iam:GetRolePolicy",
      "iam:ListAttachedRolePolicies", "iam:ListRolePolicies",
    ]
    resources = concat(local.ci_role_arns, [local.boundary_arn, local.oidc_provider_arn])
  }

  statement {
    sid       = "LogGroupsRead"
    effect    = "Allow"
    actions   = ["logs:ListTagsForResource", "logs:ListTagsLogGroup"]
    resources = local.log_groups
  }

  statement {
    sid       = "LogsReadWithoutResourceScope"
    effect    = "Allow"
    actions   = ["logs:DescribeLogGroups", "logs:DescribeQueryDefinitions"]
    resources = ["*"]
  }

  statement {
    sid       = "HttpApisRead"
    effect    = "Allow"
    actions   = ["apigateway:GET"]
    resources = ["${local.arn_prefix.apigateway}/apis", "${local.arn_prefix.apigateway}/apis/*", "${local.arn_prefix.apigateway}/tags/*"]
  }

  statement {
    sid       = "AlarmsRead"
    effect    = "Allow"
    actions   = ["cloudwatch:DescribeAlarms", "cloudwatch:ListTagsForResource"]
    resources = ["${local.arn_prefix.alarm}*"]
  }

  statement {
    sid       = "DashboardsRead"
    effect    = "Allow"
    actions   = ["cloudwatch:GetDashboard"]
    resources = ["${local.arn_prefix.dashboard}*"]
  }

  statement {
    sid    = "TopicsRead"
    effect = "Allow"
    actions = [
      "sns:GetSubscriptionAttributes", "sns:GetTopicAttributes", "sns:ListSubscriptionsByTopic",
      "sns:ListTagsForResource",
    ]
    resources = ["${local.arn_prefix.topic}*"]
  }

  statement {
    sid       = "KmsList"
    effect    = "Allow"
    actions   = ["kms:ListAliases"]
    resources = ["*"]
  }

  statement {
    sid       = "KmsRead"
    effect    = "Allow"
    actions   = ["kms:DescribeKey", "kms:GetKeyPolicy", "kms:GetKeyRotationStatus", "kms:ListResourceTags"]
    resources = ["${local.arn_prefix.kms_key}*"]
  }

  statement {
    sid       = "ReadEncryptedFunctionEnvironment"
    effect    = "Allow"
    actions   = ["kms:Decrypt"]
    resources = local.workload_key_arns

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["lambda.${local.region}.amazonaws.com"]
    }
  }

  dynamic "statement" {
    for_each = var.state_bucket_name == null ? [] : [1]
    content {
      sid       = "StateBucketList"
      effect    = "Allow"
      actions   = ["s3:ListBucket"]
      resources = [local.state_bucket_arn]

      # Terraform's S3 backend also lists `env:/` (workspaces) before every plan, and fails if it
      # may not (StateMgr calls Workspaces()).
      condition {
        test     = "StringLike"
        variable = "s3:prefix"
        values   = [local.state_list_prefix, "env:/*"]
      }
    }
  }

  # Custom domains (custom_domain_names): what a plan refreshes.
  dynamic "statement" {
    for_each = length(var.custom_domain_names) == 0 ? [] : [1]
    content {
      sid    = "CustomDomainsRead"
      effect = "Allow"
      actions = [
        "acm:DescribeCertificate", "acm:ListTagsForCertificate", "apigateway:GET", "route53:GetHostedZone",
        "route53:ListResourceRecordSets",
      ]
      resources = flatten([
        "arn:${local.partition}:acm:${local.region}:${local.account_id}:certificate/*",
        [for name in var.custom_domain_names : ["${local.arn_prefix.apigateway}/domainnames/${name}", "${local.arn_prefix.apigateway}/domainnames/${name}/*"]],
        "arn:${local.partition}:route53:::hostedzone/*",
      ])
    }
  }

  dynamic "statement" {
    for_each = var.state_bucket_name == null ? [] : [1]
    content {
      sid       = "StateRead"
      effect    = "Allow"
      actions   = ["s3:GetObject"]
      resources = [local.state_objects]
    }
  }

  dynamic "statement" {
    for_each = var.state_bucket_name == null ? [] : [1]
    content {
      sid       = "StateLockfiles"
      effect    = "Allow"
      actions   = ["s3:DeleteObject", "s3:PutObject"]
      resources = ["${local.state_objects}.tflock"]
    }
  }

  dynamic "statement" {
    for_each = var.state_kms_key_arn == null ? [] : [1]
    content {
      sid       = "StateKey"
      effect    = "Allow"
      actions   = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"]
      resources = [var.state_kms_key_arn]
    }
  }
}
