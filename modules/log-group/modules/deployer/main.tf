# What the CI roles need for this module (modules/github-oidc builds its policies from it): the deploy
# role creates and manages the log groups and reads them (`ops logs-check`, Logs Insights); the plan
# role reads them. Data only, no provider: the administrator's apply of github-oidc reads it before the
# stack exists.

variable "scope" {
  description = "The stack: name_prefix of its resources, account_id, region, partition; log_groups, the names (patterns with *) of the log groups the stack's modules create with this module."
  type        = object({ name_prefix = string, account_id = string, region = string, partition = string, log_groups = list(string) })
}

locals {
  # The stack's log group ARNs are built here only: github-oidc's stack key and the lambda deployer's
  # boundary read them from the output below.
  arns   = [for name in var.scope.log_groups : "arn:${var.scope.partition}:logs:${var.scope.region}:${var.scope.account_id}:log-group:${name}"]
  groups = flatten([for arn in local.arns : [arn, "${arn}:log-stream:*"]])
  # What reading the log groups takes, listed once: the plan role's statements, and part of the deploy
  # role's (an apply refreshes every resource before it changes any, so the deploy role keeps every
  # read the plan role has).
  read = {
    groups = ["logs:ListTagsForResource", "logs:ListTagsLogGroup"]
    list   = ["logs:DescribeLogGroups"] # no resource-level permissions
  }
}

output "arns" {
  description = "ARNs (patterns) of the log groups named in scope.log_groups, in that order, without the :* suffix."
  value       = local.arns
}

output "statements" {
  description = "IAM statements by role (deploy, plan); kms_services, the services that use the stack's key on the deployer's behalf."
  value = {
    deploy = [
      {
        sid = "StackLogGroups"
        actions = sort(concat(local.read.groups, [
          "logs:AssociateKmsKey", "logs:CreateLogGroup", "logs:DeleteLogGroup", "logs:DeleteRetentionPolicy",
          "logs:DisassociateKmsKey", "logs:FilterLogEvents", "logs:GetLogEvents", "logs:GetQueryResults",
          "logs:PutRetentionPolicy", "logs:StartQuery", "logs:TagLogGroup", "logs:TagResource", "logs:UntagLogGroup",
          "logs:UntagResource",
        ]))
        resources = local.groups
      },
      {
        # Listing log groups and stopping a query have no resource-level permissions. A query's results
        # do (log-group, Service Authorization Reference for CloudWatch Logs): GetQueryResults is above,
        # on the groups it may query (Checkov's CKV_AWS_355 over the rendered policy, tests/infra).
        sid       = "LogsWithoutResourceScope"
        actions   = sort(concat(local.read.list, ["logs:StopQuery"]))
        resources = ["*"]
      },
    ]
    plan = [
      { sid = "LogGroupsRead", actions = local.read.groups, resources = local.groups },
      { sid = "LogGroupsList", actions = local.read.list, resources = ["*"] },
    ]
    kms_services = ["logs"]
  }
}
