variable "name" {
  description = "Name of the HTTP API; also names its access log group (/aws/apigateway/<name>) and KMS alias."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,50}$", var.name))
    error_message = "The name must be 1-50 characters of letters, digits, - and _."
  }
}

variable "description" {
  description = "Description of the API."
  type        = string
  default     = "HTTP API in front of a Lambda alias"
}

variable "lambda_function_name" {
  description = "Name of the Lambda function the API invokes."
  type        = string
}

variable "lambda_alias_name" {
  description = "Alias of the function the API invokes; the invoke permission is granted to this alias only."
  type        = string
}

variable "lambda_alias_invoke_arn" {
  description = "Invoke ARN of that alias (the lambda module's alias_invoke_arn)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:apigateway:[a-z0-9-]+:lambda:path/.+/functions/arn:aws[a-z-]*:lambda:.+:function:[^:]+:[^:/]+/invocations$", var.lambda_alias_invoke_arn))
    error_message = "The lambda_alias_invoke_arn must be the invoke ARN of an alias (…:function:<name>:<alias>/invocations), not of the unqualified function."
  }
}

variable "authorization_type" {
  description = "Authorization of the `$default` route, which every request reaches unless it is one of protected_routes: NONE (public API), AWS_IAM, JWT or CUSTOM. JWT and CUSTOM need authorizer_id."
  type        = string
  default     = "NONE"

  validation {
    condition     = contains(["NONE", "AWS_IAM", "JWT", "CUSTOM"], var.authorization_type)
    error_message = "The authorization_type must be NONE, AWS_IAM, JWT or CUSTOM."
  }
}

variable "authorizer_id" {
  description = "Id of an authorizer on this API, for authorization_type JWT or CUSTOM."
  type        = string
  default     = null

  validation {
    condition     = contains(["JWT", "CUSTOM"], var.authorization_type) == (var.authorizer_id != null)
    error_message = "The authorizer_id is required for authorization_type JWT or CUSTOM, and only for them."
  }
}

variable "jwt_authorizer" {
  description = "JWT authorizer for protected_routes: the token issuer (e.g. https://cognito-idp.<region>.amazonaws.com/<user pool id>, or any OIDC provider's issuer URL) and the audiences a token must name (aud, or client_id for Cognito access tokens); with scopes, a token needs at least one of them (403 otherwise). Null: no authorizer."
  type = object({
    issuer    = string
    audiences = list(string)
    scopes    = optional(list(string), [])
  })
  default = null

  validation {
    condition     = var.jwt_authorizer == null || can(regex("^https://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[^\\s?#]*)?$", try(var.jwt_authorizer.issuer, "")))
    error_message = "The jwt_authorizer.issuer must be an https URL without query or fragment, e.g. https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbCdEf123."
  }

  validation {
    condition     = var.jwt_authorizer == null || (length(try(var.jwt_authorizer.audiences, [])) > 0 && alltrue([for a in try(var.jwt_authorizer.audiences, []) : length(trimspace(a)) > 0]))
    error_message = "The jwt_authorizer.audiences must list at least one non-empty audience (client id or API identifier)."
  }

  validation {
    condition     = var.jwt_authorizer == null || alltrue([for s in try(var.jwt_authorizer.scopes, []) : can(regex("^[!#-\\[\\]-~]+$", s))])
    error_message = "Each jwt_authorizer.scopes entry must be one scope name (printable characters, no space, quote or backslash)."
  }

  validation {
    condition     = (var.jwt_authorizer == null) == (length(var.protected_routes) == 0)
    error_message = "Set jwt_authorizer and protected_routes together: an authorizer protects the listed routes, and listed routes need an authorizer."
  }
}

