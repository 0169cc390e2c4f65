# The API behind its own domain, mounted at a mapping key, with JWT-protected routes: registry,
# function and HTTP API, plus the custom domain (certificate requested and validated through DNS,
# regional endpoint with TLS 1.2, API mapping, alias record) and a JWT authorizer. One value feeds
# both modules: the mapping key (the app's BASE_PATH) and the protected routes (PROTECTED_ROUTES).
# Add monitoring and the CI roles as examples/complete does.

provider "aws" {
  region = var.region
}

locals {
  tags = {
    Project   = var.name
    ManagedBy = "terraform"
    Source    = "examples/custom-domain"
  }
}

# The public hosted zone you own for the domain: the module writes the certificate's validation
# record and the domain's alias record there.
data "aws_route53_zone" "this" {
  name         = var.zone_name
  private_zone = false
}

module "ecr" {
  source = "../../modules/ecr"

  name = var.name
  # Throwaway example: let destroy remove pushed images too. Keep the default (false) for real stacks.
  force_delete = true

  tags = local.tags
}

module "lambda" {
  source = "../../modules/lambda"

  name      = var.name
  image_uri = "${module.ecr.repository_url}:${var.image_tag}"

  # The same values as the API's: the app strips the key and refuses unauthenticated calls itself.
  api_mapping_key  = var.api_mapping_key
  protected_routes = var.protected_routes

  tags = local.tags
}

module "api" {
  source = "../../modules/api-gateway"

  name                    = var.name
  lambda_function_name    = module.lambda.function_name
  lambda_alias_name       = module.lambda.alias_name
  lambda_alias_invoke_arn = module.lambda.alias_invoke_arn

  domain_name     = var.domain_name
  domain_zone_id  = data.aws_route53_zone.this.zone_id
  api_mapping_key = var.api_mapping_key

  jwt_authorizer = {
    issuer    = var.jwt_issuer
    audiences = var.jwt_audiences
  }
  protected_routes = var.protected_routes

  tags = local.tags
}
