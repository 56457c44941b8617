#!/usr/bin/env bash
# The Debian package's tests (scripts/test.sh runs them; root needed):
#   1. build the .deb once (scripts/build-deb.sh: the static release build, minutes), or take
#      DEB=path;
#   2. lintian: every tag either fixed or overridden with its reason (contrib/debian/
#      lintian-overrides), so any new tag fails;
#   3. systemd-analyze verify on the packaged meshd.service and on docker.service with the
#      packaged drop-in;
#   4. a real dpkg install into a throwaway root (dpkg --root, maintainer scripts run with
#      DPKG_ROOT via --force-script-chrootless): the state directory is 0700, a changed
#      conffile survives a reinstall, remove keeps and purge removes the state;
#   5. the installed binary runs in a chroot that holds nothing but it and the Debian
#      libraries it links (no Swift toolchain anywhere), with an empty environment.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

step() { printf '\n==> test-deb: %s\n' "$*"; }
fail() {
  printf 'test-deb: FAILED: %s\n' "$*" >&2
  exit 1
}

work=$(mktemp -d /tmp/meshd-test-deb.XXXXXX)
trap 'rm -rf "$work"' EXIT

if [ -n "${DEB:-}" ]; then
  deb=$DEB
else
  step "build the package"
  deb=$(bash scripts/build-deb.sh | tail -n 1)
fi
[ -f "$deb" ] || fail "no package at $deb"
version=$(dpkg-deb -f "$deb" Version)
echo "$(basename "$deb"): $(du -h "$deb" | cut -f1), installed $(dpkg-deb -f "$deb" Installed-Size) KiB"
echo "Depends: $(dpkg-deb -f "$deb" Depends)"

step "lintian"
# Every remaining tag must be overridden with its reason; any other tag (of any severity,
# pedantic included) fails the test.
lintian --pedantic --info --display-level '>=pedantic' --fail-on error,warning,info,pedantic \
  "$deb" || fail "lintian reported tags (fix them, or override one with its reason)"
echo "lintian: no tags; overridden, each with its reason in contrib/debian/lintian-overrides:"
sed -n 's/^meshd: /  /p' contrib/debian/lintian-overrides

step "systemd-analyze verify"
root=$work/verify
mkdir -p "$root/usr/lib/systemd" "$root/etc/systemd/system/docker.service.d" "$root/usr/sbin"
cp -a /usr/lib/systemd/system "$root/usr/lib/systemd/"
dpkg-deb -x "$deb" "$root"
cp "$root/usr/share/meshd/docker-meshd.conf" "$root/etc/systemd/system/docker.service.d/meshd.conf"
units=("$root/lib/systemd/system/meshd.service")
if [ -f "$root/usr/lib/systemd/system/docker.service" ] || [ -f "$root/lib/systemd/system/docker.service" ]; then
  # verify checks that every command exists: stand-ins for dockerd (the drop-in's ExecStart)
  # and /bin/kill (docker.service's ExecReload) suffice.
  [ -x "$root/usr/sbin/dockerd" ] || install -m 0755 /dev/null "$root/usr/sbin/dockerd"
  install -D -m 0755 /dev/null "$root/bin/kill"
  units+=(docker.service)
else
  echo "docker.service is not installed here: verifying meshd.service only"
fi
# --man=no: Documentation=man:meshd(8) names the packaged page, which the machine's man cannot
# see inside the scratch root (lintian checks the page itself).
out=$(systemd-analyze verify --man=no --root="$root" "${units[@]}" 2>&1) ||
  fail "systemd-analyze verify: $out"
# verify may print warnings and still exit 0: none are allowed for these units.
if printf '%s\n' "$out" | grep -Ei 'meshd|docker' >&2; then
  fail "systemd-analyze verify warned about the units"
fi
echo "verified: ${units[*]##*/} (docker.service with the meshd drop-in)"

step "install into a throwaway root (dpkg --root)"
R=$work/root
mkdir -p "$R/var/lib/dpkg/info" "$R/var/lib/dpkg/updates" "$R/var/lib/dpkg/triggers"
touch "$R/var/lib/dpkg/status" "$R/var/lib/dpkg/available"
# The root holds no libc6 or libsodium23 packages: their files are the machine's, hence
# --force-depends. Maintainer scripts run outside a chroot, with DPKG_ROOT=$R.
dpkgr() { dpkg --root="$R" --force-script-chrootless --force-depends --force-confold "$@"; }
dpkgr -i "$deb" >"$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log" >&2; fail "dpkg -i"; }
[ "$(dpkg-query --root="$R" -W -f='${Status} ${Version}' meshd)" = "install ok installed $version" ] ||
  fail "meshd is not installed in the throwaway root"
