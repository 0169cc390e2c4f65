# The state bucket of an environment, named here and nowhere else: one per account and region.
# root.hcl keeps every unit's state in it (remote_state); the github-oidc unit gives the CI roles access
# to it (state_bucket_name). Both read this file from a unit's configuration with
# read_terragrunt_config(find_in_parent_folders("state.hcl")). Terragrunt evaluates a file it reads in
# that file's own directory, and get_original_terragrunt_dir() is the directory of the unit being
# run, live/<env>/<unit>, whose parent holds the environment's env.hcl (Terragrunt's built-in
# functions reference: read_terragrunt_config, get_original_terragrunt_dir).
locals {
  project = read_terragrunt_config("project.hcl").locals
  env     = read_terragrunt_config("${get_original_terragrunt_dir()}/../env.hcl").locals

  bucket = "${local.project.name}-tfstate-${local.env.account_id}-${local.env.region}"
}
