variable "name" {
  description = "Function name; also names its log group (/aws/lambda/<name>), execution role (<name>-lambda) and KMS alias."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,50}$", var.name))
    error_message = "The name must be 1-50 characters of letters, digits, - and _ (50 leaves room for the suffixes of the role and key alias)."
  }
}

variable "description" {
  description = "Description of the function."
  type        = string
  default     = "HTTP API served from a container image"
}

variable "image_uri" {
  description = "ECR image to run: `<registry>/<repository>@sha256:<digest>` (preferred) or `<registry>/<repository>:<tag>` from an immutable-tag repository. `latest` is refused: it names no particular build."
  type        = string

  validation {
    condition     = can(regex("^[0-9]{12}\\.dkr\\.ecr\\.[a-z0-9-]+\\.amazonaws\\.com(\\.cn)?/[a-z0-9][a-z0-9._/-]*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}|@sha256:[a-f0-9]{64})$", var.image_uri))
    error_message = "The image_uri must be an ECR image reference with a tag or a sha256 digest, e.g. 123456789012.dkr.ecr.us-east-1.amazonaws.com/app@sha256:<64 hex>."
  }

  validation {
    condition     = !endswith(var.image_uri, ":latest")
    error_message = "The image_uri must not use the `latest` tag: deploy an immutable tag or a digest."
  }
}

variable "image_command" {
  description = "CMD given to the image: the handler the Lambda runtime interface client loads. Set explicitly so the function does not drift from the image's own CMD, and kept equal to the Dockerfile's CMD."
  type        = list(string)
  default     = ["app.handler.handler"]

  validation {
    condition     = length(var.image_command) >= 1
    error_message = "The image_command must name at least the handler."
  }
}

variable "architecture" {
  description = "Instruction set the image is built for: x86_64 or arm64."
  type        = string
  default     = "x86_64"

  validation {
    condition     = contains(["x86_64", "arm64"], var.architecture)
    error_message = "The architecture must be x86_64 or arm64."
  }
}

variable "memory_size" {
  description = "Memory in MB (CPU scales with it)."
  type        = number
  default     = 512

  validation {
    condition     = var.memory_size >= 128 && var.memory_size <= 10240 && floor(var.memory_size) == var.memory_size
    error_message = "The memory_size must be a whole number of MB from 128 to 10240."
  }
}

variable "timeout" {
  description = "Timeout in seconds. Behind an HTTP API the integration gives up after at most 30 s, so a longer timeout only keeps abandoned invocations running."
  type        = number
  default     = 10

  validation {
    condition     = var.timeout >= 1 && var.timeout <= 900 && floor(var.timeout) == var.timeout
    error_message = "The timeout must be a whole number of seconds from 1 to 900."
  }
}

variable "reserved_concurrency" {
  description = "Reserved concurrent executions: caps the function (protecting the account pool and downstream systems) and guarantees it that capacity. -1 removes the cap. AWS refuses a value that would leave the account fewer than 100 unreserved executions, which on a new account (low default quota) can mean a smaller value or -1."
  type        = number
  default     = 50

  validation {
    condition     = var.reserved_concurrency >= -1 && floor(var.reserved_concurrency) == var.reserved_concurrency
    error_message = "The reserved_concurrency must be -1 (no reservation), 0 (disabled) or a positive whole number."
  }
}

variable "environment" {
  description = "Extra environment variables for the app (e.g. MAX_BODY_BYTES). Not for secrets: read those from Secrets Manager or SSM at runtime. SERVICE_NAME, METRICS_NAMESPACE, APP_VERSION and LOG_LEVEL come from their own inputs."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for key in keys(var.environment) : can(regex("^[A-Za-z][A-Za-z0-9_]*$", key)) && !startswith(key, "AWS_")])
    error_message = "Environment variable names must start with a letter, hold only letters, digits and _, and not start with AWS_ (reserved by Lambda)."
  }

  validation {
    condition     = length(setintersection(keys(var.environment), ["SERVICE_NAME", "METRICS_NAMESPACE", "APP_VERSION", "LOG_LEVEL"])) == 0
    error_message = "Set SERVICE_NAME, METRICS_NAMESPACE, APP_VERSION and LOG_LEVEL through service_name, metrics_namespace, app_version and application_log_level, not environment."
  }

  validation {
    condition     = length(setintersection(keys(var.environment), ["BASE_PATH", "PROTECTED_ROUTES"])) == 0
    error_message = "Set BASE_PATH and PROTECTED_ROUTES through api_mapping_key and protected_routes (the api-gateway module's values), not environment."
  }
}

variable "api_mapping_key" {
  description = "The api-gateway module's api_mapping_key (e.g. v1): API Gateway passes it on in the request path, so the app gets it as BASE_PATH (/v1) and serves under it on the custom domain, and at the root of the execute-api endpoint. Empty: no BASE_PATH."
  type        = string
  default     = ""

  validation {
    condition     = var.api_mapping_key == "" || can(regex("^[A-Za-z0-9._~-]+(/[A-Za-z0-9._~-]+)*$", var.api_mapping_key))
    error_message = "The api_mapping_key must be path segments of letters, digits, '.', '_', '-', '~' joined by '/', without leading or trailing '/' (e.g. v1 or orders/v2)."
  }
}

