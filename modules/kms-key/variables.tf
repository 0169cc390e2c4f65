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

variable "service_statements" {
  description = "Key policy statements for the AWS services that use the key, after the account's administration statement: sid, service principals, KMS actions (listed, no wildcards) and optional conditions (test, variable, values)."
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
      for s in var.service_statements : can(regex("^[A-Za-z0-9]+$", s.sid)) && s.sid != "AccountAdministration"
    ]) && length(distinct([for s in var.service_statements : s.sid])) == length(var.service_statements)
    error_message = "Each statement needs a unique alphanumeric sid other than AccountAdministration (the module's own statement)."
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
