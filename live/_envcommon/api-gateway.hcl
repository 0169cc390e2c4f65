# The HTTP API in front of the function's alias (modules/api-gateway). Shared by
# live/dev/api-gateway and live/prod/api-gateway.

locals {
  env = read_terragrunt_config(find_in_parent_folders("env.hcl")).locals
}

terraform {
  source = "${dirname(find_in_parent_folders("root.hcl"))}/modules//api-gateway"
}

dependency "lambda" {
  config_path = "${get_terragrunt_dir()}/../lambda"

  mock_outputs = {
    function_name    = "mock-function"
    alias_name       = "live"
    alias_invoke_arn = "arn:aws:apigateway:${local.env.region}:lambda:path/2015-03-31/functions/arn:aws:lambda:${local.env.region}:${local.env.account_id}:function:mock-function:live/invocations"
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

  lambda_function_name    = dependency.lambda.outputs.function_name
  lambda_alias_name       = dependency.lambda.outputs.alias_name
  lambda_alias_invoke_arn = dependency.lambda.outputs.alias_invoke_arn

  cors = {
    allow_origins = local.env.cors_allow_origins
  }
  throttling_burst_limit = local.env.api_throttling_burst_limit
  throttling_rate_limit  = local.env.api_throttling_rate_limit
  log_retention_days     = local.env.log_retention_days

  # Custom domain and JWT authorization, off unless env.hcl sets them. The mapping key and the
  # protected routes are the same values the lambda unit gives the function.
  domain_name            = local.env.api_domain_name
  domain_zone_id         = local.env.api_domain_zone_id
  domain_certificate_arn = local.env.api_certificate_arn
  api_mapping_key        = local.env.api_mapping_key
  jwt_authorizer = local.env.jwt_issuer == null ? null : {
    issuer    = local.env.jwt_issuer
    audiences = local.env.jwt_audiences
    scopes    = local.env.jwt_scopes
  }
  protected_routes = local.env.protected_routes
}
