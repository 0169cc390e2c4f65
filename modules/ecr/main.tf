data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  partition = data.aws_partition.current.partition

  # Lambda functions allowed to pull: this account first, then any listed other accounts.
  pull_accounts = distinct(concat([data.aws_caller_identity.current.account_id], var.lambda_pull_account_ids))
  function_arns = [
    for account in local.pull_accounts :
    "arn:${local.partition}:lambda:${data.aws_region.current.name}:${account}:function:${var.lambda_function_name_pattern}"
  ]
}

resource "aws_ecr_repository" "this" {
  name = var.name
  # Immutable tags: a tag names one image forever, so a deployed tag can be traced and rolled back to.
  image_tag_mutability = "IMMUTABLE"
  force_delete         = var.force_delete

  image_scanning_configuration {
    scan_on_push = true
  }

  encryption_configuration {
    encryption_type = "KMS"
    kms_key         = var.kms_key_arn
  }

  tags = var.tags
}

# ECR's lifecycle evaluation rules (Amazon ECR user guide, "Lifecycle policies": evaluation rules):
# rules run in priority order; an image that matches the tagging requirements of a rule cannot be
# expired by a rule of lower priority, though lower rules still count it; an image matches a
# tagPatternList when any of its tags matches each pattern; images are expired oldest push first.
# 1. Released images (tag `release-<sha>`, added once an image passed the pipeline's checks, before
#    any environment runs it) match rule 1, whose count is never reached: so no rule below can expire
#    a digest that an environment pins or that `ops rollback` can return to, however many builds
#    follow while prod waits for approval. (ECR has no "keep" action; a higher-priority rule with a
#    count that is never reached is how a selection is kept.)
# 2. Untagged images (never deployed by the pipeline) expire after untagged_image_expiry_days.
# 3. Other tagged images (built, never released) beyond the newest release_image_count expire.
resource "aws_ecr_lifecycle_policy" "this" {
  repository = aws_ecr_repository.this.name

  policy = jsonencode({
    rules = [
      {
        rulePriority = 1
        description  = "Keep released images (${var.protected_tag_pattern}): pinned or rollback targets"
        selection = {
          tagStatus      = "tagged"
          tagPatternList = [var.protected_tag_pattern]
          countType      = "imageCountMoreThan"
          countNumber    = var.protected_image_count
        }
        action = { type = "expire" }
      },
      {
        rulePriority = 2
        description  = "Expire untagged images after ${var.untagged_image_expiry_days} days"
        selection = {
          tagStatus   = "untagged"
          countType   = "sinceImagePushed"
          countUnit   = "days"
          countNumber = var.untagged_image_expiry_days
        }
        action = { type = "expire" }
      },
      {
        rulePriority = 3
        description  = "Keep the newest ${var.release_image_count} other tagged images"
        selection = {
          tagStatus      = "tagged"
          tagPatternList = var.release_tag_patterns
          countType      = "imageCountMoreThan"
          countNumber    = var.release_image_count
        }
        action = { type = "expire" }
      },
    ]
  })
}

data "aws_iam_policy_document" "repository" {
  statement {
    sid     = "LambdaImagePull"
    effect  = "Allow"
    actions = ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]

    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }

    condition {
      test     = "StringLike"
      variable = "aws:sourceArn"
      values   = local.function_arns
    }
  }

  dynamic "statement" {
    # Cross-account pulls also need the other account itself allowed (AWS documents both statements).
    for_each = length(var.lambda_pull_account_ids) > 0 ? [1] : []
    content {
      sid     = "CrossAccountLambdaImagePull"
      effect  = "Allow"
      actions = ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]

      principals {
        type        = "AWS"
        identifiers = [for account in var.lambda_pull_account_ids : "arn:${local.partition}:iam::${account}:root"]
      }
    }
  }
}

resource "aws_ecr_repository_policy" "this" {
  repository = aws_ecr_repository.this.name
  policy     = data.aws_iam_policy_document.repository.json
}