variable "protected_routes" {
  description = "Route keys of the app (its OpenAPI description: `<METHOD> /<path>`, e.g. GET /hello) that require a valid JWT from jwt_authorizer; each becomes an explicit route, so API Gateway answers 401/403 before the function runs. Every other request reaches the function through `$default`. GET /health and GET /openapi.json stay public. Give the lambda module the same list (its PROTECTED_ROUTES), so the app refuses a call that reaches it without a caller."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for r in var.protected_routes : can(regex("^(ANY|GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS) /[A-Za-z0-9._~{}+/-]*$", r))])
    error_message = "Each protected_routes entry must be a route key `<METHOD> /<path>` (METHOD one of ANY, GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS), as the app's OpenAPI description names it, e.g. GET /hello."
  }

  validation {
    condition     = length(distinct(var.protected_routes)) == length(var.protected_routes)
    error_message = "The protected_routes must not repeat."
  }

  validation {
    condition     = !anytrue([for r in var.protected_routes : contains(["/health", "/openapi.json"], try(split(" ", r)[1], ""))])
    error_message = "The protected_routes may not list /health or /openapi.json: health checks and the API description stay public."
  }

  validation {
    condition     = length(var.protected_routes) == 0 || var.authorization_type == "NONE"
    error_message = "Use protected_routes with authorization_type NONE (the other routes public), or authorization_type for every route, not both."
  }
}

variable "cors" {
  description = "CORS answered by API Gateway (preflight and Access-Control-* headers); null turns CORS off. Use explicit origins in production; [\"*\"] suits development."
  type = object({
    allow_origins     = list(string)
    allow_methods     = optional(list(string), ["GET", "POST", "OPTIONS"])
    allow_headers     = optional(list(string), ["content-type", "x-request-id"])
    expose_headers    = optional(list(string), ["x-request-id"])
    max_age           = optional(number, 600)
    allow_credentials = optional(bool, false)
  })
  default = null

  validation {
    condition     = var.cors == null || length(try(var.cors.allow_origins, [])) > 0
    error_message = "The cors.allow_origins must list at least one origin (or set cors = null)."
  }

  validation {
    condition     = var.cors == null || !(try(var.cors.allow_credentials, false) && contains(try(var.cors.allow_origins, []), "*"))
    error_message = "The cors.allow_credentials cannot be true with the origin \"*\": browsers reject that combination."
  }

  validation {
    condition     = var.cors == null || alltrue([for o in try(var.cors.allow_origins, []) : o == "*" || can(regex("^https?://[A-Za-z0-9.*-]+(:[0-9]{1,5})?$", o))])
    error_message = "Each cors.allow_origins entry must be \"*\" or an origin like https://app.example.com (scheme and host, no path)."
  }

  validation {
    condition     = var.cors == null || (try(var.cors.max_age, 0) >= 0 && try(var.cors.max_age, 0) <= 86400)
    error_message = "The cors.max_age must be from 0 to 86400 seconds."
  }
}

variable "throttling_burst_limit" {
  description = "Stage-wide burst limit (requests). Requests above it get 429 from API Gateway."
  type        = number
  default     = 100

  validation {
    condition     = var.throttling_burst_limit >= 0 && var.throttling_burst_limit <= 5000 && floor(var.throttling_burst_limit) == var.throttling_burst_limit
    error_message = "The throttling_burst_limit must be a whole number from 0 to 5000."
  }
}

variable "throttling_rate_limit" {
  description = "Stage-wide steady-state rate limit (requests per second)."
  type        = number
  default     = 50

  validation {
    condition     = var.throttling_rate_limit >= 0 && var.throttling_rate_limit <= 10000
    error_message = "The throttling_rate_limit must be from 0 to 10000 requests per second."
  }
}

variable "detailed_metrics_enabled" {
  description = "Per-route CloudWatch metrics (billed as custom metrics)."
  type        = bool
  default     = false
}

variable "integration_timeout_ms" {
  description = "How long API Gateway waits for the function, in milliseconds (HTTP APIs allow 50-30000)."
  type        = number
  default     = 30000

  validation {
    condition     = var.integration_timeout_ms >= 50 && var.integration_timeout_ms <= 30000 && floor(var.integration_timeout_ms) == var.integration_timeout_ms
    error_message = "The integration_timeout_ms must be a whole number from 50 to 30000."
  }
}

