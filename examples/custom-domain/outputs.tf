output "custom_domain_url" {
  description = "Base URL through the custom domain: https://<domain_name>/<api_mapping_key>."
  value       = module.api.custom_domain_url
}

output "api_url" {
  description = "Base URL of the API's own execute-api endpoint (no mapping key), which keeps working."
  value       = module.api.api_endpoint
}

output "api_id" {
  description = "Id of the HTTP API."
  value       = module.api.api_id
}

output "custom_domain_target" {
  description = "Regional domain name and hosted zone the alias record points at."
  value       = module.api.custom_domain_target
}

output "certificate_arn" {
  description = "ACM certificate of the custom domain."
  value       = module.api.certificate_arn
}

output "protected_route_keys" {
  description = "Routes that need a valid token."
  value       = module.api.protected_route_keys
}

output "function_name" {
  description = "Name of the Lambda function."
  value       = module.lambda.function_name
}

output "function_version" {
  description = "Version this apply published."
  value       = module.lambda.version
}

output "alias_name" {
  description = "Alias API Gateway invokes."
  value       = module.lambda.alias_name
}

output "repository_url" {
  description = "ECR repository to push images to."
  value       = module.ecr.repository_url
}
