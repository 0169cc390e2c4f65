output "sns_topic_arn" {
  description = "ARN of the alarm topic (alarm and OK notifications)."
  value       = aws_sns_topic.alarms.arn
}

output "kms_key_arn" {
  description = "KMS key encrypting the alarm topic."
  value       = local.kms_key_arn
}

output "dashboard_name" {
  description = "Name of the CloudWatch dashboard."
  value       = aws_cloudwatch_dashboard.this.dashboard_name
}

output "alarm_names" {
  description = "Names of all alarms (they share the prefix `<name>-`)."
  value       = sort([for alarm in local.alarms : alarm.alarm_name])
}

output "alarm_arns" {
  description = "ARNs of all alarms."
  value       = sort([for alarm in local.alarms : alarm.arn])
}

output "query_definition_names" {
  description = "Names of the saved Logs Insights queries (empty when create_query_definitions is false)."
  value       = sort([for query in aws_cloudwatch_query_definition.this : query.name])
}

output "log_insights_queries" {
  description = "The Logs Insights queries by name (saved or not), with the log groups each reads."
  value       = local.queries
}