variable "log_retention_days" {
  description = "Days to keep access logs (a value CloudWatch Logs accepts; 0 keeps them forever; modules/log-group checks it)."
  type        = number
  default     = 365
}

variable "kms_key_arn" {
  description = "KMS key (ARN) for the access log group. When null the module creates one (modules/log-group: rotation on) that CloudWatch Logs may use for this log group only."
  type        = string
  default     = null
}

variable "domain_name" {
  description = "Custom domain name for the API (e.g. api.example.com): a regional endpoint with the TLS 1.2 security policy. Null: clients use api_endpoint only. The execute-api endpoint keeps working either way."
  type        = string
  default     = null

  validation {
    condition     = var.domain_name == null || (can(regex("^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$", coalesce(var.domain_name, "x"))) && length(coalesce(var.domain_name, "x")) <= 253)
    error_message = "The domain_name must be a lower-case DNS name like api.example.com (no wildcard, no trailing dot)."
  }
}

variable "domain_certificate_arn" {
  description = "Existing ACM certificate for domain_name, issued, in the API's region (a regional endpoint cannot use a us-east-1 certificate elsewhere). Null: the module requests one with DNS validation in domain_zone_id and waits until ACM issues it."
  type        = string
  default     = null

  validation {
    condition     = var.domain_certificate_arn == null || can(regex("^arn:aws[a-z-]*:acm:[a-z0-9-]+:[0-9]{12}:certificate/[A-Za-z0-9-]+$", coalesce(var.domain_certificate_arn, "x")))
    error_message = "The domain_certificate_arn must be an ACM certificate ARN (arn:<partition>:acm:<region>:<account>:certificate/<id>)."
  }

  validation {
    condition     = var.domain_certificate_arn == null || var.domain_name != null
    error_message = "The domain_certificate_arn needs domain_name."
  }
}

variable "domain_zone_id" {
  description = "Route 53 public hosted zone that holds domain_name: the module writes the alias record there, and the certificate's validation record when it requests the certificate. Null (with domain_certificate_arn): point your own DNS at the custom_domain_target output."
  type        = string
  default     = null

  validation {
    condition     = var.domain_zone_id == null || can(regex("^[A-Z0-9]{1,32}$", coalesce(var.domain_zone_id, "x")))
    error_message = "The domain_zone_id must be a Route 53 hosted zone id (upper-case letters and digits, like Z0123456789ABCDEFGHIJ), not the zone name."
  }

  validation {
    condition     = var.domain_zone_id == null || var.domain_name != null
    error_message = "The domain_zone_id needs domain_name."
  }

  validation {
    condition     = var.domain_name == null || var.domain_zone_id != null || var.domain_certificate_arn != null
    error_message = "A domain_name needs domain_certificate_arn, or domain_zone_id to request and validate a certificate in."
  }
}

variable "api_mapping_key" {
  description = "Path under domain_name the API is mapped at: v1 serves https://<domain_name>/v1/hello. Empty maps the domain's root. API Gateway passes the key on in the request path, so give the lambda module the same value (it sets the app's BASE_PATH)."
  type        = string
  default     = ""

  validation {
    condition     = var.api_mapping_key == "" || can(regex("^[A-Za-z0-9._~-]+(/[A-Za-z0-9._~-]+)*$", var.api_mapping_key))
    error_message = "The api_mapping_key must be path segments of letters, digits, '.', '_', '-', '~' joined by '/', without leading or trailing '/' (e.g. v1 or orders/v2)."
  }

  validation {
    condition     = var.api_mapping_key == "" || var.domain_name != null
    error_message = "The api_mapping_key needs domain_name: the execute-api endpoint has no mappings."
  }
}

variable "tags" {
  description = "Tags applied to every resource."
  type        = map(string)
  default     = {}
}
