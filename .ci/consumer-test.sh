#!/usr/bin/env bash
# The consumer test: MiniHaiku used from outside this repository, as a user would, from its packages.
#
# 1. Packs every project under src/ into a local folder feed (and checks each package's metadata).
# 2. In a temporary directory (outside the source tree, with its own HOME and NuGet packages folder):
#    - the README's C# quickstart, extracted verbatim, as Program.cs of a console app that references every
#      package of the feed and the host's libtorch backend: build + run, `dotnet publish` (framework-dependent)
#      + run, `dotnet publish -r linux-x64` + run;
#    - the README's F# quickstart, extracted verbatim, saved as a .fsx next to a nuget.config for the feed:
#      `dotnet fsi` twice (first run prepares the fixed-up native copy when the host needs it, second reuses it);
#    - a script that uses MiniHaiku.Extensions after touching torch first (the documented Prepare() call);
#    - a class library with MiniHaiku mistakes: the analyzers packed in MiniHaiku.Core report MH0001 and MH0002.
#    It checks that TorchSharp's fallback never wrote its `cpu/` folder into the packages folder and that the
#    packages folder's libLibTorchSharp.so is unchanged.
# Prints "consumer: PASS …" / "consumer: FAIL …" per check and ends with "consumer: N passed, N failed".
# Exit status: 0 when every check passed.
#
# The packages folder is seeded with hard links from the user's NuGet cache (no download, no disk), minus the
# MiniHaiku packages, so the freshly packed 0.1.0 is what gets restored; HOME is private so that F# Interactive's
# restore cache and ~/.cache/minihaiku start empty. Set MINIHAIKU_CONSUMER_KEEP=1 to keep the directory.
set -uo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

passed=0 failed=0
pass() { echo "consumer: PASS $1"; passed=$((passed + 1)); }
fail() { echo "consumer: FAIL $1"; failed=$((failed + 1)); }
check() { local name=$1; shift; if "$@"; then pass "$name"; else fail "$name"; fi; }
finish() {
  echo "consumer: $passed passed, $failed failed"
  [ "$failed" -eq 0 ]
  exit $?
}

case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) rid=linux-x64 ;;
  *) echo "consumer: the consumer test runs on linux-x64 only (this is $(uname -s)-$(uname -m))"; finish ;;
esac
backend=libtorch-cpu-$rid
backend_version=$(sed -nE 's/.*PackageVersion Include="'"$backend"'" Version="([^"]+)".*/\1/p' "$repo/Directory.Packages.props")

work=$(mktemp -d "${TMPDIR:-/tmp}/minihaiku-consumer.XXXXXX")
[ "${MINIHAIKU_CONSUMER_KEEP:-0}" = 1 ] || trap 'rm -rf "$work"' EXIT
echo "consumer: working in $work"
feed=$work/feed home=$work/home packages=$work/packages
mkdir -p "$feed" "$home" "$packages" "$work/app" "$work/script"

# The first ```<lang> block under the README heading "$1".
readme_block() {
  awk -v heading="$1" -v lang="$2" '
    $0 == heading { inside = 1; next }
    inside && /^## / { exit }
    inside && !code && $0 == "```" lang { code = 1; next }
    code && $0 == "```" { exit }
    code { print }' "$repo/README.md"
}

for tool in unzip sha256sum awk; do
  command -v "$tool" > /dev/null || { fail "the consumer test needs $tool"; finish; }
done

# ---- 1. Pack every project under src/ -------------------------------------------------------------------
for project in "$repo"/src/*/*.csproj "$repo"/src/*/*.fsproj; do
  [ -f "$project" ] || continue
  name=$(basename "${project%.*}")
  case "$name" in MiniHaiku.Analyzers*) continue ;; esac # no package of its own: they travel inside MiniHaiku.Core
  if CI=true dotnet pack "$project" -c Release -o "$feed" -v q -nologo > "$work/pack-$name.log" 2>&1; then
    pass "pack $name"
  else
    cat "$work/pack-$name.log"; fail "pack $name"
  fi
