# Where earlier versions of this module kept the key. Kept so that a stack applied with them plans
# moves only: nothing is replaced (tests/infra/test_emulator.py applies the earlier addresses and plans).

# Before modules/kms-key: the key and its alias were this module's own resources.
moved {
  from = aws_kms_key.this[0]
  to   = module.kms[0].aws_kms_key.this
}

moved {
  from = aws_kms_alias.this[0]
  to   = module.kms[0].aws_kms_alias.this
}
