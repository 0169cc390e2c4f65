variable "alias_name" {
  description = "Alias of the key, without the alias/ prefix (for example <name>-lambda). The account's deploy role may manage only aliases that start with the stack's name."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9/_-]{1,250}$", var.alias_name)) && !startswith(var.alias_name, "alias/") && !startswith(var.alias_name, "aws/")
    error_message = "The alias_name must be 1-250 letters, digits, '/', '_' or '-', without the alias/ prefix, and must not start with aws/ (reserved for AWS-managed keys)."
  }
}

variable "description" {
  description = "Description of the key: what it encrypts."
  type        = string

  validation {
    condition     = length(trimspace(var.description)) > 0 && length(var.description) <= 8192
    error_message = "The description must be non-empty and at most 8192 characters."
  }
}

variable "log_group_arns" {
  description = "Log groups CloudWatch Logs may encrypt with this key: exact ARNs (ArnEquals), or patterns with * (ArnLike), matched against the encryption context CloudWatch Logs sends. Empty: no CloudWatch Logs statement."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for arn in var.log_group_arns : can(regex("^arn:aws[a-z-]*:logs:[a-z0-9-]+:[0-9]{12}:log-group:[A-Za-z0-9._/#*-]+$", arn))])
    error_message = "Each log_group_arns entry must be a log group ARN (arn:<partition>:logs:<region>:<account>:log-group:<name>), * allowed in the name."
  }
}

variable "cloudwatch_alarms" {
  description = "Let CloudWatch alarms use the key (kms:Decrypt, kms:GenerateDataKey for cloudwatch.amazonaws.com), as they must to publish to an SNS topic encrypted with it: the AWS-managed SNS key does not allow it, and the notifications are dropped."
  type        = bool
  default     = false
}

variable "service_statements" {
  description = "Further key policy statements for the AWS services that use the key, after the account's administration statement and those of log_group_arns and cloudwatch_alarms: sid, service principals, KMS actions (listed, no wildcards) and optional conditions (test, variable, values)."
  type = list(object({
    sid      = string
    services = list(string)
    actions  = list(string)
    conditions = optional(list(object({
      test     = string
      variable = string
      values   = list(string)
    })), [])
  }))
  default = []

  validation {
    condition = alltrue([
      for s in var.service_statements : can(regex("^[A-Za-z0-9]+$", s.sid)) && !startswith(s.sid, "AccountAdministration") && !startswith(s.sid, "CloudWatch")
    ]) && length(distinct([for s in var.service_statements : s.sid])) == length(var.service_statements)
    error_message = "Each statement needs a unique alphanumeric sid not starting with AccountAdministration or CloudWatch (the module's own statements)."
  }

  validation {
    condition = alltrue([
      for s in var.service_statements : length(s.actions) > 0 && alltrue([for a in s.actions : can(regex("^kms:[A-Za-z]+$", a))])
    ])
    error_message = "Each statement must list KMS actions by name (kms:Decrypt, ...): no wildcards, no other services."
  }

  validation {
    condition = alltrue([
      for s in var.service_statements : length(s.services) > 0 && alltrue([for p in s.services : can(regex("^[a-z0-9.-]+\\.amazonaws\\.com(\\.cn)?$", p))])
    ])
    error_message = "Each statement's services must be AWS service principals (for example logs.<region>.amazonaws.com)."
  }
}

variable "tags" {
  description = "Tags for the key."
  type        = map(string)
  default     = {}
}
