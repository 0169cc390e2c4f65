# What `terraform apply` of the stack and the release pipeline (image push, `ops release`) need,
# scoped to this account and region and, wherever AWS allows, to resources named with the prefix.
# Actions are listed one by one: no `service:*` and no `Get*`-style wildcards.

locals {
  arn_prefix = {
    lambda     = "arn:${local.partition}:lambda:${local.region}:${local.account_id}:function:${local.prefix}"
    role       = "arn:${local.partition}:iam::${local.account_id}:role/${local.prefix}"
    logs       = "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:"
    alarm      = "arn:${local.partition}:cloudwatch:${local.region}:${local.account_id}:alarm:${local.prefix}"
    dashboard  = "arn:${local.partition}:cloudwatch::${local.account_id}:dashboard/${local.prefix}"
    topic      = "arn:${local.partition}:sns:${local.region}:${local.account_id}:${local.prefix}"
    kms_key    = "arn:${local.partition}:kms:${local.region}:${local.account_id}:key/"
    kms_alias  = "arn:${local.partition}:kms:${local.region}:${local.account_id}:alias/${local.prefix}"
    apigateway = "arn:${local.partition}:apigateway:${local.region}::"
  }

  log_groups = flatten([
    for group in ["/aws/lambda/${local.prefix}", "/aws/apigateway/${local.prefix}"] :
    ["${local.arn_prefix.logs}${group}*", "${local.arn_prefix.logs}${group}*:log-stream:*"]
  ])

  # Only through these services may the deploy role use KMS keys it does not administer
  # (e.g. ECR's AWS-managed key, Lambda encrypting environment variables).
  kms_via_services = [for service in ["ecr", "lambda", "logs", "sns"] : "${service}.${local.region}.amazonaws.com"]
}

