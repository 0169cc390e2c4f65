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

output "release" {
  description = "What `ops release` needs, by option: canary_percents (--canary each), step_seconds (--interval), bake_seconds (--bake), poll_seconds (--poll), metrics_namespace, service, max_error_rate_percent, max_p99_ms, signal_period_seconds and signal_delay_seconds (--signal-...), and signal_seconds, the shortest step the signal can judge."
  value = {
    canary_percents        = var.release_canary_percents
    step_seconds           = local.release_step_seconds
    bake_seconds           = local.release_bake_seconds
    poll_seconds           = var.release_signal_period_seconds
    signal_seconds         = local.release_signal_seconds
    signal_period_seconds  = var.release_signal_period_seconds
    signal_delay_seconds   = var.release_signal_delay_seconds
    metrics_namespace      = var.metrics_namespace
    service                = local.service_name
    max_error_rate_percent = var.api_5xx_rate_threshold_percent
    max_p99_ms             = var.api_latency_p99_threshold_ms
  }
}
