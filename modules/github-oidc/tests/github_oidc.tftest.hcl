mock_provider "aws" {
  source = "../.mocks/aws"
}

variables {
  name              = "api"
  github_repository = "example-org/lambda-api"
  state_bucket_name = "example-tfstate"
  state_key_prefix  = "lambda-api/"
}

run "trust_is_exact" {
  command = apply

  assert {
    condition = (
      aws_iam_openid_connect_provider.github[0].url == "https://token.actions.githubusercontent.com" &&
      aws_iam_openid_connect_provider.github[0].client_id_list == toset(["sts.amazonaws.com"])
    )
    error_message = "The provider must be GitHub's, for the STS audience."
  }

  assert {
    condition = toset(output.deploy_subjects) == toset([
      "repo:example-org/lambda-api:ref:refs/heads/main",
      "repo:example-org/lambda-api:environment:dev",
      "repo:example-org/lambda-api:environment:prod",
    ])
    error_message = "The deploy role must trust the main branch and the named environments only."
  }

  assert {
    condition     = output.plan_subjects == ["repo:example-org/lambda-api:pull_request", "repo:example-org/lambda-api:ref:refs/heads/main"]
    error_message = "The plan role must trust pull requests and the main branch (drift checks) only."
  }

  assert {
    condition = alltrue(flatten([
      for doc in data.aws_iam_policy_document.trust : [
        for s in doc.statement : [
          for c in s.condition : c.test == "StringEquals" && alltrue([for v in c.values : !strcontains(v, "*")])
        ]
      ]
    ]))
    error_message = "Trust conditions must be exact (StringEquals, no wildcards)."
  }

  assert {
    condition = alltrue([
      for doc in data.aws_iam_policy_document.trust :
      contains(flatten([for s in doc.statement : [for c in s.condition : c.variable]]), "token.actions.githubusercontent.com:aud")
    ])
    error_message = "Both roles must check the token audience."
  }
}

run "policies_are_least_privilege" {
  command = apply

  assert {
    condition = alltrue(flatten([
      for doc in [data.aws_iam_policy_document.policy["deploy"], data.aws_iam_policy_document.policy["plan"], data.aws_iam_policy_document.policy["boundary"]] : [
        for s in doc.statement : [for a in s.actions : !strcontains(a, "*")]
      ]
    ]))
    error_message = "No policy may use wildcard actions."
  }

  assert {
    # Only actions AWS cannot scope to a resource may be allowed on "*".
    condition = toset(flatten([
      for doc in [data.aws_iam_policy_document.policy["deploy"], data.aws_iam_policy_document.policy["plan"], data.aws_iam_policy_document.policy["boundary"]] : [
        for s in doc.statement : s.actions if s.effect == "Allow" && contains(s.resources, "*")
      ]
      ])) == toset([
      "ecr:GetAuthorizationToken", "xray:PutTraceSegments", "xray:PutTelemetryRecords",
      "logs:CreateLogDelivery", "logs:DeleteLogDelivery", "logs:DeleteQueryDefinition", "logs:DescribeLogGroups",
      "logs:DescribeQueryDefinitions", "logs:DescribeResourcePolicies", "logs:GetLogDelivery",
      "logs:ListLogDeliveries", "logs:PutQueryDefinition", "logs:PutResourcePolicy", "logs:StopQuery",
      "logs:UpdateLogDelivery", "cloudwatch:GetMetricData", "cloudwatch:GetMetricStatistics", "kms:ListAliases",
      "lambda:GetAccountSettings",
    ])
    error_message = "An action that supports resource scoping is allowed on \"*\"."
  }

  assert {
    condition = alltrue(flatten([
      for s in data.aws_iam_policy_document.policy["plan"].statement : [
        for a in s.actions : can(regex("^[a-z0-9-]+:(Describe|Get|List|GET$)", a)) || contains(["logs:FilterLogEvents"], a) || (
          contains(["s3:PutObject", "s3:DeleteObject"], a) && s.resources == toset(["arn:aws:s3:::example-tfstate/lambda-api/*.tflock"])
        ) || (a == "kms:Decrypt")
      ]
    ]))
    error_message = "The plan role may only read, plus write state lockfiles."
  }

  assert {
    condition = [
      for s in data.aws_iam_policy_document.policy["deploy"].statement : s.resources if s.sid == "LambdaFunction"
      ][0] == toset([
        "arn:aws:lambda:us-east-1:123456789012:function:api*",
        "arn:aws:lambda:us-east-1:123456789012:function:api*:*",
    ])
    error_message = "Lambda permissions must be scoped to the stack's name prefix."
  }

  assert {
    condition = [
      for s in data.aws_iam_policy_document.policy["deploy"].statement : s.resources if s.sid == "StateObjectsAndLockfiles"
    ][0] == toset(["arn:aws:s3:::example-tfstate/lambda-api/*"])
    error_message = "State access must be scoped to the stack's key prefix."
  }

  assert {
    condition = one(flatten([
      for s in data.aws_iam_policy_document.policy["deploy"].statement : [for c in s.condition : c.values] if s.sid == "StackRolesWrite"
    ])) == "arn:aws:iam::123456789012:policy/api-workload-boundary"
    error_message = "Roles may be created or given policies only with the permissions boundary attached."
  }

  assert {
    condition = [
      for s in data.aws_iam_policy_document.policy["deploy"].statement : s.effect if s.sid == "NeverTheCiRolesOrTheBoundary"
    ][0] == "Deny"
    error_message = "The deploy role must be denied changing the CI roles and the boundary."
  }

  assert {
    condition     = output.permissions_boundary_arn == aws_iam_policy.boundary[0].arn
    error_message = "The boundary must be an output for the lambda module."
  }
}