data "aws_iam_policy_document" "deploy" {
  statement {
    sid       = "EcrLogin"
    effect    = "Allow"
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"] # registry-wide by design; pushes are limited below
  }

  statement {
    sid    = "EcrPushAndManage"
    effect = "Allow"
    actions = [
      "ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:CompleteLayerUpload", "ecr:CreateRepository",
      "ecr:DeleteLifecyclePolicy", "ecr:DeleteRepositoryPolicy", "ecr:DescribeImageScanFindings",
      "ecr:DescribeImages", "ecr:DescribeRepositories", "ecr:GetDownloadUrlForLayer", "ecr:GetLifecyclePolicy",
      "ecr:GetRepositoryPolicy", "ecr:InitiateLayerUpload", "ecr:ListImages", "ecr:ListTagsForResource",
      "ecr:PutImage", "ecr:PutImageScanningConfiguration", "ecr:PutImageTagMutability", "ecr:PutLifecyclePolicy",
      "ecr:SetRepositoryPolicy", "ecr:TagResource", "ecr:UntagResource", "ecr:UploadLayerPart",
    ]
    resources = local.ecr_repositories
  }

  statement {
    sid    = "LambdaFunction"
    effect = "Allow"
    actions = [
      "lambda:AddPermission", "lambda:CreateAlias", "lambda:CreateFunction", "lambda:DeleteAlias",
      "lambda:DeleteFunction", "lambda:DeleteFunctionConcurrency", "lambda:GetAlias", "lambda:GetFunction",
      "lambda:GetFunctionCodeSigningConfig", "lambda:GetFunctionConcurrency", "lambda:GetFunctionConfiguration",
      "lambda:GetPolicy", "lambda:ListAliases", "lambda:ListTags", "lambda:ListVersionsByFunction",
      "lambda:PublishVersion", "lambda:PutFunctionConcurrency", "lambda:RemovePermission", "lambda:TagResource",
      "lambda:UntagResource", "lambda:UpdateAlias", "lambda:UpdateFunctionCode",
      "lambda:UpdateFunctionConfiguration",
    ]
    resources = ["${local.arn_prefix.lambda}*", "${local.arn_prefix.lambda}*:*"]
  }

  statement {
    # `ops release` sends its smoke checks to the new version itself (Invoke with a version
    # qualifier), never through the weighted alias: qualified ARNs only.
    sid       = "SmokeTheNewVersion"
    effect    = "Allow"
    actions   = ["lambda:InvokeFunction"]
    resources = ["${local.arn_prefix.lambda}*:*"]
  }

  statement {
    sid    = "StackRolesRead"
    effect = "Allow"
    actions = [
      "iam:DeleteRole", "iam:GetRole", "iam:GetRolePolicy", "iam:ListAttachedRolePolicies",
      "iam:ListInstanceProfilesForRole", "iam:ListRolePolicies", "iam:TagRole", "iam:UntagRole",
      "iam:UpdateRole", "iam:UpdateRoleDescription",
    ]
    # No iam:UpdateAssumeRolePolicy: a role whose trust policy the deploy role could rewrite is a role
    # it could assume. Roles get their trust policy when created (CreateRole, boundary attached).
    resources = ["${local.arn_prefix.role}*"]
  }

  statement {
    sid    = "StackRolesWrite"
    effect = "Allow"
    # These change what a role may do; with the boundary they are allowed only on roles that carry it.
    actions = [
      "iam:AttachRolePolicy", "iam:CreateRole", "iam:DeleteRolePolicy", "iam:DetachRolePolicy",
      "iam:PutRolePermissionsBoundary", "iam:PutRolePolicy",
    ]
    resources = ["${local.arn_prefix.role}*"]

    dynamic "condition" {
      for_each = local.uses_boundary ? [1] : []
      content {
        test     = "StringEquals"
        variable = "iam:PermissionsBoundary"
        values   = [local.boundary_arn]
      }
    }
  }

  statement {
    sid       = "PassStackRolesToLambda"
    effect    = "Allow"
    actions   = ["iam:PassRole"]
    resources = ["${local.arn_prefix.role}*"]

    condition {
      test     = "StringEquals"
      variable = "iam:PassedToService"
      values   = ["lambda.amazonaws.com"]
    }
  }

  statement {
    sid    = "NeverTheCiRolesOrTheBoundary"
    effect = "Deny"
    actions = [
      "iam:AttachRolePolicy", "iam:CreatePolicyVersion", "iam:DeletePolicy", "iam:DeletePolicyVersion",
      "iam:DeleteRole", "iam:DeleteRolePermissionsBoundary", "iam:DeleteRolePolicy", "iam:DetachRolePolicy",
      "iam:PassRole", "iam:PutRolePermissionsBoundary", "iam:PutRolePolicy", "iam:SetDefaultPolicyVersion",
      "iam:UpdateAssumeRolePolicy",
    ]
    resources = concat(local.ci_role_arns, [local.boundary_arn])
  }

  statement {
    sid    = "StackLogGroups"
    effect = "Allow"
    actions = [
      "logs:AssociateKmsKey", "logs:CreateLogGroup", "logs:DeleteLogGroup", "logs:DeleteRetentionPolicy",
      "logs:DisassociateKmsKey", "logs:FilterLogEvents", "logs:GetLogEvents", "logs:ListTagsForResource",
      "logs:ListTagsLogGroup", "logs:PutRetentionPolicy", "logs:StartQuery", "logs:TagLogGroup",
      "logs:TagResource", "logs:UntagLogGroup", "logs:UntagResource",
    ]
    resources = local.log_groups
  }

  statement {
    sid    = "LogsWithoutResourceScope"
    effect = "Allow"
    # API Gateway access-log delivery and saved queries have no resource-level permissions.
    actions = [
      "logs:CreateLogDelivery", "logs:DeleteLogDelivery", "logs:DeleteQueryDefinition",
      "logs:DescribeLogGroups", "logs:DescribeQueryDefinitions", "logs:DescribeResourcePolicies",
      "logs:GetLogDelivery", "logs:GetQueryResults", "logs:ListLogDeliveries", "logs:PutQueryDefinition",
      "logs:PutResourcePolicy", "logs:StopQuery", "logs:UpdateLogDelivery",
    ]
    resources = ["*"]
  }

  statement {
    sid    = "HttpApis"
    effect = "Allow"
    # API ids are generated, so APIs cannot be scoped by name; only HTTP API paths are allowed.
    actions = ["apigateway:DELETE", "apigateway:GET", "apigateway:PATCH", "apigateway:POST", "apigateway:PUT"]
    resources = [
      "${local.arn_prefix.apigateway}/apis",
      "${local.arn_prefix.apigateway}/apis/*",
      "${local.arn_prefix.apigateway}/tags/*",
    ]
  }

  statement {
    sid    = "StackAlarms"
    effect = "Allow"
    actions = [
      "cloudwatch:DeleteAlarms", "cloudwatch:DescribeAlarms", "cloudwatch:ListTagsForResource",
      "cloudwatch:PutMetricAlarm", "cloudwatch:TagResource", "cloudwatch:UntagResource",
    ]
    resources = ["${local.arn_prefix.alarm}*"]
  }

  statement {
    sid       = "StackDashboards"
    effect    = "Allow"
    actions   = ["cloudwatch:DeleteDashboards", "cloudwatch:GetDashboard", "cloudwatch:PutDashboard"]
    resources = ["${local.arn_prefix.dashboard}*"]
  }

  statement {
    sid    = "PreflightReads"
    effect = "Allow"
    # `ops preflight` before each apply: the account's Lambda concurrency (no resource-level
    # permission) and the OIDC provider the job came in through.
    actions   = ["lambda:GetAccountSettings"]
    resources = ["*"]
  }

  statement {
    sid       = "OidcProviderRead"
    effect    = "Allow"
    actions   = ["iam:GetOpenIDConnectProvider"]
    resources = [local.oidc_provider_arn]
  }

  statement {
    sid       = "MetricsRead"
    effect    = "Allow"
    actions   = ["cloudwatch:GetMetricData", "cloudwatch:GetMetricStatistics"]
    resources = ["*"] # read-only and without resource-level permissions
  }

  statement {
    sid = "StackTopics"
    # Publish: the pipeline's failure notices go to the stack's alarm topic.
    effect = "Allow"
    actions = [
      "sns:CreateTopic", "sns:DeleteTopic", "sns:GetSubscriptionAttributes", "sns:GetTopicAttributes",
      "sns:ListSubscriptionsByTopic", "sns:ListTagsForResource", "sns:Publish", "sns:SetSubscriptionAttributes",
      "sns:SetTopicAttributes", "sns:Subscribe", "sns:TagResource", "sns:Unsubscribe", "sns:UntagResource",
    ]
    resources = ["${local.arn_prefix.topic}*"]
  }

  statement {
    sid       = "KmsList"
    effect    = "Allow"
    actions   = ["kms:ListAliases"]
    resources = ["*"] # takes no resource
  }

  statement {
    sid    = "KmsRead"
    effect = "Allow"
    # Read only. No key is created, changed or deleted by the pipeline: KMS refuses a CreateKey whose
    # policy would not let the caller call PutKeyPolicy afterwards (the lockout safety check), and
    # PutKeyPolicy, aliases, DisableKey and ScheduleKeyDeletion cannot be limited to this stack's keys
    # (generated ids). The administrator creates the stack's key with this module (create_stack_kms_key).
    actions   = ["kms:DescribeKey", "kms:GetKeyPolicy", "kms:GetKeyRotationStatus", "kms:ListResourceTags"]
    resources = ["${local.arn_prefix.kms_key}*"]
  }

  statement {
    sid    = "KmsUseThroughStackServices"
    effect = "Allow"
    actions = [
      "kms:CreateGrant", "kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey",
      "kms:RetireGrant",
    ]
    resources = local.workload_key_arns

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = local.kms_via_services
    }
  }

  # Custom domains (modules/api-gateway's domain_name), only when custom_domain_names lists some.
  # ACM certificate ids are generated, so certificates cannot be scoped by name; a request is limited
  # to the listed names and DNS validation instead. Route 53 changes are limited to records of the
  # listed names (the alias) and below them (the certificate's _<token>.<name> validation record).
  dynamic "statement" {
    for_each = length(var.custom_domain_names) == 0 ? [] : [1]
    content {
      sid       = "CustomDomainCertificateRequests"
      effect    = "Allow"
      actions   = ["acm:RequestCertificate"]
      resources = ["*"] # RequestCertificate has no resource type; the conditions below scope it

      condition {
        test     = "ForAllValues:StringEquals"
        variable = "acm:DomainNames"
        values   = var.custom_domain_names
      }

      condition {
        test     = "StringEquals"
        variable = "acm:ValidationMethod"
        values   = ["DNS"]
      }
    }
  }

  dynamic "statement" {
    for_each = length(var.custom_domain_names) == 0 ? [] : [1]
    content {
      sid    = "CustomDomainCertificates"
      effect = "Allow"
      actions = [
        "acm:AddTagsToCertificate", "acm:DeleteCertificate", "acm:DescribeCertificate",
        "acm:ListTagsForCertificate", "acm:RemoveTagsFromCertificate",
      ]
      resources = ["arn:${local.partition}:acm:${local.region}:${local.account_id}:certificate/*"]
    }
  }

  dynamic "statement" {
    for_each = length(var.custom_domain_names) == 0 ? [] : [1]
    content {
      sid     = "CustomDomainNamesAndMappings"
      effect  = "Allow"
      actions = ["apigateway:DELETE", "apigateway:GET", "apigateway:PATCH", "apigateway:POST", "apigateway:PUT"]
      resources = flatten([
        "${local.arn_prefix.apigateway}/domainnames",
        [for name in var.custom_domain_names : ["${local.arn_prefix.apigateway}/domainnames/${name}", "${local.arn_prefix.apigateway}/domainnames/${name}/*"]],
      ])
    }
  }

  dynamic "statement" {
    for_each = length(var.custom_domain_names) == 0 ? [] : [1]
    content {
      sid       = "CustomDomainRecords"
      effect    = "Allow"
      actions   = ["route53:ChangeResourceRecordSets"]
      resources = ["arn:${local.partition}:route53:::hostedzone/*"]

      condition {
        test     = "ForAllValues:StringLike"
        variable = "route53:ChangeResourceRecordSetsNormalizedRecordNames"
        values   = flatten([for name in var.custom_domain_names : [name, "*.${name}"]])
      }
    }
  }

  dynamic "statement" {
    for_each = length(var.custom_domain_names) == 0 ? [] : [1]
    content {
      sid    = "CustomDomainRecordsRead"
      effect = "Allow"
      actions = [
        "route53:GetChange", "route53:GetHostedZone", "route53:ListResourceRecordSets",
      ]
      resources = ["arn:${local.partition}:route53:::hostedzone/*", "arn:${local.partition}:route53:::change/*"]
    }
  }

  dynamic "statement" {
    # Lambda pulls another account's image only if whoever creates or updates the function may read
    # the repository too: the repository policy alone is not enough (AWS Lambda developer guide,
    # "Cross-account permissions" for container images; re:Post knowledge center "lambda-ecr-image").
    for_each = length(var.ecr_pull_repository_arns) > 0 ? [1] : []
    content {
      sid       = "ImagesFromOtherAccounts"
      effect    = "Allow"
      actions   = ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
      resources = var.ecr_pull_repository_arns
    }
  }

  dynamic "statement" {
    for_each = var.state_bucket_name == null ? [] : [1]
    content {
      sid    = "StateBucket"
      effect = "Allow"
      actions = [
        "s3:GetBucketPolicy", "s3:GetBucketPublicAccessBlock", "s3:GetBucketVersioning",
        "s3:GetEncryptionConfiguration", "s3:ListBucket",
      ]
      resources = [local.state_bucket_arn]
    }
  }

  dynamic "statement" {
    for_each = var.state_bucket_name == null ? [] : [1]
    content {
      sid       = "StateObjectsAndLockfiles"
      effect    = "Allow"
      actions   = ["s3:DeleteObject", "s3:GetObject", "s3:PutObject"]
      resources = [local.state_objects]
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
