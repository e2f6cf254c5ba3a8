#!/usr/bin/env bash
# Makes TorchSharp 0.107.0 load on systems whose libstdc++ predates GCC 13 (e.g. Debian 12).
#
# libLibTorchSharp.so declares a need for GLIBCXX_3.4.32, and the only symbol it takes from that
# version is std::ios_base_library_init(). This script, run on a build OUTPUT folder (never the
# NuGet cache):
#   1. marks the GLIBCXX_3.4.32 entry of the copy's .gnu.version_r as VER_FLG_WEAK, so the dynamic
#      loader no longer refuses the library when that version is absent;
#   2. compiles build/glibcxx-shim.cpp into libacclimate_glibcxx_shim.so beside it, which defines
#      that one symbol; Acclimate's TorchRuntime loads it with RTLD_GLOBAL before TorchSharp starts.
# It does nothing when the system libstdc++ already has GLIBCXX_3.4.32, and is idempotent.
# Usage: patch-libtorchsharp.sh OUTPUT_DIR
set -euo pipefail

out=${1:?usage: patch-libtorchsharp.sh OUTPUT_DIR}
here=$(cd "$(dirname "$0")" && pwd)
[ "$(uname -s)" = Linux ] || exit 0

lib=""
for candidate in "$out/runtimes/linux-x64/native/libLibTorchSharp.so" "$out/libLibTorchSharp.so"; do
  if [ -f "$candidate" ]; then lib=$candidate; break; fi
done
[ -n "$lib" ] || exit 0   # this output has no TorchSharp native library

libstdcxx=$(/sbin/ldconfig -p 2>/dev/null | awk '/libstdc\+\+\.so\.6 .*x86-64/ {print $NF; exit}')
[ -n "$libstdcxx" ] || libstdcxx=$(ls /usr/lib/x86_64-linux-gnu/libstdc++.so.6 /usr/lib64/libstdc++.so.6 2>/dev/null | head -n1 || true)
if [ -n "$libstdcxx" ] && grep -qa 'GLIBCXX_3\.4\.32' "$libstdcxx"; then
  exit 0   # the system library is new enough: leave TorchSharp untouched
fi

need() {
  command -v "$1" >/dev/null 2>&1 || {
    echo "error: making TorchSharp load on this system (libstdc++ without GLIBCXX_3.4.32) needs '$1'." >&2
    echo "       Install it, e.g. 'sudo apt-get install $2', then build again. See README.md, Troubleshooting." >&2
    exit 1
  }
}
need readelf binutils
need g++ g++
need dd coreutils

# 1. The weak flag. readelf prints the .gnu.version_r file offset and each auxiliary entry's offset
#    within the section; a Vernaux entry is {u32 hash, u16 flags, u16 other, u32 name, u32 next}.
verneed=$(readelf -V -W "$lib")
line=$(printf '%s\n' "$verneed" | grep -E 'Name: GLIBCXX_3\.4\.32 ' || true)
if [ -z "$line" ]; then
  echo "error: $lib has no GLIBCXX_3.4.32 version need; this patch was written for TorchSharp 0.107.0." >&2
  exit 1
fi
if ! printf '%s\n' "$line" | grep -q 'Flags: WEAK'; then
  section=$(printf '%s\n' "$verneed" | grep -A1 "Version needs section '.gnu.version_r'" | grep -o 'Offset: 0x[0-9a-f]*' | head -n1 | cut -d' ' -f2)
  entry=$(printf '%s\n' "$line" | grep -o '^ *0x[0-9a-f]*' | tr -d ' ')
  if [ -z "$section" ] || [ -z "$entry" ]; then
    echo "error: could not read the .gnu.version_r layout of $lib with readelf." >&2
    exit 1
  fi
  flags_at=$(( section + entry + 4 ))
  tmp="$lib.acclimate-tmp"
  cp "$lib" "$tmp"
  printf '\x02\x00' | dd of="$tmp" bs=1 seek="$flags_at" conv=notrunc status=none
  readelf -V -W "$tmp" | grep -E 'Name: GLIBCXX_3\.4\.32 .*Flags: WEAK' >/dev/null || {
    rm -f "$tmp"; echo "error: patching $lib did not take effect." >&2; exit 1; }
  mv "$tmp" "$lib"
fi

# 2. The shim library with the missing symbol, beside the patched copy.
shim="$(dirname "$lib")/libacclimate_glibcxx_shim.so"
if [ ! -f "$shim" ] || [ "$here/glibcxx-shim.cpp" -nt "$shim" ]; then
  g++ -shared -fPIC -O2 -o "$shim.tmp" "$here/glibcxx-shim.cpp"
  mv "$shim.tmp" "$shim"
fi
