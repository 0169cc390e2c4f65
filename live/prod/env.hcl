# prod: everything that makes this environment differ from dev. The units under live/prod are the
# same files as under live/dev; each value below is described in live/README.md.
locals {
  environment = "prod"
  account_id  = "222222222222" # the prod AWS account: the provider refuses any other
  region      = "us-east-1"

  # Function sizing (the image's architecture must match lambda_architecture).
  lambda_architecture         = "x86_64"
  lambda_memory_size          = 1024
  lambda_timeout              = 10
  lambda_reserved_concurrency = 100
  log_retention_days          = 365

  # API Gateway: stage-wide throttling and CORS (explicit origins only in prod).
  api_throttling_burst_limit = 200
  api_throttling_rate_limit  = 100
  cors_allow_origins         = ["https://app.example.com"]

  # Alarms: who is told, and the concurrency level that alarms (below the reserved concurrency).
  alarm_emails                = ["oncall@example.com"]
  alarm_concurrency_threshold = 80

  # Accounts whose functions may pull images from this account's repository. prod runs images from
  # dev's registry, so its own repository lends to no one.
  ecr_pull_account_ids = []

  # Repositories in other accounts whose images this environment runs (prod runs dev's images, by digest): its
  # deploy role may read them, as Lambda requires of whoever creates or updates the function.
  ecr_pull_repository_arns = ["arn:aws:ecr:us-east-1:111111111111:repository/lambda-api-dev"]

  # CI access (live/_envcommon/github-oidc.hcl). Set false where the account already has GitHub's
  # OIDC provider. Only the `prod` GitHub environment (required reviewers) may deploy here, never a
  # bare branch run: no branch is trusted.
  create_github_oidc_provider = true
  github_deploy_branch        = null

  # Pins: what this environment runs. Written by `make promote` (tools/promote.py) from dev's pins,
  # never by hand; git history is the deploy log. An empty image_uri means nothing is pinned yet.
  image_uri   = ""
  app_version = ""
}
