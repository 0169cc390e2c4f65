data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  # Built from its parts, not read from the group: the key's policy names the group, and the group
  # is created with the key.
  arn         = "arn:${data.aws_partition.current.partition}:logs:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:log-group:${var.name}"
  kms_key_arn = var.kms_key_arn != null ? var.kms_key_arn : module.kms[0].key_arn
}

# A key of its own unless one is given: CloudWatch Logs may use it for this log group only.
module "kms" {
  source = "../kms-key"
  count  = var.kms_key_arn == null ? 1 : 0

  alias_name     = var.kms_key_alias
  description    = var.kms_key_description
  log_group_arns = [local.arn]

  tags = var.tags
}

# Created here, encrypted and with a retention, before anything writes to it: a service that creates
# its own log group on first write (Lambda, API Gateway's access logs) would leave it unencrypted and
# kept forever.
resource "aws_cloudwatch_log_group" "this" {
  name              = var.name
  retention_in_days = var.retention_in_days
  kms_key_id        = local.kms_key_arn

  tags = var.tags
}
