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

variable "github_owner_id" {
  description = "Numeric id of the repository's owner (user or organization), for GitHub's immutable OIDC subject `repo:OWNER-OWNERID/REPO-REPOID:...`. Set together with github_repository_id; null trusts only the `repo:OWNER/REPO:...` format. Find it with `gh api repos/OWNER/REPO --jq .owner.id`."
  type        = number
  default     = null

  validation {
    condition     = var.github_owner_id == null || try(var.github_owner_id > 0 && floor(var.github_owner_id) == var.github_owner_id, false)
    error_message = "The github_owner_id must be a positive whole number (GitHub's numeric owner id)."
  }
}

variable "github_repository_id" {
  description = "Numeric id of the repository, for GitHub's immutable OIDC subject (repositories created, renamed or transferred after 2026-06-18 get only that format). Set together with github_owner_id; find it with `gh api repos/OWNER/REPO --jq .id`."
  type        = number
  default     = null

  validation {
    condition     = var.github_repository_id == null || try(var.github_repository_id > 0 && floor(var.github_repository_id) == var.github_repository_id, false)
    error_message = "The github_repository_id must be a positive whole number (GitHub's numeric repository id)."
  }

  validation {
    condition     = (var.github_repository_id == null) == (var.github_owner_id == null)
    error_message = "Set github_repository_id and github_owner_id together (or neither)."
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

variable "deploy_ref" {
  description = "Git ref every deploy-role session must come from (the token's `ref` claim), e.g. refs/heads/main, or null for no check. Without it, a job on any branch that declares a deploy environment presents the same subject as one on main."
  type        = string
  default     = "refs/heads/main"

  validation {
    condition     = var.deploy_ref == null || can(regex("^refs/(heads|tags)/[A-Za-z0-9._/-]{1,255}$", coalesce(var.deploy_ref, "refs/heads/x")))
    error_message = "The deploy_ref must be a full ref without wildcards (refs/heads/<branch> or refs/tags/<tag>), or null."
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

variable "ecr_pull_repository_arns" {
  description = "ECR repositories in other accounts whose images this account's functions run (prod runs dev's images). Lambda requires whoever creates or updates a function from another account's image to be allowed ecr:BatchGetImage and ecr:GetDownloadUrlForLayer on it, besides the repository policy; the deploy role gets those."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for arn in var.ecr_pull_repository_arns : can(regex("^arn:aws[a-z-]*:ecr:[a-z0-9-]+:[0-9]{12}:repository/[a-z0-9][a-z0-9._/-]*$", arn))])
    error_message = "Each ecr_pull_repository_arns entry must be an ECR repository ARN (no wildcards)."
  }
}

variable "create_stack_kms_key" {
  description = "Create the stack's customer-managed KMS key here (alias/<resource_prefix>-stack), for the function's environment and logs, the API's access logs and the alarm topic: pass stack_kms_key_arn to the lambda, api-gateway and monitoring modules. The deploy role cannot create keys (KMS's policy lockout check needs kms:PutKeyPolicy, which cannot be limited to a stack), so pipelines need this; the permissions boundary then allows kms:Decrypt on this key only."
  type        = bool
  default     = false
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
