# What every module's tests/*.tftest.hcl needs of the AWS provider's mock: the account, partition and
# region the modules build ARNs from, and policy documents (loaded by `mock_provider "aws" { source =
# "../.mocks/aws" }`; "Mocks", Terraform language docs: mock data files, .tfmock.hcl). A hidden
# directory, so nothing that walks modules/*/ takes it for a module.

mock_data "aws_caller_identity" {
  defaults = { account_id = "123456789012" }
}

mock_data "aws_partition" {
  defaults = { partition = "aws" }
}

mock_data "aws_region" {
  defaults = { name = "us-east-1" }
}

mock_data "aws_iam_policy_document" {
  defaults = { json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}" }
}
