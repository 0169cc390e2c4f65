# Values shared by every environment of this project. Read by root.hcl and live/_envcommon/*.hcl.
locals {
  # Prefix of every resource name (<name>-<environment>) and of the state bucket.
  name = "lambda-api"

  # The GitHub repository (owner/name) whose workflows may assume the CI roles; also a default tag.
  github_repository = "example-org/lambda-api"
}
