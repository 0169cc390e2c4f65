# What the CI roles need for this module (modules/github-oidc builds its policies from it): the deploy
# role creates the alarms, dashboard, topic and saved queries, reads the new version's metrics (`ops
# release`) and publishes the pipeline's failure notices to the topic; the plan role reads them. Data
# only, no provider: the administrator's apply of github-oidc reads it before the stack exists.

variable "scope" {
  description = "The stack: name_prefix of its resources, account_id, region, partition."
  type        = object({ name_prefix = string, account_id = string, region = string, partition = string })
}

locals {
  alarms     = "arn:${var.scope.partition}:cloudwatch:${var.scope.region}:${var.scope.account_id}:alarm:${var.scope.name_prefix}*"
  dashboards = "arn:${var.scope.partition}:cloudwatch::${var.scope.account_id}:dashboard/${var.scope.name_prefix}*"
  topics     = "arn:${var.scope.partition}:sns:${var.scope.region}:${var.scope.account_id}:${var.scope.name_prefix}*"

  # What reading each kind of resource takes, listed once: the plan role's statements, and part of
  # the deploy role's (an apply refreshes every resource before it changes any, so the deploy role
  # keeps every read the plan role has).
  read = {
    alarms            = ["cloudwatch:DescribeAlarms", "cloudwatch:ListTagsForResource"]
    dashboards        = ["cloudwatch:GetDashboard"]
    query_definitions = ["logs:DescribeQueryDefinitions"]
    topics = [
      "sns:GetSubscriptionAttributes", "sns:GetTopicAttributes", "sns:ListSubscriptionsByTopic",
      "sns:ListTagsForResource",
    ]
  }
}

output "statements" {
  description = "IAM statements by role (deploy, plan); kms_services, the services that use the stack's key on the deployer's behalf."
  value = {
    deploy = [
      {
        sid = "StackAlarms"
        actions = sort(concat(local.read.alarms, [
          "cloudwatch:DeleteAlarms", "cloudwatch:PutMetricAlarm", "cloudwatch:TagResource", "cloudwatch:UntagResource",
        ]))
        resources = [local.alarms]
      },
      {
        sid       = "StackDashboards"
        actions   = sort(concat(local.read.dashboards, ["cloudwatch:DeleteDashboards", "cloudwatch:PutDashboard"]))
        resources = [local.dashboards]
      },
      {
        # `ops release` reads the new version's own metrics; read-only, no resource-level permissions.
        sid       = "MetricsRead"
        actions   = ["cloudwatch:GetMetricData", "cloudwatch:GetMetricStatistics"]
        resources = ["*"]
      },
      {
        # Saved Logs Insights queries have no resource-level permissions.
        sid       = "QueryDefinitions"
        actions   = sort(concat(local.read.query_definitions, ["logs:DeleteQueryDefinition", "logs:PutQueryDefinition"]))
        resources = ["*"]
      },
      {
        # Publish: the pipeline's failure notices go to the stack's alarm topic.
        sid = "StackTopics"
        actions = sort(concat(local.read.topics, [
          "sns:CreateTopic", "sns:DeleteTopic", "sns:Publish", "sns:SetSubscriptionAttributes", "sns:SetTopicAttributes",
          "sns:Subscribe", "sns:TagResource", "sns:Unsubscribe", "sns:UntagResource",
        ]))
        resources = [local.topics]
      },
    ]
    plan = [
      { sid = "AlarmsRead", actions = local.read.alarms, resources = [local.alarms] },
      { sid = "DashboardsRead", actions = local.read.dashboards, resources = [local.dashboards] },
      { sid = "QueryDefinitionsRead", actions = local.read.query_definitions, resources = ["*"] },
      { sid = "TopicsRead", actions = local.read.topics, resources = [local.topics] },
    ]
    kms_services = ["sns"]
  }
}
