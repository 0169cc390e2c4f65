output "api_id" {
  description = "Id of the HTTP API."
  value       = aws_apigatewayv2_api.this.id
}

output "api_endpoint" {
  description = "Base URL clients call (the `$default` stage serves at the root), without a trailing slash."
  value       = aws_apigatewayv2_api.this.api_endpoint
}

output "execution_arn" {
  description = "Execution ARN of the API (prefix of the source ARN of its invocations)."
  value       = aws_apigatewayv2_api.this.execution_arn
}

output "stage_name" {
  description = "Name of the stage (`$default`), the Stage dimension of the API's metrics."
  value       = aws_apigatewayv2_stage.this.name
}

output "route_keys" {
  description = "Route keys of the API, all to the function: `$default` (every request no other key matches) and the protected_routes."
  value       = sort(concat([aws_apigatewayv2_route.default.route_key], [for route in aws_apigatewayv2_route.protected : route.route_key]))
}

output "access_log_group_name" {
  description = "Name of the access log group."
  value       = module.access_log_group.name
}

output "access_log_group_arn" {
  description = "ARN of the access log group."
  value       = module.access_log_group.arn
}

output "kms_key_arn" {
  description = "KMS key encrypting the access log group."
  value       = module.access_log_group.kms_key_arn
}

output "custom_domain_url" {
  description = "https://<domain_name>[/<api_mapping_key>], the URL clients call through the custom domain (no trailing slash); null without a domain."
  value       = var.domain_name == null ? null : join("/", compact(["https://${var.domain_name}", var.api_mapping_key]))
}

output "custom_domain_target" {
  description = "Where DNS for domain_name must point (an alias or CNAME to target_domain_name, in hosted_zone_id), for DNS outside Route 53; null without a domain."
  value = var.domain_name == null ? null : {
    target_domain_name = aws_apigatewayv2_domain_name.this[0].domain_name_configuration[0].target_domain_name
    hosted_zone_id     = aws_apigatewayv2_domain_name.this[0].domain_name_configuration[0].hosted_zone_id
  }
}

output "certificate_arn" {
  description = "ACM certificate of the custom domain (requested by the module, or domain_certificate_arn); null without a domain."
  value       = local.certificate_arn
}

output "authorizer_id" {
  description = "Id of the JWT authorizer; null without jwt_authorizer."
  value       = one(aws_apigatewayv2_authorizer.jwt[*].id)
}

output "protected_route_keys" {
  description = "Route keys that require a JWT (API Gateway's authorizer checks it)."
  value       = sort(var.protected_routes)
}
