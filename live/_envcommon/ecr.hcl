# ECR repository of the environment's account (modules/ecr). The pipeline builds once and pushes to
# dev's repository; prod runs the same digest, pulled from there (dev lists prod's account in
# ecr_pull_account_ids). Shared by live/dev/ecr and live/prod/ecr.

locals {
  project = read_terragrunt_config(find_in_parent_folders("project.hcl")).locals
  env     = read_terragrunt_config(find_in_parent_folders("env.hcl")).locals
}

terraform {
  source = "${dirname(find_in_parent_folders("root.hcl"))}/modules//ecr"
}

inputs = {
  # Functions of this project, in this account or a listed one, may pull; nothing else.
  lambda_function_name_pattern = "${local.project.name}-*"
  lambda_pull_account_ids      = local.env.ecr_pull_account_ids
}
