################################################################################
# Release timing: how long `ops release` watches each canary step and the bake after the full shift
################################################################################

# One place derives the defaults. A step is worth running only once its traffic can be judged: the
# longest period read (Lambda publishes its metrics per minute; the app's are read per
# release_signal_period_seconds) plus the time CloudWatch takes to make a datapoint readable
# (release_signal_delay_seconds). The bake after the full shift needs as long again: it must see the
# last canary datapoints arrive and one full period at 100 %. `ops release` applies the same rule
# (ops/signal.py, seconds_needed) to its own defaults and refuses shorter steps; tests/infra checks that
# the two agree. One-second datapoints are kept for three hours, so a release must end within that.
locals {
  release_signal_seconds = max(var.release_signal_period_seconds, 60) + var.release_signal_delay_seconds
  release_step_seconds   = coalesce(var.release_step_seconds, local.release_signal_seconds)
  release_bake_seconds   = coalesce(var.release_bake_seconds, local.release_signal_seconds)
}
