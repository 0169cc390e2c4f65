# The mock AWS account every module's tests/*.tftest.hcl plans and applies against, loaded by
# `mock_provider "aws" { source = "../.mocks/aws" }` ("Mocks", Terraform language docs: mock data
# files, .tfmock.hcl), in account 123456789012, us-east-1. The mock provider makes up random strings
# for computed attributes; only those the modules build ARNs from, those the AWS provider checks
# where they are passed on (an ARN argument refuses a random string) and those a test asserts are
# given here, once. A hidden directory, so nothing that walks modules/*/ takes it for a module.

mock_data "aws_caller_identity" {
  defaults = { account_id = "123456789012" }
}

mock_data "aws_partition" {
  defaults = { partition = "aws" }
}

mock_data "aws_region" {
  defaults = { name = "us-east-1" }
}

mock_data "aws_iam_policy_document" {
  defaults = { json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}" }
}

# IAM, KMS, CloudWatch, SNS

mock_resource "aws_iam_role" {
  defaults = { arn = "arn:aws:iam::123456789012:role/api" }
}

mock_resource "aws_kms_key" {
  defaults = {
    arn    = "arn:aws:kms:us-east-1:123456789012:key/00000000-0000-0000-0000-000000000001"
    key_id = "00000000-0000-0000-0000-000000000001"
  }
}

mock_resource "aws_cloudwatch_log_group" {
  defaults = { arn = "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/api" }
}

mock_resource "aws_sns_topic" {
  defaults = { arn = "arn:aws:sns:us-east-1:123456789012:api-alarms" }
}

# Lambda, API Gateway, ACM, Route 53

mock_resource "aws_lambda_function" {
  defaults = { version = "7", arn = "arn:aws:lambda:us-east-1:123456789012:function:api" }
}

mock_resource "aws_apigatewayv2_api" {
  defaults = {
    id            = "a1b2c3d4e5"
    api_endpoint  = "https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com"
    execution_arn = "arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5"
  }
}

mock_resource "aws_apigatewayv2_domain_name" {
  defaults = { id = "api.example.com" }
}

mock_resource "aws_acm_certificate" {
  defaults = {
    arn = "arn:aws:acm:us-east-1:123456789012:certificate/11111111-2222-3333-4444-555555555555"
    domain_validation_options = [{
      domain_name           = "api.example.com"
      resource_record_name  = "_abc.api.example.com."
      resource_record_type  = "CNAME"
      resource_record_value = "_def.acm-validations.aws."
    }]
  }
}

mock_resource "aws_route53_record" {
  defaults = { fqdn = "_abc.api.example.com" }
}
