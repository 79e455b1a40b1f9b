#!/usr/bin/env bash
# The README's organization walkthrough, with the AWS CLI against a local server: the
# management account delegates an administrator, who turns on auto-enable; a new account is
# enrolled and scanned; the administrator sees its findings; a member cannot see another's.
#   bash examples/org/walkthrough.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo build --release -q
V=$PWD/target/release/vigil
tmp=$(mktemp -d)
trap 'kill $server 2>/dev/null || true; rm -rf "$tmp"' EXIT
MGMT=111111111111 ADMIN=222222222222 TEAM_A=333333333333 TEAM_B=444444444444
$V db import --db "$tmp/adv.db" examples/advisories >/dev/null
export HOME=$tmp/home AWS_DEFAULT_REGION=us-east-1
mkdir -p "$HOME/.aws"
profile() {  # a root key for an account, as an AWS CLI profile named after it
  local key; key=$($V admin create-key --data-dir "$tmp/data" --account "$1")
  python3 - "$1" "$key" >>"$HOME/.aws/credentials" <<'PY'
import json, sys
k = json.loads(sys.argv[2])
print(f"[{sys.argv[1]}]\naws_access_key_id = {k['accessKeyId']}\naws_secret_access_key = {k['secretAccessKey']}")
PY
}
for a in $MGMT $ADMIN $TEAM_A; do profile $a; done
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
$V server --listen 127.0.0.1:$port --data-dir "$tmp/data" --db "$tmp/adv.db" \
  --organization-management-account $MGMT 2>"$tmp/server.log" & server=$!
for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$port" && break; sleep 0.1; done
aws() { command aws --endpoint-url "http://127.0.0.1:$port" --output json "$@"; }
show() { echo "\$ aws inspector2 $*" | sed "s/--profile [0-9]* //"; }

echo "# the management account ($MGMT) delegates administration to $ADMIN"
show enable-delegated-admin-account --delegated-admin-account-id $ADMIN
aws inspector2 enable-delegated-admin-account --profile $MGMT --delegated-admin-account-id $ADMIN
echo "# the administrator turns on auto-enable and associates team A ($TEAM_A)"
aws inspector2 update-organization-configuration --profile $ADMIN --auto-enable ec2=true,ecr=true >/dev/null
aws inspector2 associate-member --profile $ADMIN --account-id $TEAM_A >/dev/null
echo "# team B ($TEAM_B) is a new account: enrolled as it is created"
profile $TEAM_B
aws inspector2 get-member --profile $ADMIN --account-id $TEAM_B \
  | python3 -c 'import json,sys; m=json.load(sys.stdin)["member"]; print("  ", m["accountId"], m["relationshipStatus"], "under", m["delegatedAdminAccountId"])'
echo "# teams A and B scan their images"
for a in $TEAM_A $TEAM_B; do
  eval "$(python3 - "$HOME/.aws/credentials" $a <<'PY'
import configparser, sys
c = configparser.ConfigParser(); c.read(sys.argv[1]); s = c[sys.argv[2]]
print(f"export AWS_ACCESS_KEY_ID={s['aws_access_key_id']} AWS_SECRET_ACCESS_KEY={s['aws_secret_access_key']}")
PY
)"
  $V scan examples/demo-image --server "http://127.0.0.1:$port" --resource-id "team-$a/app:1" -q -o /dev/null
done
unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
count() {  # findings an account sees, by account
  aws inspector2 list-findings --profile "$1" --max-results 100 "${@:2}" \
    | python3 -c 'import json,sys,collections; c=collections.Counter(f["awsAccountId"] for f in json.load(sys.stdin)["findings"]); print("  ", dict(sorted(c.items())) or "none")'
}
echo "# the administrator sees both teams' findings"
count $ADMIN
echo "# team A sees its own, and nothing of team B's even when it asks by account"
count $TEAM_A
count $TEAM_A --filter-criteria "{\"awsAccountId\":[{\"comparison\":\"EQUALS\",\"value\":\"$TEAM_B\"}]}"
echo "# team A cannot make itself an administrator"
aws inspector2 associate-member --profile $TEAM_A --account-id $TEAM_B 2>&1 | sed 's/^/   /' || true
