mock_provider "aws" {
  source = "../.mocks/aws"
}

variables {
  alias_name     = "api-logs"
  description    = "HTTP API api: access logs"
  log_group_arns = ["arn:aws:logs:us-east-1:123456789012:log-group:/aws/apigateway/api"]
  tags           = { Project = "api" }
}

run "secure_key_with_alias" {
  command = apply

  assert {
    condition = (
      aws_kms_key.this.enable_key_rotation && aws_kms_key.this.deletion_window_in_days == 30 &&
      aws_kms_key.this.description == "HTTP API api: access logs" && aws_kms_key.this.tags == tomap({ Project = "api" })
    )
    error_message = "The key must rotate, wait 30 days before deletion and carry the description and tags given."
  }

  assert {
    condition     = aws_kms_key.this.policy == data.aws_iam_policy_document.this.json
    error_message = "The key must use the module's policy document."
  }

  assert {
    condition     = aws_kms_alias.this.name == "alias/api-logs" && aws_kms_alias.this.target_key_id == aws_kms_key.this.key_id
    error_message = "The alias must be alias/<alias_name> and point at the key."
  }

  assert {
    condition = (
      output.key_arn == aws_kms_key.this.arn && output.key_id == "00000000-0000-0000-0000-000000000001" &&
      output.alias_name == "alias/api-logs" && output.alias_arn == aws_kms_alias.this.arn
    )
    error_message = "The outputs must describe the key and its alias."
  }
}

run "policy_is_account_administration_then_the_services" {
  command = plan

  assert {
    condition     = [for s in data.aws_iam_policy_document.this.statement : s.sid] == ["AccountAdministration", "CloudWatchLogsForThisLogGroup"]
    error_message = "The policy must hold the account's administration statement first, then the service statements in order."
  }

  assert {
    condition = alltrue([
      for s in data.aws_iam_policy_document.this.statement : s.effect == "Allow" && s.resources == toset(["*"]) && alltrue([for a in s.actions : !strcontains(a, "*")])
    ])
    error_message = "Every statement must allow listed actions (not kms:*) on this key only."
  }

  assert {
    condition = (
      tolist(data.aws_iam_policy_document.this.statement[0].principals)[0].type == "AWS" &&
      tolist(data.aws_iam_policy_document.this.statement[0].principals)[0].identifiers == toset(["arn:aws:iam::123456789012:root"]) &&
      length(data.aws_iam_policy_document.this.statement[0].actions) == 30 &&
      contains(data.aws_iam_policy_document.this.statement[0].actions, "kms:PutKeyPolicy")
    )
    error_message = "The account root must keep the 30 administration actions, PutKeyPolicy included, so the policy can always be changed."
  }

  assert {
    condition = (
      tolist(data.aws_iam_policy_document.this.statement[1].principals)[0].type == "Service" &&
      tolist(data.aws_iam_policy_document.this.statement[1].principals)[0].identifiers == toset(["logs.us-east-1.amazonaws.com"]) &&
      data.aws_iam_policy_document.this.statement[1].actions == toset([
        "kms:Encrypt", "kms:Decrypt", "kms:ReEncryptFrom", "kms:ReEncryptTo", "kms:GenerateDataKey",
        "kms:GenerateDataKeyWithoutPlaintext", "kms:DescribeKey",
      ])
    )
    error_message = "CloudWatch Logs (of the key's region) must get exactly the actions it encrypts log data with."
  }

  assert {
    condition = tolist(data.aws_iam_policy_document.this.statement[1].condition) == tolist([{
      test     = "ArnEquals"
      variable = "kms:EncryptionContext:aws:logs:arn"
      values   = tolist(["arn:aws:logs:us-east-1:123456789012:log-group:/aws/apigateway/api"])
    }])
    error_message = "CloudWatch Logs may use the key for the listed log group only (ArnEquals on the encryption context)."
  }
}

run "log_group_patterns_and_alarms" {
  command = plan

  variables {
    log_group_arns = [
      "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/api*",
      "arn:aws:logs:us-east-1:123456789012:log-group:/aws/apigateway/api*",
    ]
    cloudwatch_alarms  = true
    service_statements = [{ sid = "SnsForTheTopic", services = ["sns.amazonaws.com"], actions = ["kms:Decrypt"] }]
  }

  assert {
    condition = (
      [for s in data.aws_iam_policy_document.this.statement : s.sid] == ["AccountAdministration", "CloudWatchLogsForTheseLogGroups", "CloudWatchAlarmsPublishEncrypted", "SnsForTheTopic"] &&
      tolist(data.aws_iam_policy_document.this.statement[1].condition)[0].test == "ArnLike" &&
      tolist(data.aws_iam_policy_document.this.statement[1].condition)[0].values == tolist(var.log_group_arns)
    )
    error_message = "Patterns of log groups must be matched with ArnLike, then the alarms statement, then the caller's own statements."
  }

  assert {
    condition = (
      tolist(data.aws_iam_policy_document.this.statement[2].principals)[0].identifiers == toset(["cloudwatch.amazonaws.com"]) &&
      data.aws_iam_policy_document.this.statement[2].actions == toset(["kms:Decrypt", "kms:GenerateDataKey"]) &&
      length(data.aws_iam_policy_document.this.statement[2].condition) == 0
    )
    error_message = "CloudWatch alarms must get kms:Decrypt and kms:GenerateDataKey, no more, to publish to the encrypted topic."
  }
}

run "statement_without_conditions" {
  command = plan

  variables {
    log_group_arns     = []
    service_statements = [{ sid = "SnsForTheTopic", services = ["sns.amazonaws.com"], actions = ["kms:Decrypt"] }]
  }

  assert {
    condition = (
      length(data.aws_iam_policy_document.this.statement) == 2 &&
      data.aws_iam_policy_document.this.statement[1].sid == "SnsForTheTopic" &&
      length(data.aws_iam_policy_document.this.statement[1].condition) == 0
    )
    error_message = "A statement without conditions must have none."
  }
}

run "account_administration_alone" {
  command = plan

  variables {
    log_group_arns = []
  }

  assert {
    condition     = [for s in data.aws_iam_policy_document.this.statement : s.sid] == ["AccountAdministration"]
    error_message = "Without service statements the account's administration statement must still be there."
  }
}

# One run per set of bad values: each listed variable must reject its value (and nothing else fail).
run "rejects_bad_inputs" {
  command = plan

  variables {
    alias_name     = "alias/api-logs"
    description    = " "
    log_group_arns = ["arn:aws:logs:us-east-1:123456789012:/aws/lambda/api"]
    service_statements = [
      { sid = "CloudWatchLogsAgain", services = ["logs.us-east-1.amazonaws.com"], actions = ["kms:Decrypt"] },
    ]
  }

  expect_failures = [var.alias_name, var.description, var.log_group_arns, var.service_statements]
}

run "rejects_wildcard_actions" {
  command = plan

  variables {
    service_statements = [{ sid = "Logs", services = ["logs.us-east-1.amazonaws.com"], actions = ["kms:*"] }]
  }

  expect_failures = [var.service_statements]
}

run "rejects_non_service_principals" {
  command = plan

  variables {
    service_statements = [{ sid = "Anyone", services = ["arn:aws:iam::123456789012:root"], actions = ["kms:Decrypt"] }]
  }

  expect_failures = [var.service_statements]
}

run "rejects_aws_reserved_alias" {
  command = plan

  variables {
    alias_name = "aws/logs"
  }

  expect_failures = [var.alias_name]
}
