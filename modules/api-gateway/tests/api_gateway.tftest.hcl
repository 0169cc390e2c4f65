mock_provider "aws" {
  mock_data "aws_caller_identity" {
    defaults = { account_id = "123456789012" }
  }
  mock_data "aws_partition" {
    defaults = { partition = "aws" }
  }
  mock_data "aws_region" {
    defaults = { name = "us-east-1" }
  }
  mock_data "aws_iam_policy_document" {
    defaults = { json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}" }
  }
  mock_resource "aws_apigatewayv2_api" {
    defaults = {
      id            = "a1b2c3d4e5"
      api_endpoint  = "https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com"
      execution_arn = "arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5"
    }
  }
  mock_resource "aws_apigatewayv2_integration" {
    defaults = { id = "int123" }
  }
  mock_resource "aws_kms_key" {
    defaults = { arn = "arn:aws:kms:us-east-1:123456789012:key/00000000-0000-0000-0000-000000000002" }
  }
  mock_resource "aws_cloudwatch_log_group" {
    defaults = { arn = "arn:aws:logs:us-east-1:123456789012:log-group:/aws/apigateway/api" }
  }
}

variables {
  name                    = "api"
  lambda_function_name    = "api"
  lambda_alias_name       = "live"
  lambda_alias_invoke_arn = "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:api:live/invocations"
}

run "http_api_to_the_alias" {
  command = apply

  assert {
    condition     = aws_apigatewayv2_api.this.protocol_type == "HTTP"
    error_message = "The API must be an HTTP API."
  }

  assert {
    condition = (
      aws_apigatewayv2_integration.lambda.integration_type == "AWS_PROXY" &&
      aws_apigatewayv2_integration.lambda.payload_format_version == "2.0" &&
      aws_apigatewayv2_integration.lambda.integration_uri == var.lambda_alias_invoke_arn
    )
    error_message = "The integration must be a Lambda proxy with payload 2.0 to the alias."
  }

  assert {
    condition     = toset([for r in aws_apigatewayv2_route.this : r.route_key]) == toset(["GET /hello", "POST /echo", "GET /health", "GET /openapi.json"])
    error_message = "Exactly the app's routes must be configured by default."
  }

  assert {
    condition     = alltrue([for r in aws_apigatewayv2_route.this : r.target == "integrations/int123"])
    error_message = "Every route must target the Lambda integration."
  }

  assert {
    condition = (
      aws_lambda_permission.api.qualifier == "live" &&
      aws_lambda_permission.api.principal == "apigateway.amazonaws.com" &&
      aws_lambda_permission.api.source_arn == "arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/*/*"
    )
    error_message = "The invoke permission must be scoped to the alias and this API's execution ARN."
  }

  assert {
    condition     = output.api_endpoint == "https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com"
    error_message = "api_endpoint must be the base URL clients call."
  }

  assert {
    condition     = length(aws_apigatewayv2_api.this.cors_configuration) == 0
    error_message = "CORS must be off unless configured."
  }
}

run "stage_logs_and_throttles" {
  command = apply

  assert {
    condition     = aws_apigatewayv2_stage.this.name == "$default" && aws_apigatewayv2_stage.this.auto_deploy
    error_message = "The $default stage must auto-deploy."
  }

  assert {
    condition = (
      aws_apigatewayv2_stage.this.default_route_settings[0].throttling_burst_limit == 100 &&
      aws_apigatewayv2_stage.this.default_route_settings[0].throttling_rate_limit == 50
    )
    error_message = "Throttling limits must be set on the stage."
  }

  assert {
    condition     = aws_apigatewayv2_stage.this.access_log_settings[0].destination_arn == aws_cloudwatch_log_group.access.arn
    error_message = "Access logs must go to the module's log group."
  }

  assert {
    condition = alltrue([
      for field in ["requestId", "ip", "httpMethod", "routeKey", "status", "responseLatency", "integrationError"] :
      contains(keys(jsondecode(aws_apigatewayv2_stage.this.access_log_settings[0].format)), field)
    ])
    error_message = "The access log must be JSON with request id, ip, method, route, status, latency and integration error."
  }

  assert {
    condition     = jsondecode(aws_apigatewayv2_stage.this.access_log_settings[0].format).requestId == "$context.requestId"
    error_message = "The access log must carry $context.requestId."
  }

  assert {
    condition     = aws_cloudwatch_log_group.access.kms_key_id == module.kms[0].key_arn && module.kms[0].alias_name == "alias/api-api-logs"
    error_message = "Access logs must be encrypted with the module's own key (modules/kms-key: rotating), aliased alias/<name>-api-logs."
  }

  assert {
    condition = local.kms_service_statements == [{
      sid      = "CloudWatchLogsForThisLogGroup"
      services = ["logs.us-east-1.amazonaws.com"]
      actions = [
        "kms:Encrypt", "kms:Decrypt", "kms:ReEncryptFrom", "kms:ReEncryptTo", "kms:GenerateDataKey",
        "kms:GenerateDataKeyWithoutPlaintext", "kms:DescribeKey",
      ]
      conditions = [{
        test     = "ArnEquals"
        variable = "kms:EncryptionContext:aws:logs:arn"
        values   = ["arn:aws:logs:us-east-1:123456789012:log-group:/aws/apigateway/api"]
      }]
    }]
    error_message = "CloudWatch Logs may use the key for this API's access log group only, with listed actions."
  }
}

run "explicit_cors_and_limits" {
  command = plan

  variables {
    cors = {
      allow_origins = ["https://app.example.com"]
    }
    throttling_burst_limit = 20
    throttling_rate_limit  = 10
    routes                 = ["GET /hello"]
  }

  assert {
    condition = (
      aws_apigatewayv2_api.this.cors_configuration[0].allow_origins == toset(["https://app.example.com"]) &&
      aws_apigatewayv2_api.this.cors_configuration[0].allow_credentials == false &&
      aws_apigatewayv2_api.this.cors_configuration[0].expose_headers == toset(["x-request-id"])
    )
    error_message = "CORS must use the given origins and expose X-Request-ID."
  }

  assert {
    condition     = keys(aws_apigatewayv2_route.this) == ["GET /hello"]
    error_message = "The route list must be an input."
  }
}

run "rejects_bad_inputs" {
  command = plan

  variables {
    # The unqualified function's invoke ARN: API Gateway must invoke the alias.
    lambda_alias_invoke_arn = "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:api/invocations"
    routes                  = ["FETCH /hello"]
    cors = {
      allow_origins     = ["*"]
      allow_credentials = true
    }
    authorization_type     = "JWT" # without authorizer_id
    integration_timeout_ms = 60000
  }

  expect_failures = [var.lambda_alias_invoke_arn, var.routes, var.cors, var.authorizer_id, var.integration_timeout_ms]
}
