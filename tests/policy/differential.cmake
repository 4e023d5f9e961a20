# The differential test runs the policy generator (bench/policy), so build it first.
add_dependencies(policy_differential_test isogate-policy-gen)
