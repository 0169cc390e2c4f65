mock_provider "aws" {
  source = "../.mocks/aws"
}

variables {
  name                = "/aws/lambda/api"
  kms_key_alias       = "api-lambda"
  kms_key_description = "Lambda api: environment variables and logs"
  tags                = { Project = "api" }
}

run "encrypted_with_its_own_key_and_kept_a_year" {
  command = apply

  assert {
    condition = (
      aws_cloudwatch_log_group.this.name == "/aws/lambda/api" && aws_cloudwatch_log_group.this.retention_in_days == 365 &&
      aws_cloudwatch_log_group.this.tags == tomap({ Project = "api" })
    )
    error_message = "The log group must carry the name and tags given and keep its events 365 days by default."
  }

  assert {
    condition = (
      length(module.kms) == 1 && aws_cloudwatch_log_group.this.kms_key_id == module.kms[0].key_arn &&
      output.kms_key_arn == module.kms[0].key_arn && output.kms_alias_name == "alias/api-lambda"
    )
    error_message = "Without kms_key_arn the group must be encrypted with a key of its own (modules/kms-key), aliased as given."
  }

  assert {
    # modules/kms-key turns this one ARN into the CloudWatch Logs statement (ArnEquals): its own tests.
    condition     = local.arn == "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/api"
    error_message = "The key's policy must name this log group, in this account and region."
  }
}

run "a_given_key" {
  command = apply

  variables {
    kms_key_arn       = "arn:aws:kms:us-east-1:123456789012:key/stack"
    retention_in_days = 30
  }

  assert {
    condition = (
      length(module.kms) == 0 && aws_cloudwatch_log_group.this.kms_key_id == "arn:aws:kms:us-east-1:123456789012:key/stack" &&
      output.kms_alias_name == null && aws_cloudwatch_log_group.this.retention_in_days == 30
    )
    error_message = "A given key must be used as is, and no key created."
  }
}

run "rejects_bad_inputs" {
  command = plan

  variables {
    name              = "/aws/lambda/api with spaces"
    retention_in_days = 31
    kms_key_arn       = "alias/api"
  }

  expect_failures = [var.name, var.retention_in_days, var.kms_key_arn]
}

run "rejects_a_key_of_another_service" {
  command = plan

  variables {
    kms_key_arn = "arn:aws:s3:::bucket"
  }

  expect_failures = [var.kms_key_arn]
}
