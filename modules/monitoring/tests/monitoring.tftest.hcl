mock_provider "aws" {
  source = "../.mocks/aws"
}

variables {
  name                      = "api"
  function_name             = "api"
  function_timeout_seconds  = 10
  lambda_log_group_name     = "/aws/lambda/api"
  api_id                    = "a1b2c3d4e5"
  api_access_log_group_name = "/aws/apigateway/api"
  alarm_emails              = ["oncall@example.com"]
}

run "alarms_watch_the_right_metrics" {
  command = apply

  assert {
    condition = {
      for key, alarm in aws_cloudwatch_metric_alarm.this : key => [alarm.namespace, alarm.metric_name]
      } == {
      "lambda-throttles"    = ["AWS/Lambda", "Throttles"]
      "lambda-duration-p99" = ["AWS/Lambda", "Duration"]
      "lambda-concurrency"  = ["AWS/Lambda", "ConcurrentExecutions"]
      "api-latency-p99"     = ["AWS/ApiGateway", "Latency"]
    }
    error_message = "Alarms must cover Lambda Throttles, Duration, ConcurrentExecutions and API Latency (Errors per version, below)."
  }

  assert {
    condition = (
      aws_cloudwatch_metric_alarm.this["lambda-throttles"].dimensions == tomap({ FunctionName = "api", Resource = "api:live" }) &&
      aws_cloudwatch_metric_alarm.this["lambda-concurrency"].dimensions == tomap({ FunctionName = "api" })
    )
    error_message = "Lambda alarms must watch the alias (Resource = function:alias); concurrency the whole function."
  }

  assert {
    condition = (
      aws_cloudwatch_metric_alarm.this["lambda-duration-p99"].extended_statistic == "p99" &&
      aws_cloudwatch_metric_alarm.this["lambda-duration-p99"].threshold == 8000
    )
    error_message = "Duration p99 must alarm at 80 % of the timeout (in ms)."
  }

  assert {
    condition = (
      aws_cloudwatch_metric_alarm.this["api-latency-p99"].dimensions == tomap({ ApiId = "a1b2c3d4e5", Stage = "$default" }) &&
      aws_cloudwatch_metric_alarm.this["api-latency-p99"].extended_statistic == "p99"
    )
    error_message = "API latency must use the HTTP API dimensions ApiId and Stage."
  }

  assert {
    condition = toset(flatten([
      for q in aws_cloudwatch_metric_alarm.api_5xx_rate.metric_query : [for m in q.metric : m.metric_name]
    ])) == toset(["5xx", "Count"])
    error_message = "The 5xx rate must be computed from the HTTP API metrics 5xx and Count (not 5XXError)."
  }

  assert {
    condition = alltrue(flatten([
      for q in aws_cloudwatch_metric_alarm.api_5xx_rate.metric_query : [
        for m in q.metric : m.namespace == "AWS/ApiGateway" && m.dimensions == tomap({ ApiId = "a1b2c3d4e5", Stage = "$default" })
      ]
    ]))
    error_message = "The 5xx rate must use ApiId and Stage dimensions."
  }

  assert {
    condition = alltrue([
      for alarm in concat(values(aws_cloudwatch_metric_alarm.this), values(aws_cloudwatch_metric_alarm.per_version), [aws_cloudwatch_metric_alarm.api_5xx_rate]) :
      alarm.alarm_actions == toset([aws_sns_topic.alarms.arn]) && alarm.ok_actions == toset([aws_sns_topic.alarms.arn]) &&
      alarm.treat_missing_data == "notBreaching" && startswith(alarm.alarm_name, "api-")
    ])
    error_message = "Every alarm must notify the topic on ALARM and OK, treat missing data as not breaching and share the name prefix."
  }

  assert {
    condition     = length(output.alarm_names) == 7
    error_message = "Seven alarms must be reported."
  }
}

