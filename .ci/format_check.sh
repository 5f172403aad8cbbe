#!/usr/bin/env bash
# .clang-format on what the last commit changed: only the changed lines of C and C++ files
# (clang-format-diff), so files that predate the check are held to it as they are touched
# rather than reformatted wholesale. A merge commit is compared with its first parent, i.e. the
# whole merged change. Exit 1 with the diff that would fix it.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v clang-format-diff >/dev/null; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq clang-format >/dev/null
fi
if ! git rev-parse -q --verify HEAD~1 >/dev/null; then
  echo "format check: HEAD has no parent here (shallow clone?); nothing to compare with" >&2
  exit 0
fi
fix=$(git diff -U0 --no-color HEAD~1 HEAD -- '*.c' '*.h' '*.cpp' '*.cc' '*.hpp' |
  clang-format-diff -p1)
if [[ -n "$fix" ]]; then
  printf '%s\n' "$fix"
  echo "format check: the lines above do not follow .clang-format (fix: apply this diff)" >&2
  exit 1
fi
echo "format check: changed lines follow .clang-format"
