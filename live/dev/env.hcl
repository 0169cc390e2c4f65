# dev: everything that makes this environment differ from prod. The units under live/dev are the
# same files as under live/prod; each value below is described in live/README.md.
locals {
  environment = "dev"
  account_id  = "111111111111" # the dev AWS account: the provider refuses any other
  region      = "us-east-1"

  # Function sizing (the image's architecture must match lambda_architecture).
  lambda_architecture         = "x86_64"
  lambda_memory_size          = 512
  lambda_timeout              = 10
  lambda_reserved_concurrency = 20
  log_retention_days          = 30

  # API Gateway: stage-wide throttling and CORS (any origin in dev).
  api_throttling_burst_limit = 50
  api_throttling_rate_limit  = 25
  cors_allow_origins         = ["*"]

  # Alarms: who is told, and the concurrency level that alarms (below the reserved concurrency).
  alarm_emails                = ["dev-alerts@example.com"]
  alarm_concurrency_threshold = 16

  # Accounts whose functions may pull images from this account's repository. dev holds the
  # pipeline's registry, so prod's account is listed: prod runs the same digest, pulled from here.
  ecr_pull_account_ids = ["222222222222"]

  # Repositories in other accounts whose images this environment runs (dev runs images from its own repository): its
  # deploy role may read them, as Lambda requires of whoever creates or updates the function.
  ecr_pull_repository_arns = []

  # CI access (live/_envcommon/github-oidc.hcl). Set false where the account already has GitHub's
  # OIDC provider. The branch whose runs may use the deploy role without a GitHub environment: dev's
  # role also pushes the image built on main.
  create_github_oidc_provider = true
  github_deploy_branch        = "main"

  # Pins: what this environment runs. Written by `make pin` and `make promote` (tools/promote.py),
  # never by hand; git history is the deploy log. An empty image_uri means nothing is pinned yet.
  image_uri   = ""
  app_version = ""
}