run "alarms_per_version" {
  command = apply

  variables {
    metrics_namespace = "Team/Api"
    service_name      = "hello-service"
  }

  assert {
    condition = (
      one(aws_cloudwatch_metric_alarm.per_version["lambda-errors"].metric_query).expression == "SELECT SUM(Errors) FROM SCHEMA(\"AWS/Lambda\", ExecutedVersion, FunctionName, Resource) WHERE FunctionName = 'api' AND Resource = 'api:live' GROUP BY ExecutedVersion" &&
      aws_cloudwatch_metric_alarm.per_version["lambda-errors"].threshold == 1
    )
    error_message = "Lambda errors must be alarmed per ExecutedVersion of the alias (one contributor per version)."
  }

  assert {
    condition = (
      one(aws_cloudwatch_metric_alarm.per_version["version-5xx-rate"].metric_query).expression == "SELECT AVG(Errors) FROM SCHEMA(\"Team/Api\", Service, Version) WHERE Service = 'hello-service' GROUP BY Version" &&
      aws_cloudwatch_metric_alarm.per_version["version-5xx-rate"].threshold == 0.01
    )
    error_message = "The app's share of 5xx must be alarmed per Version, at api_5xx_rate_threshold_percent as a fraction."
  }

  assert {
    condition = alltrue([
      for alarm in aws_cloudwatch_metric_alarm.per_version :
      one(alarm.metric_query).period == 60 && one(alarm.metric_query).return_data && alarm.metric_name == null
    ])
    error_message = "Metrics Insights alarms read one-minute data: their query period must be 60 s."
  }

  assert {
    condition = length([
      for widget in jsondecode(aws_cloudwatch_dashboard.this.dashboard_body).widgets : widget
      if startswith(try(widget.properties.title, ""), "Release: ")
    ]) == 4 && strcontains(aws_cloudwatch_dashboard.this.dashboard_body, "SEARCH('{\\\"Team/Api\\\",Service,Version} Service=\\\"hello-service\\\" MetricName=\\\"Errors\\\"', 'Average', 10)") && strcontains(aws_cloudwatch_dashboard.this.dashboard_body, "{AWS/Lambda,ExecutedVersion,FunctionName,Resource} FunctionName=\\\"api\\\" Resource=\\\"api:live\\\"")
    error_message = "The dashboard must show every version side by side: app requests, share of 5xx and p99 by Version (10 s), Lambda by ExecutedVersion."
  }
}

run "release_timing_is_derived_from_the_signal" {
  command = plan

  assert {
    condition = (
      output.release.canary_percents == tolist([10]) && output.release.step_seconds == 120 &&
      output.release.bake_seconds == 120 && output.release.signal_seconds == 120 && output.release.poll_seconds == 10
    )
    error_message = "By default a step and the bake last what the signal needs: Lambda's 60 s period plus 60 s of delivery."
  }

  assert {
    condition     = output.release.service == "api" && output.release.metrics_namespace == "LambdaApi" && output.release.max_error_rate_percent == 1 && output.release.max_p99_ms == 1000
    error_message = "The release must judge the same metrics and thresholds the alarms use."
  }
}

run "release_timing_per_environment" {
  command = plan

  variables {
    release_canary_percents      = [10, 50]
    release_step_seconds         = 300
    release_bake_seconds         = 600
    release_signal_delay_seconds = 30
  }

  assert {
    condition     = output.release.canary_percents == tolist([10, 50]) && output.release.step_seconds == 300 && output.release.bake_seconds == 600 && output.release.signal_seconds == 90
    error_message = "Explicit timing must be kept, and the signal's need follow its delay."
  }
}

run "rejects_release_steps_the_signal_cannot_judge" {
  command = plan

  variables {
    release_step_seconds = 100
  }

  expect_failures = [var.release_step_seconds]
}

run "rejects_a_bake_the_signal_cannot_judge" {
  command = plan

  variables {
    release_bake_seconds = 0
  }

  expect_failures = [var.release_bake_seconds]
}

run "rejects_canary_steps_out_of_order" {
  command = plan

  variables {
    release_canary_percents = [50, 10]
  }

  expect_failures = [var.release_canary_percents]
}

