#!/usr/bin/env bash
# Regenerates PublicAPI.Unshipped.txt of every C# library under src/ from the current code.
#
# The build tracks the public API with Microsoft.CodeAnalysis.PublicApiAnalyzers: a public symbol missing from
# PublicAPI.Shipped.txt + PublicAPI.Unshipped.txt (RS0016) or listed there but gone from the code (RS0017) fails
# the build. After changing the public surface, run this script and review the diff of the Unshipped files with
# the code change (see CONTRIBUTING.md, "Changing the public API").
#
# How: each Unshipped file is reset to its '#nullable enable' header, then the analyzer's own code fix for RS0016
# ("add to the public API") is applied with `dotnet format analyzers`, which writes every public symbol that
# the Shipped file does not list, with its nullable annotations, in the analyzer's order. So removed and renamed
# symbols disappear too, and on a tree whose files are current the script changes nothing.
# PublicAPI.Shipped.txt is never touched: moving lines there is a release step. Run it on code that builds (after a
# merge: once the conflicts are resolved), since the fix can only list the symbols the compiler sees.
#
# Usage: build/update-public-api.sh [project.csproj ...]
#   (default: every src/*/*.csproj that Directory.Build.props makes a library, i.e. IsMiniHaikuLibrary is true)
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

if [ "$#" -gt 0 ]; then
  projects=("$@")
else
  projects=()
  for project in $(find src -mindepth 2 -maxdepth 2 -name '*.csproj' | sort); do
    [ "$(dotnet msbuild "$project" -getProperty:IsMiniHaikuLibrary)" = true ] && projects+=("$project")
  done
fi

code_state() { git diff --no-ext-diff -- src ':(exclude)src/*/PublicAPI.*.txt' | sha1sum; }
code_before=""
git rev-parse --is-inside-work-tree >/dev/null 2>&1 && code_before=$(code_state)

header='#nullable enable'
for project in "${projects[@]}"; do
  dir=$(dirname "$project")
  echo "== $project"
  [ -f "$dir/PublicAPI.Shipped.txt" ] || printf '%s\n' "$header" > "$dir/PublicAPI.Shipped.txt"
  log=$(mktemp)
  cp "$dir/PublicAPI.Unshipped.txt" "$log.previous" 2>/dev/null || printf '%s\n' "$header" > "$log.previous"
  printf '%s\n' "$header" > "$dir/PublicAPI.Unshipped.txt"
  if ! dotnet format analyzers "$project" --diagnostics RS0016 --severity warn >"$log" 2>&1; then
    cat "$log"; mv "$log.previous" "$dir/PublicAPI.Unshipped.txt"; rm -f "$log"
    echo "update-public-api: dotnet format failed on $project" >&2
    exit 1
  fi
  grep -v "^ *Formatted code file" "$log" || true
  rm -f "$log" "$log.previous"
  echo "   $(($(wc -l < "$dir/PublicAPI.Unshipped.txt") - 1)) unshipped entries"
done

# Only the API files may change: the RS0016 fix never edits code (compare the rest of src/ before and after).
if [ -n "$code_before" ]; then
  [ "$(code_state)" = "$code_before" ] || echo "update-public-api: files other than PublicAPI.*.txt changed during the run; check git diff" >&2
  git --no-pager diff --stat -- 'src/*/PublicAPI.*.txt'
fi
