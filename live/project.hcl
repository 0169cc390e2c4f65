# Values shared by every environment of this project. Read by root.hcl and live/_envcommon/*.hcl.
locals {
  # Prefix of every resource name (<name>-<environment>) and of the state bucket.
  name = "lambda-api"

  # The GitHub repository (owner/name) whose workflows may assume the CI roles; also a default tag.
  github_repository = "example-org/lambda-api"

  # Its numeric owner and repository ids: GitHub's immutable OIDC subject
  # (`repo:OWNER-OWNERID/REPO-REPOID:...`) carries them, and repositories created, renamed or
  # transferred after 2026-06-18 present only that format. Read them with
  # `gh api repos/OWNER/REPO --jq '.owner.id, .id'` (see modules/github-oidc/README.md).
  github_owner_id      = 100000001
  github_repository_id = 200000002
}
