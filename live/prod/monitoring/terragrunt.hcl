# The monitoring unit of this environment. Its configuration is shared by every environment
# (live/_envcommon/monitoring.hcl); the environment's values come from ../env.hcl.

include "root" {
  path = find_in_parent_folders("root.hcl")
}

include "envcommon" {
  path   = "${dirname(find_in_parent_folders("root.hcl"))}/live/_envcommon/monitoring.hcl"
  expose = true
}
