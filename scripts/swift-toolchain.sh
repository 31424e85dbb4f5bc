#!/usr/bin/env bash
# swift-toolchain.sh - a Swift toolchain for Cordon's Swift bindings, on a Mac or on Linux.
#
# Usage:
#   scripts/swift-toolchain.sh [ensure]            make sure Swift works; print which swift is used
#   scripts/swift-toolchain.sh run DIR -- CMD...   run CMD in DIR with that Swift (exit code is CMD's)
#   scripts/swift-toolchain.sh remove              delete the Linux chroot
#   e.g. scripts/swift-toolchain.sh run "$PWD/bindings/swift" -- swift test
#
# On a Mac (Darwin), or where a working swift/swiftc is already on PATH, this only reports
# that swift, and `run` is just `cd DIR && CMD`. Otherwise (Linux, as root) it keeps a Debian
# trixie chroot with Debian's `swiftlang` 6.0.3 (swiftc, SwiftPM, XCTest, Swift Testing,
# Foundation, FoundationNetworking; bookworm has no swiftc, and swiftlang needs trixie's glibc):
#   - first run: debootstrap (~30 s) + apt-get (~40 s): 70-140 s depending on the mirror;
#     2.6 GB on disk. Later runs reuse it (marker file + `swiftc --version`): under a second.
#   - an interrupted run is picked up again: debootstrap goes to ROOT.partial and is moved into
#     place only when complete; an unfinished package install is resumed (dpkg --configure -a),
#     and if that fails the chroot is deleted and made again. A lock (ROOT.lock) lets runs
#     share the chroot while installs and `remove` wait for them.
#   - `run` mounts /proc, /dev, /sys, a fresh tmpfs /tmp and DIR (at its own absolute path, so
#     absolute modulemap/-L/rpath paths stay valid) in the chroot, inside new mount + PID
#     namespaces (unshare): the mounts never appear on the host and vanish, with every process
#     inside, when the command ends or the script is killed; a trap also unmounts them. Only
#     DIR is visible from the host: keep the package and the .so it links below DIR.
#   - the command gets a clean environment: PATH, HOME=/root, LANG=C.UTF-8, TERM, CI; pass
#     more as `run DIR -- env K=V CMD...`. The network is the host's: a server on 127.0.0.1
#     is reachable.
#
# Environment:
#   CORDON_SWIFT_ROOT     chroot location (default /opt/cordon-swift-trixie; keep it outside the checkout)
#   CORDON_SWIFT_CHROOT=1 on Linux, use the chroot even if swift is on PATH
#   CORDON_DEBIAN_MIRROR  default http://deb.debian.org/debian
#
# Pitfalls met on the way:
#   - `libc6-dev` is needed (swiftc fails on sys/param.h without it); swiftlang pulls in gcc,
#     binutils and libcurl (for FoundationNetworking) itself.
#   - swiftc finds libswiftCore.so through $ORIGIN, which needs /proc: `chroot ROOT swiftc`
#     without /proc mounted fails. /usr/bin/swift is an absolute symlink: test it in the chroot.
#   - SwiftPM/XCTest write under $HOME (~/.cache) and /tmp: HOME=/root and the tmpfs provide both.
#   - `swift test` also runs Swift Testing and closes with "Test run with 0 tests passed";
#     use `swift test --disable-swift-testing` for an XCTest-only package so that the last
#     summary is XCTest's "Executed N tests, with 0 failures".
#   - Linking a prebuilt libX.so (e.g. the uniffi cdylib): header + module.modulemap in a
#     `.systemLibrary` target (or in include/ of a C target with an empty .c), and on the Swift
#     target: linkerSettings: [.linkedLibrary("X"), .unsafeFlags(["-L", "/abs/dir",
#     "-Xlinker", "-rpath", "-Xlinker", "/abs/dir"])]. Without unsafeFlags (which SwiftPM refuses
#     in a package used as a dependency): `swift build -Xlinker -L/abs/dir -Xlinker -rpath
#     -Xlinker /abs/dir` (same for swift test). Absolute paths; the rpath lets the test binary
#     load the .so. uniffi's modulemap (`use "Darwin"` etc.) works unchanged on Linux but must
#     be named module.modulemap.
#   - apt-get runs dpkg in a session of its own: killing the caller's process group left dpkg
#     running in the chroot (fixed by the PID namespace). unshare ignores SIGINT/SIGTERM while
#     it waits, so this script kills it on those.
#   - never `rm -rf` the chroot while something is mounted in it: `remove` and the redo path
#     unmount leftovers and refuse if any remain (and use `rm --one-file-system`).
set -euo pipefail

