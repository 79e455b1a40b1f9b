#!/usr/bin/env bash
# The whole test suite: installs the reference tools the tests use, then checks formatting,
# lints and runs every test. Usage: bash scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."

# --- reference tools -------------------------------------------------------------------------
# - SBOM and SARIF tests validate against the official CycloneDX, SPDX and SARIF JSON schemas
#   with Python's jsonschema; the schemas ship in the pip/npm packages below.
# - Version comparators are tested differentially against each ecosystem's own implementation:
#   dpkg (and Perl's Dpkg::Version), rpm (+ rpmbuild for the rpm-database oracle, python3-rpm),
#   Python `packaging`, node `semver`, Go's golang.org/x/mod/semver (built with Debian's Go),
#   maven-artifact (Debian's maven, compiled against with javac), Ruby's Gem::Version, PHP
#   composer/semver; CVSS against Red Hat's `cvss`.
# - The findings service is driven by the real AWS CLI and boto3 (inspector2 API, SigV4).
# - Exports: ASFF is validated with botocore's securityhub model (BatchImportFindings), OCSF
#   with the Vulnerability Finding schema ocsf-json-schema generates from the OCSF 1.4.0 export
#   it ships, OpenVEX with vexipy's models of the specification, CycloneDX VEX with the
#   official schema (cyclonedx-python-lib).
# - The OCI distribution tests push to and pull from Debian's docker-registry on loopback
#   (plain and behind htpasswd basic auth; apache2-utils makes the bcrypt htpasswd file);
#   scan on push configures that registry to notify the server and pushes with skopeo.
# - The network reachability oracle realises topologies as network namespaces (iproute2,
#   nftables, python3 listeners and probes; root) and compares with the analyser.
export DEBIAN_FRONTEND=noninteractive
APT_PACKAGES=(python3-pip rpm python3-rpm libdpkg-perl ruby php-cli php-composer-semver maven
              openjdk-17-jdk-headless golang-go golang-golang-x-mod-dev docker-registry
              skopeo apache2-utils iproute2 nftables nats-server chromium)
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing ${missing[*]}"
  apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
PIP_PACKAGES=("jsonschema[format]==4.26.0" "cyclonedx-python-lib==11.12.0" "lib4sbom==0.10.4"
              "packaging==24.2" "cvss==3.4" "awscli==1.45.11" "boto3==1.43.11"
              "prometheus-client==0.26.0" "moto[server]==5.2.5" "ocsf-json-schema==1.2.0"
              "vexipy==0.3.0")
python3 -m pip install -q --disable-pip-version-check "${PIP_PACKAGES[@]}" 2>&1 \
  | grep -v "Running pip as the 'root' user" || true
# npm references, unpacked into a cache the tests read ($VIGIL_TEST_CACHE)
export VIGIL_TEST_CACHE="${VIGIL_TEST_CACHE:-$HOME/.cache/vigil-tests}"
mkdir -p "$VIGIL_TEST_CACHE"
if [ ! -f "$VIGIL_TEST_CACHE/sarif-2.1.0-rtm.5.json" ]; then
  tmp=$(mktemp -d)
  (cd "$tmp" && npm pack -q @microsoft/jest-sarif@1.0.0-beta.0 >/dev/null && tar xzf ./*.tgz \
    && cp package/lib/schemas/sarif-2.1.0-rtm.5.json "$VIGIL_TEST_CACHE/")
  rm -rf "$tmp"
fi
if [ ! -f "$VIGIL_TEST_CACHE/node_modules/semver/package.json" ]; then
  npm install -q --no-audit --no-fund --prefix "$VIGIL_TEST_CACHE" semver@7.7.2 >/dev/null
fi
# the console's browser tests drive Debian's chromium with playwright-core (no browser download)
if [ ! -f "$VIGIL_TEST_CACHE/node_modules/playwright-core/package.json" ]; then
  npm install -q --no-audit --no-fund --prefix "$VIGIL_TEST_CACHE" playwright-core@1.64.1 >/dev/null
fi
# ... and check each page's accessibility with axe-core (WCAG 2 A/AA rules)
if [ ! -f "$VIGIL_TEST_CACHE/node_modules/axe-core/axe.min.js" ]; then
  npm install -q --no-audit --no-fund --prefix "$VIGIL_TEST_CACHE" axe-core@4.10.3 >/dev/null
fi

# --- checks ----------------------------------------------------------------------------------
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings
cargo test --workspace --locked
