locals {
  # One JSON object per request. requestId is required by API Gateway and joins this line to the
  # app's own access line (its request_id); integrationError explains 5xx that never reached the app.
  access_log_format = jsonencode({
    requestId          = "$context.requestId"
    ip                 = "$context.identity.sourceIp"
    requestTime        = "$context.requestTime"
    httpMethod         = "$context.httpMethod"
    routeKey           = "$context.routeKey"
    path               = "$context.path"
    protocol           = "$context.protocol"
    status             = "$context.status"
    responseLength     = "$context.responseLength"
    responseLatency    = "$context.responseLatency"
    integrationLatency = "$context.integrationLatency"
    integrationStatus  = "$context.integrationStatus"
    integrationError   = "$context.integrationErrorMessage"
    errorMessage       = "$context.error.message"
    userAgent          = "$context.identity.userAgent"
  })
}

################################################################################
# Access log group
################################################################################

module "access_log_group" {
  source = "../log-group"

  name                = "/aws/apigateway/${var.name}"
  retention_in_days   = var.log_retention_days
  kms_key_arn         = var.kms_key_arn
  kms_key_alias       = "${var.name}-api-logs"
  kms_key_description = "HTTP API ${var.name}: access logs"

  tags = var.tags
}

################################################################################
# API, integration, routes, stage
################################################################################

resource "aws_apigatewayv2_api" "this" {
  name          = var.name
  description   = var.description
  protocol_type = "HTTP"

  dynamic "cors_configuration" {
    for_each = var.cors == null ? [] : [var.cors]
    content {
      allow_origins     = cors_configuration.value.allow_origins
      allow_methods     = cors_configuration.value.allow_methods
      allow_headers     = cors_configuration.value.allow_headers
      expose_headers    = cors_configuration.value.expose_headers
      max_age           = cors_configuration.value.max_age
      allow_credentials = cors_configuration.value.allow_credentials
    }
  }

  tags = var.tags
}

resource "aws_apigatewayv2_integration" "lambda" {
  api_id                 = aws_apigatewayv2_api.this.id
  description            = "Lambda ${var.lambda_function_name}:${var.lambda_alias_name}"
  integration_type       = "AWS_PROXY"
  integration_method     = "POST"
  integration_uri        = var.lambda_alias_invoke_arn
  payload_format_version = "2.0" # the default is 1.0; the app's handler expects HTTP API 2.0 events
  timeout_milliseconds   = var.integration_timeout_ms
}

# Every request reaches the function, which owns the routes: the app answers an unknown path with its
# own 404 and a wrong method with its 405 (problem+json), so a route added to the app deploys with no
# edit here. API Gateway picks the best match: a full match of route and method, then a greedy path
# variable, then the `$default` route, which "catches requests that don't explicitly match other routes
# in your API" (API Gateway developer guide, "Create routes for HTTP APIs": "Working with the $default
# route", "Routing API requests"). CORS preflights never reach a route: with a CORS configuration,
# "API Gateway automatically sends a response to preflight OPTIONS requests, even if there isn't an
# OPTIONS route configured for your API" ("Configure CORS for HTTP APIs in API Gateway").
resource "aws_apigatewayv2_route" "default" {
  api_id    = aws_apigatewayv2_api.this.id
  route_key = "$default"
  target    = "integrations/${aws_apigatewayv2_integration.lambda.id}"

  # checkov:skip=CKV_AWS_309:Authorization is per route: protected_routes use the JWT authorizer (their own routes below), the rest is public through $default with authorization_type, whose default NONE serves a public API (health and the OpenAPI document stay public); AWS_IAM, JWT or CUSTOM apply to every request when set.
  authorization_type = var.authorization_type
  authorizer_id      = var.authorizer_id
}

# The routes that need a token: explicit route keys match before `$default`, so API Gateway checks the
# JWT on them before the function runs. Another method on the same path (HEAD /hello beside a
# protected GET /hello) falls through to `$default` without a token check; the app answers 401 there
# itself, as it protects a route for every method it serves (PROTECTED_ROUTES, app/auth.py).
resource "aws_apigatewayv2_route" "protected" {
  for_each = toset(var.protected_routes)

  api_id    = aws_apigatewayv2_api.this.id
  route_key = each.value
  target    = "integrations/${aws_apigatewayv2_integration.lambda.id}"

  authorization_type   = "JWT"
  authorizer_id        = aws_apigatewayv2_authorizer.jwt[0].id
  authorization_scopes = length(local.jwt_scopes) > 0 ? local.jwt_scopes : null
}

################################################################################
# JWT authorizer: API Gateway checks the bearer token of the protected routes
################################################################################

locals {
  jwt_scopes = var.jwt_authorizer == null ? [] : var.jwt_authorizer.scopes
}

