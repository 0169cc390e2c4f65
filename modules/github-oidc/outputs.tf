output "oidc_provider_arn" {
  description = "ARN of the GitHub OIDC provider (created or reused)."
  value       = local.oidc_provider_arn
}

output "deploy_role_arn" {
  description = "ARN of the deploy role (for aws-actions/configure-aws-credentials `role-to-assume` in deploy jobs)."
  value       = aws_iam_role.deploy.arn
}

output "deploy_role_name" {
  description = "Name of the deploy role."
  value       = aws_iam_role.deploy.name
}

output "plan_role_arn" {
  description = "ARN of the read-only plan role (pull-request jobs)."
  value       = aws_iam_role.plan.arn
}

output "plan_role_name" {
  description = "Name of the plan role."
  value       = aws_iam_role.plan.name
}

output "permissions_boundary_arn" {
  description = "ARN of the permissions boundary the deploy role must attach to roles it creates (null when create_permissions_boundary is false). Pass it to the lambda module's role_permissions_boundary_arn."
  value       = var.create_permissions_boundary ? aws_iam_policy.boundary[0].arn : null
}

output "deploy_subjects" {
  description = "Token subjects the deploy role trusts."
  value       = local.deploy_subjects
}

output "plan_subjects" {
  description = "Token subjects the plan role trusts."
  value       = local.plan_subjects
}

output "stack_kms_key_arn" {
  description = "ARN of the stack's KMS key (null unless create_stack_kms_key): the kms_key_arn of the lambda, api-gateway and monitoring modules."
  value       = local.stack_key_arn
}
