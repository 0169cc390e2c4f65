# The function (modules/lambda), running the environment's pinned image. Shared by live/dev/lambda
# and live/prod/lambda.

locals {
  env = read_terragrunt_config(find_in_parent_folders("env.hcl")).locals

  # The pins in env.hcl say what runs. The pipeline may apply a digest before committing its pin by
  # exporting IMAGE_URI (and APP_VERSION); plans without them use the committed pins.
  image_uri   = get_env("IMAGE_URI", local.env.image_uri)
  app_version = get_env("APP_VERSION", local.env.app_version)
}

terraform {
  source = "${dirname(find_in_parent_folders("root.hcl"))}/modules//lambda"
}

# The repository comes first (the image must be in it before the function can exist), but nothing is
# read from it: the pin names the image, and prod's image lives in dev's repository.
dependencies {
  paths = ["${get_terragrunt_dir()}/../ecr"]
}

# The deploy role may create the execution role only with this permissions boundary attached.
dependency "github_oidc" {
  config_path = "${get_terragrunt_dir()}/../github-oidc"

  mock_outputs = {
    permissions_boundary_arn = "arn:aws:iam::${local.env.account_id}:policy/mock-workload-boundary"
    stack_kms_key_arn        = "arn:aws:kms:${local.env.region}:${local.env.account_id}:key/mock-stack-key"
  }
  mock_outputs_allowed_terraform_commands = ["validate", "plan"]
  mock_outputs_merge_strategy_with_state  = "shallow"
}

inputs = {
  image_uri = local.image_uri
  # Empty: the module derives APP_VERSION from the image tag or digest.
  app_version = local.app_version == "" ? null : local.app_version

  architecture         = local.env.lambda_architecture
  memory_size          = local.env.lambda_memory_size
  timeout              = local.env.lambda_timeout
  reserved_concurrency = local.env.lambda_reserved_concurrency
  log_retention_days   = local.env.log_retention_days

  role_permissions_boundary_arn = dependency.github_oidc.outputs.permissions_boundary_arn
  kms_key_arn                   = dependency.github_oidc.outputs.stack_kms_key_arn

  # The API's mapping key and protected routes (env.hcl), as BASE_PATH and PROTECTED_ROUTES.
  api_mapping_key  = local.env.api_mapping_key
  protected_routes = local.env.protected_routes
}

# Nothing pinned yet (a fresh fork, or an environment not deployed yet) and no IMAGE_URI: there is no
# function to plan, so pull requests and the nightly drift check leave this unit out instead of
# failing on the module's image_uri validation. Terragrunt lists it as excluded; the units that read
# its outputs plan on its mocks. Applies are not excluded: an apply without an image fails loudly.
exclude {
  if                   = local.image_uri == ""
  actions              = ["plan"]
  exclude_dependencies = false
}
