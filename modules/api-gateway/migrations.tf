# Where earlier versions of this module kept the key and the access log group. Kept so that a stack
# applied with any of them plans moves only: nothing is replaced (tests/infra/test_emulator.py applies
# the earlier layouts' addresses and plans).

# Before modules/kms-key: the key and its alias were this module's own resources.
moved {
  from = aws_kms_key.this[0]
  to   = module.access_log_group.module.kms[0].aws_kms_key.this
}

moved {
  from = aws_kms_alias.this[0]
  to   = module.access_log_group.module.kms[0].aws_kms_alias.this
}

# Before modules/log-group: the key (modules/kms-key) and the log group were called from here.
moved {
  from = module.kms
  to   = module.access_log_group.module.kms
}

moved {
  from = aws_cloudwatch_log_group.access
  to   = module.access_log_group.aws_cloudwatch_log_group.this
}

# Before the $default route: one route per key of the routes variable. The protected ones stay where
# they are (no request passes without a token check); the others are destroyed, as `$default`
# takes their requests.
moved {
  from = aws_apigatewayv2_route.this
  to   = aws_apigatewayv2_route.protected
}
