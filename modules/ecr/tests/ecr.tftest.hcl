mock_provider "aws" {
  source = "../.mocks/aws"
}

variables {
  name = "team/api"
}

run "secure_defaults" {
  command = plan

  assert {
    condition     = aws_ecr_repository.this.image_tag_mutability == "IMMUTABLE"
    error_message = "Tags must be immutable."
  }

  assert {
    condition     = aws_ecr_repository.this.image_scanning_configuration[0].scan_on_push
    error_message = "Images must be scanned on push."
  }

  assert {
    condition     = aws_ecr_repository.this.encryption_configuration[0].encryption_type == "KMS"
    error_message = "Images must be encrypted with KMS."
  }

  assert {
    condition     = !aws_ecr_repository.this.force_delete
    error_message = "Destroy must not delete images by default."
  }
}

run "lifecycle_keeps_release_images" {
  command = plan

  variables {
    release_image_count        = 40
    untagged_image_expiry_days = 7
  }

  assert {
    condition = jsondecode(aws_ecr_lifecycle_policy.this.policy).rules[0].selection == {
      tagStatus = "tagged", tagPatternList = ["release-*"], countType = "imageCountMoreThan", countNumber = 9999
    }
    error_message = "Rule 1 must select released images first, so no later rule can expire them."
  }

  assert {
    condition = jsondecode(aws_ecr_lifecycle_policy.this.policy).rules[1].selection == {
      tagStatus = "untagged", countType = "sinceImagePushed", countUnit = "days", countNumber = 7
    }
    error_message = "Rule 2 must expire untagged images after the configured days."
  }

  assert {
    condition = jsondecode(aws_ecr_lifecycle_policy.this.policy).rules[2].selection == {
      tagStatus = "tagged", tagPatternList = ["*"], countType = "imageCountMoreThan", countNumber = 40
    }
    error_message = "Rule 3 must keep the newest N other tagged images and expire only older ones."
  }

  assert {
    condition     = [for rule in jsondecode(aws_ecr_lifecycle_policy.this.policy).rules : rule.rulePriority] == [1, 2, 3]
    error_message = "No other rule may expire images, and the released images' rule must come first."
  }
}

run "lambda_may_pull_from_this_account_only" {
  command = plan

  assert {
    condition = (
      length(data.aws_iam_policy_document.repository.statement) == 1 &&
      data.aws_iam_policy_document.repository.statement[0].actions == toset(["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"])
    )
    error_message = "Only Lambda's two pull actions may be granted."
  }

  assert {
    condition = tolist(data.aws_iam_policy_document.repository.statement[0].condition)[0].values == tolist([
      "arn:aws:lambda:us-east-1:123456789012:function:*",
    ])
    error_message = "Pulls must be limited to functions of this account and region."
  }
}

run "cross_account_pull" {
  command = plan

  variables {
    lambda_pull_account_ids      = ["210987654321"]
    lambda_function_name_pattern = "api-*"
  }

  assert {
    condition = tolist(data.aws_iam_policy_document.repository.statement[0].condition)[0].values == tolist([
      "arn:aws:lambda:us-east-1:123456789012:function:api-*",
      "arn:aws:lambda:us-east-1:210987654321:function:api-*",
    ])
    error_message = "Listed accounts' functions matching the pattern may pull."
  }

  assert {
    condition     = tolist(data.aws_iam_policy_document.repository.statement[1].principals)[0].identifiers == toset(["arn:aws:iam::210987654321:root"])
    error_message = "The other account must be allowed as a principal too."
  }
}

run "customer_managed_key" {
  command = plan

  variables {
    kms_key_arn = "arn:aws:kms:us-east-1:123456789012:key/abc"
  }

  assert {
    condition     = aws_ecr_repository.this.encryption_configuration[0].kms_key == "arn:aws:kms:us-east-1:123456789012:key/abc"
    error_message = "A customer-managed key must be used when given."
  }
}

run "rejects_bad_inputs" {
  command = plan

  variables {
    name                    = "Team/API"
    release_image_count     = 2
    lambda_pull_account_ids = ["1234"]
    protected_image_count   = 30
    protected_tag_pattern   = "release"
  }

  expect_failures = [var.name, var.release_image_count, var.lambda_pull_account_ids, var.protected_image_count, var.protected_tag_pattern]
}
