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
  alarm_emails                = ["oncall@example.com"]
  alarm_concurrency_threshold = 80

  # Releases (`ops release`, through the monitoring unit's `release` output): the new version's
  # traffic share per canary step, seconds per step and of the bake after the full shift; null is
  # what the signal needs (120 s), anything shorter fails the plan. See docs/operations.md.
  # prod: two canary steps of 5 minutes, a 10-minute bake.
  release_canary_percents = [10, 50]
  release_step_seconds    = 300
  release_bake_seconds    = 600

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
