locals {
  # Field names are the app's access line (event = "request", status, duration_ms, route, request_id,
  # lambda_request_id, cold_start) and the API access log format of the api-gateway module.
  queries = merge(
    {
      errors = {
        log_groups = [var.lambda_log_group_name]
        query      = <<-EOT
          fields @timestamp, level, event, method, route, status, duration_ms, request_id, lambda_request_id, errorType, @message
          | filter (event = "request" and status >= 500) or level in ["error", "critical", "ERROR", "FATAL"] or ispresent(errorType)
          | sort @timestamp desc
          | limit 200
        EOT
      }
      slow-requests = {
        log_groups = [var.lambda_log_group_name]
        query      = <<-EOT
          fields @timestamp, method, route, status, duration_ms, cold_start, request_id, lambda_request_id
          | filter event = "request" and duration_ms >= ${var.slow_request_ms}
          | sort duration_ms desc
          | limit 200
        EOT
      }
    },
    var.api_access_log_group_name == null ? {} : {
      api-errors = {
        log_groups = [var.api_access_log_group_name]
        query      = <<-EOT
          fields @timestamp, requestId, ip, routeKey, status, integrationStatus, integrationError, errorMessage, responseLatency
          | filter status >= 500 or (ispresent(integrationError) and integrationError != "" and integrationError != "-")
          | sort @timestamp desc
          | limit 200
        EOT
      }
    },
  )
}

resource "aws_cloudwatch_query_definition" "this" {
  for_each = var.create_query_definitions ? local.queries : {}

  # A "/" groups the saved queries in a folder named after the stack in the console.
  name            = "${var.name}/${each.key}"
  log_group_names = each.value.log_groups
  query_string    = each.value.query
}
