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
  description = "Route keys that reach the function."
  value       = sort([for route in aws_apigatewayv2_route.this : route.route_key])
}

output "access_log_group_name" {
  description = "Name of the access log group."
  value       = aws_cloudwatch_log_group.access.name
}

output "access_log_group_arn" {
  description = "ARN of the access log group."
  value       = aws_cloudwatch_log_group.access.arn
}

output "kms_key_arn" {
  description = "KMS key encrypting the access log group."
  value       = local.kms_key_arn
}
