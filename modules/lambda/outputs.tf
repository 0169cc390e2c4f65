output "function_name" {
  description = "Name of the function."
  value       = aws_lambda_function.this.function_name
}

output "function_arn" {
  description = "Unqualified ARN of the function."
  value       = aws_lambda_function.this.arn
}

output "version" {
  description = "Latest published version (the one this apply published). With alias_managed_externally the alias may point elsewhere until the pipeline releases it."
  value       = aws_lambda_function.this.version
}

output "alias_name" {
  description = "Name of the alias API Gateway invokes."
  value       = local.alias.name
}

output "alias_arn" {
  description = "ARN of the alias."
  value       = local.alias.arn
}

output "alias_invoke_arn" {
  description = "Invoke ARN of the alias, for an API Gateway integration."
  value       = local.alias.invoke_arn
}

output "log_group_name" {
  description = "Name of the function's log group."
  value       = module.log_group.name
}

output "log_group_arn" {
  description = "ARN of the function's log group."
  value       = module.log_group.arn
}

output "role_arn" {
  description = "ARN of the execution role."
  value       = aws_iam_role.this.arn
}

output "role_name" {
  description = "Name of the execution role."
  value       = aws_iam_role.this.name
}

output "kms_key_arn" {
  description = "KMS key encrypting the environment variables and the log group."
  value       = local.kms_key_arn
}

output "image_command" {
  description = "CMD the function runs (the handler)."
  value       = var.image_command
}

output "environment_variables" {
  description = "Environment variables set on the function (no secrets belong here)."
  value       = local.environment
}

output "timeout" {
  description = "Timeout of the function in seconds (the monitoring module's function_timeout_seconds)."
  value       = aws_lambda_function.this.timeout
}
