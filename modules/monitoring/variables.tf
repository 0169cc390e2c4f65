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

variable "release_canary_percents" {
  description = "Traffic shares (percent, increasing) the new version gets, one `ops release` step each, before the full shift. Empty: all at once."
  type        = list(number)
  default     = [10]

  validation {
    condition     = alltrue(concat([for p in var.release_canary_percents : p > 0 && p < 100], [for i in range(1, length(var.release_canary_percents)) : var.release_canary_percents[i] > var.release_canary_percents[i - 1]]))
    error_message = "The release_canary_percents must be distinct, increasing, each greater than 0 and less than 100."
  }
}

variable "release_step_seconds" {
  description = "Seconds each canary step lasts. Null: what the signal needs (release_signal_period_seconds or Lambda's 60 s, plus release_signal_delay_seconds); a shorter step ends before its traffic can be judged, so it is refused."
  type        = number
  default     = null

  validation {
    condition     = var.release_step_seconds == null || try(var.release_step_seconds >= max(var.release_signal_period_seconds, 60) + var.release_signal_delay_seconds, false)
    error_message = "The release_step_seconds must be at least what the signal needs: max(release_signal_period_seconds, 60) + release_signal_delay_seconds."
  }
}

variable "release_bake_seconds" {
  description = "Seconds `ops release` keeps watching after the full shift, rolling back if the new version's signal fails. Null: what the signal needs (as for a step); never zero."
  type        = number
  default     = null

  validation {
    condition     = var.release_bake_seconds == null || try(var.release_bake_seconds >= max(var.release_signal_period_seconds, 60) + var.release_signal_delay_seconds, false)
    error_message = "The release_bake_seconds must be at least what the signal needs: max(release_signal_period_seconds, 60) + release_signal_delay_seconds."
  }

  validation {
    condition     = length(var.release_canary_percents) * coalesce(var.release_step_seconds, max(var.release_signal_period_seconds, 60) + var.release_signal_delay_seconds) + coalesce(var.release_bake_seconds, max(var.release_signal_period_seconds, 60) + var.release_signal_delay_seconds) <= 10800
    error_message = "A release (every canary step plus the bake) must end within 3 hours: CloudWatch keeps one-second datapoints no longer."
  }
}

variable "release_signal_period_seconds" {
  description = "Period (seconds) over which `ops release` reads the app's one-second metrics of the new version: 10, 20, 30 or 60."
  type        = number
  default     = 10

  validation {
    condition     = contains([10, 20, 30, 60], var.release_signal_period_seconds)
    error_message = "The release_signal_period_seconds must be 10, 20, 30 or 60."
  }
}

variable "release_signal_delay_seconds" {
  description = "Seconds CloudWatch may take to make a datapoint readable (log delivery, metric extraction). `ops release` rolls back when no metric of the new version arrived within the first step: raise this if that happens while the version is healthy."
  type        = number
  default     = 60

  validation {
    condition     = var.release_signal_delay_seconds >= 0 && var.release_signal_delay_seconds <= 600
    error_message = "The release_signal_delay_seconds must be from 0 to 600."
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
