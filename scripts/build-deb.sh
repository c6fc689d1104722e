#!/usr/bin/env bash
# Builds dist/nethost_VERSION_ARCH.deb around dist/nethost (npm run build:exe; npm run build:deb
# runs both). Needs dpkg-deb and dpkg-shlibdeps (dpkg, dpkg-dev), gzip; runs lintian when it is
# installed (NETHOST_LINTIAN=0 skips it) and fails on any tag it does not expect.
#
# The package: /usr/bin/nethost, nethost(1) and nethost.yaml(5), the JSON Schema in
# /usr/share/nethost/, the examples and the README in /usr/share/doc/nethost/, and /etc/nethost/
# holding one conffile (a README), so that `apt remove` keeps the directory and `apt purge`
# (postrm) deletes it. Reproducible: every timestamp is SOURCE_DATE_EPOCH (default: the last
# commit's), owners are root, and the gzip files carry no name or time.
set -euo pipefail
cd "$(dirname "$0")/.."
say() { printf 'build-deb: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

[ -x dist/nethost ] || die "dist/nethost is missing: run npm run build:exe first (npm run build:deb does)"
for t in dpkg-deb dpkg-shlibdeps gzip node; do command -v "$t" >/dev/null || die "$t is not installed"; done

upstream=$(node -p 'require("./package.json").version')
# A semver pre-release (1.0.0-rc.1) is a Debian ~ (1.0.0~rc.1): it sorts before the release, and a
# "-" would read as a Debian revision.
version=${upstream/-/\~}
[[ $version =~ ^[0-9][0-9A-Za-z.+~]*$ ]] || die "package.json version \"$upstream\" is not a Debian version"
case $(node -p process.arch) in
  x64) arch=amd64 ;;
  arm64) arch=arm64 ;;
  *) die "no Debian architecture for node's $(node -p process.arch)" ;;
esac
# The executable is this node with a blob in it: the package is for this machine's architecture.
maintainer=${NETHOST_DEB_MAINTAINER:-nethost maintainers <nethost@example.org>}
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || stat -c %Y package.json)}
out=dist/nethost_${version}_${arch}.deb

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# dpkg-shlibdeps wants the package tree under debian/<package>/ beside a debian/control.
pkg=$work/debian/nethost
mkdir -p "$pkg/DEBIAN"
umask 022

install -D -m 0755 dist/nethost "$pkg/usr/bin/nethost"
for page in man/nethost.1 man/nethost.yaml.5; do
  section=${page##*.}
  mkdir -p "$pkg/usr/share/man/man$section"
  gzip -9n < "$page" > "$pkg/usr/share/man/man$section/$(basename "$page").gz"
done
install -D -m 0644 schema/nethost.schema.json "$pkg/usr/share/nethost/nethost.schema.json"
doc=$pkg/usr/share/doc/nethost
install -d "$doc/examples"
install -m 0644 examples/*.yaml "$doc/examples/"
gzip -9n < README.md > "$doc/README.md.gz"
node scripts/deb-copyright.mjs > "$doc/copyright"
# A native package (no Debian revision): one changelog entry per release, made from package.json
# and the commit it is built from.
commit=$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
{
  printf 'nethost (%s) unstable; urgency=medium\n\n' "$version"
  printf '  * nethost %s, built from commit %s.\n\n' "$upstream" "$commit"
  printf ' -- %s  %s\n' "$maintainer" "$(LC_ALL=C date -u -R -d "@$SOURCE_DATE_EPOCH")"
} | gzip -9n > "$doc/changelog.gz"
install -D -m 0644 packaging/etc/nethost/README "$pkg/etc/nethost/README"
install -D -m 0644 packaging/lintian-overrides "$pkg/usr/share/lintian/overrides/nethost"

install -m 0755 packaging/postrm "$pkg/DEBIAN/postrm"
printf '/etc/nethost/README\n' > "$pkg/DEBIAN/conffiles"

# The runtime's shared libraries (libc6, libstdc++6, libgcc-s1) with the versions its symbols need;
# its warnings about libraries node links without using are node's build, not ours.
printf 'Source: nethost\n\nPackage: nethost\nArchitecture: any\n' > "$work/debian/control"
shlibs=$(cd "$work" && dpkg-shlibdeps -O -e debian/nethost/usr/bin/nethost 2>/dev/null | sed -n 's/^shlibs:Depends=//p')
[ -n "$shlibs" ] || die "dpkg-shlibdeps found no library dependency for dist/nethost"
rm "$work/debian/control"

(cd "$pkg" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | LC_ALL=C sort -z | xargs -0 md5sum) > "$pkg/DEBIAN/md5sums"
chmod 0644 "$pkg/DEBIAN/md5sums" "$pkg/DEBIAN/conffiles"
installed_size=$(du -k -s --apparent-size --exclude=DEBIAN "$pkg" | cut -f1)

# iproute2 (ip) is what nethost drives for everything; procps gives sysctl(8), which reads and
# writes the file's sysctls; setpriv and flock come from util-linux, which is Essential. nft
# (nftables) is needed only for a file with a firewall, ovs-vsctl only for Open vSwitch.
cat > "$pkg/DEBIAN/control" <<EOF
Package: nethost
Version: $version
Architecture: $arch
Maintainer: $maintainer
Installed-Size: $installed_size
Depends: $shlibs, iproute2, procps
Recommends: nftables
Suggests: openvswitch-switch
Section: net
Priority: optional
Description: declarative network configuration for a host or a network namespace
 nethost reads a YAML file that describes bridges, bonds, VLANs, VXLAN and
 GRE tunnels, veth pairs, addresses, routes, rules, neighbours, sysctls, an
 nftables firewall and Open vSwitch bridges; it compares it with the live state
 (ip -j, nft -j, ovs-vsctl) and applies the difference as one ordered
 transaction, verified afterwards and rolled back on any failure.
 .
 This package is a single executable with its own JavaScript runtime: it does
 not need Node.js.
EOF

find "$pkg" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
rm -f dist/nethost_*.deb
dpkg-deb --root-owner-group -Zxz --build "$pkg" "$out" >/dev/null
say "$out ($(du -h "$out" | cut -f1))"

if [ "${NETHOST_LINTIAN:-1}" != 0 ]; then
  if command -v lintian >/dev/null; then
    # Every tag lintian still shows is an error; the ones it is told to expect are explained in
    # packaging/lintian-overrides.
    say "lintian $out"
    lintian --fail-on error,warning,info --display-info "$out" >&2 || die "lintian: fix the tags above or explain them in packaging/lintian-overrides"
  else
    say "lintian is not installed: the package was not checked (apt-get install lintian)"
  fi
fi
