#!/usr/bin/env bash
# Checks deploy/ without changing this host: the units with systemd-analyze, the scripts with bash -n
# and ShellCheck, the sysctl drop-ins' syntax and consistency, the example config, and install.sh in a
# staging root. A check whose tool is missing is reported as skipped, never failed. Runs in a few seconds.
# Usage: deploy/verify.sh   (CI: called from .ci/run)
set -euo pipefail
deploy_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cd "$deploy_dir"

failures=0
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

ok() { printf 'ok    %s\n' "$*"; }
skip() { printf 'skip  %s\n' "$*"; }
fail() {
    printf 'FAIL  %s\n' "$*"
    failures=$((failures + 1))
}
# Prints a command's output indented, for context under a FAIL line.
indent() { sed 's/^/      /'; }

unit_value() { sed -n "s/^$1=//p" ringgate.service | tail -1; }
sysctl_value() { awk -F' *= *' -v key="$1" '$1 == key { print $2 }' sysctl/*.conf; }
yaml_value() { awk -v key="$1" '$1 == key":" { print $2 }' ringgate.yaml; }

# --- scripts ---
for script in install.sh verify.sh build-deb.sh debian/postinst debian/prerm debian/postrm; do
    if output=$(bash -n "$script" 2>&1); then ok "bash -n $script"; else fail "bash -n $script" && indent <<<"$output"; fi
done
if command -v shellcheck >/dev/null; then
    if output=$(shellcheck install.sh verify.sh build-deb.sh debian/postinst debian/prerm debian/postrm 2>&1); then ok "shellcheck"; else fail "shellcheck" && indent <<<"$output"; fi
else
    skip "shellcheck: not installed (apt-get install shellcheck)"
fi

# --- systemd units ---
# systemd-analyze verify needs no running systemd, but it checks that ExecStart's binary exists. So the
# units are verified unchanged with /usr/local/bin/ringgate present: the installed one if there is one,
# else a stub on a tmpfs over /usr/local/bin inside a throwaway mount namespace (root + unshare).
# Without either, a copy whose ExecStart points at a stub is verified, and the line says so.
# The hugetlbfs drop-in is verified together with the unit, as systemd would load it.
units=(ringgate.service hugetlbfs/run-hugepages-ringgate.mount)
stage_units() {  # $1: folder; $2: ExecStart binary to use in the copy ("" keeps it)
    mkdir -p "$1/ringgate.service.d"
    cp ringgate.service hugetlbfs/run-hugepages-ringgate.mount "$1/"
    cp hugetlbfs/hugetlbfs.conf "$1/ringgate.service.d/"
    [ -z "$2" ] || sed -i "s|^ExecStart=/usr/local/bin/ringgate |ExecStart=$2 |" "$1/ringgate.service"
}
if ! command -v systemd-analyze >/dev/null; then
    skip "systemd-analyze verify: systemd-analyze not installed (apt-get install systemd)"
else
    how=""
    plain=("${units[@]}")
    stage_units "$scratch/with-dropin" ""
    with_dropin=("$scratch/with-dropin/ringgate.service")
    verify_cmd=(systemd-analyze verify)
    if [ -x /usr/local/bin/ringgate ]; then
        how="with the installed /usr/local/bin/ringgate"
        output=$( { "${verify_cmd[@]}" "${plain[@]}" && "${verify_cmd[@]}" "${with_dropin[@]}"; } 2>&1) || true
    elif [ "$(id -u)" -eq 0 ] && unshare -m true 2>/dev/null; then
        how="with a stub /usr/local/bin/ringgate in a private mount namespace"
        # shellcheck disable=SC2016 # the inner script expands its own "$@" and "$0"
        output=$(unshare -m bash -c '
            mount -t tmpfs -o size=64k,mode=0755 tmpfs /usr/local/bin &&
            printf "#!/bin/sh\nexit 0\n" >/usr/local/bin/ringgate && chmod 0755 /usr/local/bin/ringgate &&
            systemd-analyze verify "$@" && systemd-analyze verify "$0"' "${with_dropin[@]}" "${plain[@]}" 2>&1) || true
    else
        how="on a copy whose ExecStart is a stub (no root/unshare here); every other line is verified as is"
        printf '#!/bin/sh\nexit 0\n' >"$scratch/ringgate" && chmod 0755 "$scratch/ringgate"
        stage_units "$scratch/stubbed" "$scratch/ringgate"
        output=$( { "${verify_cmd[@]}" "$scratch/stubbed/ringgate.service" "$scratch/stubbed/run-hugepages-ringgate.mount" &&
            "${verify_cmd[@]}" "$scratch/stubbed/ringgate.service"; } 2>&1) || true
    fi
    # Clean means no output at all: verify reports unknown keys and bad values as warnings, exit 0.
    if [ -z "$output" ]; then ok "systemd-analyze verify (unit, mount, unit + hugetlbfs drop-in) $how"; else
        fail "systemd-analyze verify $how" && indent <<<"$output"
    fi
    if score=$(systemd-analyze security --offline=true ringgate.service 2>/dev/null | grep 'Overall exposure'); then
        ok "systemd-analyze security: ${score#→ }"
    else
        skip "systemd-analyze security --offline: not supported by this systemd"
    fi
fi

# --- sysctl drop-ins: parsed like sysctl.d(5), never applied ---
for file in sysctl/*.conf; do
    problems=$(awk '
        /^[ \t]*([#;]|$)/ { next }
        {
            line = $0; sub(/^-/, "", line)
            if (split(line, part, "=") != 2) { print FILENAME ":" NR ": not key = value: " $0; next }
            key = part[1]; value = part[2]; gsub(/^[ \t]+|[ \t]+$/, "", key); gsub(/^[ \t]+|[ \t]+$/, "", value)
            if (key !~ /^[a-z0-9_-]+(\.[a-z0-9_-]+)+$/) print FILENAME ":" NR ": bad key: " key
            else if (value !~ /^[0-9]+([ \t]+[0-9]+)*$/) print FILENAME ":" NR ": not numbers: " value
            else if (seen[key]++) print FILENAME ":" NR ": duplicate key: " key
        }' "$file")
    if [ -z "$problems" ]; then ok "sysctl syntax $file"; else fail "sysctl syntax $file" && indent <<<"$problems"; fi
    # A key this kernel does not know (typo, or a module not loaded) is reported, not failed.
    unknown=$(awk -F' *= *' '/^[a-z]/ { gsub(/\./, "/", $1); print $1 }' "$file" |
        while read -r path; do [ -e "/proc/sys/$path" ] || printf '%s ' "${path//\//.}"; done)
    [ -z "$unknown" ] || skip "sysctl keys not present in this kernel's /proc/sys: $unknown"
done
# The numbers must agree with each other and with the unit.
ascending() { awk '{ for (i = 2; i <= NF; i++) if ($i < $(i - 1)) exit 1 }' <<<"$1"; }
for key in net.ipv4.tcp_mem net.ipv4.tcp_rmem net.ipv4.tcp_wmem net.ipv4.ip_local_port_range; do
    if ascending "$(sysctl_value "$key")"; then ok "$key ascending"; else fail "$key is not ascending"; fi
done
if [ "$(sysctl_value fs.nr_open)" -ge "$(unit_value LimitNOFILE)" ]; then ok "fs.nr_open >= LimitNOFILE"; else
    fail "fs.nr_open ($(sysctl_value fs.nr_open)) < LimitNOFILE ($(unit_value LimitNOFILE)): the unit would not start"
fi
# ringgate exits at the latest drain_seconds + 3 s after SIGTERM (its shutdown guard); systemd must not kill it first.
if [ "$(unit_value TimeoutStopSec)" -gt "$(($(yaml_value drain_seconds) + 3))" ]; then
    ok "TimeoutStopSec > drain_seconds + 3"
else
    fail "TimeoutStopSec ($(unit_value TimeoutStopSec)) must exceed gateway.drain_seconds ($(yaml_value drain_seconds)) + 3 s"
fi
if [ "$(yaml_value demo_page)" = false ]; then ok "the shipped config serves no demo page"; else
    fail "deploy/ringgate.yaml enables gateway.demo_page: production installs must not serve the demo"
fi
read -r low _ <<<"$(sysctl_value net.ipv4.ip_local_port_range)"
inside=""
for port in 1238 2900 8282 9180; do [ "$port" -ge "$low" ] && inside+="$port "; done
if [ -z "$inside" ]; then ok "default listening ports lie below ip_local_port_range"; else
    fail "default ports $inside lie inside ip_local_port_range (from $low): outgoing connections could take them"
fi

# --- example config ---
if python3 -c 'import yaml' 2>/dev/null; then
    if output=$(python3 -c 'import sys, yaml; yaml.safe_load(open(sys.argv[1]))' ringgate.yaml 2>&1); then
        ok "ringgate.yaml is valid YAML"
    else fail "ringgate.yaml is not valid YAML" && indent <<<"$output"; fi
else
    skip "ringgate.yaml YAML syntax: python3-yaml not installed"
fi
# The newest build; an older one may predate check-config (its --help then shows the top-level usage).
binary=""
for candidate in ../.build/release/ringgate ../.build/debug/ringgate; do
    [ -x "$candidate" ] && { [ -z "$binary" ] || [ "$candidate" -nt "$binary" ]; } && binary=$candidate
done
if [ -n "$binary" ] && "$binary" check-config --help 2>/dev/null | grep -q 'USAGE: ringgate check-config'; then
    if output=$("$binary" check-config --config ringgate.yaml 2>&1); then ok "ringgate check-config ringgate.yaml"; else
        fail "ringgate check-config ringgate.yaml" && indent <<<"$output"
    fi
else
    skip "ringgate check-config: no built ringgate with check-config in ../.build"
fi

# --- install.sh in a staging root ---
root=$scratch/root
printf '#!/bin/sh\nexit 0\n' >"$scratch/ringgate-stub" && chmod 0755 "$scratch/ringgate-stub"
expected=(
    "755 usr/local/bin/ringgate" "640 etc/ringgate/ringgate.yaml" "750 etc/ringgate"
    "644 etc/systemd/system/ringgate.service" "644 etc/sysctl.d/90-ringgate.conf"
    "644 etc/sysctl.d/91-ringgate-hugepages.conf" "644 usr/local/share/doc/ringgate/README.md"
    "644 etc/systemd/system/run-hugepages-ringgate.mount"
    "644 etc/systemd/system/ringgate.service.d/hugetlbfs.conf"
)
if output=$(bash install.sh --dry-run --root "$root" --hugetlbfs "$scratch/ringgate-stub" 2>&1) && [ ! -e "$root" ]; then
    ok "install.sh --dry-run changes nothing"
else fail "install.sh --dry-run" && indent <<<"$output"; fi
if output=$(bash install.sh --root "$root" --hugetlbfs "$scratch/ringgate-stub" 2>&1); then
    missing=""
    for entry in "${expected[@]}"; do
        read -r want path <<<"$entry"
        have=$(stat -c %a "$root/$path" 2>/dev/null || echo absent)
        [ "$have" = "$want" ] || missing+="$path ($have, want $want) "
    done
    if [ -z "$missing" ]; then ok "install.sh --root: staged tree complete, modes right"; else fail "install.sh --root: $missing"; fi
    cmp -s ringgate.yaml "$root/etc/ringgate/ringgate.yaml" || fail "install.sh --root: config differs from the example"
else
    fail "install.sh --root" && indent <<<"$output"
fi
# Idempotent: a second run changes nothing; an edited config is kept and the example goes beside it.
changes=$(bash install.sh --root "$root" --hugetlbfs "$scratch/ringgate-stub" 2>&1 | grep '^run:' || true)
if [ -z "$changes" ]; then ok "install.sh twice: second run changes nothing"; else fail "install.sh twice" && indent <<<"$changes"; fi
echo "# edited by the operator" >>"$root/etc/ringgate/ringgate.yaml"
bash install.sh --root "$root" "$scratch/ringgate-stub" >/dev/null 2>&1
if grep -q 'edited by the operator' "$root/etc/ringgate/ringgate.yaml" && cmp -s ringgate.yaml "$root/etc/ringgate/ringgate.yaml.new"; then
    ok "install.sh keeps an edited config and writes ringgate.yaml.new"
else fail "install.sh overwrote or mishandled an edited config"; fi
bash install.sh --root "$root" --uninstall >/dev/null 2>&1
left=$(cd "$root" && find . -type f | sort | tr '\n' ' ')
if [ "$left" = "./etc/ringgate/ringgate.yaml ./etc/ringgate/ringgate.yaml.new " ]; then
    ok "install.sh --uninstall removes everything but the config"
else fail "install.sh --uninstall left: $left"; fi

# --- the Debian package: built from the newest ringgate in ../.build (CI: the debug build the tests
# made, so no second build; a release package is built the same way with --build), then unpacked into a
# scratch root with dpkg -x and checked file by file, and its unit verified there.
if ! command -v dpkg-deb >/dev/null; then
    skip "build-deb.sh: dpkg-deb not installed"
elif [ -z "$binary" ]; then
    skip "build-deb.sh: no built ringgate in ../.build"
elif ! package=$(bash build-deb.sh --binary "$binary" --output "$scratch/deb" 2>&1); then
    fail "build-deb.sh" && indent <<<"$package"
else
    ok "build-deb.sh built $(basename "$package") from ${binary#../}"
    debroot=$scratch/debroot
    dpkg -x "$package" "$debroot"
    mkdir -p "$scratch/debcontrol" && dpkg-deb -e "$package" "$scratch/debcontrol"
    expected_deb=(
        "755 usr/bin/ringgate" "644 lib/systemd/system/ringgate.service" "750 etc/ringgate"
        "644 lib/systemd/system/run-hugepages-ringgate.mount" "644 usr/lib/sysctl.d/90-ringgate.conf"
        "644 usr/lib/sysctl.d/91-ringgate-hugepages.conf" "644 etc/ringgate/ringgate.yaml"
        "644 usr/share/doc/ringgate/copyright" "644 usr/share/doc/ringgate/examples/hugetlbfs.conf"
    )
    missing=""
    for entry in "${expected_deb[@]}"; do
        read -r want path <<<"$entry"
        have=$(stat -c %a "$debroot/$path" 2>/dev/null || echo absent)
        [ "$have" = "$want" ] || missing+="$path ($have, want $want) "
    done
    for script in postinst prerm postrm; do
        [ -x "$scratch/debcontrol/$script" ] || missing+="DEBIAN/$script "
    done
    if [ -z "$missing" ]; then ok "dpkg -x: package tree complete, modes right"; else fail "dpkg -x: $missing"; fi
    if [ "$(cat "$scratch/debcontrol/conffiles")" = /etc/ringgate/ringgate.yaml ]; then
        ok "ringgate.yaml is the package's conffile"
    else fail "conffiles: $(cat "$scratch/debcontrol/conffiles")"; fi
    if cmp -s ringgate.yaml "$debroot/etc/ringgate/ringgate.yaml" && grep -q '^ExecStart=/usr/bin/ringgate start --config /etc/ringgate/ringgate.yaml$' "$debroot/lib/systemd/system/ringgate.service" && ! grep -q /usr/local "$debroot/lib/systemd/system/ringgate.service"; then
        ok "packaged config is the example; packaged unit runs /usr/bin/ringgate"
    else fail "packaged config or unit differs from what deploy/ ships"; fi
    if "$debroot/usr/bin/ringgate" check-config --config "$debroot/etc/ringgate/ringgate.yaml" >/dev/null 2>&1; then
        ok "packaged ringgate check-config on the packaged config"
    else fail "packaged ringgate check-config"; fi
    if command -v systemd-analyze >/dev/null; then
        # ExecStart must exist for verify: point a copy at the unpacked binary.
        sed "s|^ExecStart=/usr/bin/ringgate |ExecStart=$debroot/usr/bin/ringgate |" \
            "$debroot/lib/systemd/system/ringgate.service" >"$scratch/ringgate.service"
        output=$(systemd-analyze verify "$scratch/ringgate.service" 2>&1) || true
        if [ -z "$output" ]; then ok "systemd-analyze verify on the packaged unit"; else
            fail "systemd-analyze verify on the packaged unit" && indent <<<"$output"
        fi
    fi
fi

if [ "$failures" -gt 0 ]; then
    echo "deploy/verify.sh: $failures check(s) failed"
    exit 1
fi
echo "deploy/verify.sh: all checks passed (skipped ones say why)"