ROOT=$(realpath -m "${CORDON_SWIFT_ROOT:-/opt/cordon-swift-trixie}")
export CORDON_SWIFT_ROOT=$ROOT   # for the inner copy of this script
SUITE=trixie
MIRROR=${CORDON_DEBIAN_MIRROR:-http://deb.debian.org/debian}
PACKAGES=(swiftlang libc6-dev)
RECIPE="$SUITE ${PACKAGES[*]}"   # kept in the marker; changing the list makes the next run install again
MARKER=$ROOT/.cordon-swift-ready
LOCK=$ROOT.lock
SELF=$(realpath "${BASH_SOURCE[0]}")
CHROOT_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

log() { printf 'swift-toolchain: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }
usage() { sed -n '2,/^set -euo/{/^#/s/^# \{0,1\}//p}' "$SELF"; }

# --- which swift ------------------------------------------------------------------------

use_native() {
    if [[ $(uname -s) == Darwin ]]; then
        command -v swift >/dev/null || die "no swift on PATH: install Xcode or the Command Line Tools"
        return 0
    fi
    [[ ${CORDON_SWIFT_CHROOT:-0} != 1 ]] &&
        command -v swift >/dev/null && command -v swiftc >/dev/null &&
        swiftc --version >/dev/null 2>&1
}

report() {
    if use_native; then
        echo "swift: $(command -v swift) ($(swift --version 2>&1 | head -n 1))"
    else
        echo "swift: $ROOT/usr/bin/swift in a Debian $SUITE chroot" \
             "($(swift_version))"
    fi
}

# --- mounts and removal ---------------------------------------------------------------

mounts_under() {   # mount points at or below $1 in this mount namespace, deepest first
    awk -v p="$1" '$5 == p || index($5, p "/") == 1 { print $5 }' /proc/self/mountinfo | sort -r
}

safe_remove() {    # rm -rf $1, but never through a mount
    local dir=$1 m
    [[ -e $dir ]] || return 0
    [[ $dir == /?*/?* ]] || die "refusing to remove '$dir'"
    for m in $(mounts_under "$dir"); do
        log "unmounting leftover $m"
        umount -R "$m" || true
    done
    [[ -z $(mounts_under "$dir") ]] || die "mounts are still live under $dir; not removing it"
    log "removing $dir"
    rm -rf --one-file-system -- "$dir"
}

# Run "$@" in the chroot with cwd $1 (bind-mounted from the host; "" = none), in a child with
# its own mount and PID namespaces (see the header). It is a separate process, so errexit and
# the trap in `inner` apply there whatever the caller's context (e.g. under `if`).
NS=(unshare --mount --propagation private --pid --kill-child)
in_chroot() {
    local pid sig rc=0
    "${NS[@]}" true 2>/dev/null || die "cannot make mount/PID namespaces (unshare); this needs root on a host, or a privileged container"
    "${NS[@]}" "$SELF" __inner "$@" <&0 &      # the explicit <&0 keeps stdin (not /dev/null)
    pid=$!
    for sig in HUP INT TERM; do   # shellcheck disable=SC2064  # (expand $pid and $sig now)
        trap "kill -KILL $pid 2>/dev/null; wait $pid 2>/dev/null || true; trap - $sig; kill -$sig \$\$" "$sig"
    done
    wait "$pid" || rc=$?
    trap - HUP INT TERM
    return "$rc"
}

MOUNTED=()
mnt() {            # mount ... TARGET; remember TARGET for unmount_all
    local target=${*: -1}
    mount "$@"
    MOUNTED+=("$target")
    mount --make-rslave "$target"   # never let an unmount propagate back to the host
}

unmount_all() {
    local rc=$? i
    for ((i = ${#MOUNTED[@]} - 1; i >= 0; i--)); do
        umount -R "${MOUNTED[i]}" 2>/dev/null || umount -R -l "${MOUNTED[i]}" || log "could not unmount ${MOUNTED[i]}"
    done
    MOUNTED=()
    exit "$rc"
}

inner() {          # __inner DIR CMD...   (the child started by in_chroot)
    local dir=$1; shift
    trap unmount_all EXIT
    trap 'exit 129' HUP; trap 'exit 130' INT; trap 'exit 143' TERM
    mnt -t proc proc "$ROOT/proc"
    mnt --rbind /dev "$ROOT/dev"
    mnt --rbind /sys "$ROOT/sys"
    mnt -t tmpfs -o mode=1777 tmpfs "$ROOT/tmp"
    if [[ -n $dir ]]; then
        mkdir -p "$ROOT$dir"
        [[ $(realpath "$ROOT$dir") == "$ROOT$dir" ]] || die "$dir crosses a symlink inside the chroot"
        mnt --bind "$dir" "$ROOT$dir"
    fi
    chroot "$ROOT" /usr/bin/env -i --default-signal -C "${dir:-/}" PATH="$CHROOT_PATH" HOME=/root LANG=C.UTF-8 \
        TERM="${TERM:-dumb}" ${CI:+CI="$CI"} "$@"
}

# --- making the chroot ------------------------------------------------------------------

# swiftc finds its libraries through $ORIGIN, which needs /proc: so check it through in_chroot.
swift_version() { in_chroot "" /usr/bin/swiftc --version 2>&1 | head -n 1; }
swiftc_works() { [[ -x $ROOT/usr/bin/swiftc ]] && in_chroot "" /usr/bin/swiftc --version >/dev/null 2>&1; }

ensure_debootstrap() {
    command -v debootstrap >/dev/null && return 0
    log "installing debootstrap on the host"
    export DEBIAN_FRONTEND=noninteractive
    apt-cache show debootstrap >/dev/null 2>&1 || apt-get update   # no package lists yet
    apt-get install -y --no-install-recommends debootstrap ||
        { apt-get update && apt-get install -y --no-install-recommends debootstrap; }
}

bootstrap() {      # a complete minbase trixie at $ROOT, or nothing there
    local tmp=$ROOT.partial
    ensure_debootstrap
    safe_remove "$tmp"
    log "debootstrap $SUITE into $tmp"
    debootstrap --variant=minbase "$SUITE" "$tmp" "$MIRROR"
    mv -T "$tmp" "$ROOT"
}

install_packages() { # (also called under `if`, where errexit is off: hence the &&)
    log "installing ${PACKAGES[*]} in the chroot"
    rm -f "$ROOT/etc/resolv.conf" &&    # may be a symlink: never write through it
    cp -L /etc/resolv.conf "$ROOT/etc/resolv.conf" &&
    printf '#!/bin/sh\nexit 101\n' > "$ROOT/usr/sbin/policy-rc.d" &&   # start no services
    chmod 755 "$ROOT/usr/sbin/policy-rc.d" &&
    in_chroot "" /bin/sh -euc '
        export DEBIAN_FRONTEND=noninteractive
        dpkg --configure -a
        apt-get update
        apt-get install -y -f --no-install-recommends "$@"
        apt-get clean' sh "${PACKAGES[@]}"
}

chroot_ready() { [[ -f $MARKER && $(<"$MARKER") == "$RECIPE" ]] && swiftc_works; }

ensure_chroot() {  # (with the exclusive lock)
    chroot_ready && return 0
    rm -f "$MARKER"
    if [[ -d $ROOT ]]; then
        log "$ROOT exists but is not finished: resuming"
        if ! (install_packages && swiftc_works); then
            log "resuming failed: making the chroot again"
            safe_remove "$ROOT"
        fi
    fi
    if [[ ! -d $ROOT ]]; then
        bootstrap
        install_packages
    fi
    swiftc_works || die "swiftc in $ROOT does not run"
    echo "$RECIPE" > "$MARKER"
    log "chroot ready at $ROOT"
}

lock() {           # lock -x | -s : hold $LOCK on fd 9 until this script exits
    if [[ -z ${LOCK_OPEN:-} ]]; then
        mkdir -p "$(dirname "$ROOT")"
        exec 9>>"$LOCK"
        LOCK_OPEN=1
    fi
    flock "$1" 9
}

# Leaves the shared lock held: runs share the chroot; installs and `remove` wait for them.
# The command inherits the lock, so even an orphaned one holds it until it ends.
ensure_ready() {
    [[ $(id -u) == 0 ]] || die "the Swift chroot needs root (or put a swift toolchain on PATH)"
    lock -s
    chroot_ready && return 0
    lock -x
    ensure_chroot
    lock -s
}

# --- commands ----------------------------------------------------------------------------

cmd_ensure() {
    use_native || ensure_ready
    report
}

cmd_run() {
    if (($# < 3)) || [[ $2 != -- ]]; then die "usage: $0 run DIR -- CMD..."; fi
    local dir=$1; shift 2
    [[ -d $dir ]] || die "no directory $dir"
    dir=$(realpath "$dir")
    if use_native; then
        cd "$dir"
        exec "$@"
    fi
    [[ $dir != / && $dir != "$ROOT" && $dir != "$ROOT"/* ]] || die "cannot mount $dir into the chroot"
    ensure_ready
    in_chroot "$dir" "$@"
}

cmd_remove() {
    [[ $(uname -s) != Darwin ]] || die "nothing to remove on a Mac"
    lock -x
    safe_remove "$ROOT.partial"
    safe_remove "$ROOT"
}

case ${1:-ensure} in
    ensure) cmd_ensure ;;
    run) shift; cmd_run "$@" ;;
    remove) cmd_remove ;;
    __inner) shift; inner "$@" ;;
    -h | --help | help) usage ;;
    *) usage >&2; exit 2 ;;
esac
