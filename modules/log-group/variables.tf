variable "name" {
  description = "Name of the log group, e.g. /aws/lambda/<function>."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9._/#-]{1,512}$", var.name))
    error_message = "The name must be 1-512 characters of letters, digits and . _ / # -."
  }
}

variable "retention_in_days" {
  description = "Days to keep the log events (a value CloudWatch Logs accepts; 0 keeps them forever)."
  type        = number
  default     = 365

  validation {
    condition     = contains([0, 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.retention_in_days)
    error_message = "The retention must be one of 0, 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653 days."
  }
}

variable "kms_key_arn" {
  description = "KMS key encrypting the log group. Null: the module creates one (modules/kms-key, rotating) that CloudWatch Logs may use for this log group only. A key passed in must allow CloudWatch Logs the same (modules/kms-key's log_group_arns)."
  type        = string
  default     = null

  validation {
    condition     = var.kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.kms_key_arn))
    error_message = "The kms_key_arn must be a KMS key ARN (arn:<partition>:kms:<region>:<account>:key/<id>)."
  }
}

variable "kms_key_alias" {
  description = "Alias of the key the module creates when kms_key_arn is null, without alias/ (modules/kms-key's alias_name)."
  type        = string
}

variable "kms_key_description" {
  description = "Description of the key the module creates when kms_key_arn is null: what it encrypts."
  type        = string
}

variable "tags" {
  description = "Tags for the log group and the key."
  type        = map(string)
  default     = {}
}
