# What the CI roles need for this module (modules/github-oidc builds its policies from it): the deploy
# role creates the HTTP API, its routes, stage and access-log delivery, and, for the custom domains
# listed, their certificates, domain names, mappings and DNS records; the plan role reads them. Data
# only, no provider: the administrator's apply of github-oidc reads it before the stack exists.

variable "scope" {
  description = "The stack: name_prefix of its resources, account_id, region, partition; domain_names, the API's custom domain names (empty: no ACM, domain name or Route 53 permission)."
  type        = object({ name_prefix = string, account_id = string, region = string, partition = string, domain_names = optional(list(string), []) })
}

locals {
  apigateway = "arn:${var.scope.partition}:apigateway:${var.scope.region}::"
  # HTTP API paths only. API ids are generated, so APIs cannot be scoped by name.
  apis    = ["${local.apigateway}/apis", "${local.apigateway}/apis/*", "${local.apigateway}/tags/*"]
  methods = sort(concat(local.read.apis, ["apigateway:DELETE", "apigateway:PATCH", "apigateway:POST", "apigateway:PUT"]))

  certificates = "arn:${var.scope.partition}:acm:${var.scope.region}:${var.scope.account_id}:certificate/*"
  zones        = "arn:${var.scope.partition}:route53:::hostedzone/*"
  domain_paths = flatten([for name in var.scope.domain_names : ["${local.apigateway}/domainnames/${name}", "${local.apigateway}/domainnames/${name}/*"]])

  # What reading the APIs, domain names, certificates and zones takes, listed once: the plan role's
  # statements, and part of the deploy role's (an apply refreshes every resource before it changes
  # any, so the deploy role keeps every read the plan role has).
  read = {
    apis         = ["apigateway:GET"]
    certificates = ["acm:DescribeCertificate", "acm:ListTagsForCertificate"]
    zones        = ["route53:GetHostedZone", "route53:ListResourceRecordSets"]
  }
}

output "log_groups" {
  description = "Names (patterns) of the log groups the module creates (modules/log-group's deployer statements and the stack key's policy cover them)."
  value       = ["/aws/apigateway/${var.scope.name_prefix}*"]
}

output "statements" {
  description = "IAM statements by role (deploy, plan); kms_services, the services that use the stack's key on the deployer's behalf."
  value = {
    deploy = concat([
      { sid = "HttpApis", actions = local.methods, resources = local.apis },
      {
        # Access-log delivery to CloudWatch Logs has no resource-level permissions (API Gateway
        # developer guide, "Configure logging for HTTP APIs": the permissions it needs).
        sid = "AccessLogDelivery"
        actions = [
          "logs:CreateLogDelivery", "logs:DeleteLogDelivery", "logs:DescribeResourcePolicies", "logs:GetLogDelivery",
          "logs:ListLogDeliveries", "logs:PutResourcePolicy", "logs:UpdateLogDelivery",
        ]
        resources = ["*"]
      },
      ], [for statement in [
        # ACM certificate ids are generated, so certificates cannot be scoped by name; a request is
        # limited to the listed names and DNS validation instead. Route 53 changes are limited to records
        # of the listed names (the alias) and below them (the certificate's _<token>.<name> record).
        {
          sid       = "CustomDomainCertificateRequests"
          actions   = ["acm:RequestCertificate"]
          resources = ["*"] # RequestCertificate has no resource type; the conditions scope it
          conditions = [
            { test = "ForAllValues:StringEquals", variable = "acm:DomainNames", values = var.scope.domain_names },
            { test = "StringEquals", variable = "acm:ValidationMethod", values = ["DNS"] },
          ]
        },
        {
          sid = "CustomDomainCertificates"
          actions = sort(concat(local.read.certificates, [
            "acm:AddTagsToCertificate", "acm:DeleteCertificate", "acm:RemoveTagsFromCertificate",
          ]))
          resources = [local.certificates]
        },
        {
          sid       = "CustomDomainNamesAndMappings"
          actions   = local.methods
          resources = concat(["${local.apigateway}/domainnames"], local.domain_paths)
        },
        {
          sid       = "CustomDomainRecords"
          actions   = ["route53:ChangeResourceRecordSets"]
          resources = [local.zones]
          conditions = [{
            test     = "ForAllValues:StringLike"
            variable = "route53:ChangeResourceRecordSetsNormalizedRecordNames"
            values   = flatten([for name in var.scope.domain_names : [name, "*.${name}"]])
          }]
        },
        {
          sid       = "CustomDomainRecordsRead"
          actions   = sort(concat(local.read.zones, ["route53:GetChange"]))
          resources = [local.zones, "arn:${var.scope.partition}:route53:::change/*"]
        },
    ] : statement if length(var.scope.domain_names) > 0])
    plan = concat([
      { sid = "HttpApisRead", actions = local.read.apis, resources = local.apis },
      ], length(var.scope.domain_names) == 0 ? [] : [
      {
        sid       = "CustomDomainsRead"
        actions   = sort(concat(local.read.certificates, local.read.apis, local.read.zones))
        resources = concat([local.certificates], local.domain_paths, [local.zones])
      },
    ])
    kms_services = []
  }
}
