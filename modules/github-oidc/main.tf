data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.name
  prefix     = coalesce(var.resource_prefix, var.name)

  oidc_host = "token.actions.githubusercontent.com"
  oidc_provider_arn = (
    var.create_oidc_provider ? aws_iam_openid_connect_provider.github[0].arn :
    var.oidc_provider_arn != null ? var.oidc_provider_arn : data.aws_iam_openid_connect_provider.github[0].arn
  )

  # The subjects GitHub puts in its tokens (see GitHub's OIDC docs): a job without an environment
  # presents its ref, a job with one presents the environment instead, a pull request its own form.
  # Each comes in two formats: `repo:OWNER/REPO:...`, and the immutable one of repositories created,
  # renamed or transferred after 2026-06-18 (or opted in), `repo:OWNER-OWNERID/REPO-REPOID:...`
  # (GitHub changelog 2026-04-23, "Immutable subject claims for GitHub Actions OIDC tokens").
  # With the numeric ids given, both are trusted, for this repository only.
  owner_name = split("/", var.github_repository)[0]
  repo_name  = split("/", var.github_repository)[1]
  subject_prefixes = concat(
    ["repo:${var.github_repository}"],
    var.github_repository_id == null ? [] : ["repo:${local.owner_name}-${var.github_owner_id}/${local.repo_name}-${var.github_repository_id}"],
  )
  deploy_claims = concat(
    var.deploy_branch == null ? [] : ["ref:refs/heads/${var.deploy_branch}"],
    [for env in var.deploy_environments : "environment:${env}"],
  )
  plan_claims     = concat(["pull_request"], [for branch in var.plan_branches : "ref:refs/heads/${branch}"])
  deploy_subjects = flatten([for prefix in local.subject_prefixes : [for claim in local.deploy_claims : "${prefix}:${claim}"]])
  plan_subjects   = flatten([for prefix in local.subject_prefixes : [for claim in local.plan_claims : "${prefix}:${claim}"]])

  deploy_role_name  = "${var.name}-github-deploy"
  plan_role_name    = "${var.name}-github-plan"
  boundary_name     = "${var.name}-workload-boundary"
  boundary_arn      = "arn:${local.partition}:iam::${local.account_id}:policy/${local.boundary_name}"
  ci_role_arns      = [for role in [local.deploy_role_name, local.plan_role_name] : "arn:${local.partition}:iam::${local.account_id}:role/${role}"]
  state_objects     = var.state_bucket_name == null ? null : "arn:${local.partition}:s3:::${var.state_bucket_name}/${var.state_key_prefix}*"
  state_bucket_arn  = var.state_bucket_name == null ? null : "arn:${local.partition}:s3:::${var.state_bucket_name}"
  state_lockfiles   = var.state_bucket_name == null ? null : "${local.state_objects}.tflock"
  state_list_prefix = var.state_key_prefix == "" ? "*" : "${var.state_key_prefix}*"
  stack_key_arn     = var.create_stack_kms_key ? module.stack_key[0].key_arn : null
  workload_key_arns = (
    var.create_stack_kms_key ? [local.stack_key_arn] : ["arn:${local.partition}:kms:${local.region}:${local.account_id}:key/*"]
  )
}

################################################################################
# OIDC provider (one per account; create it here or reuse it)
################################################################################

resource "aws_iam_openid_connect_provider" "github" {
  count = var.create_oidc_provider ? 1 : 0

  url            = "https://${local.oidc_host}"
  client_id_list = ["sts.amazonaws.com"]
  # AWS no longer checks thumbprints for this provider; the provider computes one if none is given.

  tags = var.tags
}

data "aws_iam_openid_connect_provider" "github" {
  count = !var.create_oidc_provider && var.oidc_provider_arn == null ? 1 : 0

  url = "https://${local.oidc_host}"
}

################################################################################
# Trust policies: exact subjects only (StringEquals, no wildcards)
################################################################################

