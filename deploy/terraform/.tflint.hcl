# tflint's bundled Terraform rules, all of them (naming, documented and typed variables and outputs, pinned
# versions, standard module structure, unused declarations). The AWS ruleset is a plugin that `tflint --init`
# downloads; the real pipeline adds it, this file works without it.
config {
  call_module_type = "local"
}

plugin "terraform" {
  enabled = true
  preset  = "all"
}
