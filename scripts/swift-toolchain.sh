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
# that swift and `run` is just `cd DIR && CMD`. Otherwise (Linux, as root) it keeps a Debian
# trixie chroot with Debian's `swiftlang` (Swift 6.0.x with SwiftPM, XCTest, Foundation and
# FoundationNetworking; bookworm has no swiftc and swiftlang needs trixie's glibc):
#   - first run: debootstrap + apt-get, under a minute; about 2.7 GB on disk.
#   - later runs reuse it (marker file + `swiftc --version` check): about a second.
#   - an interrupted run is picked up again: debootstrap goes to ROOT.partial and is moved
#     into place only when complete; an unfinished package install is resumed, and if that
#     fails the chroot is deleted and made again.
# `run` mounts /proc, /dev, /sys, a fresh tmpfs /tmp and DIR (at the same absolute path, so
# absolute modulemap and -L paths stay valid) inside the chroot, in a private mount namespace
# (unshare) so that the mounts are invisible to the host and gone when the command ends, even
# if killed; a trap also unmounts them. The command gets a clean environment: PATH, HOME=/root,
# LANG=C.UTF-8, TERM, CI; pass anything else as `run DIR -- env K=V cmd...`. The host network
# is shared, so a server on the host's 127.0.0.1 is reachable.
#
# Environment:
#   CORDON_SWIFT_ROOT     chroot location (default /opt/cordon-swift-trixie; keep it outside the checkout)
#   CORDON_SWIFT_CHROOT=1 on Linux, use the chroot even if swift is on PATH
#   CORDON_DEBIAN_MIRROR  default http://deb.debian.org/debian
#
# Pitfalls met on the way:
#   - `libc6-dev` is needed (swiftc fails on sys/param.h without it); swiftlang brings the rest.
#   - SwiftPM/XCTest write under $HOME (~/.cache, ~/.swiftpm) and $TMPDIR: HOME=/root (in the
#     chroot) and the tmpfs /tmp provide both.
#   - Linking a prebuilt libX.so: put the header + module.modulemap in a C (system library or
#     empty-source) target and give the Swift target
#         linkerSettings: [.linkedLibrary("X"),
#                          .unsafeFlags(["-L/abs/lib/dir", "-Xlinker", "-rpath", "-Xlinker", "/abs/lib/dir"])]
#     (or pass `-Xlinker -L/abs/dir -Xlinker -rpath -Xlinker /abs/dir` to swift build/test).
#     The paths must be absolute; that is why DIR is mounted at its own absolute path.
#   - Never `rm -rf` the chroot while something is mounted inside it: `remove` and the redo
#     path refuse when a mount is left under it (and `rm --one-file-system` is used too).
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
# its own mount and PID namespaces: its mounts never show on the host, and when it ends, or
# unshare is killed, every process inside dies and every mount goes - even dpkg, which apt-get
# starts in a session of its own, out of reach of a kill of the caller's process group.
# unshare ignores SIGTERM/SIGINT while it waits, so on those this script kills it outright.
# It is a child process, so errexit and the trap in `inner` apply whatever the caller's context.
NS=(unshare --mount --propagation private --pid --kill-child)
in_chroot() {
    local pid sig
    "${NS[@]}" true 2>/dev/null || die "cannot make mount/PID namespaces (unshare); this needs root on a host, or a privileged container"
    "${NS[@]}" "$SELF" __inner "$@" <&0 &      # the explicit <&0 keeps stdin (not /dev/null)
    pid=$!
    for sig in HUP INT TERM; do
        trap "kill -KILL $pid 2>/dev/null; wait $pid 2>/dev/null || true; trap - $sig; kill -$sig \$\$" "$sig"
    done
    wait "$pid"
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

ensure_chroot() {
    [[ $(id -u) == 0 ]] || die "the Swift chroot needs root (or put a swift toolchain on PATH)"
    if [[ -f $MARKER && $(<"$MARKER") == "$RECIPE" ]] && swiftc_works; then
        return 0
    fi
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
    mkdir -p "$(dirname "$ROOT")"
    if [[ -z ${LOCK_OPEN:-} ]]; then exec 9>>"$LOCK"; LOCK_OPEN=1; fi
    flock "$1" 9
}

# --- commands ----------------------------------------------------------------------------

cmd_ensure() {
    if ! use_native; then
        lock -x
        ensure_chroot
    fi
    report
}

cmd_run() {
    (($# >= 3)) && [[ $2 == -- ]] || die "usage: $0 run DIR -- CMD..."
    local dir=$1; shift 2
    [[ -d $dir ]] || die "no directory $dir"
    dir=$(realpath "$dir")
    if use_native; then
        cd "$dir"
        exec "$@"
    fi
    [[ $dir != / && $dir != "$ROOT" && $dir != "$ROOT"/* ]] || die "cannot mount $dir into the chroot"
    lock -x
    ensure_chroot
    lock -s         # other runs may share the chroot; `remove` and re-installs wait (the
                    # command inherits the lock, so even an orphaned one holds it until it ends)
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
