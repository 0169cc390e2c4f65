locals {
  ns      = var.metrics_namespace
  service = local.service_name
  fn      = var.function_name
  fn_res  = "${var.function_name}:${var.alias_name}"

  # SEARCH finds every Route / StatusClass / Version the app has reported, without listing them
  # here. Versions are read at the release signal's period (the app stores them per second).
  app_searches = {
    requests_by_route   = { dims = "Service,Route", metric = "Requests", stat = "Sum", period = var.period_seconds }
    latency_by_route    = { dims = "Service,Route", metric = "Latency", stat = "p99", period = var.period_seconds }
    requests_by_status  = { dims = "Service,StatusClass", metric = "Requests", stat = "Sum", period = var.period_seconds }
    requests_by_version = { dims = "Service,Version", metric = "Requests", stat = "Sum", period = var.release_signal_period_seconds }
    errors_by_version   = { dims = "Service,Version", metric = "Errors", stat = "Average", period = var.release_signal_period_seconds }
    latency_by_version  = { dims = "Service,Version", metric = "Latency", stat = "p99", period = var.release_signal_period_seconds }
  }
  app_search = {
    for name, spec in local.app_searches :
    name => "SEARCH('{\"${local.ns}\",${spec.dims}} Service=\"${local.service}\" MetricName=\"${spec.metric}\"', '${spec.stat}', ${spec.period})"
  }
  lambda_by_version = {
    for metric in ["Invocations", "Errors"] :
    metric => "SEARCH('{AWS/Lambda,ExecutedVersion,FunctionName,Resource} FunctionName=\"${local.fn}\" Resource=\"${local.fn_res}\" MetricName=\"${metric}\"', 'Sum', 60)"
  }

  # One time series per SEARCH above, at the search's own period: a line for each Route, StatusClass
  # or Version found. During a release both versions appear side by side, one line each (the stable
  # one and the canary), against the line at which `ops release` rolls back.
  search_widgets = [
    { search = "requests_by_status", id = "status", x = 16, y = 12, width = 8, title = "App requests by status class" },
    { search = "requests_by_route", id = "routes", x = 0, y = 18, width = 12, title = "App requests by route" },
    { search = "latency_by_route", id = "latency", x = 12, y = 18, width = 12, title = "App latency p99 by route (ms)" },
    { search = "requests_by_version", id = "versions", x = 0, y = 24, width = 6, title = "Release: requests by version (app)" },
    {
      search   = "errors_by_version", id = "errors", x = 6, y = 24, width = 6, title = "Release: share of 5xx by version (app)"
      rollback = var.api_5xx_rate_threshold_percent / 100
    },
    {
      search   = "latency_by_version", id = "latency", x = 12, y = 24, width = 6, title = "Release: latency p99 by version (app, ms)"
      rollback = var.api_latency_p99_threshold_ms
    },
  ]

  widgets = concat(
    [
      {
        type = "metric", x = 0, y = 0, width = 12, height = 6
        properties = {
          title  = "API requests and errors (HTTP API ${var.api_id})"
          region = local.region, view = "timeSeries", stat = "Sum", period = var.period_seconds
          metrics = [
            ["AWS/ApiGateway", "Count", "ApiId", var.api_id, "Stage", var.api_stage],
            ["AWS/ApiGateway", "4xx", "ApiId", var.api_id, "Stage", var.api_stage],
            ["AWS/ApiGateway", "5xx", "ApiId", var.api_id, "Stage", var.api_stage],
          ]
        }
      },
      {
        type = "metric", x = 12, y = 0, width = 12, height = 6
        properties = {
          title  = "API latency (ms)"
          region = local.region, view = "timeSeries", period = var.period_seconds
          metrics = [
            ["AWS/ApiGateway", "Latency", "ApiId", var.api_id, "Stage", var.api_stage, { stat = "p50" }],
            ["AWS/ApiGateway", "Latency", "ApiId", var.api_id, "Stage", var.api_stage, { stat = "p99" }],
            ["AWS/ApiGateway", "IntegrationLatency", "ApiId", var.api_id, "Stage", var.api_stage, { stat = "p99" }],
          ]
          annotations = { horizontal = [{ label = "alarm", value = var.api_latency_p99_threshold_ms }] }
        }
      },
      {
        type = "metric", x = 0, y = 6, width = 8, height = 6
        properties = {
          title  = "Lambda ${local.fn_res}: invocations, errors, throttles"
          region = local.region, view = "timeSeries", stat = "Sum", period = var.period_seconds
          metrics = [
            ["AWS/Lambda", "Invocations", "FunctionName", local.fn, "Resource", local.fn_res],
            ["AWS/Lambda", "Errors", "FunctionName", local.fn, "Resource", local.fn_res],
            ["AWS/Lambda", "Throttles", "FunctionName", local.fn, "Resource", local.fn_res],
          ]
        }
      },
      {
        type = "metric", x = 8, y = 6, width = 8, height = 6
        properties = {
          title  = "Lambda duration (ms)"
          region = local.region, view = "timeSeries", period = var.period_seconds
          metrics = [
            ["AWS/Lambda", "Duration", "FunctionName", local.fn, "Resource", local.fn_res, { stat = "p50" }],
            ["AWS/Lambda", "Duration", "FunctionName", local.fn, "Resource", local.fn_res, { stat = "p99" }],
          ]
          annotations = { horizontal = [{ label = "timeout", value = var.function_timeout_seconds * 1000 }] }
        }
      },
      {
        type = "metric", x = 16, y = 6, width = 8, height = 6
        properties = {
          title  = "Lambda concurrent executions"
          region = local.region, view = "timeSeries", stat = "Maximum", period = var.period_seconds
          metrics = [
            ["AWS/Lambda", "ConcurrentExecutions", "FunctionName", local.fn],
          ]
          annotations = { horizontal = [{ label = "alarm", value = var.concurrency_threshold }] }
        }
      },
      {
        type = "metric", x = 0, y = 12, width = 8, height = 6
        properties = {
          title  = "App (${local.ns}, Service=${local.service}): requests and errors"
          region = local.region, view = "timeSeries", stat = "Sum", period = var.period_seconds
          metrics = [
            [local.ns, "Requests", "Service", local.service],
            [local.ns, "Errors", "Service", local.service, { label = "Errors (5xx)" }],
            [local.ns, "ClientErrors", "Service", local.service, { label = "ClientErrors (4xx)" }],
            [local.ns, "ColdStart", "Service", local.service],
          ]
        }
      },
      {
        type = "metric", x = 8, y = 12, width = 8, height = 6
        properties = {
          title  = "App latency (ms)"
          region = local.region, view = "timeSeries", period = var.period_seconds
          metrics = [
            [local.ns, "Latency", "Service", local.service, { stat = "p50" }],
            [local.ns, "Latency", "Service", local.service, { stat = "p99" }],
          ]
        }
      },
    ],
    [
      for widget in local.search_widgets : {
        type = "metric", x = widget.x, y = widget.y, width = widget.width, height = 6
        properties = merge(
          {
            title   = widget.title
            region  = local.region, view = "timeSeries", period = local.app_searches[widget.search].period
            metrics = [[{ expression = local.app_search[widget.search], id = widget.id, label = "" }]]
          },
          # The rollback line, on the release widgets that give one (widget.rollback fails on the others).
          try({ annotations = { horizontal = [{ label = "rollback", value = widget.rollback }] } }, {}),
        )
      }
    ],
    [
      {
        type = "metric", x = 18, y = 24, width = 6, height = 6
        properties = {
          title  = "Release: Lambda invocations and errors by version (${local.fn_res})"
          region = local.region, view = "timeSeries", period = 60
          metrics = [
            [{ expression = local.lambda_by_version.Invocations, id = "invocations", label = "" }],
            [{ expression = local.lambda_by_version.Errors, id = "failures", label = "" }],
          ]
        }
      },
      {
        type = "alarm", x = 0, y = 30, width = 24, height = 3
        properties = {
          title  = "Alarms"
          alarms = sort([for alarm in local.alarms : alarm.arn])
        }
      },
      {
        type = "log", x = 0, y = 33, width = 24, height = 6
        properties = {
          title  = "Recent errors (saved query ${var.name}/errors)"
          region = local.region, view = "table"
          query  = "SOURCE '${var.lambda_log_group_name}' | ${replace(trimspace(local.queries.errors.query), "\n", " ")}"
        }
      },
    ],
  )
}

resource "aws_cloudwatch_dashboard" "this" {
  dashboard_name = var.name
  dashboard_body = jsonencode({ widgets = local.widgets })
}
