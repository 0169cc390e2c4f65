mock_provider "aws" {
  source = "../.mocks/aws"
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
    condition = (
      aws_apigatewayv2_route.default.route_key == "$default" && aws_apigatewayv2_route.default.target == "integrations/${aws_apigatewayv2_integration.lambda.id}" &&
      length(aws_apigatewayv2_route.protected) == 0 && output.route_keys == tolist(["$default"])
    )
    error_message = "Every request must reach the function through the $default route: the app owns its routes, and a new one needs no edit here."
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

  assert {
    condition = (
      length(aws_apigatewayv2_domain_name.this) == 0 && length(aws_acm_certificate.this) == 0 &&
      length(aws_apigatewayv2_api_mapping.this) == 0 && length(aws_route53_record.alias) == 0 &&
      output.custom_domain_url == null && output.certificate_arn == null
    )
    error_message = "No custom domain, certificate, mapping or DNS record unless domain_name is set."
  }

  assert {
    condition     = length(aws_apigatewayv2_authorizer.jwt) == 0 && aws_apigatewayv2_route.default.authorization_type == "NONE"
    error_message = "No authorizer, and every request public, unless jwt_authorizer and protected_routes are set."
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
    condition     = aws_apigatewayv2_stage.this.access_log_settings[0].destination_arn == module.access_log_group.arn
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
    condition = (
      module.access_log_group.name == "/aws/apigateway/api" && output.kms_key_arn == module.access_log_group.kms_key_arn &&
      module.access_log_group.kms_alias_name == "alias/api-api-logs"
    )
    error_message = "Access logs must go to /aws/apigateway/<name>, encrypted with the module's own key (modules/log-group: rotating, CloudWatch Logs for this group only), aliased alias/<name>-api-logs."
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
  }

  assert {
    condition = (
      aws_apigatewayv2_api.this.cors_configuration[0].allow_origins == toset(["https://app.example.com"]) &&
      aws_apigatewayv2_api.this.cors_configuration[0].allow_credentials == false &&
      aws_apigatewayv2_api.this.cors_configuration[0].expose_headers == toset(["x-request-id"])
    )
    error_message = "CORS must use the given origins and expose X-Request-ID."
  }
}

run "rejects_bad_inputs" {
  command = plan

  variables {
    # The unqualified function's invoke ARN: API Gateway must invoke the alias.
    lambda_alias_invoke_arn = "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:api/invocations"
    cors = {
      allow_origins     = ["*"]
      allow_credentials = true
    }
    authorization_type     = "JWT" # without authorizer_id
    integration_timeout_ms = 60000
  }

  expect_failures = [var.lambda_alias_invoke_arn, var.cors, var.authorizer_id, var.integration_timeout_ms]
}

run "custom_domain_with_a_requested_certificate" {
  command = apply

  variables {
    domain_name     = "api.example.com"
    domain_zone_id  = "Z0123456789ABCDEFGHIJ"
    api_mapping_key = "v1"
  }

  assert {
    condition = (
      aws_acm_certificate.this[0].domain_name == "api.example.com" &&
      aws_acm_certificate.this[0].validation_method == "DNS"
    )
    error_message = "The module must request a DNS-validated certificate for the domain."
  }

  assert {
    condition = (
      aws_route53_record.validation["api.example.com"].zone_id == "Z0123456789ABCDEFGHIJ" &&
      aws_route53_record.validation["api.example.com"].name == "_abc.api.example.com." &&
      aws_route53_record.validation["api.example.com"].type == "CNAME" &&
      aws_route53_record.validation["api.example.com"].records == toset(["_def.acm-validations.aws."])
    )
    error_message = "The validation record must be ACM's record, in the given zone."
  }

  assert {
    condition = (
      aws_acm_certificate_validation.this[0].certificate_arn == aws_acm_certificate.this[0].arn &&
      aws_acm_certificate_validation.this[0].validation_record_fqdns == toset(["_abc.api.example.com"])
    )
    error_message = "The module must wait for ACM to validate the certificate through that record."
  }

  assert {
    condition = (
      aws_apigatewayv2_domain_name.this[0].domain_name == "api.example.com" &&
      aws_apigatewayv2_domain_name.this[0].domain_name_configuration[0].endpoint_type == "REGIONAL" &&
      aws_apigatewayv2_domain_name.this[0].domain_name_configuration[0].security_policy == "TLS_1_2" &&
      aws_apigatewayv2_domain_name.this[0].domain_name_configuration[0].certificate_arn == aws_acm_certificate_validation.this[0].certificate_arn
    )
    error_message = "The domain must be regional, TLS 1.2 only, with the validated certificate."
  }

  assert {
    condition = (
      aws_apigatewayv2_api_mapping.this[0].api_mapping_key == "v1" &&
      aws_apigatewayv2_api_mapping.this[0].domain_name == "api.example.com" &&
      aws_apigatewayv2_api_mapping.this[0].api_id == aws_apigatewayv2_api.this.id &&
      aws_apigatewayv2_api_mapping.this[0].stage == aws_apigatewayv2_stage.this.id
    )
    error_message = "The API's $default stage must be mapped at the key."
  }

  assert {
    condition = (
      aws_route53_record.alias[0].name == "api.example.com" && aws_route53_record.alias[0].type == "A" &&
      aws_route53_record.alias[0].zone_id == "Z0123456789ABCDEFGHIJ" &&
      aws_route53_record.alias[0].alias[0].name == aws_apigatewayv2_domain_name.this[0].domain_name_configuration[0].target_domain_name &&
      aws_route53_record.alias[0].alias[0].zone_id == aws_apigatewayv2_domain_name.this[0].domain_name_configuration[0].hosted_zone_id
    )
    error_message = "The domain must be an alias record to the API's regional domain name."
  }

  assert {
    condition     = output.custom_domain_url == "https://api.example.com/v1" && output.certificate_arn == aws_acm_certificate.this[0].arn
    error_message = "custom_domain_url must be https://<domain>/<mapping key>."
  }
}

