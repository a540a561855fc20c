"""Attack suites: each case fails when the protection it targets is missing."""
