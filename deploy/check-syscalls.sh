#!/usr/bin/env bash
# Runs a ringgate command under strace for a few seconds and checks that every system call it makes is
# allowed by ringgate.service's SystemCallFilter (@system-service + io_uring_*, minus @privileged), and
# that it never asks for writable+executable memory (MemoryDenyWriteExecute=yes).
# Opt-in (needs strace, systemd-analyze and a built binary); not part of verify.sh.
# Usage: deploy/check-syscalls.sh [seconds] -- BINARY ARGS...
#   e.g. deploy/check-syscalls.sh 5 -- .build/release/ringgate echo websocket://127.0.0.1:19555
# Exercise the process meanwhile (connect a client) to cover the paths you care about.
set -euo pipefail
seconds=5
if [ "${1:-}" != "--" ]; then seconds=$1; shift; fi
[ "${1:-}" = "--" ] && shift
[ $# -gt 0 ] || { sed -n '6,7p' "$0"; exit 2; }
for tool in strace systemd-analyze; do
    command -v "$tool" >/dev/null || { echo "check-syscalls.sh: $tool is not installed"; exit 2; }
done

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
# The set named by a systemd syscall group, with nested groups expanded.
expand() {
    local item
    for item in "$@"; do
        if [[ $item == @* ]]; then
            # shellcheck disable=SC2046 # word splitting of the listed names is intended
            expand $(systemd-analyze syscall-filter "$item" | awk 'NF == 1 && $1 !~ /^#/' | tail -n +2)
        else
            echo "$item"
        fi
    done
}
expand @system-service io_uring_setup io_uring_enter io_uring_register | sort -u >"$scratch/allowed"
expand @privileged | sort -u >"$scratch/denied"

timeout --signal=TERM "$seconds" strace -f -qq -o "$scratch/trace" "$@" >"$scratch/output" 2>&1 || true
awk '{ call = ($2 ~ /^<\.\.\./) ? $3 : $2; sub(/\(.*/, "", call); if (call ~ /^[a-z0-9_]+$/) print call }' \
    "$scratch/trace" | sort -u >"$scratch/used"

echo "$(wc -l <"$scratch/used") distinct system calls: $(tr '\n' ' ' <"$scratch/used")"
outside=$( (comm -23 "$scratch/used" "$scratch/allowed"; comm -12 "$scratch/used" "$scratch/denied") | sort -u)
writable_exec=$(grep -E '(mmap|mprotect|pkey_mprotect)\(.*PROT_WRITE\|PROT_EXEC' "$scratch/trace" || true)
status=0
if [ -n "$outside" ]; then echo "FAIL: blocked by the unit's SystemCallFilter: $outside"; status=1; fi
if [ -n "$writable_exec" ]; then echo "FAIL: W+X mappings (MemoryDenyWriteExecute):"; echo "$writable_exec"; status=1; fi
[ "$status" -eq 0 ] && echo "ok: every call is allowed by the unit's filter; no writable+executable mappings"
exit "$status"