run "custom_domain_with_an_existing_certificate_at_the_root" {
  command = plan

  variables {
    domain_name            = "api.example.com"
    domain_certificate_arn = "arn:aws:acm:us-east-1:123456789012:certificate/99999999-2222-3333-4444-555555555555"
  }

  assert {
    condition = (
      length(aws_acm_certificate.this) == 0 && length(aws_route53_record.validation) == 0 &&
      length(aws_route53_record.alias) == 0 &&
      aws_apigatewayv2_domain_name.this[0].domain_name_configuration[0].certificate_arn == var.domain_certificate_arn
    )
    error_message = "An existing certificate is used as given; without a zone no record is written."
  }

  assert {
    condition     = aws_apigatewayv2_api_mapping.this[0].api_mapping_key == null && output.custom_domain_url == "https://api.example.com"
    error_message = "An empty mapping key maps the domain's root."
  }
}

run "jwt_protects_the_listed_routes_only" {
  command = apply

  variables {
    jwt_authorizer = {
      issuer    = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbCdEf123"
      audiences = ["client-1"]
      scopes    = ["api/read"]
    }
    protected_routes = ["GET /hello", "POST /echo"]
  }

  assert {
    condition = (
      aws_apigatewayv2_authorizer.jwt[0].authorizer_type == "JWT" &&
      aws_apigatewayv2_authorizer.jwt[0].identity_sources == toset(["$request.header.Authorization"]) &&
      aws_apigatewayv2_authorizer.jwt[0].jwt_configuration[0].issuer == "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbCdEf123" &&
      aws_apigatewayv2_authorizer.jwt[0].jwt_configuration[0].audience == toset(["client-1"])
    )
    error_message = "The JWT authorizer must read the Authorization header and check the issuer and audience."
  }

  assert {
    condition = keys(aws_apigatewayv2_route.protected) == ["GET /hello", "POST /echo"] && alltrue([
      for route in aws_apigatewayv2_route.protected :
      route.authorization_type == "JWT" && route.authorizer_id == aws_apigatewayv2_authorizer.jwt[0].id &&
      route.authorization_scopes == toset(["api/read"]) && route.target == "integrations/${aws_apigatewayv2_integration.lambda.id}"
    ])
    error_message = "Each protected route key must be a route of its own, to the function, behind the JWT authorizer with the scopes."
  }

  assert {
    condition     = aws_apigatewayv2_route.default.authorization_type == "NONE" && aws_apigatewayv2_route.default.authorizer_id == null
    error_message = "Everything else (GET /health and GET /openapi.json among it) must stay public, through $default."
  }

  assert {
    condition = (
      output.protected_route_keys == tolist(["GET /hello", "POST /echo"]) && output.authorizer_id == aws_apigatewayv2_authorizer.jwt[0].id &&
      output.route_keys == tolist(["$default", "GET /hello", "POST /echo"])
    )
    error_message = "The outputs must name the authorizer, the protected routes and every route key."
  }
}

# Each validation on its own, so every rule is shown to fail on a bad value.