[ "$(stat -c %a "$R/var/lib/meshd")" = 700 ] || fail "/var/lib/meshd is not mode 0700"
dpkg-query --root="$R" -W -f='${Conffiles}\n' meshd | grep -q '/etc/default/meshd ' ||
  fail "/etc/default/meshd is not a conffile"
for f in usr/sbin/meshd lib/systemd/system/meshd.service etc/network/if-pre-up.d/meshd \
  usr/share/man/man8/meshd.8.gz usr/share/bash-completion/completions/meshd \
  usr/share/zsh/vendor-completions/_meshd usr/share/fish/vendor_completions.d/meshd.fish \
  usr/share/meshd/docker-meshd.conf; do
  [ -e "$R/$f" ] || fail "$f is not installed"
done
[ "$(readlink "$R/etc/network/if-up.d/meshd")" = ../if-pre-up.d/meshd ] || fail "if-up.d link"
grep -q '^ExecStart=/usr/sbin/meshd up ' "$R/lib/systemd/system/meshd.service" ||
  fail "the unit does not run /usr/sbin/meshd"
echo "installed; /var/lib/meshd is 0700; conffiles: $(dpkg-query --root="$R" -W -f='${Conffiles}' meshd | awk '{print $1}' | tr '\n' ' ')"

# The operator's change to a conffile survives a reinstall (dpkg's conffile handling).
echo 'MESHD_OPTS="--ipam-range 10.99.0.0/16"  # changed by the operator' >>"$R/etc/default/meshd"
dpkgr -i "$deb" >"$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log" >&2; fail "reinstall"; }
grep -q 'changed by the operator' "$R/etc/default/meshd" || fail "reinstall overwrote a changed conffile"
echo "a changed /etc/default/meshd survived the reinstall"

step "run the installed binary with nothing of the toolchain"
bin=$R/usr/sbin/meshd
needed=$(objdump -p "$bin" | awk '/NEEDED/ {print $2}' | sort | tr '\n' ' ')
echo "NEEDED: $needed"
for lib in $needed; do
  case $lib in
    libsodium.so.23 | libstdc++.so.6 | libm.so.6 | libgcc_s.so.1 | libc.so.6 | ld-linux-x86-64.so.2) ;;
    *) fail "the binary needs $lib, which the package's Depends does not cover" ;;
  esac
done
objdump -p "$bin" | grep -Eq 'RUNPATH|RPATH' && fail "the binary has an RPATH/RUNPATH"
ldd_out=$(env -i LD_LIBRARY_PATH= ldd "$bin")
echo "$ldd_out"
printf '%s\n' "$ldd_out" | grep -Eq 'not found|/opt/swift|swift' && fail "ldd resolves into the toolchain"
# A chroot with the binary and exactly the libraries ldd lists: no toolchain can be found.
# Swift reads its arguments from /proc/self/cmdline, as on any Linux host: /proc is bound in,
# inside a private mount namespace that ends with the command.
C=$work/chroot
mkdir -p "$C/usr/sbin" "$C/proc"
cp "$bin" "$C/usr/sbin/meshd"
for lib in $(printf '%s\n' "$ldd_out" | grep -o '/[^ ]*'); do
  mkdir -p "$C$(dirname "$lib")"
  cp -L "$lib" "$C$lib"
done
inchroot() {
  env -i "$(command -v unshare)" --mount --propagation private /bin/sh -c \
    'mount --bind /proc "$0/proc" && exec chroot "$0" "$@"' "$C" "$@"
}
got=$(inchroot /usr/sbin/meshd --version) || fail "meshd --version in the chroot"
[ "$got" = "$version" ] || fail "meshd --version says '$got', the package $version"
secret=$(inchroot /usr/sbin/meshd gen-secret) || fail "meshd gen-secret in the chroot"
[ "${#secret}" -eq 44 ] || fail "gen-secret printed '$secret'"
inchroot /usr/sbin/meshd docker-opts --help | grep -q -- '--wait' ||
  fail "docker-opts --help in the chroot"
echo "in a chroot of $(find "$C" -type f | wc -l) files: meshd --version = $got; gen-secret works"

step "remove keeps the state, purge removes it"
touch "$R/var/lib/meshd/key"
dpkgr -r meshd >"$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log" >&2; fail "dpkg -r"; }
[ -e "$R/var/lib/meshd/key" ] && [ -e "$R/etc/default/meshd" ] || fail "remove dropped state or conffiles"
[ ! -e "$R/usr/sbin/meshd" ] || fail "remove left the binary"
dpkgr -P meshd >"$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log" >&2; fail "dpkg -P"; }
[ ! -e "$R/var/lib/meshd" ] && [ ! -e "$R/etc/default/meshd" ] || fail "purge left state or conffiles"
echo "remove kept /var/lib/meshd and the conffiles; purge removed them"

printf '\ntest-deb: all package tests passed (%s)\n' "$(basename "$deb")"