variable "protected_routes" {
  description = "The api-gateway module's protected_routes (route keys such as GET /hello): set as PROTECTED_ROUTES, the app answers 401 itself on these routes when a call reaches it without a verified caller. Empty: no PROTECTED_ROUTES."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for r in var.protected_routes : can(regex("^(ANY|GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS) /[A-Za-z0-9._~{}+/-]*$", r))])
    error_message = "Each protected_routes entry must be a route key: `<METHOD> /<path>`, e.g. GET /hello."
  }

  validation {
    condition     = !anytrue([for r in var.protected_routes : contains(["/health", "/openapi.json"], try(split(" ", r)[1], ""))])
    error_message = "The protected_routes may not list /health or /openapi.json: the app keeps them public (it refuses to start otherwise)."
  }
}

variable "service_name" {
  description = "SERVICE_NAME for the app: the `service` field of its logs and the `Service` dimension of its metrics. Defaults to name."
  type        = string
  default     = null

  validation {
    condition     = var.service_name == null || can(regex("^[A-Za-z0-9._-]{1,64}$", var.service_name))
    error_message = "The service_name must be 1-64 characters of letters, digits and . _ -."
  }
}

variable "metrics_namespace" {
  description = "METRICS_NAMESPACE for the app: the CloudWatch namespace of its embedded-metric-format metrics. The monitoring module's dashboard must use the same value."
  type        = string
  default     = "LambdaApi"

  validation {
    condition     = can(regex("^[A-Za-z0-9._/#:-]{1,255}$", var.metrics_namespace)) && !startswith(var.metrics_namespace, "AWS/")
    error_message = "The metrics_namespace must be 1-255 characters of letters, digits and . _ / # : - and must not start with AWS/."
  }
}

variable "app_version" {
  description = "APP_VERSION for the app (shown by /health). Defaults to the image tag, or to the first 12 hex digits of the digest."
  type        = string
  default     = null
}

variable "application_log_level" {
  description = "Lambda's JSON log filter for application lines, also passed to the app as LOG_LEVEL. Lambda drops lines below this level, and the app's access lines and metrics (EMF) are INFO: a higher level would silently lose every request log and metric, so only TRACE, DEBUG and INFO are accepted."
  type        = string
  default     = "INFO"

  validation {
    condition     = contains(["TRACE", "DEBUG", "INFO"], var.application_log_level)
    error_message = "The application_log_level must be TRACE, DEBUG or INFO; WARN and above would drop the app's INFO access lines and EMF metrics."
  }
}

variable "system_log_level" {
  description = "Lambda's JSON log filter for the platform's own lines (START, REPORT, ...): DEBUG, INFO or WARN."
  type        = string
  default     = "WARN"

  validation {
    condition     = contains(["DEBUG", "INFO", "WARN"], var.system_log_level)
    error_message = "The system_log_level must be DEBUG, INFO or WARN."
  }
}

variable "log_retention_days" {
  description = "Days to keep the function's logs (a value CloudWatch Logs accepts; 0 keeps them forever; modules/log-group checks it)."
  type        = number
  default     = 365
}

variable "kms_key_arn" {
  description = "KMS key (ARN) for the environment variables and the log group. When null the module creates one (modules/log-group: rotation on) whose policy lets CloudWatch Logs use it for this function's log group only. A key passed in must allow the same (modules/kms-key's log_group_arns)."
  type        = string
  default     = null
}

variable "role_permissions_boundary_arn" {
  description = "Permissions boundary for the execution role (e.g. github-oidc's permissions_boundary_arn, which its deploy role requires on the roles it creates)."
  type        = string
  default     = null
}

variable "alias_name" {
  description = "Name of the alias API Gateway invokes."
  type        = string
  default     = "live"

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,128}$", var.alias_name)) && !can(regex("^[0-9]+$", var.alias_name))
    error_message = "The alias_name must be 1-128 characters of letters, digits, - and _, not starting with a digit."
  }
}

variable "alias_managed_externally" {
  description = "true (default): Terraform creates the alias on the first published version and then ignores its function_version and routing_config, which the release pipeline (`ops release` / `ops rollback`) moves. false: Terraform owns the alias; it follows alias_function_version (default: the latest published version) and the canary inputs. Flipping this replaces the alias resource: move it in state instead (see README)."
  type        = bool
  default     = true
}

variable "alias_function_version" {
  description = "Version the alias points at when alias_managed_externally is false. Null means the version this apply published."
  type        = string
  default     = null

  validation {
    condition     = var.alias_function_version == null || can(regex("^[0-9]+$", coalesce(var.alias_function_version, "0")))
    error_message = "The alias_function_version must be a published version number, e.g. \"7\"."
  }
}

variable "canary_version" {
  description = "With alias_managed_externally = false: a second version that receives canary_weight of the alias's traffic (weighted alias routing)."
  type        = string
  default     = null

  validation {
    condition     = var.canary_version == null || can(regex("^[0-9]+$", coalesce(var.canary_version, "0")))
    error_message = "The canary_version must be a published version number, e.g. \"8\"."
  }

  validation {
    condition     = var.canary_version == null || !var.alias_managed_externally
    error_message = "The canary_version only applies when alias_managed_externally is false; otherwise the release pipeline owns the alias routing."
  }
}

variable "canary_weight" {
  description = "Fraction of the alias's traffic (0 < weight < 1, e.g. 0.1 for 10 %) sent to canary_version."
  type        = number
  default     = 0.1

  validation {
    condition     = var.canary_weight > 0 && var.canary_weight < 1
    error_message = "The canary_weight must be a fraction strictly between 0 and 1."
  }
}

variable "tags" {
  description = "Tags applied to every resource."
  type        = map(string)
  default     = {}
}