done
ids=()
for nupkg in "$feed"/*.nupkg; do
  [ -f "$nupkg" ] || continue
  file=$(basename "$nupkg" .nupkg)
  id=$(echo "$file" | sed -E 's/\.[0-9]+\.[0-9]+\.[0-9]+([-+].*)?$//')
  version=${file#"$id".}
  ids+=("$id:$version")
  nuspec=$(unzip -p "$nupkg" "$id.nuspec")
  listing=$(unzip -l "$nupkg")
  check "package $id $version: MIT license, readme, description, tags, symbols, LICENSE and CHANGELOG inside" \
    bash -c '[[ "$1" == *"<license type=\"expression\">MIT</license>"* && "$1" == *"<readme>README.md</readme>"* &&
               "$1" == *"<description>"* && "$1" == *"<tags>"* && "$1" != *"<description>Package Description</description>"* &&
               "$2" == *" README.md"* && "$2" == *" LICENSE"* && "$2" == *" CHANGELOG.md"* ]] && [ -f "$3" ]' \
    _ "$nuspec" "$listing" "${nupkg%.nupkg}.snupkg"
  check "package $id $version: no dependency on a native backend (TorchSharp-cpu, libtorch-*)" \
    bash -c '! grep -qiE "id=\"(TorchSharp-cpu|TorchSharp-cuda|libtorch-)" <<< "$1"' _ "$nuspec"
  if [ "$id" = MiniHaiku.Core ]; then
    check "package $id: buildTransitive/MiniHaiku.Core.targets and the targets it imports" \
      bash -c 'for f in MiniHaiku.Core.targets LibTorchSharpGlibcxx.targets HostNativesOnly.targets; do grep -q " buildTransitive/$f$" <<< "$1" || exit 1; done' _ "$listing"
    check "package $id: analyzers/dotnet/cs/MiniHaiku.Analyzers.dll and .CodeFixes.dll inside, no package dependency on them" \
      bash -c 'grep -q " analyzers/dotnet/cs/MiniHaiku.Analyzers.dll$" <<< "$1" && grep -q " analyzers/dotnet/cs/MiniHaiku.Analyzers.CodeFixes.dll$" <<< "$1" &&
               ! grep -qi "id=\"MiniHaiku.Analyzers" <<< "$2"' _ "$listing" "$nuspec"
  fi
done
[ ${#ids[@]} -gt 0 ] || { fail "the feed holds packages"; finish; }
echo "consumer: feed: ${ids[*]}"

# ---- 2. An isolated consumer ----------------------------------------------------------------------------
cache=${NUGET_PACKAGES:-$HOME/.nuget/packages}
if [ -d "$cache" ] && [ "$(stat -c %d "$cache")" = "$(stat -c %d "$work")" ]; then
  for d in "$cache"/*; do
    case "$(basename "$d")" in minihaiku.*) ;; *) cp -al "$d" "$packages/" 2>/dev/null || rm -rf "$packages/$(basename "$d")" ;; esac
  done
fi
export HOME=$home NUGET_PACKAGES=$packages
unset XDG_CACHE_HOME
torchsharp_native=$(ls "$packages"/torchsharp/*/runtimes/$rid/native/libLibTorchSharp.so 2>/dev/null | head -1)
native_sum_before=$( [ -n "$torchsharp_native" ] && sha256sum "$torchsharp_native" | cut -d' ' -f1 )

cat > "$work/nuget.config" <<EOF
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <clear />
    <add key="minihaiku-local" value="$feed" />
    <add key="nuget.org" value="https://api.nuget.org/v3/index.json" />
  </packageSources>
</configuration>
EOF
cp "$work/nuget.config" "$work/script/nuget.config"

# Does this host need the GLIBCXX fix-up? (The loader's libstdc++ lacks GLIBCXX_3.4.32.)
stdcxx=$(/sbin/ldconfig -p 2>/dev/null | awk '/libstdc\+\+\.so\.6 .*x86-64/ { print $NF; exit }')
[ -n "$stdcxx" ] || stdcxx=/usr/lib/x86_64-linux-gnu/libstdc++.so.6
if grep -qa 'GLIBCXX_3\.4\.32' "$stdcxx" 2>/dev/null; then host_needs_fix=false; else host_needs_fix=true; fi
echo "consumer: host libstdc++ $stdcxx; needs the GLIBCXX fix-up: $host_needs_fix"

# -- C#: the README quickstart as Program.cs
readme_block "## Quickstart (C#)" csharp > "$work/app/Program.cs"
{
  echo '<Project Sdk="Microsoft.NET.Sdk">'
  echo '  <PropertyGroup>'
  echo '    <OutputType>Exe</OutputType>'
  echo '    <TargetFramework>net10.0</TargetFramework>'
  echo '    <ImplicitUsings>enable</ImplicitUsings>'
  echo '    <Nullable>enable</Nullable>'
  echo '  </PropertyGroup>'
  echo '  <ItemGroup>'
  for entry in "${ids[@]}"; do echo "    <PackageReference Include=\"${entry%%:*}\" Version=\"${entry#*:}\" />"; done
  echo "    <PackageReference Include=\"$backend\" Version=\"$backend_version\" />"
  echo '  </ItemGroup>'
  echo '</Project>'
} > "$work/app/Consumer.csproj"
expected="{'~/Linear_0/__call__/W': (3, 4), '~/Linear_0/__call__/b': (4,)}
(2, 4)"