run "each_module_says_what_deploying_it_takes" {
  command = plan

  assert {
    condition = toset([for s in data.aws_iam_policy_document.policy["deploy"].statement : s.sid]) == toset([
      "EcrLogin", "EcrPushAndManage",
      "LambdaFunction", "SmokeTheNewVersion", "PreflightReads", "StackRolesRead", "StackRolesWrite", "PassStackRolesToLambda",
      "HttpApis", "AccessLogDelivery", "StackLogGroups", "LogsWithoutResourceScope",
      "StackAlarms", "StackDashboards", "MetricsRead", "QueryDefinitions", "StackTopics",
      "KmsList", "KmsRead", "KmsUseThroughStackServices",
      "NeverTheCiRolesOrTheBoundary", "OidcProviderRead", "StateBucket", "StateObjectsAndLockfiles",
    ])
    error_message = "The deploy role must get each module's deployer statements (ecr, lambda, api-gateway, log-group, monitoring, kms-key) and its own, nothing else."
  }

  assert {
    condition = one([for s in data.aws_iam_policy_document.policy["deploy"].statement : s.resources if s.sid == "StackLogGroups"]) == toset([
      "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/api*",
      "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/api*:log-stream:*",
      "arn:aws:logs:us-east-1:123456789012:log-group:/aws/apigateway/api*",
      "arn:aws:logs:us-east-1:123456789012:log-group:/aws/apigateway/api*:log-stream:*",
    ])
    error_message = "The log groups the deploy role manages must be those the lambda and api-gateway deployers name."
  }

  assert {
    condition = [
      for s in data.aws_iam_policy_document.policy["deploy"].statement : [for c in s.condition : c.values] if s.sid == "KmsUseThroughStackServices"
      ][0][0] == tolist([
        "ecr.us-east-1.amazonaws.com", "lambda.us-east-1.amazonaws.com", "logs.us-east-1.amazonaws.com", "sns.us-east-1.amazonaws.com",
    ])
    error_message = "Keys may be used only through the services the deployers name."
  }

  assert {
    condition     = [for s in data.aws_iam_policy_document.policy["boundary"].statement : s.sid] == ["FunctionLogs", "Traces", "DecryptEnvironment"]
    error_message = "The boundary must be what the lambda deployer says the execution role needs at most."
  }
}

