# What the CI roles need for this module (modules/github-oidc builds its policies from it): the deploy
# role creates and manages the repository and pushes images (the build job); the plan role reads it.
# Data only, no provider: the administrator's apply of github-oidc reads it before the stack exists.

variable "scope" {
  description = "The stack: name_prefix of its resources, account_id, region, partition; repository_names the deploy role may push to (empty: every repository named with the prefix)."
  type        = object({ name_prefix = string, account_id = string, region = string, partition = string, repository_names = optional(list(string), []) })
}

locals {
  arn = "arn:${var.scope.partition}:ecr:${var.scope.region}:${var.scope.account_id}:repository/"
  repositories = (
    length(var.scope.repository_names) > 0 ? [for name in var.scope.repository_names : "${local.arn}${name}"] :
    ["${local.arn}${lower(var.scope.name_prefix)}*"]
  )
  # What reading the repositories takes, listed once: the plan role's statement, and part of the
  # deploy role's (an apply refreshes every resource before it changes any, so the deploy role keeps
  # every read the plan role has).
  read = [
    "ecr:DescribeImages", "ecr:DescribeRepositories", "ecr:GetLifecyclePolicy", "ecr:GetRepositoryPolicy",
    "ecr:ListImages", "ecr:ListTagsForResource",
  ]
}

output "statements" {
  description = "IAM statements by role (deploy, plan), and kms_services: the services that use the stack's key on the deployer's behalf."
  value = {
    deploy = [
      {
        sid       = "EcrLogin"
        actions   = ["ecr:GetAuthorizationToken"]
        resources = ["*"] # registry-wide by design; pushes are limited below
      },
      {
        sid = "EcrPushAndManage"
        # No DeleteRepository: a repository's images back published versions; an administrator deletes it.
        actions = sort(concat(local.read, [
          "ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:CompleteLayerUpload", "ecr:CreateRepository",
          "ecr:DeleteLifecyclePolicy", "ecr:DeleteRepositoryPolicy", "ecr:DescribeImageScanFindings",
          "ecr:GetDownloadUrlForLayer", "ecr:InitiateLayerUpload", "ecr:PutImage", "ecr:PutImageScanningConfiguration",
          "ecr:PutImageTagMutability", "ecr:PutLifecyclePolicy", "ecr:SetRepositoryPolicy", "ecr:TagResource",
          "ecr:UntagResource", "ecr:UploadLayerPart",
        ]))
        resources = local.repositories
      },
    ]
    plan = [
      { sid = "EcrRead", actions = local.read, resources = local.repositories },
    ]
    kms_services = ["ecr"]
  }
}
