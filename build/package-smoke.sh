#!/usr/bin/env bash
# Packs the packages and uses them as a user would (run by PackagesTests, or by hand):
#   1. `dotnet pack` of the library Acclimate, its ONNX Runtime backend Acclimate.OnnxRuntime and the tool
#      Acclimate.Cli into WORK/packages;
#   2. `dotnet tool install` of Acclimate.Cli from that folder; `acclimate --version`, and
#      `acclimate model init` (which starts libtorch, so the packed native fix is exercised);
#   3. a console project that references the Acclimate package only (no repository files):
#      restore, build (the package's buildTransitive target patches and weaves ITS output), run.
# Usage: build/package-smoke.sh WORK_DIR   (the folder is created; it holds ~1 GB afterwards)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
work=${1:?usage: package-smoke.sh WORK_DIR}
mkdir -p "$work"
work=$(cd "$work" && pwd)
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 MSBUILDDISABLENODEREUSE=1
version=$(sed -n 's:.*<Version>\(.*\)</Version>.*:\1:p' "$root/Directory.Build.props")
# NuGet caches a package by id and version, so a second smoke run under the same version would restore
# the first run's package. Each run packs under its own version and removes it from the cache at the end.
package_version="$version.smoke.$(date +%s)"
trap 'rm -rf "${NUGET_PACKAGES:-$HOME/.nuget/packages}/acclimate/$package_version"' EXIT

echo "== pack $package_version"
# The library build comes first: its package globs the weaver's build output.
dotnet build "$root/src/Acclimate" -c Release -nologo -v quiet -nodeReuse:false
dotnet pack "$root/src/Acclimate" -c Release --no-build -nologo -v quiet -p:PackageVersion="$package_version" -o "$work/packages"
dotnet pack "$root/src/Acclimate.OnnxRuntime" -c Release -nologo -v quiet -nodeReuse:false -p:PackageVersion="$package_version" -o "$work/packages"
dotnet pack "$root/src/Acclimate.Cli" -c Release -nologo -v quiet -nodeReuse:false -p:PackageVersion="$package_version" -o "$work/packages"
ls "$work/packages"

echo "== tool"
dotnet tool install Acclimate.Cli --version "$package_version" --tool-path "$work/tool" --add-source "$work/packages"
"$work/tool/acclimate" --version
# The demos are their own assembly (src/Acclimate.Demos); `demo --help` would not load it, so look for it.
if ! find "$work/tool/.store" -name Acclimate.Demos.dll | grep -q .; then
  echo "package-smoke: the tool package lacks Acclimate.Demos.dll, so 'acclimate demo' would fail" >&2; exit 1
fi
# Likewise the HTTP server of `acclimate serve` (src/Acclimate.Serving).
if ! find "$work/tool/.store" -name Acclimate.Serving.dll | grep -q .; then
  echo "package-smoke: the tool package lacks Acclimate.Serving.dll, so 'acclimate serve' would fail" >&2; exit 1
fi
# And the ONNX Runtime backend of `embed`/`serve` (src/Acclimate.OnnxRuntime) with its native library.
if ! find "$work/tool/.store" -name Acclimate.OnnxRuntime.dll | grep -q . || ! find "$work/tool/.store" -name 'libonnxruntime.so*' | grep -q .; then
  echo "package-smoke: the tool package lacks Acclimate.OnnxRuntime.dll or libonnxruntime.so, so 'embed'/'serve' could not use ONNX Runtime" >&2; exit 1
fi
"$work/tool/acclimate" model init --tokenizer "$root/tests/fixtures/tokenizers/bert-base-cased" --output "$work/tiny-model" \
  --layers 1 --hidden 16 --heads 2 --intermediate 32

echo "== library"
consumer="$work/consumer"
mkdir -p "$consumer"
# The user's machine: the local package folder added to whatever sources NuGet already has.
cat > "$consumer/nuget.config" <<XML
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <add key="acclimate-local" value="$work/packages" />
  </packageSources>
</configuration>
XML
cat > "$consumer/Consumer.csproj" <<XML
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <OutputType>Exe</OutputType>
    <TargetFramework>net10.0</TargetFramework>
    <ImplicitUsings>enable</ImplicitUsings>
    <Nullable>enable</Nullable>
    <!-- linux-x64 only: the natives of one platform, flattened into the output folder. -->
    <RuntimeIdentifier>linux-x64</RuntimeIdentifier>
    <SelfContained>false</SelfContained>
    <NoWarn>NU1603</NoWarn>
  </PropertyGroup>
  <ItemGroup>
    <PackageReference Include="Acclimate" Version="$package_version" />
  </ItemGroup>
</Project>
XML
cat > "$consumer/Program.cs" <<'CS'
using Acclimate.Checkpoints;
using Acclimate.Models;
using Acclimate.Tokenization;

// A model folder written by the tool, loaded and run by the library package.
var folder = args[0];
var tokenizer = TokenizerLoader.FromFolder(folder);
var ids = tokenizer.Encode("Acclimate adapts encoders.").Ids;
var (model, _) = PretrainedModel.Load(folder, ModelTask.Base);
using var input = TorchSharp.torch.tensor(ids.Select(i => (long)i).ToArray(), new long[] { 1, ids.Count });
using var mask = TorchSharp.torch.ones_like(input);
var hidden = model.Encoder.Forward(input, mask).LastHiddenState;
Console.WriteLine($"consumer: {ids.Count} tokens -> hidden state [{string.Join(", ", hidden.shape)}]");
CS
dotnet build "$consumer" -c Release -nologo -v quiet -nodeReuse:false
out="$consumer/bin/Release/net10.0/linux-x64"
if readelf -V -W "$out/libLibTorchSharp.so" | grep -q 'GLIBCXX_3\.4\.32.*Flags: WEAK'; then
  echo "consumer output: libLibTorchSharp.so patched (GLIBCXX_3.4.32 need weak), shim $(ls "$out"/libacclimate_glibcxx_shim.so)"
fi
dotnet "$out/Consumer.dll" "$work/tiny-model"
echo "package smoke: ok"
