variable "name" {
  description = "Prefix of the alarm names, the dashboard, the SNS topic and the saved queries. `ops release --alarm-prefix <name>-` watches these alarms."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,50}$", var.name))
    error_message = "The name must be 1-50 characters of letters, digits, - and _."
  }
}

variable "function_name" {
  description = "Name of the Lambda function to watch."
  type        = string
}

variable "alias_name" {
  description = "Alias of the function whose metrics the alarms watch (Resource dimension `<function>:<alias>`), so a canary's errors count."
  type        = string
  default     = "live"
}

variable "function_timeout_seconds" {
  description = "The function's timeout; the Duration p99 alarm fires at duration_alarm_ratio of it."
  type        = number

  validation {
    condition     = var.function_timeout_seconds >= 1 && var.function_timeout_seconds <= 900
    error_message = "The function_timeout_seconds must be from 1 to 900."
  }
}

variable "lambda_log_group_name" {
  description = "The function's log group (app access lines, EMF metrics); the saved queries read it."
  type        = string
}

variable "api_id" {
  description = "Id of the HTTP API to watch (ApiId dimension)."
  type        = string
}

variable "api_stage" {
  description = "Stage of the HTTP API to watch (Stage dimension)."
  type        = string
  default     = "$default"
}

variable "api_access_log_group_name" {
  description = "The API's access log group; a saved query reads it for 5xx and integration errors. Null skips that query."
  type        = string
  default     = null
}

variable "metrics_namespace" {
  description = "Namespace of the app's EMF metrics (the lambda module's metrics_namespace / the app's METRICS_NAMESPACE)."
  type        = string
  default     = "LambdaApi"
}

variable "service_name" {
  description = "Service dimension of the app's EMF metrics (the app's SERVICE_NAME). Defaults to function_name, as in the lambda module."
  type        = string
  default     = null
}

variable "alarm_emails" {
  description = "Email addresses subscribed to the alarm topic (each must confirm the subscription)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for e in var.alarm_emails : can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", e))])
    error_message = "Every alarm_emails entry must be an email address."
  }
}

variable "kms_key_arn" {
  description = "Customer-managed KMS key for the SNS topic. It must let cloudwatch.amazonaws.com use it (kms:Decrypt, kms:GenerateDataKey), or alarm notifications are silently dropped; the AWS-managed SNS key does not. When null the module creates such a key."
  type        = string
  default     = null

  validation {
    condition     = var.kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.kms_key_arn))
    error_message = "The kms_key_arn must be a KMS key ARN (arn:<partition>:kms:<region>:<account>:key/<id>)."
  }
}

variable "period_seconds" {
  description = "Period of every alarm's metric, in seconds (60 lets a canary's alarm fire within minutes)."
  type        = number
  default     = 60

  validation {
    condition     = contains([10, 30, 60, 120, 300, 600, 900, 3600], var.period_seconds)
    error_message = "The period_seconds must be 10, 30 or a multiple of 60 from the list 60, 120, 300, 600, 900, 3600."
  }
}

variable "evaluation_periods" {
  description = "Periods each alarm looks back over."
  type        = number
  default     = 3

  validation {
    condition     = var.evaluation_periods >= 1 && var.evaluation_periods <= 100 && floor(var.evaluation_periods) == var.evaluation_periods
    error_message = "The evaluation_periods must be a whole number from 1 to 100."
  }
}

variable "datapoints_to_alarm" {
  description = "Breaching periods (out of evaluation_periods) that put an alarm in ALARM."
  type        = number
  default     = 2

  validation {
    condition     = var.datapoints_to_alarm >= 1 && var.datapoints_to_alarm <= var.evaluation_periods && floor(var.datapoints_to_alarm) == var.datapoints_to_alarm
    error_message = "The datapoints_to_alarm must be a whole number from 1 to evaluation_periods."
  }
}

variable "errors_threshold" {
  description = "Lambda Errors (sum per period) at or above which the errors alarm breaches."
  type        = number
  default     = 1

  validation {
    condition     = var.errors_threshold >= 1
    error_message = "The errors_threshold must be at least 1."
  }
}

variable "throttles_threshold" {
  description = "Lambda Throttles (sum per period) at or above which the throttles alarm breaches."
  type        = number
  default     = 1

  validation {
    condition     = var.throttles_threshold >= 1
    error_message = "The throttles_threshold must be at least 1."
  }
}

variable "duration_alarm_ratio" {
  description = "Fraction of the function timeout that Duration p99 must stay under."
  type        = number
  default     = 0.8

  validation {
    condition     = var.duration_alarm_ratio > 0 && var.duration_alarm_ratio <= 1
    error_message = "The duration_alarm_ratio must be greater than 0 and at most 1."
  }
}

variable "concurrency_threshold" {
  description = "ConcurrentExecutions (maximum per period) at or above which the concurrency alarm breaches; set it below the function's reserved concurrency."
  type        = number
  default     = 40

  validation {
    condition     = var.concurrency_threshold >= 1
    error_message = "The concurrency_threshold must be at least 1."
  }
}

variable "api_5xx_rate_threshold_percent" {
  description = "Share of API requests answered with 5xx, in percent, at or above which the 5xx alarm breaches."
  type        = number
  default     = 1

  validation {
    condition     = var.api_5xx_rate_threshold_percent > 0 && var.api_5xx_rate_threshold_percent <= 100
    error_message = "The api_5xx_rate_threshold_percent must be greater than 0 and at most 100."
  }
}

variable "api_latency_p99_threshold_ms" {
  description = "API Latency p99, in milliseconds, at or above which the latency alarm breaches."
  type        = number
  default     = 1000

  validation {
    condition     = var.api_latency_p99_threshold_ms >= 1
    error_message = "The api_latency_p99_threshold_ms must be at least 1."
  }
}

variable "slow_request_ms" {
  description = "Requests taking at least this long (the app's duration_ms) are listed by the slow-requests query."
  type        = number
  default     = 1000

  validation {
    condition     = var.slow_request_ms >= 1
    error_message = "The slow_request_ms must be at least 1."
  }
}

variable "create_query_definitions" {
  description = "Save the Logs Insights queries (errors, slow requests, API errors)."
  type        = bool
  default     = true
}

variable "tags" {
  description = "Tags applied to every resource that takes tags."
  type        = map(string)
  default     = {}
}
