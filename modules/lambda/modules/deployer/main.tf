# What the CI roles need for this module (modules/github-oidc builds its policies from it): the deploy
# role creates the function, its versions, alias and execution role, and releases versions (`ops
# release` invokes the new one, `ops preflight` reads the account's concurrency); the plan role reads
# them; the permissions boundary caps what the execution role may do. Data only, no provider: the
# administrator's apply of github-oidc reads it before the stack exists.

variable "scope" {
  description = "The stack: name_prefix of its resources, account_id, region, partition; permissions_boundary_arn roles must carry (null: none); image_repository_arns, other accounts' repositories the function runs images from."
  type = object({
    name_prefix = string
    account_id  = string
    region      = string
    partition   = string

    permissions_boundary_arn = optional(string)
    image_repository_arns    = optional(list(string), [])
  })
}

# Apart from scope: the stack's key, which github-oidc creates for the log groups named by log_groups.
variable "kms_keys" {
  description = "The keys the function's environment may be decrypted with (arns), limited to keys aliased as aliases (patterns) when given."
  type        = object({ arns = list(string), aliases = optional(list(string), []) })
}

locals {
  function = "arn:${var.scope.partition}:lambda:${var.scope.region}:${var.scope.account_id}:function:${var.scope.name_prefix}"
  role     = "arn:${var.scope.partition}:iam::${var.scope.account_id}:role/${var.scope.name_prefix}"
  # The function's log group (modules/log-group): the deploy role manages it, the function writes to it.
  log_group = "/aws/lambda/${var.scope.name_prefix}*"

  # What reading the functions and roles takes, listed once: the plan role's statements, and part of
  # the deploy role's (an apply refreshes every resource before it changes any, so the deploy role
  # keeps every read the plan role has).
  functions = ["${local.function}*", "${local.function}*:*"]
  read = {
    functions = [
      "lambda:GetAlias", "lambda:GetFunction", "lambda:GetFunctionCodeSigningConfig",
      "lambda:GetFunctionConcurrency", "lambda:GetFunctionConfiguration", "lambda:GetPolicy",
      "lambda:ListAliases", "lambda:ListTags", "lambda:ListVersionsByFunction",
    ]
    roles = [
      "iam:GetRole", "iam:GetRolePolicy", "iam:ListAttachedRolePolicies", "iam:ListInstanceProfilesForRole",
      "iam:ListRolePolicies",
    ]
  }
}

# The log group's ARN as the log-group deployer builds every ARN of the stack's log groups. No cycle:
# this module's statements read that module's output, which reads nothing of this module.
module "log_group" {
  source = "../../../log-group/modules/deployer"
  scope  = { name_prefix = var.scope.name_prefix, account_id = var.scope.account_id, region = var.scope.region, partition = var.scope.partition, log_groups = [local.log_group] }
}

output "log_groups" {
  description = "Names (patterns) of the log groups the module creates (modules/log-group's deployer statements and the stack key's policy cover them)."
  value       = [local.log_group]
}

output "statements" {
  description = "IAM statements by role (deploy, plan) and for the permissions boundary of the roles the deploy role creates (boundary); kms_services, the services that use the stack's key on the deployer's behalf."
  value = {
    deploy = concat([
      {
        sid = "LambdaFunction"
        actions = sort(concat(local.read.functions, [
          "lambda:AddPermission", "lambda:CreateAlias", "lambda:CreateFunction", "lambda:DeleteAlias",
          "lambda:DeleteFunction", "lambda:DeleteFunctionConcurrency", "lambda:PublishVersion", "lambda:PutFunctionConcurrency",
          "lambda:RemovePermission", "lambda:TagResource", "lambda:UntagResource", "lambda:UpdateAlias",
          "lambda:UpdateFunctionCode", "lambda:UpdateFunctionConfiguration",
        ]))
        resources = local.functions
      },
      {
        # `ops release` sends its smoke checks to the new version itself (Invoke with a version
        # qualifier), never through the weighted alias: qualified ARNs only.
        sid       = "SmokeTheNewVersion"
        actions   = ["lambda:InvokeFunction"]
        resources = ["${local.function}*:*"]
      },
      {
        # `ops preflight`: the account's concurrency limit (no resource-level permission).
        sid       = "PreflightReads"
        actions   = ["lambda:GetAccountSettings"]
        resources = ["*"]
      },
      {
        sid = "StackRolesRead"
        actions = sort(concat(local.read.roles, [
          "iam:DeleteRole", "iam:TagRole", "iam:UntagRole", "iam:UpdateRole", "iam:UpdateRoleDescription",
        ]))
        # No iam:UpdateAssumeRolePolicy: a role whose trust policy the deploy role could rewrite is a
        # role it could assume. Roles get their trust policy when created (CreateRole, boundary attached).
        resources = ["${local.role}*"]
      },
      {
        sid = "StackRolesWrite"
        # These change what a role may do; with the boundary they are allowed only on roles that carry it.
        actions = [
          "iam:AttachRolePolicy", "iam:CreateRole", "iam:DeleteRolePolicy", "iam:DetachRolePolicy",
          "iam:PutRolePermissionsBoundary", "iam:PutRolePolicy",
        ]
        resources = ["${local.role}*"]
        conditions = var.scope.permissions_boundary_arn == null ? [] : [
          { test = "StringEquals", variable = "iam:PermissionsBoundary", values = [var.scope.permissions_boundary_arn] },
        ]
      },
      {
        sid        = "PassStackRolesToLambda"
        actions    = ["iam:PassRole"]
        resources  = ["${local.role}*"]
        conditions = [{ test = "StringEquals", variable = "iam:PassedToService", values = ["lambda.amazonaws.com"] }]
      },
      ], length(var.scope.image_repository_arns) == 0 ? [] : [
      {
        # Lambda pulls another account's image only if whoever creates or updates the function may read
        # the repository too: the repository policy alone is not enough (AWS Lambda developer guide,
        # "Cross-account permissions" for container images; re:Post knowledge center "lambda-ecr-image").
        sid       = "ImagesFromOtherAccounts"
        actions   = ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
        resources = var.scope.image_repository_arns
      },
    ])
    plan = [
      { sid = "LambdaRead", actions = local.read.functions, resources = local.functions },
      { sid = "IamRead", actions = local.read.roles, resources = ["${local.role}*"] },
      {
        # A plan reads the function's configuration, whose environment Lambda decrypts for the caller.
        sid        = "ReadEncryptedFunctionEnvironment"
        actions    = ["kms:Decrypt"]
        resources  = var.kms_keys.arns
        conditions = [{ test = "StringEquals", variable = "kms:ViaService", values = ["lambda.${var.scope.region}.amazonaws.com"] }]
      },
    ]
    boundary = [
      {
        sid       = "FunctionLogs"
        actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
        resources = [for arn in module.log_group.arns : "${arn}:log-stream:*"]
      },
      {
        sid       = "Traces"
        actions   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
        resources = ["*"] # X-Ray has no resource-level permissions for these actions
      },
      {
        # The stack's key only: `key/*` would let a role the deploy role creates decrypt with any key in
        # the account whose policy delegates to IAM; keys by alias when no key is named (the deploy role
        # can neither create nor move aliases).
        sid       = "DecryptEnvironment"
        actions   = ["kms:Decrypt"]
        resources = var.kms_keys.arns
        conditions = length(var.kms_keys.aliases) == 0 ? [] : [
          { test = "ForAnyValue:StringLike", variable = "kms:ResourceAliases", values = var.kms_keys.aliases },
        ]
      },
    ]
    kms_services = ["lambda"]
  }
}