run "the_pipeline_creates_no_keys_and_cannot_assume_stack_roles" {
  command = plan

  assert {
    condition = length(setintersection(toset(flatten([
      for s in data.aws_iam_policy_document.policy["deploy"].statement : s.actions if s.effect == "Allow"
      ])), toset([
      "kms:CreateKey", "kms:PutKeyPolicy", "kms:CreateAlias", "kms:UpdateAlias", "kms:DeleteAlias",
      "kms:ScheduleKeyDeletion", "kms:DisableKey", "iam:UpdateAssumeRolePolicy",
    ]))) == 0
    error_message = "The deploy role must not create or re-point keys, nor rewrite a role's trust policy."
  }
}

run "deploy_sessions_only_from_main" {
  command = plan

  assert {
    condition = flatten([
      for c in data.aws_iam_policy_document.trust["deploy"].statement[0].condition : tolist(c.values) if c.variable == "token.actions.githubusercontent.com:ref"
    ]) == ["refs/heads/main"]
    error_message = "The deploy role must trust tokens of the main branch's runs only (the environment subject names no branch)."
  }

  assert {
    condition = length([
      for c in data.aws_iam_policy_document.trust["plan"].statement[0].condition : c if c.variable == "token.actions.githubusercontent.com:ref"
    ]) == 0
    error_message = "The plan role serves pull requests: no ref condition."
  }
}

run "immutable_subjects_for_this_repository" {
  command = plan

  variables {
    github_owner_id      = 1234567
    github_repository_id = 7654321
  }

  assert {
    condition = toset(output.deploy_subjects) == toset([
      "repo:example-org/lambda-api:ref:refs/heads/main",
      "repo:example-org/lambda-api:environment:dev",
      "repo:example-org/lambda-api:environment:prod",
      "repo:example-org-1234567/lambda-api-7654321:ref:refs/heads/main",
      "repo:example-org-1234567/lambda-api-7654321:environment:dev",
      "repo:example-org-1234567/lambda-api-7654321:environment:prod",
    ])
    error_message = "With the numeric ids, the deploy role must trust both subject formats of this repository only."
  }

  assert {
    condition = toset(output.plan_subjects) == toset([
      "repo:example-org/lambda-api:pull_request", "repo:example-org/lambda-api:ref:refs/heads/main",
      "repo:example-org-1234567/lambda-api-7654321:pull_request",
      "repo:example-org-1234567/lambda-api-7654321:ref:refs/heads/main",
    ])
    error_message = "With the numeric ids, the plan role must trust both subject formats of this repository only."
  }
}

run "stack_key_and_cross_account_images" {
  command = apply

  variables {
    create_stack_kms_key     = true
    ecr_pull_repository_arns = ["arn:aws:ecr:us-east-1:111111111111:repository/lambda-api-dev"]
  }

  assert {
    condition     = output.stack_kms_key_arn == module.stack_key[0].key_arn && module.stack_key[0].alias_name == "alias/api-stack"
    error_message = "The stack key must be created here, aliased with the prefix, and exported."
  }

  assert {
    condition = [
      for s in data.aws_iam_policy_document.policy["boundary"].statement : s.resources if s.sid == "DecryptEnvironment"
    ][0] == toset([module.stack_key[0].key_arn])
    error_message = "The boundary must allow kms:Decrypt on the stack's key only."
  }

  assert {
    condition = [
      for s in data.aws_iam_policy_document.policy["deploy"].statement : s.resources if s.sid == "ImagesFromOtherAccounts"
    ][0] == toset(["arn:aws:ecr:us-east-1:111111111111:repository/lambda-api-dev"])
    error_message = "The deploy role must read the other account's repository it deploys images from."
  }
}

run "no_branch_only_environments" {
  command = plan

  variables {
    deploy_branch       = null
    deploy_environments = ["prod"]
  }

  assert {
    condition     = output.deploy_subjects == ["repo:example-org/lambda-api:environment:prod"]
    error_message = "With no deploy branch, only the named environments may assume the deploy role."
  }
}

