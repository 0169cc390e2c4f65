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

  # Custom domain and JWT authorization (docs/deployment.md, "Custom domain" and "Protecting
  # routes"); off as null, "" and []. The mapping key and the protected routes go to both the API
  # and the function (its BASE_PATH and PROTECTED_ROUTES): set them here only.
  api_domain_name     = null # e.g. "api.example.com"
  api_domain_zone_id  = null # Route 53 hosted zone of the domain (alias and certificate validation)
  api_certificate_arn = null # an issued ACM certificate in this region; null requests one
  api_mapping_key     = ""   # e.g. "v1": https://<domain>/v1/hello
  jwt_issuer          = null # e.g. "https://cognito-idp.<region>.amazonaws.com/<user pool id>"
  jwt_audiences       = []   # client ids or API identifiers a token must name
  jwt_scopes          = []   # a token needs one of these on protected routes; [] for none
  protected_routes    = []   # e.g. ["GET /hello", "POST /echo"]

  # Alarms: who is told, and the concurrency level that alarms (below the reserved concurrency).
  alarm_emails                = ["dev-alerts@example.com"]
  alarm_concurrency_threshold = 16

  # Releases (`ops release`, through the monitoring unit's `release` output): the new version's
  # traffic share per canary step, seconds per step and of the bake after the full shift; null is
  # what the signal needs (120 s), anything shorter fails the plan. See docs/operations.md.
  # dev: one canary step, each step and the bake as long as the signal needs (120 s).
  release_canary_percents = [10]
  release_step_seconds    = null
  release_bake_seconds    = null

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
