#!/usr/bin/env bash
# The whole test suite: installs the reference tools the tests use, then checks formatting,
# lints and runs every test. Usage: bash scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."

# --- reference tools -------------------------------------------------------------------------
# The SBOM tests validate against the official CycloneDX and SPDX JSON schemas with Python's
# jsonschema; the schemas ship in the pip packages below. Everything else the tests need is
# committed as fixtures (real files made by rpm, Go, cargo-auditable, Bundler, Composer, ...).
if ! python3 -m pip --version >/dev/null 2>&1; then
  echo "installing python3-pip"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq python3-pip >/dev/null
fi
PIP_PACKAGES=("jsonschema[format]==4.26.0" "cyclonedx-python-lib==11.12.0" "lib4sbom==0.10.4")
python3 -m pip install -q --disable-pip-version-check "${PIP_PACKAGES[@]}" 2>&1 \
  | grep -v "Running pip as the 'root' user" || true

# --- checks ----------------------------------------------------------------------------------
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings
cargo test --workspace --locked
