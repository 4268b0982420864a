#!/usr/bin/env bash
# Builds every decoder's libFuzzer target with AddressSanitizer and runs each for a few seconds.
# Usage: scripts/fuzz-smoke.sh [seconds per target, default 30] [target ...]
# SWIFT_BACKTRACE=enable=no: the Swift crash handler would otherwise set off a false ASan report.
# A crash leaves crash-* in the current folder and fails the script; turn it into a named unit-test vector.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-30}
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    targets=(FuzzWebSocketDecoder FuzzWebSocketHandshake FuzzTextDecoder FuzzLengthFieldDecoder
        FuzzGatewayPacketAssembler FuzzPHPUnserialize FuzzJSONParser FuzzRegisterLine FuzzWebSocketConnectInfo
        FuzzGatewayCommands FuzzTLSRecords FuzzTakeoverSnapshot)
fi
for target in "${targets[@]}"; do
    # SwiftPM passes the two sanitizers as separate flags and only the last reaches swiftc, so both are
    # also given together; without it the fuzzer has no coverage counters and mutates blindly.
    swift build --product "$target" --sanitize=fuzzer --sanitize=address -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING \
        --scratch-path .build-fuzz >/tmp/ringgate-fuzz-build.log 2>&1 || {
        grep -E "error" /tmp/ringgate-fuzz-build.log | head -20
        echo "building $target for fuzzing failed"
        exit 1
    }
done
for target in "${targets[@]}"; do
    echo "== $target (${seconds}s)"
    corpus=".build-fuzz/corpus/$target"
    mkdir -p "$corpus"
    # A committed seed corpus (Tests/Fuzz/<target>/corpus) is read as a second, read-only corpus folder.
    seeds=()
    if [ -d "Tests/Fuzz/$target/corpus" ]; then seeds=("Tests/Fuzz/$target/corpus"); fi
    options=()
    # The command layer takes whole inner streams: up to 1 MiB (~12,000 worker-connect packets).
    if [ "$target" = FuzzGatewayCommands ]; then options=(-max_len=1048576); fi
    status=0
    SWIFT_BACKTRACE=enable=no .build-fuzz/debug/"$target" -max_total_time="$seconds" -print_final_stats=1 \
        "${options[@]}" "$corpus" "${seeds[@]}" \
        >".build-fuzz/$target.log" 2>&1 || status=$?
    grep -E "^(#[0-9]+ +DONE|stat::number_of_executed_units|==[0-9]+==ERROR|SUMMARY)" ".build-fuzz/$target.log" || true
    if [ "$status" -ne 0 ]; then
        tail -40 ".build-fuzz/$target.log"
        exit "$status"
    fi
done