run "rejects_a_release_longer_than_one_second_data_lives" {
  command = plan

  variables {
    release_canary_percents = [5, 10, 25, 50]
    release_step_seconds    = 2700
  }

  expect_failures = [var.release_bake_seconds]
}

run "encrypted_topic_cloudwatch_can_use" {
  command = apply

  assert {
    condition     = aws_sns_topic.alarms.kms_master_key_id == module.kms[0].key_arn && module.kms[0].alias_name == "alias/api-alarms"
    error_message = "The topic must be encrypted with the module's own customer-managed key (modules/kms-key: rotating), aliased alias/<name>-alarms."
  }

  # The key's statement for CloudWatch alarms (cloudwatch_alarms = true) is modules/kms-key's, tested
  # there; tests/infra/test_emulator.py reads it back from the key applied to moto.

  assert {
    condition     = keys(aws_sns_topic_subscription.email) == ["oncall@example.com"] && aws_sns_topic_subscription.email["oncall@example.com"].protocol == "email"
    error_message = "Email addresses must be subscribed."
  }
}

run "dashboard_shows_app_emf_metrics" {
  command = apply

  variables {
    metrics_namespace = "Team/Api"
    service_name      = "hello-service"
  }

  assert {
    condition = alltrue([
      for metric in ["Requests", "Errors", "ClientErrors", "Latency", "ColdStart"] :
      anytrue([
        for widget in jsondecode(aws_cloudwatch_dashboard.this.dashboard_body).widgets : anytrue([
          for m in try(widget.properties.metrics, []) :
          try(m[0] == "Team/Api" && m[1] == metric && m[2] == "Service" && m[3] == "hello-service", false)
        ])
      ])
    ])
    error_message = "The dashboard must chart each EMF metric in the app's namespace with its Service dimension."
  }

  assert {
    condition = length([
      for widget in jsondecode(aws_cloudwatch_dashboard.this.dashboard_body).widgets : widget
      if strcontains(jsonencode(widget), "SEARCH('{\\\"Team/Api\\\",Service,Route} Service=\\\"hello-service\\\"")
    ]) == 2
    error_message = "Requests and latency by route must come from the Service,Route dimension set."
  }

  assert {
    condition     = !strcontains(aws_cloudwatch_dashboard.this.dashboard_body, "XXError") && !strcontains(aws_cloudwatch_dashboard.this.dashboard_body, "ApiName")
    error_message = "The dashboard must not use REST API metric names."
  }
}

run "saved_queries" {
  command = apply

  assert {
    condition     = toset(output.query_definition_names) == toset(["api/errors", "api/slow-requests", "api/api-errors"])
    error_message = "Errors, slow requests and API errors queries must be saved."
  }

  assert {
    condition = (
      strcontains(aws_cloudwatch_query_definition.this["errors"].query_string, "event = \"request\" and status >= 500") &&
      strcontains(aws_cloudwatch_query_definition.this["slow-requests"].query_string, "duration_ms >= 1000") &&
      aws_cloudwatch_query_definition.this["errors"].log_group_names == tolist(["/aws/lambda/api"]) &&
      aws_cloudwatch_query_definition.this["api-errors"].log_group_names == tolist(["/aws/apigateway/api"])
    )
    error_message = "The queries must filter the app's access lines (status, duration_ms) in the right log groups."
  }
}

run "queries_can_be_turned_off" {
  command = plan

  variables {
    create_query_definitions = false
  }

  assert {
    condition     = length(aws_cloudwatch_query_definition.this) == 0 && length(output.log_insights_queries) == 3
    error_message = "Without saved queries the query text must still be available as an output."
  }
}

run "rejects_bad_inputs" {
  command = plan

  variables {
    evaluation_periods  = 2
    datapoints_to_alarm = 3
    alarm_emails        = ["not-an-address"]
  }

  expect_failures = [var.datapoints_to_alarm, var.alarm_emails]
}
