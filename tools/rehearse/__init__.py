"""`make rehearse`: the deploy path of docs/deployment.md on a two-account emulator, every AWS call
judged as IAM would judge it (run.py), with the service-side rules moto does not apply (rules.py)."""
