variable "region" {
  description = "AWS region to deploy to; the certificate is requested here too (a regional endpoint needs it in its own region)."
  type        = string
  default     = "us-east-1"
}

variable "name" {
  description = "Name of the stack: prefix of every resource name."
  type        = string
  default     = "lambda-api-domain"
}

variable "image_tag" {
  description = "Tag of the image in the example's ECR repository that the function runs. On AWS the image must be pushed before the function is created (the emulator does not check)."
  type        = string
  default     = "0.1.0"
}

variable "zone_name" {
  description = "Route 53 public hosted zone (in this account) that holds domain_name."
  type        = string
  default     = "example.com"
}

variable "domain_name" {
  description = "Custom domain of the API, inside zone_name."
  type        = string
  default     = "api.example.com"
}

variable "api_mapping_key" {
  description = "Path the API is mounted at under domain_name (https://<domain_name>/<key>/hello); empty for the root."
  type        = string
  default     = "v1"
}

variable "jwt_issuer" {
  description = "Issuer of the tokens API Gateway accepts: https://cognito-idp.<region>.amazonaws.com/<user pool id> for Cognito, or your OIDC provider's issuer URL."
  type        = string
  default     = "https://auth.example.com/"
}

variable "jwt_audiences" {
  description = "Audiences a token must name (aud; client_id for Cognito access tokens)."
  type        = list(string)
  default     = ["lambda-api"]
}

variable "protected_routes" {
  description = "Routes that need a valid token; /health and /openapi.json stay public."
  type        = list(string)
  default     = ["GET /hello", "POST /echo"]
}
