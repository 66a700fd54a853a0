#!/bin/sh
# The autoscaling tests' hook. Each call's JSON goes, one line, to
# calls.jsonl beside the script (the control plane gives a hook no
# environment to say where); while a file named "fail" is there, the call
# fails. A call that finds another one running says so in "concurrent".
dir=$(dirname "$0")
if ! mkdir "$dir/lock" 2>/dev/null; then echo overlap >> "$dir/concurrent"; fi
started=$(date +%s%3N)
input=$(cat)
printf '%s %s\n' "$started" "$input" >> "$dir/calls.jsonl"
sleep 0.2
rmdir "$dir/lock" 2>/dev/null
if [ -e "$dir/fail" ]; then
  echo "told to fail" >&2
  exit 1
fi
echo "pool $FLEET_AUTOSCALE_POOL resized"
