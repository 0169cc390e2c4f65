variable "region" {
  description = "AWS region to deploy to."
  type        = string
  default     = "us-east-1"
}

variable "name" {
  description = "Name of the stack: prefix of every resource name."
  type        = string
  default     = "lambda-api-example"
}

variable "image_tag" {
  description = "Tag of the image in the example's ECR repository that the function runs. On AWS the image must be pushed before the function is created (the emulator does not check)."
  type        = string
  default     = "0.1.0"
}

variable "github_repository" {
  description = "GitHub repository (`owner/name`) whose workflows may assume the CI roles."
  type        = string
  default     = "example-org/lambda-api"
}

variable "create_github_oidc_provider" {
  description = "Create the account's GitHub OIDC provider; set false where the account already has one."
  type        = bool
  default     = true
}

variable "alarm_emails" {
  description = "Email addresses subscribed to the alarm topic."
  type        = list(string)
  default     = []
}

variable "create_query_definitions" {
  description = "Save the Logs Insights queries. Off by default here only because the local emulator (moto) has no API for saved queries; set true on AWS (the monitoring module's own default is true)."
  type        = bool
  default     = false
}
