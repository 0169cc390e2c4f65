variable "name" {
  description = "Prefix of the role names (<name>-github-deploy, <name>-github-plan) and of the permissions boundary policy (<name>-workload-boundary)."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9+=,.@_-]{1,40}$", var.name))
    error_message = "The name must be 1-40 characters valid in IAM names (letters, digits, + = , . @ _ -)."
  }
}

variable "github_repository" {
  description = "Repository whose workflows may assume the roles, as `owner/name`."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9-]{1,39}/[A-Za-z0-9._-]{1,100}$", var.github_repository))
    error_message = "The github_repository must be `owner/name`, e.g. example-org/lambda-api."
  }
}

variable "deploy_branch" {
  description = "Branch whose workflow runs (without an environment) may assume the deploy role, or null for none: then only the deploy_environments (with their required reviewers) can deploy."
  type        = string
  default     = "main"

  validation {
    condition     = var.deploy_branch == null || (can(regex("^[A-Za-z0-9._/-]{1,255}$", var.deploy_branch)) && !strcontains(coalesce(var.deploy_branch, "*"), "*"))
    error_message = "The deploy_branch must be a plain branch name (no wildcards), or null."
  }
}

variable "deploy_environments" {
  description = "GitHub environments whose jobs may assume the deploy role. A job that declares an environment presents `repo:<owner>/<name>:environment:<env>` instead of the branch, so every environment that deploys must be listed; protect them with required reviewers and branch rules in GitHub."
  type        = list(string)
  default     = ["dev", "prod"]

  validation {
    condition     = alltrue([for e in var.deploy_environments : can(regex("^[A-Za-z0-9._ -]{1,255}$", e)) && !strcontains(e, "*")])
    error_message = "Each deploy_environments entry must be a plain environment name (no wildcards)."
  }
}

variable "plan_branches" {
  description = "Branches whose workflow runs (without an environment) may assume the read-only plan role, besides pull requests: e.g. a scheduled drift check on main."
  type        = list(string)
  default     = ["main"]

  validation {
    condition     = alltrue([for b in var.plan_branches : can(regex("^[A-Za-z0-9._/-]{1,255}$", b)) && !strcontains(b, "*")])
    error_message = "Each plan_branches entry must be a plain branch name (no wildcards)."
  }
}

variable "create_oidc_provider" {
  description = "Create the account's GitHub OIDC provider. An account holds one provider per URL: set false to reuse an existing one (oidc_provider_arn, or looked up by URL)."
  type        = bool
  default     = true
}

variable "oidc_provider_arn" {
  description = "ARN of an existing GitHub OIDC provider to reuse when create_oidc_provider is false. Null looks it up by its URL."
  type        = string
  default     = null

  validation {
    condition     = var.oidc_provider_arn == null || can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:oidc-provider/token\\.actions\\.githubusercontent\\.com$", var.oidc_provider_arn))
    error_message = "The oidc_provider_arn must be the ARN of the token.actions.githubusercontent.com OIDC provider."
  }
}

variable "resource_prefix" {
  description = "Name prefix of the stack's resources (function, roles, log groups, alarms, dashboard, topic, KMS aliases, ECR repository). The deploy role may manage only resources whose names start with it. Defaults to name."
  type        = string
  default     = null

  validation {
    condition     = var.resource_prefix == null || can(regex("^[A-Za-z0-9_-]{3,40}$", coalesce(var.resource_prefix, "xxx")))
    error_message = "The resource_prefix must be 3-40 characters of letters, digits, - and _ (a short prefix would match other stacks)."
  }
}

variable "custom_domain_names" {
  description = "Custom domain names of the stack's API (the api-gateway module's domain_name): the deploy role may request and delete their ACM certificates, manage those API Gateway domain names and their mappings, and change Route 53 records of those names (the alias and the certificate's validation record) only; the plan role may read them. Empty: no such permission."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for d in var.custom_domain_names : can(regex("^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$", d))])
    error_message = "Each custom_domain_names entry must be a lower-case DNS name like api.example.com (no wildcard, no trailing dot)."
  }
}

variable "ecr_repository_names" {
  description = "ECR repositories the deploy role may push to and manage. Empty means every repository named with resource_prefix."
  type        = list(string)
  default     = []
}

variable "state_bucket_name" {
  description = "S3 bucket holding Terraform state. Null grants no state access (the bucket is created outside this module, e.g. by Terragrunt's backend bootstrap)."
  type        = string
  default     = null

  validation {
    condition     = var.state_bucket_name == null || can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", coalesce(var.state_bucket_name, "xxx")))
    error_message = "The state_bucket_name must be a valid S3 bucket name."
  }
}

variable "state_key_prefix" {
  description = "Key prefix of this stack's state files (and `.tflock` lockfiles) in state_bucket_name, e.g. `lambda-api/`. Empty allows the whole bucket."
  type        = string
  default     = ""
}

variable "state_kms_key_arn" {
  description = "KMS key encrypting the state bucket, if it is a customer-managed key."
  type        = string
  default     = null
}

variable "create_permissions_boundary" {
  description = "Create a permissions boundary (<name>-workload-boundary) and allow the deploy role to create or change roles only with it attached. Without a boundary, a role that can write IAM role policies can grant itself anything through a role it passes to Lambda. Give the boundary to the lambda module as role_permissions_boundary_arn."
  type        = bool
  default     = true
}

variable "max_session_duration" {
  description = "Maximum session length of the roles, in seconds."
  type        = number
  default     = 3600

  validation {
    condition     = var.max_session_duration >= 3600 && var.max_session_duration <= 43200
    error_message = "The max_session_duration must be from 3600 to 43200 seconds."
  }
}

variable "tags" {
  description = "Tags applied to every resource."
  type        = map(string)
  default     = {}
}
