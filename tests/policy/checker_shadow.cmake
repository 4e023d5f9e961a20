# The shadow-analysis test runs the policy generator (bench/policy), so build it first.
add_dependencies(policy_checker_shadow_test isogate-policy-gen)
