locals {
  lambda_alias_dimensions = {
    FunctionName = var.function_name
    Resource     = "${var.function_name}:${var.alias_name}"
  }
  api_dimensions = {
    ApiId = var.api_id
    Stage = var.api_stage
  }

  # HTTP API metric names (4xx, 5xx, Count, Latency); 4XXError/5XXError/ApiName belong to REST APIs
  # and never get data for an HTTP API.
  metric_alarms = {
    "lambda-errors" = {
      description = "Lambda ${var.function_name}:${var.alias_name} invocations failed (Errors >= ${var.errors_threshold} per period)."
      namespace   = "AWS/Lambda"
      metric_name = "Errors"
      statistic   = "Sum"
      extended    = null
      threshold   = var.errors_threshold
      dimensions  = local.lambda_alias_dimensions
    }
    "lambda-throttles" = {
      description = "Lambda ${var.function_name}:${var.alias_name} invocations were throttled (reserved concurrency or account limit reached)."
      namespace   = "AWS/Lambda"
      metric_name = "Throttles"
      statistic   = "Sum"
      extended    = null
      threshold   = var.throttles_threshold
      dimensions  = local.lambda_alias_dimensions
    }
    "lambda-duration-p99" = {
      description = "Lambda ${var.function_name}:${var.alias_name} Duration p99 is at ${var.duration_alarm_ratio * 100} % of the ${var.function_timeout_seconds} s timeout."
      namespace   = "AWS/Lambda"
      metric_name = "Duration"
      statistic   = null
      extended    = "p99"
      threshold   = var.function_timeout_seconds * 1000 * var.duration_alarm_ratio
      dimensions  = local.lambda_alias_dimensions
    }
    "lambda-concurrency" = {
      description = "Lambda ${var.function_name} ConcurrentExecutions reached ${var.concurrency_threshold}; throttling follows at the reserved concurrency."
      namespace   = "AWS/Lambda"
      metric_name = "ConcurrentExecutions"
      statistic   = "Maximum"
      extended    = null
      threshold   = var.concurrency_threshold
      # Reserved concurrency is per function, so the function-wide figure is the one that throttles.
      dimensions = { FunctionName = var.function_name }
    }
    "api-latency-p99" = {
      description = "HTTP API ${var.api_id} Latency p99 reached ${var.api_latency_p99_threshold_ms} ms."
      namespace   = "AWS/ApiGateway"
      metric_name = "Latency"
      statistic   = null
      extended    = "p99"
      threshold   = var.api_latency_p99_threshold_ms
      dimensions  = local.api_dimensions
    }
  }
}

resource "aws_cloudwatch_metric_alarm" "this" {
  for_each = local.metric_alarms

  alarm_name        = "${var.name}-${each.key}"
  alarm_description = each.value.description

  namespace          = each.value.namespace
  metric_name        = each.value.metric_name
  dimensions         = each.value.dimensions
  statistic          = each.value.statistic
  extended_statistic = each.value.extended
  period             = var.period_seconds

  comparison_operator = "GreaterThanOrEqualToThreshold"
  threshold           = each.value.threshold
  evaluation_periods  = var.evaluation_periods
  datapoints_to_alarm = var.datapoints_to_alarm
  # No traffic means nothing failed: an idle service stays OK rather than flapping to INSUFFICIENT_DATA.
  treat_missing_data = "notBreaching"

  alarm_actions = [aws_sns_topic.alarms.arn]
  ok_actions    = [aws_sns_topic.alarms.arn]

  tags = var.tags
}

# A rate rather than a count, so a busy service is not paged for a handful of errors.
resource "aws_cloudwatch_metric_alarm" "api_5xx_rate" {
  alarm_name        = "${var.name}-api-5xx-rate"
  alarm_description = "HTTP API ${var.api_id}: ${var.api_5xx_rate_threshold_percent} % or more of requests answered 5xx."

  comparison_operator = "GreaterThanOrEqualToThreshold"
  threshold           = var.api_5xx_rate_threshold_percent
  evaluation_periods  = var.evaluation_periods
  datapoints_to_alarm = var.datapoints_to_alarm
  treat_missing_data  = "notBreaching"

  metric_query {
    id          = "rate"
    expression  = "IF(requests > 0, 100 * errors / requests, 0)"
    label       = "5xx rate (%)"
    return_data = true
  }

  metric_query {
    id = "errors"
    metric {
      namespace   = "AWS/ApiGateway"
      metric_name = "5xx"
      dimensions  = local.api_dimensions
      stat        = "Sum"
      period      = var.period_seconds
    }
  }

  metric_query {
    id = "requests"
    metric {
      namespace   = "AWS/ApiGateway"
      metric_name = "Count"
      dimensions  = local.api_dimensions
      stat        = "Sum"
      period      = var.period_seconds
    }
  }

  alarm_actions = [aws_sns_topic.alarms.arn]
  ok_actions    = [aws_sns_topic.alarms.arn]

  tags = var.tags
}

locals {
  alarms = merge(
    { for key, alarm in aws_cloudwatch_metric_alarm.this : key => alarm },
    { "api-5xx-rate" = aws_cloudwatch_metric_alarm.api_5xx_rate },
  )
}
