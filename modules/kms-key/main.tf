data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  # The statements the services using this key need, written once here for every caller: CloudWatch
  # Logs encrypting the listed log groups (the encryption context names the log group: Amazon
  # CloudWatch Logs user guide, "Encrypt log data in CloudWatch Logs using AWS KMS"), and CloudWatch
  # alarms publishing to a topic encrypted with this key (Amazon SNS developer guide, "Encryption at
  # rest": the AWS-managed key does not allow CloudWatch, so its notifications are dropped).
  pattern = anytrue([for arn in var.log_group_arns : strcontains(arn, "*")])
  # One exact ARN keeps the SID and operator the lambda and api-gateway modules wrote before
  # modules/log-group (CloudWatchLogsForThisLogGroup, ArnEquals), so their keys, moved here by
  # migrations.tf, plan as no-op; tests/infra/test_emulator.py checks both. Patterns need ArnLike.
  logs_statements = length(var.log_group_arns) == 0 ? [] : [{
    sid      = length(var.log_group_arns) == 1 && !local.pattern ? "CloudWatchLogsForThisLogGroup" : "CloudWatchLogsForTheseLogGroups"
    services = ["logs.${data.aws_region.current.name}.amazonaws.com"]
    actions = [
      "kms:Encrypt", "kms:Decrypt", "kms:ReEncryptFrom", "kms:ReEncryptTo", "kms:GenerateDataKey",
      "kms:GenerateDataKeyWithoutPlaintext", "kms:DescribeKey",
    ]
    conditions = [{
      test     = local.pattern ? "ArnLike" : "ArnEquals"
      variable = "kms:EncryptionContext:aws:logs:arn"
      values   = var.log_group_arns
    }]
  }]
  alarms_statements = var.cloudwatch_alarms ? [{
    sid        = "CloudWatchAlarmsPublishEncrypted"
    services   = ["cloudwatch.amazonaws.com"]
    actions    = ["kms:Decrypt", "kms:GenerateDataKey"]
    conditions = []
  }] : []
  service_statements = concat(local.logs_statements, local.alarms_statements, var.service_statements)
}

################################################################################
# Key policy: the account administers the key, the listed services may use it
################################################################################

data "aws_iam_policy_document" "this" {
  # checkov:skip=CKV_AWS_109:This is a key policy: Resource "*" means this key only, and the account root must keep PutKeyPolicy/CreateGrant or the key becomes unmanageable.
  # checkov:skip=CKV_AWS_111:This is a key policy: Resource "*" means this key only; write access is limited to the account root and the service principals listed, with their conditions.
  # checkov:skip=CKV_AWS_356:This is a key policy: "*" is the only valid Resource in a key policy and means this key itself, not every resource in the account.
  #
  # Explicit actions rather than kms:*; PutKeyPolicy stays with the account so the policy can always
  # be changed, and IAM policies in the account decide who else may use the key.
  statement {
    sid    = "AccountAdministration"
    effect = "Allow"
    actions = [
      "kms:CancelKeyDeletion", "kms:CreateAlias", "kms:CreateGrant", "kms:Decrypt", "kms:DeleteAlias",
      "kms:DescribeKey", "kms:DisableKey", "kms:DisableKeyRotation", "kms:EnableKey", "kms:EnableKeyRotation",
      "kms:Encrypt", "kms:GenerateDataKey", "kms:GenerateDataKeyWithoutPlaintext", "kms:GetKeyPolicy",
      "kms:GetKeyRotationStatus", "kms:ListGrants", "kms:ListKeyPolicies", "kms:ListKeyRotations",
      "kms:ListResourceTags", "kms:PutKeyPolicy", "kms:ReEncryptFrom", "kms:ReEncryptTo", "kms:RetireGrant",
      "kms:RevokeGrant", "kms:RotateKeyOnDemand", "kms:ScheduleKeyDeletion", "kms:TagResource",
      "kms:UntagResource", "kms:UpdateAlias", "kms:UpdateKeyDescription",
    ]
    resources = ["*"] # in a key policy, "*" is this key

    principals {
      type        = "AWS"
      identifiers = ["arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:root"]
    }
  }

  dynamic "statement" {
    for_each = local.service_statements
    content {
      sid       = statement.value.sid
      effect    = "Allow"
      actions   = statement.value.actions
      resources = ["*"]

      principals {
        type        = "Service"
        identifiers = statement.value.services
      }

      dynamic "condition" {
        for_each = statement.value.conditions
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
# Key and alias
################################################################################

resource "aws_kms_key" "this" {
  description             = var.description
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy                  = data.aws_iam_policy_document.this.json

  tags = var.tags
}

resource "aws_kms_alias" "this" {
  name          = "alias/${var.alias_name}"
  target_key_id = aws_kms_key.this.key_id
}