data "aws_iam_policy_document" "trust" {
  for_each = {
    deploy = local.deploy_subjects
    plan   = local.plan_subjects
  }

  statement {
    sid     = "GitHubActions"
    effect  = "Allow"
    actions = ["sts:AssumeRoleWithWebIdentity"]

    principals {
      type        = "Federated"
      identifiers = [local.oidc_provider_arn]
    }

    condition {
      test     = "StringEquals"
      variable = "${local.oidc_host}:aud"
      values   = ["sts.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "${local.oidc_host}:sub"
      values   = each.value
    }

    # A job that declares an environment presents the environment, not its branch, in `sub`: any
    # branch allowed to use the environment would get the deploy role. The `ref` claim pins it to the
    # deploy ref (IAM condition key token.actions.githubusercontent.com:ref, Service Authorization
    # Reference for AWS STS); restrict the GitHub environments to the same branch as well.
    dynamic "condition" {
      for_each = each.key == "deploy" && var.deploy_ref != null ? [1] : []
      content {
        test     = "StringEquals"
        variable = "${local.oidc_host}:ref"
        values   = [var.deploy_ref]
      }
    }
  }
}

resource "aws_iam_role" "deploy" {
  name                 = local.deploy_role_name
  description          = "GitHub Actions deploy role for ${var.github_repository} (${var.deploy_branch == null ? "no branch" : var.deploy_branch} and environments ${join(", ", var.deploy_environments)})"
  assume_role_policy   = data.aws_iam_policy_document.trust["deploy"].json
  max_session_duration = var.max_session_duration

  tags = var.tags
}

resource "aws_iam_role_policy" "deploy" {
  name   = "deploy"
  role   = aws_iam_role.deploy.id
  policy = data.aws_iam_policy_document.policy["deploy"].json
}

resource "aws_iam_role" "plan" {
  name                 = local.plan_role_name
  description          = "GitHub Actions read-only plan role for pull requests (and ${join(", ", var.plan_branches)}) of ${var.github_repository}"
  assume_role_policy   = data.aws_iam_policy_document.trust["plan"].json
  max_session_duration = var.max_session_duration

  tags = var.tags
}

resource "aws_iam_role_policy" "plan" {
  name   = "plan"
  role   = aws_iam_role.plan.id
  policy = data.aws_iam_policy_document.policy["plan"].json
}

################################################################################
# Permissions boundary for the roles the deploy role creates (the Lambda execution role)
################################################################################

# What roles the deploy role creates may do at most: what the function's execution role needs (the
# lambda module's deployer, boundary statements): its own log group, traces, and decrypting its
# environment with the stack's key only.
resource "aws_iam_policy" "boundary" {
  count = var.create_permissions_boundary ? 1 : 0

  name        = local.boundary_name
  description = "Upper bound of what roles created by ${local.deploy_role_name} may do"
  policy      = data.aws_iam_policy_document.policy["boundary"].json

  tags = var.tags
}

################################################################################
# The stack's KMS key, created here by the administrator. KMS refuses a CreateKey whose key policy
# would not let the caller call PutKeyPolicy afterwards (the policy lockout safety check, KMS API
# reference: CreateKey, Policy), and the deploy role may not change key policies (keys have
# generated ids, so that could not be limited to this stack). So the pipeline creates no keys: the
# lambda, api-gateway and monitoring units get this one as their kms_key_arn.
################################################################################

module "stack_key" {
  source = "../kms-key"
  count  = var.create_stack_kms_key ? 1 : 0

  alias_name  = "${local.prefix}-stack"
  description = "${local.prefix}: function environment and logs, API access logs, alarm notifications"
  # CloudWatch Logs for the stack's log groups (those the modules' deployers name: the function's and
  # the API's access logs), and CloudWatch alarms publishing to the encrypted topic.
  log_group_arns    = module.log_group_deployer.arns
  cloudwatch_alarms = true

  tags = var.tags
}
