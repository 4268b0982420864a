#!/usr/bin/env bash
# Builds ringgate_<version>_amd64.deb with dpkg-deb: the binary, the systemd unit, the sysctl and huge
# page drop-ins, /etc/ringgate/ringgate.yaml as a conffile, and maintainer scripts that create the
# `ringgate` system user, run `systemd-analyze verify` and never start the service (deploy/debian/).
# Usage: deploy/build-deb.sh [--build] [--binary PATH] [--version X.Y.Z] [--output DIR]
#   --build     build the release binary first (swift build -c release --static-swift-stdlib), as the
#               package's Depends (libc6, libstdc++6, libgcc-s1, liburing2, libssl3) assume
#   --binary    the ringgate executable to package (default: .build/release/ringgate)
#   --version   package version (default: RingGateVersion.current in the sources)
#   --output    where the .deb goes (default: the current directory)
# Prints the path of the package it wrote. Needs dpkg-deb (Debian's dpkg) and nothing else; root is
# not needed (file ownership in the package is root:root through --root-owner-group).
set -euo pipefail
deploy_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
project_dir=$(dirname "$deploy_dir")
binary=""
version=""
output=$PWD
build=false
while [ $# -gt 0 ]; do
    case "$1" in
    --build) build=true ;;
    --binary | --version | --output)
        [ $# -ge 2 ] || { echo "build-deb.sh: $1 needs a value" >&2; exit 2; }
        case "$1" in --binary) binary=$2 ;; --version) version=$2 ;; --output) output=$2 ;; esac
        shift
        ;;
    -h | --help) sed -n '2,12s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) echo "build-deb.sh: unknown argument $1" >&2; exit 2 ;;
    esac
    shift
done
command -v dpkg-deb >/dev/null || { echo "build-deb.sh: dpkg-deb not found (apt-get install dpkg)" >&2; exit 1; }
if $build; then
    (cd "$project_dir" && swift build -c release --product ringgate --static-swift-stdlib)
fi
binary=${binary:-$project_dir/.build/release/ringgate}
[ -x "$binary" ] || { echo "build-deb.sh: no executable at $binary (--build, or --binary PATH)" >&2; exit 1; }
if [ -z "$version" ]; then
    version=$(sed -n 's/.*static let current = "\([^"]*\)".*/\1/p' "$project_dir"/Sources/RingGateService/Admin/*.swift | head -1)
fi
[[ "$version" =~ ^[0-9][A-Za-z0-9.+~-]*$ ]] || { echo "build-deb.sh: bad version '$version'" >&2; exit 1; }

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
root=$stage/ringgate
put() {  # put MODE SOURCE DESTINATION (relative to the package root)
    install -D -m "$1" "$2" "$root/$3"
}
put 0755 "$binary" usr/bin/ringgate
# The unit as deploy/ ships it, pointed at the packaged paths.
mkdir -p "$root/lib/systemd/system"
sed -e 's|/usr/local/bin/ringgate|/usr/bin/ringgate|g' \
    -e 's|/usr/local/share/doc/ringgate|/usr/share/doc/ringgate|g' \
    -e 's|Installed by deploy/install.sh|Installed by the ringgate package|' \
    "$deploy_dir/ringgate.service" >"$root/lib/systemd/system/ringgate.service"
chmod 0644 "$root/lib/systemd/system/ringgate.service"
put 0644 "$deploy_dir/hugetlbfs/run-hugepages-ringgate.mount" lib/systemd/system/run-hugepages-ringgate.mount
for file in "$deploy_dir"/sysctl/*.conf; do put 0644 "$file" "usr/lib/sysctl.d/$(basename "$file")"; done
put 0644 "$deploy_dir/ringgate.yaml" etc/ringgate/ringgate.yaml
chmod 0750 "$root/etc/ringgate"
put 0644 "$deploy_dir/README.md" usr/share/doc/ringgate/README.md
# The hugetlbfs drop-in is opt-in (deploy/README.md): shipped as an example, not active.
put 0644 "$deploy_dir/hugetlbfs/hugetlbfs.conf" usr/share/doc/ringgate/examples/hugetlbfs.conf
put 0644 "$deploy_dir/debian/copyright" usr/share/doc/ringgate/copyright

mkdir -p "$root/DEBIAN"
for script in postinst prerm postrm; do put 0755 "$deploy_dir/debian/$script" "DEBIAN/$script"; done
echo /etc/ringgate/ringgate.yaml >"$root/DEBIAN/conffiles"
installed_size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
sed -e "s/@VERSION@/$version/" -e "s/@INSTALLED_SIZE@/$installed_size/" \
    "$deploy_dir/debian/control" >"$root/DEBIAN/control"

mkdir -p "$output"
package=$output/ringgate_${version}_amd64.deb
dpkg-deb --root-owner-group -Zxz --build "$root" "$package" >/dev/null
echo "$package"
