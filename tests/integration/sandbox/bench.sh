#!/bin/sh
# Sandbox figures: seeding 200,000 contacts, and Email IN (200 addresses) lookups over HTTP.
# Usage: bench.sh path/to/crmsync. Loopback only; the server is stopped at the end.
set -eu
crmsync=$1
dir=$(mktemp -d /tmp/crm-sandbox-bench-XXXXXX)
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; rm -rf "$dir"; }
trap cleanup EXIT INT TERM
ms() { date +%s%3N; }
t0=$(ms); "$crmsync" sandbox seed --db "$dir/org.db" --size 200000 --seed 1 >/dev/null; t1=$(ms)
echo "sandbox seed: 200000 contacts (+50000 accounts, 50000 leads, 25000 opportunities) in $((t1 - t0)) ms"
"$crmsync" sandbox serve --db "$dir/org.db" --port 0 --port-file "$dir/port" >/dev/null &
pid=$!
i=0; while [ ! -s "$dir/port" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
base="http://127.0.0.1:$(cat "$dir/port")"
tok=$(curl -s -d 'grant_type=refresh_token&client_id=crmsync-sandbox&refresh_token=sandbox-refresh-token' "$base/services/oauth2/token" |
      sed 's/.*"access_token":"\([^"]*\)".*/\1/')
emails=$(curl -s -G -H "Authorization: Bearer $tok" "$base/services/data/v62.0/query" \
  --data-urlencode "q=SELECT Email FROM Contact WHERE Email != null ORDER BY Id LIMIT 200 OFFSET 1500" |
  grep -o '"Email":"[^"]*"' | sed 's/"Email":"\(.*\)"/\x27\1\x27/' | paste -sd, -)
q="SELECT Id, Email, FirstName, LastName, AccountId, OwnerId, CreatedDate, CrmSync_Alt_Email__c FROM Contact WHERE Email IN ($emails) OR CrmSync_Alt_Email__c IN ($emails)"
t0=$(ms)
for n in $(seq 1 20); do
  curl -s -o /dev/null -G -H "Authorization: Bearer $tok" "$base/services/data/v62.0/query" --data-urlencode "q=$q"
done
t1=$(ms)
echo "sandbox lookup: Email IN (200) OR alt IN (200) over 200000 contacts: $(( (t1 - t0) / 20 )) ms per query (mean of 20, HTTP included)"
