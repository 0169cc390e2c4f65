# The CI roles of the environment's account (modules/github-oidc): GitHub Actions' OIDC provider (one
# per account), a deploy role for this environment's GitHub environment and a read-only plan role.
# Shared by live/dev/github-oidc and live/prod/github-oidc.
#
# The deploy role cannot change the CI roles or the OIDC provider, so `run --all apply` (and destroy)
# leaves this unit out; `run --all plan` keeps it (the plan role may read it, so pull requests and the
# drift check see its changes), and its outputs stay readable for the units that depend on it. An
# administrator applies it once per account, before the first pipeline run, and after each change:
#
#   terragrunt apply --working-dir live/<env>/github-oidc --backend-bootstrap

locals {
  project = read_terragrunt_config(find_in_parent_folders("project.hcl")).locals
  env     = read_terragrunt_config(find_in_parent_folders("env.hcl")).locals

  # root.hcl's remote_state bucket: both read its one definition.
  state = read_terragrunt_config(find_in_parent_folders("state.hcl")).locals
}

terraform {
  source = "${dirname(find_in_parent_folders("root.hcl"))}/modules//github-oidc"
}

exclude {
  if                   = true
  actions              = ["apply", "destroy"]
  exclude_dependencies = false
}

inputs = {
  github_repository    = local.project.github_repository
  github_owner_id      = local.project.github_owner_id
  github_repository_id = local.project.github_repository_id
  create_oidc_provider = local.env.create_github_oidc_provider
  deploy_branch        = local.env.github_deploy_branch
  deploy_environments  = [local.env.environment]
  # The API's custom domain, if any (env.hcl): its certificate, domain name and DNS records.
  custom_domain_names = local.env.api_domain_name == null ? [] : [local.env.api_domain_name]

  # The pipeline cannot create KMS keys (see modules/github-oidc): the administrator's apply of this
  # unit creates the stack's key, which the lambda, api-gateway and monitoring units use.
  create_stack_kms_key     = true
  ecr_pull_repository_arns = local.env.ecr_pull_repository_arns

  # State of this environment only: keys are live/<env>/<unit>/terraform.tfstate (root.hcl).
  state_bucket_name = local.state.bucket
  state_key_prefix  = "live/${local.env.environment}/"
}
