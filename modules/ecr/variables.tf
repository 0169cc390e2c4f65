variable "name" {
  description = "Name of the ECR repository."
  type        = string

  validation {
    condition     = length(var.name) >= 2 && length(var.name) <= 256 && can(regex("^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$", var.name))
    error_message = "The name must be 2-256 characters of lowercase letters, digits and . _ - / (each part starting and ending with a letter or digit)."
  }
}

variable "kms_key_arn" {
  description = "ARN of a customer-managed KMS key to encrypt images with. When null, ECR's AWS-managed key (aws/ecr) is used; encryption is on either way. Encryption settings cannot change after creation."
  type        = string
  default     = null

  validation {
    condition     = var.kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.kms_key_arn))
    error_message = "The kms_key_arn must be a KMS key ARN (arn:<partition>:kms:<region>:<account>:key/<id>)."
  }
}

variable "untagged_image_expiry_days" {
  description = "Untagged images are expired this many days after push. The pipeline deploys tagged images only, so an untagged image is never what a published Lambda version runs."
  type        = number
  default     = 14

  validation {
    condition     = var.untagged_image_expiry_days >= 1 && var.untagged_image_expiry_days <= 3650 && floor(var.untagged_image_expiry_days) == var.untagged_image_expiry_days
    error_message = "The untagged_image_expiry_days must be a whole number from 1 to 3650."
  }
}

variable "protected_tag_pattern" {
  description = "Tag pattern (ECR tagPatternList syntax) of released images: the pipeline adds `release-<sha>` to an image once it passed its checks, before any environment runs it. Lifecycle rule 1 selects them, so no later rule can expire them (ECR's evaluation rules): digests that environments pin or that `ops rollback` may return to stay."
  type        = string
  default     = "release-*"

  validation {
    condition     = can(regex("^[A-Za-z0-9._-]+[*]$", var.protected_tag_pattern))
    error_message = "The protected_tag_pattern must be a tag prefix followed by *, e.g. release-*."
  }
}

variable "protected_image_count" {
  description = "Released images kept by lifecycle rule 1 (the newest N by push time). ECR has no keep action: a count that is never reached keeps every released image."
  type        = number
  default     = 9999

  validation {
    condition     = var.protected_image_count >= 1000 && floor(var.protected_image_count) == var.protected_image_count
    error_message = "The protected_image_count must be a whole number of at least 1000: released images back pins and rollbacks."
  }
}

variable "release_image_count" {
  description = "How many other tagged images (built but never released: no tag matching protected_tag_pattern) to keep; older ones are expired. Released images are never counted out by this rule."
  type        = number
  default     = 30

  validation {
    condition     = var.release_image_count >= 5 && var.release_image_count <= 10000 && floor(var.release_image_count) == var.release_image_count
    error_message = "The release_image_count must be a whole number from 5 to 10000."
  }
}

variable "release_tag_patterns" {
  description = "Tag patterns (ECR tagPatternList, `*` wildcards) of the tagged images counted by release_image_count (lifecycle rule 3)."
  type        = list(string)
  default     = ["*"]

  validation {
    condition     = length(var.release_tag_patterns) >= 1 && alltrue([for p in var.release_tag_patterns : can(regex("^[A-Za-z0-9._*-]{1,128}$", p))])
    error_message = "The release_tag_patterns must be a non-empty list of tag patterns (letters, digits, . _ - and *)."
  }
}

variable "lambda_function_name_pattern" {
  description = "Lambda functions whose name matches this pattern (in this account and region, and in lambda_pull_account_ids) may pull images. `*` allows every function."
  type        = string
  default     = "*"

  validation {
    condition     = can(regex("^[A-Za-z0-9_*-]{1,64}$", var.lambda_function_name_pattern))
    error_message = "The lambda_function_name_pattern must be 1-64 characters of letters, digits, - _ and *."
  }
}

variable "lambda_pull_account_ids" {
  description = "Other AWS account ids whose Lambda functions may pull images from this repository (same region). With a customer-managed kms_key_arn, its key policy must also allow those accounts."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for id in var.lambda_pull_account_ids : can(regex("^[0-9]{12}$", id))])
    error_message = "Every entry of lambda_pull_account_ids must be a 12-digit AWS account id."
  }
}

variable "force_delete" {
  description = "Allow `terraform destroy` to delete the repository while it still holds images. Keep false outside throwaway environments: images back published Lambda versions."
  type        = bool
  default     = false
}

variable "tags" {
  description = "Tags applied to every resource."
  type        = map(string)
  default     = {}
}
