#!/usr/bin/env bash
# Installs RingGate as a systemd service: user, binary, config, unit, sysctl drop-ins. Safe to run again:
# unchanged files are left alone and an existing config is never overwritten (the new one goes beside it
# as ringgate.yaml.new). See deploy/README.md, "Production deployment".
set -euo pipefail

usage() {
    cat <<'EOF'
Usage: deploy/install.sh [options] [BINARY]
       deploy/install.sh --uninstall [--dry-run] [--root DIR]

  BINARY        the ringgate executable to install (default: .build/release/ringgate)
  --build       build it first: swift build -c release --product ringgate --static-swift-stdlib
  --hugetlbfs   also install the ringgate-owned hugetlbfs mount and the unit drop-in that uses it
  --tls-certificate PATH, --tls-private-key PATH
                serve TLS listeners (wss://...) with these files: a unit drop-in (ringgate.service.d/tls.conf)
                sets tls.local_cert and tls.local_pk; the key must be readable by the ringgate group
  --dry-run     print every action, change nothing
  --root DIR    install into the staging root DIR (tests, packaging): no user, ownership, sysctl or
                systemctl changes on this host
  --uninstall   stop and remove the service, binary, drop-ins and docs; keeps /etc/ringgate and the user
  -h, --help    this text
EOF
}

deploy_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
project_dir=$(dirname "$deploy_dir")
binary=""
build=false
hugetlbfs=false
tls_certificate=""
tls_private_key=""
dry_run=false
root=""
mode=install

while [ $# -gt 0 ]; do
    case "$1" in
    --build) build=true ;;
    --hugetlbfs) hugetlbfs=true ;;
    --tls-certificate | --tls-private-key)
        [ $# -ge 2 ] || { echo "install.sh: $1 needs a path" >&2; exit 2; }
        case "$2" in /*) ;; *) echo "install.sh: $1 must be an absolute path" >&2; exit 2 ;; esac
        if [ "$1" = --tls-certificate ]; then tls_certificate=$2; else tls_private_key=$2; fi
        shift
        ;;
    --dry-run) dry_run=true ;;
    --root)
        [ $# -ge 2 ] || { echo "install.sh: --root needs a directory" >&2; exit 2; }
        root=$(realpath -m "$2")
        shift
        ;;
    --uninstall) mode=uninstall ;;
    -h | --help) usage; exit 0 ;;
    -*) echo "install.sh: unknown option $1" >&2; usage >&2; exit 2 ;;
    *) binary=$1 ;;
    esac
    shift
done

if { [ -n "$tls_certificate" ] && [ -z "$tls_private_key" ]; } || { [ -z "$tls_certificate" ] && [ -n "$tls_private_key" ]; }; then
    echo "install.sh: --tls-certificate and --tls-private-key go together" >&2
    exit 2
fi

# Where things go, relative to the (staging) root.
bin_path=/usr/local/bin/ringgate
config_dir=/etc/ringgate
unit_dir=/etc/systemd/system
sysctl_dir=/etc/sysctl.d
doc_dir=/usr/local/share/doc/ringgate
mount_unit=run-hugepages-ringgate.mount
sysctl_files=(90-ringgate.conf 91-ringgate-hugepages.conf)

# Staged installs and dry runs touch nothing outside the staging root; live installs need root.
live=true
[ -n "$root" ] && live=false
if $live && ! $dry_run && [ "$(id -u)" -ne 0 ]; then
    echo "install.sh: run as root (or use --dry-run / --root DIR)" >&2
    exit 1
fi
systemd_running=false
[ -d /run/systemd/system ] && systemd_running=true

say() { printf '%s\n' "$*"; }
# A command as it would be typed (quoted where needed).
shown() {
    local text
    text=$(printf '%q ' "$@")
    printf '%s' "${text% }"
}
# Runs a command, or only prints it under --dry-run.
run() {
    if $dry_run; then say "would run: $(shown "$@")"; else say "run: $(shown "$@")"; "$@"; fi
}
# Runs a command that changes this host (users, sysctl, systemd); skipped for a staging root.
run_live() {
    if $live; then run "$@"; else say "skip (staging root): $(shown "$@")"; fi
}

# Copies SOURCE to DEST (under the root) with MODE when the content differs; reports what it did.
put() {
    local source=$1 dest=$root$2 file_mode=$3
    if [ -f "$dest" ] && cmp -s "$source" "$dest"; then
        say "unchanged: $dest"
        return
    fi
    run install -D -m "$file_mode" "$source" "$dest"
}

# Removes DEST (under the root) if present.
remove() {
    local dest=$root$1
    if [ -e "$dest" ]; then run rm -f "$dest"; else say "absent: $dest"; fi
}

install_config() {
    local dest=$root$config_dir/ringgate.yaml
    [ -d "$root$config_dir" ] || run install -d -m 0750 "$root$config_dir"
    if [ ! -e "$dest" ]; then
        run install -m 0640 "$deploy_dir/ringgate.yaml" "$dest"
    elif cmp -s "$deploy_dir/ringgate.yaml" "$dest"; then
        say "unchanged: $dest"
    else
        # Never overwrite an operator's config; leave the shipped one beside it to diff against.
        say "kept: $dest (differs from the example; the example goes to $dest.new)"
        if cmp -s "$deploy_dir/ringgate.yaml" "$dest.new"; then
            say "unchanged: $dest.new"
        else
            run install -m 0640 "$deploy_dir/ringgate.yaml" "$dest.new"
        fi
    fi
    # The config may hold secret_key: readable by the service's group, writable by root only.
    local path owned=("$root$config_dir" "$dest")
    [ -e "$dest.new" ] || { [ -e "$dest" ] && ! cmp -s "$deploy_dir/ringgate.yaml" "$dest"; } && owned+=("$dest.new")
    for path in "${owned[@]}"; do
        [ "$(stat -c %U:%G "$path" 2>/dev/null)" = root:ringgate ] || run_live chown root:ringgate "$path"
    done
}

create_user() {
    if getent passwd ringgate >/dev/null 2>&1 && $live; then
        say "exists: user ringgate"
        return
    fi
    run_live useradd --system --user-group --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin --comment "RingGate gateway" ringgate
}

resolve_binary() {
    if $build; then
        run swift build --package-path "$project_dir" -c release --product ringgate --static-swift-stdlib
    fi
    [ -n "$binary" ] || binary=$project_dir/.build/release/ringgate
    if [ ! -x "$binary" ]; then
        if $dry_run; then
            say "note: $binary does not exist yet (build it, or pass --build)"
            return
        fi
        echo "install.sh: no executable at $binary; build it (--build) or pass its path" >&2
        exit 1
    fi
}

install_all() {
    resolve_binary
    create_user
    if [ -x "$binary" ]; then put "$binary" "$bin_path" 0755; else say "would install: $binary -> $root$bin_path"; fi
    install_config
    put "$deploy_dir/ringgate.service" "$unit_dir/ringgate.service" 0644
    put "$deploy_dir/README.md" "$doc_dir/README.md" 0644
    for file in "${sysctl_files[@]}"; do
        put "$deploy_dir/sysctl/$file" "$sysctl_dir/$file" 0644
    done
    if $hugetlbfs; then
        put "$deploy_dir/hugetlbfs/$mount_unit" "$unit_dir/$mount_unit" 0644
        put "$deploy_dir/hugetlbfs/hugetlbfs.conf" "$unit_dir/ringgate.service.d/hugetlbfs.conf" 0644
    fi

    if [ -n "$tls_certificate" ]; then
        local dropin
        dropin=$(mktemp)
        printf '%s\n' "# Written by install.sh --tls-certificate/--tls-private-key." "[Service]" \
            "Environment=RINGGATE_TLS_LOCAL_CERT=$tls_certificate RINGGATE_TLS_LOCAL_PK=$tls_private_key" >"$dropin"
        put "$dropin" "$unit_dir/ringgate.service.d/tls.conf" 0644
        rm -f "$dropin"
        if $live && [ -e "$tls_private_key" ] && ! su -s /bin/sh ringgate -c "test -r '$tls_private_key'" 2>/dev/null; then
            say "warning: user ringgate cannot read $tls_private_key (e.g. chgrp ringgate it and chmod 0640)"
        fi
    fi

    # sysctl --system reapplies every drop-in (ours included) the way the boot does.
    # A setting the kernel refuses (a container, a missing module) is reported, not fatal.
    run_live sysctl --system || say "warning: some sysctl settings were not applied; see the lines above"
    if $systemd_running || ! $live; then
        run_live systemctl daemon-reload
        # The pool may be too small for min_size right now (fragmented RAM): warn, RingGate falls back.
        if $hugetlbfs; then
            run_live systemctl enable --now "$mount_unit" ||
                say "warning: $mount_unit did not mount; see 'systemctl status $mount_unit' and deploy/README.md"
        fi
    else
        say "skip: systemd is not running here (no /run/systemd/system); no daemon-reload"
    fi

    if $dry_run; then say ""; say "Dry run finished: nothing was changed."; return; fi
    cat <<EOF

$($live && echo "Installed." || echo "Staged into $root.") Next steps:
  edit $config_dir/ringgate.yaml (lan_ip, secret_key_file, register)  # then: ringgate check-config --config $config_dir/ringgate.yaml
  systemctl enable --now ringgate
  systemctl status ringgate        # "active (running)" only after READY=1: every listener is bound
  ringgate status                  # per-shard table from the admin endpoint (127.0.0.1:9180)
  journalctl -u ringgate -f        # logs, including startup checks and the huge-page line
EOF
}

uninstall_all() {
    if $systemd_running; then
        run_live systemctl disable --now ringgate.service || true
        [ -e "$unit_dir/$mount_unit" ] && { run_live systemctl disable --now "$mount_unit" || true; }
    fi
    remove "$unit_dir/ringgate.service"
    remove "$unit_dir/ringgate.service.d/hugetlbfs.conf"
    remove "$unit_dir/ringgate.service.d/tls.conf"
    [ -d "$root$unit_dir/ringgate.service.d" ] && run rmdir --ignore-fail-on-non-empty "$root$unit_dir/ringgate.service.d"
    remove "$unit_dir/$mount_unit"
    remove "$bin_path"
    remove "$doc_dir/README.md"
    [ -d "$root$doc_dir" ] && run rmdir --ignore-fail-on-non-empty "$root$doc_dir"
    for file in "${sysctl_files[@]}"; do
        remove "$sysctl_dir/$file"
    done
    if $systemd_running; then run_live systemctl daemon-reload; fi
    say "kept: $root$config_dir and the user ringgate (remove them by hand: rm -r $config_dir; userdel ringgate)."
    say "kept: the current kernel settings; they return to defaults at the next boot."
}

$dry_run && say "dry run: nothing is changed"
[ -n "$root" ] && say "staging root: $root"
if [ "$mode" = uninstall ]; then uninstall_all; else install_all; fi
