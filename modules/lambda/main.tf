locals {
  kms_key_arn = module.log_group.kms_key_arn

  # The tag after the last ':' of the repository path, else the digest's first 12 hex digits.
  image_reference = regex("^[^/]+/[^:@]+(?::(?P<tag>[^@]+))?(?:@sha256:(?P<digest>[a-f0-9]{64}))?$", var.image_uri)
  app_version = coalesce(
    var.app_version,
    local.image_reference.tag,
    try("sha256:${substr(local.image_reference.digest, 0, 12)}", null),
  )

  environment = merge(
    var.environment,
    {
      SERVICE_NAME      = coalesce(var.service_name, var.name)
      METRICS_NAMESPACE = var.metrics_namespace
      APP_VERSION       = local.app_version
      # The app knows no TRACE; Lambda's filter still applies on top of the app's own level.
      LOG_LEVEL = var.application_log_level == "TRACE" ? "DEBUG" : var.application_log_level
    },
    # Set only when used, so a function without a custom domain or JWT keeps its environment.
    var.api_mapping_key == "" ? {} : { BASE_PATH = "/${var.api_mapping_key}" },
    length(var.protected_routes) == 0 ? {} : { PROTECTED_ROUTES = join(",", sort(var.protected_routes)) },
  )
}

################################################################################
# Log group, and the key that also encrypts the environment variables
################################################################################

module "log_group" {
  source = "../log-group"

  name                = "/aws/lambda/${var.name}"
  retention_in_days   = var.log_retention_days
  kms_key_arn         = var.kms_key_arn
  kms_key_alias       = "${var.name}-lambda"
  kms_key_description = "Lambda ${var.name}: environment variables and logs"

  tags = var.tags
}

################################################################################
# Execution role: write to its own log group, send traces, decrypt its environment
################################################################################

data "aws_iam_policy_document" "assume_role" {
  statement {
    effect  = "Allow"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "this" {
  name                 = "${var.name}-lambda"
  description          = "Execution role of Lambda function ${var.name}"
  assume_role_policy   = data.aws_iam_policy_document.assume_role.json
  permissions_boundary = var.role_permissions_boundary_arn

  tags = var.tags
}

data "aws_iam_policy_document" "execution" {
  statement {
    sid       = "WriteOwnLogGroup"
    effect    = "Allow"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${module.log_group.arn}:log-stream:*"]
  }

  statement {
    sid     = "SendTraces"
    effect  = "Allow"
    actions = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
    # X-Ray has no resource-level permissions for these actions: "*" is the only valid resource.
    resources = ["*"]
  }

  statement {
    sid       = "DecryptEnvironment"
    effect    = "Allow"
    actions   = ["kms:Decrypt"]
    resources = [local.kms_key_arn]
  }
}

resource "aws_iam_role_policy" "this" {
  name   = "execution"
  role   = aws_iam_role.this.id
  policy = data.aws_iam_policy_document.execution.json
}

################################################################################
# Function
################################################################################

resource "aws_lambda_function" "this" {
  # checkov:skip=CKV_AWS_272:Code signing applies to .zip packages only; a container image cannot be signed for Lambda (pin the image by digest instead).
  # checkov:skip=CKV_AWS_116:A dead-letter queue only receives failed asynchronous invocations; API Gateway invokes this function synchronously and gets the error itself.
  # checkov:skip=CKV_AWS_117:The function calls no private network resources, so a VPC would add ENIs and NAT cost without protecting anything; attach one where the app reaches private resources.
  function_name = var.name
  description   = var.description
  role          = aws_iam_role.this.arn

  package_type  = "Image"
  image_uri     = var.image_uri
  architectures = [var.architecture]
  memory_size   = var.memory_size
  timeout       = var.timeout
  # Every apply that changes code or configuration publishes a version: the alias, rollback and canary
  # all address versions, never $LATEST.
  publish = true

  reserved_concurrent_executions = var.reserved_concurrency
  kms_key_arn                    = local.kms_key_arn

  image_config {
    command = var.image_command
  }

  environment {
    variables = local.environment
  }

  tracing_config {
    mode = "Active"
  }

  logging_config {
    log_format            = "JSON"
    application_log_level = var.application_log_level
    system_log_level      = var.system_log_level
    log_group             = module.log_group.name
  }

  tags = var.tags

  # The role's policy must exist before the first invocation writes logs.
  depends_on = [aws_iam_role_policy.this]
}

################################################################################
# Alias: exactly one of these two exists (see alias_managed_externally)
################################################################################

# The release pipeline shifts this alias between versions (weighted canary, rollback); Terraform
# creates it once and leaves its target alone afterwards. `ops release` records the version it
# replaced in the description (`ops: previous=N`, read by `ops rollback`), so that is left alone too.
resource "aws_lambda_alias" "external" {
  count = var.alias_managed_externally ? 1 : 0

  name             = var.alias_name
  description      = "Target moved by the release pipeline"
  function_name    = aws_lambda_function.this.function_name
  function_version = aws_lambda_function.this.version

  lifecycle {
    ignore_changes = [function_version, routing_config, description]
  }
}

resource "aws_lambda_alias" "managed" {
  count = var.alias_managed_externally ? 0 : 1

  name             = var.alias_name
  description      = "Target managed by Terraform"
  function_name    = aws_lambda_function.this.function_name
  function_version = coalesce(var.alias_function_version, aws_lambda_function.this.version)

  dynamic "routing_config" {
    for_each = var.canary_version == null ? [] : [var.canary_version]
    content {
      additional_version_weights = { (routing_config.value) = var.canary_weight }
    }
  }
}

locals {
  alias = one(concat(aws_lambda_alias.external, aws_lambda_alias.managed))
}
