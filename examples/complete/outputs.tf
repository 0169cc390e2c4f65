output "api_url" {
  description = "Base URL of the HTTP API."
  value       = module.api.api_endpoint
}

output "custom_domain_url" {
  description = "Base URL through a custom domain: null here (the module's domain inputs are off; see examples/custom-domain)."
  value       = module.api.custom_domain_url
}

output "route_keys" {
  description = "Route keys of the API: `$default` alone here, so every path reaches the function and a route added to the app deploys with no edit."
  value       = module.api.route_keys
}

output "api_id" {
  description = "Id of the HTTP API."
  value       = module.api.api_id
}

output "function_name" {
  description = "Name of the Lambda function."
  value       = module.lambda.function_name
}

output "function_arn" {
  description = "ARN of the Lambda function."
  value       = module.lambda.function_arn
}

output "function_version" {
  description = "Version this apply published."
  value       = module.lambda.version
}

output "alias_name" {
  description = "Alias API Gateway invokes."
  value       = module.lambda.alias_name
}

output "alias_arn" {
  description = "ARN of that alias."
  value       = module.lambda.alias_arn
}

output "log_group_name" {
  description = "The function's log group."
  value       = module.lambda.log_group_name
}

output "access_log_group_name" {
  description = "The API's access log group."
  value       = module.api.access_log_group_name
}

output "repository_url" {
  description = "ECR repository to push images to."
  value       = module.ecr.repository_url
}

output "repository_name" {
  description = "Name of the ECR repository."
  value       = module.ecr.repository_name
}

output "dashboard_name" {
  description = "CloudWatch dashboard."
  value       = module.monitoring.dashboard_name
}

output "alarm_topic_arn" {
  description = "SNS topic receiving alarm and OK notifications."
  value       = module.monitoring.sns_topic_arn
}

output "alarm_names" {
  description = "Names of the alarms."
  value       = module.monitoring.alarm_names
}

output "deploy_role_arn" {
  description = "Role GitHub Actions assumes to deploy."
  value       = module.github_oidc.deploy_role_arn
}

output "plan_role_arn" {
  description = "Role GitHub Actions assumes to plan pull requests."
  value       = module.github_oidc.plan_role_arn
}
