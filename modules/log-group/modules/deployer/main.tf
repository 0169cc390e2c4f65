# What the CI roles need for this module (modules/github-oidc builds its policies from it): the deploy
# role creates and manages the log groups and reads them (`ops logs-check`, Logs Insights); the plan
# role reads them. Data only, no provider: the administrator's apply of github-oidc reads it before the
# stack exists.

variable "scope" {
  description = "The stack: name_prefix of its resources, account_id, region, partition; log_groups, the names (patterns with *) of the log groups the stack's modules create with this module."
  type        = object({ name_prefix = string, account_id = string, region = string, partition = string, log_groups = list(string) })
}

locals {
  groups = flatten([
    for name in var.scope.log_groups : [
      "arn:${var.scope.partition}:logs:${var.scope.region}:${var.scope.account_id}:log-group:${name}",
      "arn:${var.scope.partition}:logs:${var.scope.region}:${var.scope.account_id}:log-group:${name}:log-stream:*",
    ]
  ])
}

output "statements" {
  description = "IAM statements by role (deploy, plan); kms_services, the services that use the stack's key on the deployer's behalf."
  value = {
    deploy = [
      {
        sid = "StackLogGroups"
        actions = [
          "logs:AssociateKmsKey", "logs:CreateLogGroup", "logs:DeleteLogGroup", "logs:DeleteRetentionPolicy",
          "logs:DisassociateKmsKey", "logs:FilterLogEvents", "logs:GetLogEvents", "logs:GetQueryResults",
          "logs:ListTagsForResource", "logs:ListTagsLogGroup", "logs:PutRetentionPolicy", "logs:StartQuery",
          "logs:TagLogGroup", "logs:TagResource", "logs:UntagLogGroup", "logs:UntagResource",
        ]
        resources = local.groups
      },
      {
        # Listing log groups and stopping a query have no resource-level permissions. A query's results
        # do (log-group, Service Authorization Reference for CloudWatch Logs): GetQueryResults is above,
        # on the groups it may query (Checkov's CKV_AWS_355 over the rendered policy, tests/infra).
        sid       = "LogsWithoutResourceScope"
        actions   = ["logs:DescribeLogGroups", "logs:StopQuery"]
        resources = ["*"]
      },
    ]
    plan = [
      { sid = "LogGroupsRead", actions = ["logs:ListTagsForResource", "logs:ListTagsLogGroup"], resources = local.groups },
      { sid = "LogGroupsList", actions = ["logs:DescribeLogGroups"], resources = ["*"] },
    ]
    kms_services = ["logs"]
  }
}
