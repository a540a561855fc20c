"""Scripted prompt evaluations: YAML suites, assertions with ground truth from SQL, reports, pass-rate gates."""
