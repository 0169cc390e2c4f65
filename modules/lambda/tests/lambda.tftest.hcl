mock_provider "aws" {
  source = "../.mocks/aws"
}

variables {
  name      = "api"
  image_uri = "123456789012.dkr.ecr.us-east-1.amazonaws.com/api:1.2.3"
}

run "secure_defaults" {
  command = apply

  assert {
    condition     = aws_lambda_function.this.package_type == "Image" && aws_lambda_function.this.publish
    error_message = "The function must be a container image that publishes a version on every change."
  }

  assert {
    condition     = aws_lambda_function.this.image_config[0].command == tolist(["app.handler.handler"])
    error_message = "image_config.command must be set explicitly to the app's Lambda handler."
  }

  assert {
    condition     = aws_lambda_function.this.tracing_config[0].mode == "Active"
    error_message = "X-Ray tracing must be active."
  }

  assert {
    condition = (
      aws_lambda_function.this.logging_config[0].log_format == "JSON" &&
      aws_lambda_function.this.logging_config[0].application_log_level == "INFO" &&
      aws_lambda_function.this.logging_config[0].system_log_level == "WARN" &&
      aws_lambda_function.this.logging_config[0].log_group == "/aws/lambda/api"
    )
    error_message = "Logging must be JSON into the function's own log group, application lines at INFO."
  }

  assert {
    condition     = aws_lambda_function.this.kms_key_arn == module.log_group.kms_key_arn && output.kms_key_arn == module.log_group.kms_key_arn
    error_message = "Environment variables and the log group must be encrypted with the same KMS key."
  }

  assert {
    condition     = module.log_group.kms_alias_name == "alias/api-lambda" && module.log_group.name == "/aws/lambda/api"
    error_message = "Without kms_key_arn the module must create its own key (modules/log-group: rotating), aliased alias/<name>-lambda, for /aws/lambda/<name>."
  }

  assert {
    condition     = module.log_group.retention_in_days == 365
    error_message = "Logs must be kept for a year by default."
  }

  assert {
    condition = (
      aws_lambda_function.this.environment[0].variables["SERVICE_NAME"] == "api" &&
      aws_lambda_function.this.environment[0].variables["METRICS_NAMESPACE"] == "LambdaApi" &&
      aws_lambda_function.this.environment[0].variables["APP_VERSION"] == "1.2.3" &&
      aws_lambda_function.this.environment[0].variables["LOG_LEVEL"] == "INFO"
    )
    error_message = "SERVICE_NAME, METRICS_NAMESPACE, APP_VERSION (from the tag) and LOG_LEVEL must be set for the app."
  }

  assert {
    condition     = aws_lambda_function.this.reserved_concurrent_executions == 50 && aws_lambda_function.this.architectures == tolist(["x86_64"])
    error_message = "Reserved concurrency must cap the function by default, on x86_64."
  }

  assert {
    condition     = length(aws_lambda_alias.external) == 1 && length(aws_lambda_alias.managed) == 0
    error_message = "By default the alias is the externally managed one."
  }

  assert {
    condition     = aws_lambda_alias.external[0].name == "live" && aws_lambda_alias.external[0].function_version == "7"
    error_message = "The alias `live` must start on the version this apply published."
  }

  assert {
    condition     = output.alias_name == "live" && output.version == "7" && output.alias_arn == aws_lambda_alias.external[0].arn
    error_message = "The outputs must describe the alias and the published version."
  }
}

run "execution_role_is_least_privilege" {
  command = apply

  assert {
    condition = alltrue(flatten([
      for statement in data.aws_iam_policy_document.execution.statement : [
        for action in statement.actions : !strcontains(action, "*")
      ]
    ]))
    error_message = "The execution role must not use wildcard actions."
  }

  assert {
    condition = toset(flatten([for s in data.aws_iam_policy_document.execution.statement : s.actions])) == toset([
      "logs:CreateLogStream", "logs:PutLogEvents", "xray:PutTraceSegments", "xray:PutTelemetryRecords", "kms:Decrypt",
    ])
    error_message = "The execution role may only write logs, send traces and decrypt its environment."
  }

  assert {
    condition = [
      for s in data.aws_iam_policy_document.execution.statement : s.resources if s.sid == "WriteOwnLogGroup"
    ][0] == toset(["arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/api:log-stream:*"])
    error_message = "Log writes must be scoped to the function's own log group."
  }

  assert {
    condition = [
      for s in data.aws_iam_policy_document.execution.statement : s.resources if s.sid == "DecryptEnvironment"
    ][0] == toset([module.log_group.kms_key_arn])
    error_message = "Decrypt must be scoped to the function's key."
  }
}

run "digest_image_sets_version_from_digest" {
  command = plan

  variables {
    image_uri = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/api@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
  }

  assert {
    condition     = aws_lambda_function.this.environment[0].variables["APP_VERSION"] == "sha256:0123456789ab"
    error_message = "Without a tag, APP_VERSION must be the short digest."
  }
}

