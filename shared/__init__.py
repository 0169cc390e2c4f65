"""What tools, ops, ci, bench and the tests share: the library layer under them.

- `shared.events`: API Gateway HTTP API payload 2.0 events and a Lambda context (standard library only)
- `shared.contract`: the API's generic rules and its route examples, read from its OpenAPI document
  (standard library only: the image check in CI runs with a bare python3)
- `shared.dockerfile`: the Dockerfile's instructions and the handler its CMD names
- `shared.pins`: the pins of live/<env>/env.hcl (image, version, memory size), read and written
- `shared.terragrunt`: enough of Terragrunt's evaluation to check the live tree without Terragrunt

The layers (pyproject.toml, [tool.importlinter]; `make lint` checks them): `app` imports none of
this repository's other packages; `shared` imports none either; `ops` and `ci` import `shared` and
not each other; `tools` may use `ops`; `bench` may use `tools`; the tests may use everything. A
client of the API (ops, ci) never imports `app`: it reads what it needs from the deployed API.
"""
