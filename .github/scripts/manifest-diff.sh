#!/usr/bin/env bash
# Prints a Markdown report of the differences between two `npm run synth` output
# directories (base branch, pull request): one unified diff per changed chart.
# Usage: manifest-diff.sh <base-dir> <pr-dir>
set -euo pipefail

base=${1:?usage: manifest-diff.sh <base-dir> <pr-dir>}
pr=${2:?usage: manifest-diff.sh <base-dir> <pr-dir>}
# GitHub rejects comments over 65536 characters; keep room for the headings.
max_chars=${MAX_DIFF_CHARS:-60000}

mapfile -t files < <( (cd "$base" 2>/dev/null && ls -- *.k8s.yaml 2>/dev/null; cd "$pr" && ls -- *.k8s.yaml 2>/dev/null) | sort -u)

echo "### Synthesized manifests: base → this pull request"
changed=0
report=""
for f in "${files[@]}"; do
  a="$base/$f"
  b="$pr/$f"
  [[ -f $a ]] || a=/dev/null
  [[ -f $b ]] || b=/dev/null
  if ! d=$(diff -u --label "base/$f" --label "pr/$f" "$a" "$b"); then
    changed=$((changed + 1))
    report+=$'\n<details><summary><code>'"$f"$'</code></summary>\n\n```diff\n'"$d"$'\n```\n</details>\n'
  fi
done

if [[ $changed -eq 0 ]]; then
  echo
  echo "No change in any of the ${#files[@]} charts."
  exit 0
fi
echo
echo "$changed of ${#files[@]} chart files changed."
if [[ ${#report} -gt $max_chars ]]; then
  note="_(truncated at $max_chars characters; run \`npm run synth\` on both branches for the full diff)_"
  printf '%s\n\n%s\n' "${report:0:$max_chars}" "$note"
else
  printf '%s\n' "$report"
fi
