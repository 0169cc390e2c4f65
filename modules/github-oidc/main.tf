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
  deploy_subjects = concat(
    var.deploy_branch == null ? [] : ["repo:${var.github_repository}:ref:refs/heads/${var.deploy_branch}"],
    [for env in var.deploy_environments : "repo:${var.github_repository}:environment:${env}"],
  )
  plan_subjects = concat(
    ["repo:${var.github_repository}:pull_request"],
    [for branch in var.plan_branches : "repo:${var.github_repository}:ref:refs/heads/${branch}"],
  )

  deploy_role_name   = "${var.name}-github-deploy"
  plan_role_name     = "${var.name}-github-plan"
  boundary_name      = "${var.name}-workload-boundary"
  boundary_arn       = "arn:${local.partition}:iam::${local.account_id}:policy/${local.boundary_name}"
  ci_role_arns       = [for role in [local.deploy_role_name, local.plan_role_name] : "arn:${local.partition}:iam::${local.account_id}:role/${role}"]
  uses_boundary      = var.create_permissions_boundary
  state_objects      = var.state_bucket_name == null ? null : "arn:${local.partition}:s3:::${var.state_bucket_name}/${var.state_key_prefix}*"
  state_bucket_arn   = var.state_bucket_name == null ? null : "arn:${local.partition}:s3:::${var.state_bucket_name}"
  state_list_prefix  = var.state_key_prefix == "" ? "*" : "${var.state_key_prefix}*"
  ecr_repository_arn = "arn:${local.partition}:ecr:${local.region}:${local.account_id}:repository/"
  ecr_repositories = (
    length(var.ecr_repository_names) > 0 ?
    [for repo in var.ecr_repository_names : "${local.ecr_repository_arn}${repo}"] :
    ["${local.ecr_repository_arn}${lower(local.prefix)}*"]
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
  policy = data.aws_iam_policy_document.deploy.json
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
  policy = data.aws_iam_policy_document.plan.json
}

################################################################################
# Permissions boundary for the roles the deploy role creates (the Lambda execution role)
################################################################################

data "aws_iam_policy_document" "boundary" {
  statement {
    sid     = "FunctionLogs"
    effect  = "Allow"
    actions = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = [
      "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:/aws/lambda/${local.prefix}*:log-stream:*",
    ]
  }

  statement {
    sid       = "Traces"
    effect    = "Allow"
    actions   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
    resources = ["*"] # X-Ray has no resource-level permissions for these actions
  }

  statement {
    sid       = "DecryptEnvironment"
    effect    = "Allow"
    actions   = ["kms:Decrypt"]
    resources = ["arn:${local.partition}:kms:${local.region}:${local.account_id}:key/*"]
  }
}

resource "aws_iam_policy" "boundary" {
  count = var.create_permissions_boundary ? 1 : 0

  name        = local.boundary_name
  description = "Upper bound of what roles created by ${local.deploy_role_name} may do"
  policy      = data.aws_iam_policy_document.boundary.json

  tags = var.tags
}