run "reuse_existing_provider" {
  command = plan

  variables {
    create_oidc_provider = false
  }

  assert {
    condition     = length(aws_iam_openid_connect_provider.github) == 0 && length(data.aws_iam_openid_connect_provider.github) == 1
    error_message = "Reuse must look the provider up instead of creating one."
  }
}

run "reuse_provider_by_arn" {
  command = plan

  variables {
    create_oidc_provider = false
    oidc_provider_arn    = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"
  }

  assert {
    condition     = length(data.aws_iam_openid_connect_provider.github) == 0 && output.oidc_provider_arn == "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"
    error_message = "A given provider ARN must be used as is."
  }
}

run "rejects_bad_inputs" {
  command = plan

  variables {
    github_repository        = "lambda-api"
    deploy_branch            = "release/*"
    deploy_environments      = ["*"]
    plan_branches            = ["release/*"]
    github_owner_id          = 12
    ecr_pull_repository_arns = ["arn:aws:ecr:us-east-1:111111111111:repository/*"]
  }

  expect_failures = [
    var.github_repository, var.deploy_branch, var.deploy_environments, var.plan_branches, var.github_repository_id,
    var.ecr_pull_repository_arns,
  ]
}

run "custom_domains_only_when_listed" {
  command = apply

  variables {
    custom_domain_names = ["api.example.com"]
  }

  assert {
    condition = one([
      for s in data.aws_iam_policy_document.policy["deploy"].statement : s.resources if s.sid == "CustomDomainNamesAndMappings"
      ]) == toset([
      "arn:aws:apigateway:us-east-1::/domainnames",
      "arn:aws:apigateway:us-east-1::/domainnames/api.example.com",
      "arn:aws:apigateway:us-east-1::/domainnames/api.example.com/*",
    ])
    error_message = "The deploy role may manage the listed domain names (and create domain names) only."
  }

  assert {
    condition = one([
      for s in data.aws_iam_policy_document.policy["deploy"].statement : [for c in s.condition : c.values if c.variable == "route53:ChangeResourceRecordSetsNormalizedRecordNames"] if s.sid == "CustomDomainRecords"
    ])[0] == tolist(["api.example.com", "*.api.example.com"])
    error_message = "Route 53 changes must be limited to the domain and names below it."
  }

  assert {
    condition = one([
      for s in data.aws_iam_policy_document.policy["deploy"].statement : { for c in s.condition : c.variable => c.values } if s.sid == "CustomDomainCertificateRequests"
      ]) == {
      "acm:DomainNames"      = tolist(["api.example.com"])
      "acm:ValidationMethod" = tolist(["DNS"])
    }
    error_message = "Certificate requests must be limited to the listed names and DNS validation."
  }

  assert {
    condition = alltrue(flatten([
      for doc in [data.aws_iam_policy_document.policy["deploy"], data.aws_iam_policy_document.policy["plan"]] : [
        for s in doc.statement : [for a in s.actions : !strcontains(a, "*")]
      ]
    ]))
    error_message = "No policy may use wildcard actions."
  }

  assert {
    condition = alltrue([
      for s in data.aws_iam_policy_document.policy["plan"].statement : alltrue([
        for a in s.actions : can(regex("^[a-z0-9-]+:(Describe|Get|List|GET$)", a))
      ]) if s.sid == "CustomDomainsRead"
    ])
    error_message = "The plan role may only read the custom domain resources."
  }
}

run "no_custom_domain_permissions_by_default" {
  command = apply

  assert {
    condition     = length([for s in data.aws_iam_policy_document.policy["deploy"].statement : s if startswith(s.sid, "CustomDomain")]) == 0
    error_message = "Without custom_domain_names the deploy role gets no ACM, domain name or Route 53 permission."
  }
}

run "rejects_a_domain_that_is_not_a_dns_name" {
  command = plan

  variables {
    custom_domain_names = ["*.example.com"]
  }

  expect_failures = [var.custom_domain_names]
}
