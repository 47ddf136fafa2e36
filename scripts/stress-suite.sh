#!/usr/bin/env bash
# The suite under load: `pnpm test` 3 times in a row here while a second copy of the repository runs it
# alongside, over and over. Usage: bash scripts/stress-suite.sh [runs]   (takes ~5 min per run on 2 cores)
set -uo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
alongside=$(mktemp -d)
git worktree add -q --detach "$alongside" HEAD
(cd "$alongside" && pnpm install --frozen-lockfile >/dev/null)
done_flag="$alongside/.done"
(cd "$alongside" && while [ ! -f "$done_flag" ]; do pnpm test 2>&1 | tail -1 | sed 's/^/alongside: /'; done) &
failed=0
for run in $(seq 1 "$runs"); do
  start=$(date +%s)
  line=$(pnpm test 2>&1 | grep -E '^[0-9]+ passed, [0-9]+ failed$' | tail -1)
  echo "run $run: ${line:-no result} in $(( $(date +%s) - start )) s"
  [[ "$line" == *", 0 failed" ]] || failed=1
done
touch "$done_flag"
wait
git worktree remove --force "$alongside"
exit $failed
