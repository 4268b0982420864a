#!/usr/bin/env bash
# A four-host RingGate cluster on one machine, in network namespaces, and the scenarios that run on it.
#
#   host A 10.77.0.1  ringgate gateway (2 shards, lanIp 10.77.0.1, startPort 2900)
#   host B 10.77.0.2  ringgate gateway (2 shards, lanIp 10.77.0.2, startPort 2900) + a same-named worker
#   host C 10.77.0.3  ringgate register :1236 + two echo-workers
#   host D 10.77.0.4  clients and a GatewayClient (scenarios.py runs here)
#
# Each host is a namespace with one veth leg on a bridge that lives in a fifth namespace, so nothing in
# the caller's namespace changes. Names carry this script's pid (rgc<pid>a …): parallel runs cannot
# collide, and namespaces of a run whose pid is gone are cleaned up first. A trap kills every process
# left in the namespaces and deletes them, on success, failure, Ctrl-C or timeout.
#
# Usage (as root; needs ip, tc with netem, python3):
#   scripts/cluster/run.sh [--ringgate PATH] [--fallback] [--variant ringgate|mixed|php] [--php-lab DIR]
#                          [--timeout SECONDS] [--only s1,s2] [--keep-logs DIR]
# --fallback runs the gateways with RINGGATE_FORCE_PEERNAME_FALLBACK=1 (inner peers from accepts, as on
# kernels before 6.7). --variant mixed puts PHP's Gateway on B and PHP BusinessWorkers on C (and on B for
# the identity check); --variant php puts PHP's Gateway on A and B too, the reference the mixed run's
# RESULT lines must equal. Both need php (pcntl, posix) and a lab laid out by scripts/php-compat/setup.sh
# (--php-lab DIR or RINGGATE_PHPLAB_DIR; never inside the repository). Exit 0 when every scenario passed; 2 when the host cannot run it (not root, no
# netns); 1 otherwise. One line per scenario: "SCENARIO <name> PASS|FAIL <detail>".
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
ringgate="$repo/.build/debug/ringgate"
[ -x "$ringgate" ] || [ ! -x "$repo/.build/release/ringgate" ] || ringgate="$repo/.build/release/ringgate"
fallback=0
timeout_seconds=240
only=""
keep_logs=""
variant=ringgate
php_lab="${RINGGATE_PHPLAB_DIR:-}"
while [ $# -gt 0 ]; do
    case "$1" in
    --ringgate) ringgate="$2"; shift 2 ;;
    --fallback) fallback=1; shift ;;
    --timeout) timeout_seconds="$2"; shift 2 ;;
    --only) only="$2"; shift 2 ;;
    --variant) variant="$2"; shift 2 ;;
    --php-lab) php_lab="$2"; shift 2 ;;
    --keep-logs) keep_logs="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
    esac
done

skip() { echo "SKIP cluster test bed: $*"; exit 2; }
[ "$(id -u)" = 0 ] || skip "needs root (network namespaces)"
command -v ip >/dev/null || skip "needs iproute2 (ip)"
command -v python3 >/dev/null || skip "needs python3"
if [ "$variant" != ringgate ]; then
    command -v php >/dev/null || skip "variant $variant needs php (Debian: php8.2-cli)"
    [ -f "$php_lab/autoload.php" ] || skip "variant $variant needs a PHP lab: scripts/php-compat/setup.sh, then --php-lab DIR"
fi
[ -x "$ringgate" ] || skip "no ringgate binary at $ringgate (swift build first, or --ringgate PATH)"
probe="rgcprobe$$"
ip netns add "$probe" 2>/dev/null || skip "cannot create network namespaces (ip netns add failed)"
ip netns del "$probe"

# Leftovers of runs that died without their trap (kill -9, power loss): their pid is gone.
for ns in $(ip netns list | awk '{print $1}' | grep -E '^rgc[0-9]+[a-z]+$' || true); do
    owner="${ns#rgc}"; owner="${owner%%[a-z]*}"
    if ! kill -0 "$owner" 2>/dev/null; then
        for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null || true; done
        ip netns del "$ns" 2>/dev/null || true
        echo "removed leftover namespace $ns"
    fi
done

run="rgc$$"
hosts=(a b c d)
declare -A address=([a]=10.77.0.1 [b]=10.77.0.2 [c]=10.77.0.3 [d]=10.77.0.4)
logs="$(mktemp -d /tmp/ringgate-cluster.XXXXXX)"

teardown() {
    local status=$?
    trap - EXIT INT TERM
    for ns in "${hosts[@]/#/$run}" "${run}sw"; do
        for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null || true; done
    done
    for ns in "${hosts[@]/#/$run}" "${run}sw"; do ip netns del "$ns" 2>/dev/null || true; done
    if [ -n "$keep_logs" ]; then
        mkdir -p "$keep_logs" && cp -a "$logs/." "$keep_logs/"
    elif [ "$status" != 0 ]; then
        for log in "$logs"/*.log; do
            [ -f "$log" ] || continue
            echo "---- tail of $(basename "$log")"
            tail -n 15 "$log"
        done
    fi
    rm -rf "$logs"
    exit "$status"
}
trap teardown EXIT
trap 'exit 130' INT TERM

ip netns add "${run}sw"
ip -n "${run}sw" link add br0 type bridge
ip -n "${run}sw" link set br0 up
ip -n "${run}sw" link set lo up
for host in "${hosts[@]}"; do
    ns="$run$host"
    ip netns add "$ns"
    ip link add "${run}${host}" netns "$ns" type veth peer name "${run}${host}p" netns "${run}sw"
    ip -n "$ns" link set "${run}${host}" name eth0
    ip -n "$ns" addr add "${address[$host]}/24" dev eth0
    ip -n "$ns" link set eth0 up
    ip -n "$ns" link set lo up
    ip -n "${run}sw" link set "${run}${host}p" master br0
    ip -n "${run}sw" link set "${run}${host}p" up
done

args=(--ns-prefix "$run" --ringgate "$ringgate" --logs "$logs" --deadline "$timeout_seconds" --variant "$variant")
[ -n "$php_lab" ] && args+=(--php-lab "$php_lab")
[ "$fallback" = 1 ] && args+=(--fallback)
[ -n "$only" ] && args+=(--only "$only")
# The driver is host D: its sockets live in D's namespace; it starts the other hosts' processes with
# `ip netns exec`. `timeout` bounds the whole run even if the driver hangs.
timeout --kill-after=10 "$timeout_seconds" ip netns exec "${run}d" python3 "$here/scenarios.py" "${args[@]}"
