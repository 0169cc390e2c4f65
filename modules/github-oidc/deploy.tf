################################################################################
# The CI roles' permissions, built from what each module says its deployer needs
################################################################################

# Each module of the stack lists the IAM statements deploying it takes (modules/<module>/modules/
# deployer: data only, so they can be read here, by the administrator's apply, before any of those
# modules is applied): adding a resource to a module and its statement to that module's deployer
# gives the deploy role the permission in the same change. Every statement is scoped to this account
# and region and, wherever AWS allows, to resources named with the prefix; actions are listed one by
# one, no `service:*` and no `Get*`-style wildcards.

locals {
  scope = { name_prefix = local.prefix, account_id = local.account_id, region = local.region, partition = local.partition }

  # The modules whose resources use the stack's key (through the services they name), then the keys'.
  deployers = [
    module.ecr_deployer.statements, module.lambda_deployer.statements, module.api_gateway_deployer.statements,
    module.log_group_deployer.statements, module.monitoring_deployer.statements,
  ]
  statements = concat(local.deployers, [module.kms_key_deployer.statements])
  log_groups = concat(module.lambda_deployer.log_groups, module.api_gateway_deployer.log_groups)

  policies = {
    deploy   = concat(flatten([for deployer in local.statements : deployer.deploy]), local.deploy_statements)
    plan     = concat(flatten([for deployer in local.statements : deployer.plan]), local.plan_statements)
    boundary = module.lambda_deployer.statements.boundary
  }
}

module "ecr_deployer" {
  source = "../ecr/modules/deployer"
  scope  = merge(local.scope, { repository_names = var.ecr_repository_names })
}

module "lambda_deployer" {
  source = "../lambda/modules/deployer"
  scope = merge(local.scope, {
    permissions_boundary_arn = var.create_permissions_boundary ? local.boundary_arn : null
    image_repository_arns    = var.ecr_pull_repository_arns
  })
  kms_keys = {
    arns = local.workload_key_arns
    # Without the stack's key, keys aliased with the prefix, which the deploy role cannot create or move.
    aliases = var.create_stack_kms_key ? [] : ["alias/${local.prefix}*"]
  }
}

module "api_gateway_deployer" {
  source = "../api-gateway/modules/deployer"
  scope  = merge(local.scope, { domain_names = var.custom_domain_names })
}

module "log_group_deployer" {
  source = "../log-group/modules/deployer"
  scope  = merge(local.scope, { log_groups = local.log_groups })
}

module "monitoring_deployer" {
  source = "../monitoring/modules/deployer"
  scope  = local.scope
}

module "kms_key_deployer" {
  source = "../kms-key/modules/deployer"
  scope = merge(local.scope, {
    key_arns = local.workload_key_arns
    # Only through these services may the deploy role use the keys (ECR, Lambda's environment, Logs, SNS).
    services = sort(distinct(flatten([for deployer in local.deployers : deployer.kms_services])))
  })
}

# One document per policy; each statement as its deployer wrote it (effect Allow unless it says so).
data "aws_iam_policy_document" "policy" {
  for_each = local.policies

  dynamic "statement" {
    for_each = each.value
    content {
      sid       = statement.value.sid
      effect    = try(statement.value.effect, "Allow")
      actions   = statement.value.actions
      resources = statement.value.resources

      dynamic "condition" {
        for_each = try(statement.value.conditions, [])
        content {
          test     = condition.value.test
          variable = condition.value.variable
          values   = condition.value.values
        }
      }
    }
  }
}

################################################################################
# What the CI roles need for themselves: the state, the OIDC provider, and never changing themselves
################################################################################

locals {
  state = [for statement in [
    {
      sid = "StateBucket"
      actions = [
        "s3:GetBucketPolicy", "s3:GetBucketPublicAccessBlock", "s3:GetBucketVersioning",
        "s3:GetEncryptionConfiguration", "s3:ListBucket",
      ]
      resources = [local.state_bucket_arn]
    },
    { sid = "StateObjectsAndLockfiles", actions = ["s3:DeleteObject", "s3:GetObject", "s3:PutObject"], resources = [local.state_objects] },
  ] : statement if var.state_bucket_name != null]
  state_key = var.state_kms_key_arn == null ? [] : [
    { sid = "StateKey", actions = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"], resources = [var.state_kms_key_arn] },
  ]

  deploy_statements = concat([
    {
      sid    = "NeverTheCiRolesOrTheBoundary"
      effect = "Deny"
      actions = [
        "iam:AttachRolePolicy", "iam:CreatePolicyVersion", "iam:DeletePolicy", "iam:DeletePolicyVersion",
        "iam:DeleteRole", "iam:DeleteRolePermissionsBoundary", "iam:DeleteRolePolicy", "iam:DetachRolePolicy",
        "iam:PassRole", "iam:PutRolePermissionsBoundary", "iam:PutRolePolicy", "iam:SetDefaultPolicyVersion",
        "iam:UpdateAssumeRolePolicy",
      ]
      resources = concat(local.ci_role_arns, [local.boundary_arn])
    },
    # `ops preflight`: the OIDC provider the job came in through.
    { sid = "OidcProviderRead", actions = ["iam:GetOpenIDConnectProvider"], resources = [local.oidc_provider_arn] },
  ], local.state, local.state_key)
}
