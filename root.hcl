# Root configuration shared by every unit under live/. Each unit includes it with
#
#   include "root" {
#     path = find_in_parent_folders("root.hcl")
#   }
#
# It is named root.hcl on purpose: older guides call this file terragrunt.hcl, which Terragrunt now
# deprecates (a warning on every run, an error in strict mode). Values per environment come from
# live/<env>/env.hcl, values per project from live/project.hcl; see live/README.md.

# exclude blocks inherited from an include (live/_envcommon/github-oidc.hcl) need 1.0.4 or later.
terragrunt_version_constraint = ">= 1.0.4, < 2.0"
# S3 native state locking (use_lockfile) needs Terraform 1.10 or later.
terraform_version_constraint = ">= 1.10, < 2.0"

locals {
  project = read_terragrunt_config(find_in_parent_folders("project.hcl")).locals
  env     = read_terragrunt_config(find_in_parent_folders("env.hcl")).locals

  # AWS_ENDPOINT_URL set means a local emulator (moto): see "Rehearsal" in live/README.md.
  emulated = get_env("AWS_ENDPOINT_URL", "") != ""

  # One state bucket per account and region, named in live/state.hcl (which the github-oidc unit
  # reads too, to give the CI roles access to it).
  state_bucket = read_terragrunt_config(find_in_parent_folders("state.hcl")).locals.bucket

  tags = {
    project     = local.project.name
    environment = local.env.environment
    managed-by  = "terragrunt"
    repository  = local.project.github_repository
  }
}

remote_state {
  backend = "s3"

  generate = {
    path      = "backend.tf"
    if_exists = "overwrite_terragrunt"
  }

  config = merge(
    {
      bucket         = local.state_bucket
      key            = "${path_relative_to_include()}/terraform.tfstate"
      region         = local.env.region
      encrypt        = true
      use_lockfile   = true
      s3_bucket_tags = local.tags # read by --backend-bootstrap only, never passed to Terraform
    },
    # Emulator only: path-style bucket URLs (no DNS for <bucket>.127.0.0.1 or <bucket>.localhost).
    # force_path_style, not use_path_style: it is the key Terragrunt's own S3 client reads when
    # --backend-bootstrap creates the bucket, and Terraform accepts it (setting both is an error).
    { for key, value in { force_path_style = true } : key => value if local.emulated },
  )
}

generate "provider" {
  path      = "provider.tf"
  if_exists = "overwrite_terragrunt"
  contents  = <<-EOF
    provider "aws" {
      region              = "${local.env.region}"
      allowed_account_ids = ["${local.env.account_id}"]

      default_tags {
        tags = ${jsonencode(local.tags)}
      }
    %{~if local.emulated}
      # AWS_ENDPOINT_URL points at a local emulator: dummy credentials, no instance metadata.
      # The account id is still requested (sts:GetCallerIdentity) so allowed_account_ids holds.
      skip_credentials_validation = true
      skip_metadata_api_check     = true
      s3_use_path_style           = true
    %{~endif}
    }
  EOF
}

# The modules accept AWS provider versions from 5.100 up to 7.0; the environments run the 5.x line the
# modules are tested with. Moving to a new major version is a change made here, deliberately.
generate "provider_version" {
  path      = "provider_version_override.tf"
  if_exists = "overwrite_terragrunt"
  contents  = <<-EOF
    terraform {
      required_providers {
        aws = {
          source  = "hashicorp/aws"
          version = "~> 5.100"
        }
      }
    }
  EOF
}

# Inputs every module declares. Per-component inputs live in live/_envcommon/<unit>.hcl.
inputs = {
  name = "${local.project.name}-${local.env.environment}"
}
