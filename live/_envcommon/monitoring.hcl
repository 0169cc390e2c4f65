# Alarms, dashboard, alarm topic and saved queries for the function and the API
# (modules/monitoring). Shared by live/dev/monitoring and live/prod/monitoring.

locals {
  env = read_terragrunt_config(find_in_parent_folders("env.hcl")).locals

  # The local emulator (moto) has no API for Logs Insights saved queries.
  emulated = get_env("AWS_ENDPOINT_URL", "") != ""
}

terraform {
  source = "${dirname(find_in_parent_folders("root.hcl"))}/modules//monitoring"
}

dependency "lambda" {
  config_path = "${get_terragrunt_dir()}/../lambda"

  mock_outputs = {
    function_name  = "mock-function"
    alias_name     = "live"
    timeout        = local.env.lambda_timeout
    log_group_name = "/aws/lambda/mock-function"
    environment_variables = {
      SERVICE_NAME      = "mock-function"
      METRICS_NAMESPACE = "LambdaApi"
    }
  }
  mock_outputs_allowed_terraform_commands = ["validate", "plan"]
  mock_outputs_merge_strategy_with_state  = "shallow"
}

dependency "api_gateway" {
  config_path = "${get_terragrunt_dir()}/../api-gateway"

  mock_outputs = {
    api_id                = "mockapi"
    stage_name            = "$default"
    access_log_group_name = "/aws/apigateway/mock-api"
  }
  mock_outputs_allowed_terraform_commands = ["validate", "plan"]
  mock_outputs_merge_strategy_with_state  = "shallow"
}

# The stack's KMS key, created by the administrator with the CI roles (the pipeline cannot create keys).
dependency "github_oidc" {
  config_path = "${get_terragrunt_dir()}/../github-oidc"

  mock_outputs = {
    stack_kms_key_arn = "arn:aws:kms:${local.env.region}:${local.env.account_id}:key/mock-stack-key"
  }
  mock_outputs_allowed_terraform_commands = ["validate", "plan"]
  mock_outputs_merge_strategy_with_state  = "shallow"
}

inputs = {
  kms_key_arn = dependency.github_oidc.outputs.stack_kms_key_arn

  function_name            = dependency.lambda.outputs.function_name
  alias_name               = dependency.lambda.outputs.alias_name
  function_timeout_seconds = dependency.lambda.outputs.timeout
  lambda_log_group_name    = dependency.lambda.outputs.log_group_name
  # The metric namespace and Service dimension the function's app actually uses.
  metrics_namespace = dependency.lambda.outputs.environment_variables["METRICS_NAMESPACE"]
  service_name      = dependency.lambda.outputs.environment_variables["SERVICE_NAME"]

  api_id                    = dependency.api_gateway.outputs.api_id
  api_stage                 = dependency.api_gateway.outputs.stage_name
  api_access_log_group_name = dependency.api_gateway.outputs.access_log_group_name

  alarm_emails             = local.env.alarm_emails
  concurrency_threshold    = local.env.alarm_concurrency_threshold
  create_query_definitions = !local.emulated

  release_canary_percents = local.env.release_canary_percents
  release_step_seconds    = local.env.release_step_seconds
  release_bake_seconds    = local.env.release_bake_seconds
}
