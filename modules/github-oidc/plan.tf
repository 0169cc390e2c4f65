# Read-only: enough for `terraform plan` of the stack on a pull request (each module's deployer lists
# what reading it takes, see deploy.tf). The one write is the state lockfile (`use_lockfile`),
# limited to `.tflock` keys.

locals {
  plan_statements = concat([
    {
      sid = "CiRolesRead"
      # So a scheduled drift check can also plan this module's own unit (applied by an administrator).
      actions = [
        "iam:GetOpenIDConnectProvider", "iam:GetPolicy", "iam:GetPolicyVersion", "iam:GetRole", "iam:GetRolePolicy",
        "iam:ListAttachedRolePolicies", "iam:ListRolePolicies",
      ]
      resources = concat(local.ci_role_arns, [local.boundary_arn, local.oidc_provider_arn])
    },
    ], [for statement in [
      {
        sid       = "StateBucketList"
        actions   = ["s3:ListBucket"]
        resources = [local.state_bucket_arn]
        # Terraform's S3 backend also lists `env:/` (workspaces) before every plan, and fails if it may
        # not (StateMgr calls Workspaces()).
        conditions = [{ test = "StringLike", variable = "s3:prefix", values = [local.state_list_prefix, "env:/*"] }]
      },
      { sid = "StateRead", actions = ["s3:GetObject"], resources = [local.state_objects] },
      { sid = "StateLockfiles", actions = ["s3:DeleteObject", "s3:PutObject"], resources = [local.state_lockfiles] },
  ] : statement if var.state_bucket_name != null], local.state_key)
}