run_app() { # name, command...: runs, compares the output with the README's comments
  local name=$1; shift
  local out
  out=$("$@" 2>&1); local status=$?
  if [ $status -eq 0 ] && [ "$out" = "$expected" ]; then pass "$name"; else echo "$out" | tail -20; fail "$name (exit $status)"; fi
}

if (cd "$work/app" && dotnet build -nologo -v m > "$work/build.log" 2>&1); then
  pass "C# quickstart from README.md builds as Program.cs of a new console app"
  # MH0…: a rule fired; CS8032: an analyzer assembly of the package could not be loaded; AD0001: an analyzer threw.
  check "the C# quickstart gets no warning from MiniHaiku's analyzers (none fired, all loaded, none threw)" \
    bash -c '! grep -qE "warning (MH0|CS8032|AD0001)" "$1"' _ "$work/build.log"
  if $host_needs_fix; then
    check "build prints the one-line GLIBCXX message" grep -q "MiniHaiku: host libstdc++ .* lacks GLIBCXX_3.4.32; marked that need weak" "$work/build.log"
  fi
  out_dir=$work/app/bin/Debug/net10.0
  check "build output holds only the host's TorchSharp natives (no win/osx LibTorchSharp)" \
    bash -c '[ -z "$(find "$1" -name LibTorchSharp.dll -o -name libLibTorchSharp.dylib)" ] && [ -f "$1/runtimes/'$rid'/native/libLibTorchSharp.so" ]' _ "$out_dir"
  run_app "C# quickstart runs (dotnet run) and prints the README's shapes" dotnet run --project "$work/app" --no-build
else
  cat "$work/build.log" | tail -30; fail "C# quickstart from README.md builds as Program.cs of a new console app"
fi

if (cd "$work/app" && dotnet publish -nologo -v q -o "$work/publish-fd" > "$work/publish-fd.log" 2>&1); then
  pass "dotnet publish (framework-dependent)"
  run_app "published app (framework-dependent) runs" "$work/publish-fd/Consumer"
else
  tail -30 "$work/publish-fd.log"; fail "dotnet publish (framework-dependent)"
fi
if (cd "$work/app" && dotnet publish -nologo -v q -r $rid --self-contained false -o "$work/publish-rid" > "$work/publish-rid.log" 2>&1); then
  pass "dotnet publish -r $rid"
  run_app "published app (-r $rid) runs" "$work/publish-rid/Consumer"
else
  tail -30 "$work/publish-rid.log"; fail "dotnet publish -r $rid"
fi
rm -rf "$work/publish-fd" "$work/publish-rid" "$work/app/bin" "$work/app/obj" # ~1.5 GB of copies

# -- F#: the README quickstart as a script with #r "nuget: …"
readme_block "## Quickstart (F#)" fsharp > "$work/script/quickstart.fsx"
# MiniHaiku depends on the managed TorchSharp only: a user with an empty NuGet cache needs the script to name a
# backend (here the seeded packages folder would hide its absence).
check "F# quickstart in README.md references MiniHaiku and a native backend with #r \"nuget: …\"" \
  bash -c 'grep -qE "^#r \"nuget: ?MiniHaiku\." "$1" && grep -qE "^#r \"nuget: ?(libtorch-|TorchSharp-)" "$1"' _ "$work/script/quickstart.fsx"
fixed_copies() { find "$home/.cache/minihaiku/natives" -name libLibTorchSharp.so 2>/dev/null | wc -l; }
out=$(cd "$work/script" && dotnet fsi quickstart.fsx 2>&1); status=$?
if [ $status -eq 0 ]; then pass "F# quickstart from README.md runs with dotnet fsi"; else echo "$out" | tail -30; fail "F# quickstart from README.md runs with dotnet fsi (exit $status)"; fi
echo "$out" | sed 's/^/    /'
if $host_needs_fix; then
  check "fsi: one fixed copy in ~/.cache/minihaiku/natives, announced in one line" \
    bash -c '[ "$1" = 1 ] && [ "$(grep -c "^MiniHaiku: host libstdc++ .* lacks GLIBCXX_3.4.32; loaded .*/.cache/minihaiku/natives/" <<< "$2")" = 1 ]' _ "$(fixed_copies)" "$out"
else
  check "fsi: nothing written to ~/.cache/minihaiku on a host that has GLIBCXX_3.4.32" test "$(fixed_copies)" = 0
