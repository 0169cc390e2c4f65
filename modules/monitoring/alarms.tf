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

################################################################################
# Per version: one alarm whose time series are the versions (a Metrics Insights query with GROUP BY)
################################################################################

# A Metrics Insights query that returns several time series makes every series a contributor of
# its own: the alarm fires when any version breaches and names that version (console, the
# DescribeAlarmContributors API), so the stable version and a canary are told apart. Metrics
# Insights reads data at one-minute granularity and over the last three hours only:
# https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Create_Metrics_Insights_Alarm.html
# https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch-metrics-insights-limits.html
# `ops release` judges the canary faster, on the app's one-second metrics (see release.tf).
locals {
  insights_period = max(60, var.period_seconds)

  per_version_alarms = {
    "lambda-errors" = {
      description = "Lambda ${var.function_name}:${var.alias_name}: invocations of one version failed (Errors >= ${var.errors_threshold} per period); the contributor names the version (ExecutedVersion)."
      query       = "SELECT SUM(Errors) FROM SCHEMA(\"AWS/Lambda\", ExecutedVersion, FunctionName, Resource) WHERE FunctionName = '${var.function_name}' AND Resource = '${var.function_name}:${var.alias_name}' GROUP BY ExecutedVersion"
      label       = "Errors by version"
      threshold   = var.errors_threshold
    }
    # Each request adds an Errors sample of 0 or 1, so the average is the share answered 5xx.
    "version-5xx-rate" = {
      description = "${local.service_name}: ${var.api_5xx_rate_threshold_percent} % or more of one version's requests answered 5xx (app metrics, ${var.metrics_namespace}); the contributor names the version."
      query       = "SELECT AVG(Errors) FROM SCHEMA(\"${var.metrics_namespace}\", Service, Version) WHERE Service = '${local.service_name}' GROUP BY Version"
      label       = "Share of 5xx by version"
      threshold   = var.api_5xx_rate_threshold_percent / 100
    }
  }
}

resource "aws_cloudwatch_metric_alarm" "per_version" {
  for_each = local.per_version_alarms

  alarm_name        = "${var.name}-${each.key}"
  alarm_description = each.value.description

  comparison_operator = "GreaterThanOrEqualToThreshold"
  threshold           = each.value.threshold
  evaluation_periods  = var.evaluation_periods
  datapoints_to_alarm = var.datapoints_to_alarm
  treat_missing_data  = "notBreaching"

  metric_query {
    id          = "versions"
    expression  = each.value.query
    label       = each.value.label
    period      = local.insights_period
    return_data = true
  }

  alarm_actions = [aws_sns_topic.alarms.arn]
  ok_actions    = [aws_sns_topic.alarms.arn]

  tags = var.tags
}

# lambda-errors watched the alias as a whole before it watched each version.
moved {
  from = aws_cloudwatch_metric_alarm.this["lambda-errors"]
  to   = aws_cloudwatch_metric_alarm.per_version["lambda-errors"]
}

locals {
  alarms = merge(
    { for key, alarm in aws_cloudwatch_metric_alarm.this : key => alarm },
    { for key, alarm in aws_cloudwatch_metric_alarm.per_version : key => alarm },
    { "api-5xx-rate" = aws_cloudwatch_metric_alarm.api_5xx_rate },
  )
}
