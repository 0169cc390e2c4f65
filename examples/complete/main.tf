# The whole stack, wired the way the Terragrunt environments wire it: registry, function, HTTP API,
# monitoring and the CI roles. Applies with its defaults alone (against the local emulator too).

provider "aws" {
  region = var.region
}

locals {
  tags = {
    Project   = var.name
    ManagedBy = "terraform"
    Source    = "examples/complete"
  }
  metrics_namespace = "LambdaApi"
}

module "ecr" {
  source = "../../modules/ecr"

  name = var.name
  # Throwaway example: let destroy remove pushed images too. Keep the default (false) for real stacks.
  force_delete = true

  tags = local.tags
}

module "github_oidc" {
  source = "../../modules/github-oidc"

  name                 = var.name
  github_repository    = var.github_repository
  create_oidc_provider = var.create_github_oidc_provider
  ecr_repository_names = [module.ecr.repository_name]

  tags = local.tags
}

module "lambda" {
  source = "../../modules/lambda"

  name                          = var.name
  image_uri                     = "${module.ecr.repository_url}:${var.image_tag}"
  metrics_namespace             = local.metrics_namespace
  role_permissions_boundary_arn = module.github_oidc.permissions_boundary_arn
  environment = {
    MAX_BODY_BYTES = "262144"
  }

  tags = local.tags
}

module "api" {
  source = "../../modules/api-gateway"

  name                    = var.name
  lambda_function_name    = module.lambda.function_name
  lambda_alias_name       = module.lambda.alias_name
  lambda_alias_invoke_arn = module.lambda.alias_invoke_arn
  cors = {
    allow_origins = ["*"]
  }

  tags = local.tags
}

module "monitoring" {
  source = "../../modules/monitoring"

  name                      = var.name
  function_name             = module.lambda.function_name
  alias_name                = module.lambda.alias_name
  function_timeout_seconds  = module.lambda.timeout
  lambda_log_group_name     = module.lambda.log_group_name
  api_id                    = module.api.api_id
  api_stage                 = module.api.stage_name
  api_access_log_group_name = module.api.access_log_group_name
  metrics_namespace         = local.metrics_namespace
  alarm_emails              = var.alarm_emails
  create_query_definitions  = var.create_query_definitions

  tags = local.tags
}