run "rejects_a_malformed_domain_name" {
  command = plan

  variables {
    domain_name            = "API.example.com."
    domain_certificate_arn = "arn:aws:acm:us-east-1:123456789012:certificate/99999999-2222-3333-4444-555555555555"
  }

  expect_failures = [var.domain_name]
}

run "rejects_a_malformed_certificate_and_mapping_key" {
  command = plan

  variables {
    domain_name            = "api.example.com"
    domain_certificate_arn = "arn:aws:iam::123456789012:server-certificate/api"
    api_mapping_key        = "/v1/"
  }

  expect_failures = [var.domain_certificate_arn, var.api_mapping_key]
}

run "rejects_a_malformed_zone_id" {
  command = plan

  variables {
    domain_name    = "api.example.com"
    domain_zone_id = "example.com"
  }

  expect_failures = [var.domain_zone_id]
}

run "rejects_a_domain_without_certificate_or_zone" {
  command = plan

  variables {
    domain_name = "api.example.com"
  }

  expect_failures = [var.domain_zone_id]
}

run "rejects_a_certificate_or_mapping_key_without_a_domain" {
  command = plan

  variables {
    domain_certificate_arn = "arn:aws:acm:us-east-1:123456789012:certificate/99999999-2222-3333-4444-555555555555"
    api_mapping_key        = "v1"
  }

  expect_failures = [var.domain_certificate_arn, var.api_mapping_key]
}

run "rejects_a_zone_without_a_domain" {
  command = plan

  variables {
    domain_zone_id = "Z0123456789ABCDEFGHIJ"
  }

  expect_failures = [var.domain_zone_id]
}

run "rejects_an_issuer_that_is_not_https" {
  command = plan

  variables {
    jwt_authorizer   = { issuer = "http://issuer.example.com", audiences = ["client-1"] }
    protected_routes = ["GET /hello"]
  }

  expect_failures = [var.jwt_authorizer]
}

run "rejects_an_empty_audience" {
  command = plan

  variables {
    jwt_authorizer   = { issuer = "https://issuer.example.com/", audiences = [""] }
    protected_routes = ["GET /hello"]
  }

  expect_failures = [var.jwt_authorizer]
}

run "rejects_a_scope_with_a_space" {
  command = plan

  variables {
    jwt_authorizer   = { issuer = "https://issuer.example.com/", audiences = ["client-1"], scopes = ["read write"] }
    protected_routes = ["GET /hello"]
  }

  expect_failures = [var.jwt_authorizer]
}

run "rejects_an_authorizer_without_routes" {
  command = plan

  variables {
    jwt_authorizer = { issuer = "https://issuer.example.com/", audiences = ["client-1"] }
  }

  expect_failures = [var.jwt_authorizer]
}

run "rejects_protected_routes_without_an_authorizer" {
  command = plan

  variables {
    protected_routes = ["GET /hello"]
  }

  expect_failures = [var.jwt_authorizer]
}

run "rejects_protecting_health" {
  command = plan

  variables {
    jwt_authorizer   = { issuer = "https://issuer.example.com/", audiences = ["client-1"] }
    protected_routes = ["GET /health"]
  }

  expect_failures = [var.protected_routes]
}

run "protects_a_route_this_module_never_heard_of" {
  command = plan

  variables {
    jwt_authorizer   = { issuer = "https://issuer.example.com/", audiences = ["client-1"] }
    protected_routes = ["DELETE /orders/{id}"]
  }

  assert {
    condition     = keys(aws_apigatewayv2_route.protected) == ["DELETE /orders/{id}"]
    error_message = "Any route key the app serves may be protected: the module keeps no list of the app's routes."
  }
}

run "rejects_a_protected_route_that_is_not_a_route_key" {
  command = plan

  variables {
    jwt_authorizer   = { issuer = "https://issuer.example.com/", audiences = ["client-1"] }
    protected_routes = ["FETCH /hello", "GET hello", "GET /hello?x=1"]
  }

  expect_failures = [var.protected_routes]
}

run "rejects_a_protected_route_twice" {
  command = plan

  variables {
    jwt_authorizer   = { issuer = "https://issuer.example.com/", audiences = ["client-1"] }
    protected_routes = ["GET /hello", "GET /hello"]
  }

  expect_failures = [var.protected_routes]
}

run "rejects_protected_routes_with_authorization_for_every_route" {
  command = plan

  variables {
    authorization_type = "AWS_IAM"
    jwt_authorizer     = { issuer = "https://issuer.example.com/", audiences = ["client-1"] }
    protected_routes   = ["GET /hello"]
  }

  expect_failures = [var.protected_routes]
}