fi
out2=$(cd "$work/script" && dotnet fsi quickstart.fsx 2>&1); status=$?
check "F# quickstart runs again, reusing the prepared natives silently" \
  bash -c '[ "$1" = 0 ] && ! grep -q "^MiniHaiku: " <<< "$2" && [ "$3" = "$(grep -v "^MiniHaiku: " <<< "$4")" ]' _ "$status" "$out2" "$out2" "$out"

# -- F#: Extensions, with torch touched before MiniHaiku (the documented Prepare() call)
cat > "$work/script/extensions.fsx" <<EOF
#r "nuget: MiniHaiku.Extensions, ${ids[0]#*:}"
#r "nuget: $backend, $backend_version"
let outcome = MiniHaiku.NativeBackend.Prepare()
open MiniHaiku
open MiniHaiku.Checkpoints
open TorchSharp
let model = ModelBuilder()
let net = Hk.Transform(fun (x: torch.Tensor) -> model { let! w = Hk.GetParam("w", [| 3L |]) in return x * w })
let p = net.Init(0L, torch.ones(3L))
let path = System.IO.Path.Combine(__SOURCE_DIRECTORY__, "net.safetensors")
Checkpoint.Save(path, p)
let loaded = Checkpoint.Load(path)
if not (loaded.Params.BitwiseEquals p) then failwith "checkpoint round trip changed the parameters"
printfn "Prepare: %s" outcome
printfn "checkpoint round trip: %O" (loaded.Params.Shapes())
EOF
out=$(cd "$work/script" && dotnet fsi extensions.fsx 2>&1); status=$?
echo "$out" | sed 's/^/    /'
check "F# script: NativeBackend.Prepare() then MiniHaiku.Extensions (checkpoint save/load round trip)" \
  bash -c '[ "$1" = 0 ] && grep -q "^checkpoint round trip: {.~/w.: (3,)}" <<< "$2"' _ "$status" "$out"

# -- C#: MiniHaiku's analyzers reach a consumer through the MiniHaiku.Core package
core_version=
for entry in "${ids[@]}"; do [ "${entry%%:*}" = MiniHaiku.Core ] && core_version=${entry#*:}; done
mkdir -p "$work/analyzers"
cat > "$work/analyzers/Mistakes.csproj" <<EOF
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <TargetFramework>net10.0</TargetFramework>
    <Nullable>enable</Nullable>
  </PropertyGroup>
  <ItemGroup>
    <PackageReference Include="MiniHaiku.Core" Version="$core_version" />
  </ItemGroup>
</Project>
EOF
cat > "$work/analyzers/Mistakes.cs" <<'EOF'
using MiniHaiku;
using TorchSharp;

public sealed record Dense(ModuleName Name, int Width) : Module(Name)
{
    public Model<torch.Tensor> Call(torch.Tensor x) => // no Method(...): two Dense share ~/w
        from w in Hk.GetParam("w", [x.shape[^1], Width])
        select x.matmul(w);
}

public static class Counter
{
    public static Model<torch.Tensor> Step(torch.Tensor x)
    {
        Hk.SetState("count", x); // built and dropped: never runs
        return Hk.GetState("count");
    }
}
EOF
out=$(cd "$work/analyzers" && dotnet build -nologo -v m 2>&1); status=$?
name="a consumer's mistakes are reported by the analyzers in MiniHaiku.Core (MH0001 on Dense.Call, MH0002 on Hk.SetState)"
if [ "$status" = 0 ] &&
   grep -qE "Mistakes\.cs\(6,[0-9]+\): warning MH0001: 'Dense\.Call' returns a Model<Tensor> without going through Method" <<< "$out" &&
   grep -qE "Mistakes\.cs\(15,[0-9]+\): warning MH0002: This call to 'Hk\.SetState' returns a Model<Tensor> that is dropped" <<< "$out"; then
  pass "$name"
else
  echo "$out" | grep -E "MH0|error" | sort -u | tail -20; fail "$name (exit $status)"
fi
rm -rf "$work/analyzers/bin" "$work/analyzers/obj"

# -- The packages folder was only read
check "TorchSharp's fallback never wrote a cpu/ folder into the NuGet packages folder" \
  bash -c '[ -z "$(find "$1"/torchsharp -maxdepth 4 -type d -name cpu 2>/dev/null)" ]' _ "$packages"
if [ -n "$torchsharp_native" ]; then
  check "the packages folder's libLibTorchSharp.so is unchanged" test "$(sha256sum "$torchsharp_native" | cut -d' ' -f1)" = "$native_sum_before"
fi
finish