run "explicit_settings" {
  command = plan

  variables {
    architecture          = "arm64"
    memory_size           = 1024
    timeout               = 29
    reserved_concurrency  = -1
    app_version           = "2026.11.1"
    service_name          = "hello-service"
    metrics_namespace     = "Team/Api"
    application_log_level = "TRACE"
    image_command         = ["app.handler.handler", "--flag"]
    environment           = { MAX_BODY_BYTES = "1024" }
    kms_key_arn           = "arn:aws:kms:us-east-1:123456789012:key/external"
  }

  assert {
    condition = (
      aws_lambda_function.this.architectures == tolist(["arm64"]) && aws_lambda_function.this.memory_size == 1024 &&
      aws_lambda_function.this.timeout == 29 && aws_lambda_function.this.reserved_concurrent_executions == -1
    )
    error_message = "Sizing inputs must reach the function."
  }

  assert {
    condition = aws_lambda_function.this.environment[0].variables == tomap({
      MAX_BODY_BYTES = "1024", SERVICE_NAME = "hello-service", METRICS_NAMESPACE = "Team/Api",
      APP_VERSION    = "2026.11.1", LOG_LEVEL = "DEBUG",
    })
    error_message = "Environment must merge the extra variables with the app's own (TRACE maps to the app's DEBUG)."
  }

  assert {
    condition     = module.log_group.kms_alias_name == null && aws_lambda_function.this.kms_key_arn == "arn:aws:kms:us-east-1:123456789012:key/external"
    error_message = "A key passed in must be used instead of creating one."
  }
}

run "terraform_owned_alias_with_canary" {
  command = apply

  variables {
    alias_managed_externally = false
    alias_function_version   = "6"
    canary_version           = "7"
    canary_weight            = 0.25
  }

  assert {
    condition     = length(aws_lambda_alias.external) == 0 && length(aws_lambda_alias.managed) == 1
    error_message = "With alias_managed_externally = false Terraform must own the alias."
  }

  assert {
    condition = (
      aws_lambda_alias.managed[0].function_version == "6" &&
      aws_lambda_alias.managed[0].routing_config[0].additional_version_weights == tomap({ "7" = 0.25 })
    )
    error_message = "The alias must stay on the stable version and send the canary weight to the canary version."
  }

  assert {
    condition     = output.alias_arn == aws_lambda_alias.managed[0].arn
    error_message = "Outputs must follow whichever alias exists."
  }
}

# One run per set of bad values: each listed variable must reject its value (and nothing else fail).
run "rejects_bad_inputs" {
  command = plan

  variables {
    name                  = "a-function-name-that-is-far-too-long-for-its-role-suffix"
    memory_size           = 64
    timeout               = 901
    architecture          = "arm"
    image_uri             = "123456789012.dkr.ecr.us-east-1.amazonaws.com/api:latest"
    environment           = { AWS_REGION = "eu-west-1", SERVICE_NAME = "x" }
    application_log_level = "WARN" # would drop the app's INFO access lines and metrics
    canary_version        = "3"    # the pipeline owns the alias by default
  }

  # A bad log_retention_days or kms_key_arn is refused by modules/log-group (its own tests).
  expect_failures = [
    var.name, var.memory_size, var.timeout, var.architecture, var.image_uri, var.environment,
    var.application_log_level, var.canary_version,
  ]
}

run "rejects_non_ecr_image" {
  command = plan

  variables {
    image_uri = "docker.io/library/python:3.13"
  }

  expect_failures = [var.image_uri]
}

run "front_door_settings_for_the_app" {
  command = plan

  variables {
    api_mapping_key  = "orders/v2"
    protected_routes = ["POST /echo", "GET /hello"]
  }

  assert {
    condition = (
      aws_lambda_function.this.environment[0].variables["BASE_PATH"] == "/orders/v2" &&
      aws_lambda_function.this.environment[0].variables["PROTECTED_ROUTES"] == "GET /hello,POST /echo"
    )
    error_message = "The mapping key must become BASE_PATH (/key) and the protected routes PROTECTED_ROUTES (comma-separated)."
  }
}

run "no_front_door_settings_by_default" {
  command = plan

  assert {
    condition     = length(setintersection(keys(aws_lambda_function.this.environment[0].variables), ["BASE_PATH", "PROTECTED_ROUTES"])) == 0
    error_message = "Without a mapping key or protected routes the function's environment must not gain BASE_PATH or PROTECTED_ROUTES."
  }
}

run "rejects_bad_front_door_settings" {
  command = plan

  variables {
    api_mapping_key  = "/v1"
    protected_routes = ["GET /health"]
    environment      = { BASE_PATH = "/v1" }
  }

  expect_failures = [var.api_mapping_key, var.protected_routes, var.environment]
}

run "rejects_a_protected_route_that_is_not_a_route_key" {
  command = plan

  variables {
    protected_routes = ["/hello"]
  }

  expect_failures = [var.protected_routes]
}
