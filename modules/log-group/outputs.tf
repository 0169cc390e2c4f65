output "name" {
  description = "Name of the log group."
  value       = aws_cloudwatch_log_group.this.name
}

output "arn" {
  description = "ARN of the log group (without the :* suffix)."
  value       = aws_cloudwatch_log_group.this.arn
}

output "retention_in_days" {
  description = "Days the log events are kept."
  value       = aws_cloudwatch_log_group.this.retention_in_days
}

output "kms_key_arn" {
  description = "KMS key encrypting the log group: kms_key_arn, or the key the module created."
  value       = local.kms_key_arn
}

output "kms_alias_name" {
  description = "Alias of the key the module created (alias/<kms_key_alias>); null when kms_key_arn was given."
  value       = one(module.kms[*].alias_name)
}