# API Gateway fetches the issuer's keys (<issuer>/.well-known/openid-configuration), checks the
# signature, exp, nbf, iss and aud (or client_id) of the token, and the scopes when the route lists
# some; it answers 401 or 403 itself, and the function gets the claims in the event.
resource "aws_apigatewayv2_authorizer" "jwt" {
  count = var.jwt_authorizer == null ? 0 : 1

  api_id           = aws_apigatewayv2_api.this.id
  name             = "${var.name}-jwt"
  authorizer_type  = "JWT"
  identity_sources = ["$request.header.Authorization"]

  jwt_configuration {
    issuer   = var.jwt_authorizer.issuer
    audience = var.jwt_authorizer.audiences
  }
}

resource "aws_apigatewayv2_stage" "this" {
  api_id      = aws_apigatewayv2_api.this.id
  name        = "$default"
  auto_deploy = true

  default_route_settings {
    throttling_burst_limit   = var.throttling_burst_limit
    throttling_rate_limit    = var.throttling_rate_limit
    detailed_metrics_enabled = var.detailed_metrics_enabled
  }

  access_log_settings {
    destination_arn = module.access_log_group.arn
    format          = local.access_log_format
  }

  tags = var.tags
}

# API Gateway may invoke the alias only, and only from this API.
resource "aws_lambda_permission" "api" {
  statement_id  = "AllowInvokeFromApi-${aws_apigatewayv2_api.this.id}"
  action        = "lambda:InvokeFunction"
  function_name = var.lambda_function_name
  qualifier     = var.lambda_alias_name
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${aws_apigatewayv2_api.this.execution_arn}/*/*"
}

################################################################################
# Custom domain: certificate, regional domain name (TLS 1.2), API mapping, DNS alias
################################################################################

locals {
  custom_domain = var.domain_name != null
  # Requested here (DNS validation in domain_zone_id) unless an existing certificate is given.
  request_certificate = local.custom_domain && var.domain_certificate_arn == null
  certificate_arn = !local.custom_domain ? null : (
    local.request_certificate ? aws_acm_certificate_validation.this[0].certificate_arn : var.domain_certificate_arn
  )
}

resource "aws_acm_certificate" "this" {
  count = local.request_certificate ? 1 : 0

  domain_name       = var.domain_name
  validation_method = "DNS"

  tags = var.tags

  # A replacement is issued before the certificate in use goes away.
  lifecycle {
    create_before_destroy = true
  }
}

# Keyed by the domain name, which is known at plan time (the record's values are not).
resource "aws_route53_record" "validation" {
  for_each = local.request_certificate ? toset([var.domain_name]) : toset([])

  zone_id         = var.domain_zone_id
  name            = one([for o in aws_acm_certificate.this[0].domain_validation_options : o.resource_record_name if o.domain_name == each.key])
  type            = one([for o in aws_acm_certificate.this[0].domain_validation_options : o.resource_record_type if o.domain_name == each.key])
  records         = [one([for o in aws_acm_certificate.this[0].domain_validation_options : o.resource_record_value if o.domain_name == each.key])]
  ttl             = 300
  allow_overwrite = true # the same record validates a re-requested certificate for this name
}

# Waits until ACM has issued the certificate (it checks the record above): the domain name below is
# created with an issued certificate only.
resource "aws_acm_certificate_validation" "this" {
  count = local.request_certificate ? 1 : 0

  certificate_arn         = aws_acm_certificate.this[0].arn
  validation_record_fqdns = [for record in aws_route53_record.validation : record.fqdn]
}

resource "aws_apigatewayv2_domain_name" "this" {
  count = local.custom_domain ? 1 : 0

  domain_name = var.domain_name

  domain_name_configuration {
    # A regional endpoint: the certificate must be in the API's region (edge-optimized endpoints,
    # whose certificates live in CloudFront's region, exist for REST APIs only).
    certificate_arn = local.certificate_arn
    endpoint_type   = "REGIONAL"
    security_policy = "TLS_1_2"
  }

  tags = var.tags
}

resource "aws_apigatewayv2_api_mapping" "this" {
  count = local.custom_domain ? 1 : 0

  api_id      = aws_apigatewayv2_api.this.id
  domain_name = aws_apigatewayv2_domain_name.this[0].id
  stage       = aws_apigatewayv2_stage.this.id
  # Empty maps the domain's root; give the lambda module the same key (its BASE_PATH).
  api_mapping_key = var.api_mapping_key == "" ? null : var.api_mapping_key
}

resource "aws_route53_record" "alias" {
  count = local.custom_domain && var.domain_zone_id != null ? 1 : 0

  zone_id = var.domain_zone_id
  name    = var.domain_name
  type    = "A"

  alias {
    name                   = aws_apigatewayv2_domain_name.this[0].domain_name_configuration[0].target_domain_name
    zone_id                = aws_apigatewayv2_domain_name.this[0].domain_name_configuration[0].hosted_zone_id
    evaluate_target_health = false
  }
}
