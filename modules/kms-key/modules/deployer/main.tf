# What the CI roles need for the keys of the stack (modules/github-oidc builds its policies from it):
# read them, and use them only through the services that encrypt with them on the deployer's behalf.
# Nothing creates, changes or deletes a key: KMS refuses a CreateKey whose policy would not let the
# caller call PutKeyPolicy afterwards (the policy lockout safety check, KMS API reference: CreateKey),
# and PutKeyPolicy, aliases, DisableKey and ScheduleKeyDeletion cannot be limited to the stack's keys
# (their ids are generated): the administrator creates the stack's key (github-oidc's
# create_stack_kms_key). Data only, no provider.

variable "scope" {
  description = "The stack: name_prefix of its resources, account_id, region, partition; key_arns, the keys the stack's resources are encrypted with; services, the AWS services (ecr, lambda, logs, sns) through which the deploy role may use them."
  type        = object({ name_prefix = string, account_id = string, region = string, partition = string, key_arns = list(string), services = list(string) })
}

locals {
  # The plan role's statements, and the first of the deploy role's (an apply refreshes every resource
  # before it changes any, so the deploy role keeps every read the plan role has).
  read = [
    { sid = "KmsList", actions = ["kms:ListAliases"], resources = ["*"] }, # takes no resource
    {
      sid       = "KmsRead"
      actions   = ["kms:DescribeKey", "kms:GetKeyPolicy", "kms:GetKeyRotationStatus", "kms:ListResourceTags"]
      resources = ["arn:${var.scope.partition}:kms:${var.scope.region}:${var.scope.account_id}:key/*"]
    },
  ]
}

output "statements" {
  description = "IAM statements by role (deploy, plan)."
  value = {
    deploy = concat(local.read, [
      {
        sid = "KmsUseThroughStackServices"
        actions = [
          "kms:CreateGrant", "kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey", "kms:RetireGrant",
        ]
        resources = var.scope.key_arns
        conditions = [{
          test     = "StringEquals"
          variable = "kms:ViaService"
          values   = [for service in var.scope.services : "${service}.${var.scope.region}.amazonaws.com"]
        }]
      },
    ])
    plan = local.read
  }
}
