#!/usr/bin/env bash
# Fails (listing the lines) when a tracked file still holds a merge conflict marker: a conflict
# resolved in a hurry once left both sides of a README section on main.
# Run by the test suite (ctest: MergeMarkers.NoneInTrackedFiles).
set -euo pipefail
cd "$(dirname "$0")/.."
# Binary files (weights, HDF5 fixtures) are skipped (-I).
if git grep -n -I -E '^(<<<<<<< |>>>>>>> |=======$)' -- . ':!scripts/check-merge-markers.sh'; then
  echo "merge conflict markers in the lines above" >&2
  exit 1
fi
echo "no merge conflict markers"
