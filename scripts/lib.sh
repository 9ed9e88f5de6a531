# Common settings and helpers for the project's scripts.  Source it; do not run it.
# shellcheck shell=bash

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-$TOP/build}
CACHE=${UINTR_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/uintr-emu}
JOBS=${JOBS:-$(nproc)}
# Every script may write into the cache (logs, downloads, apt state): make sure it exists, on a
# new machine too, before anything is written there.
mkdir -p "$CACHE" || { echo "error: cannot create the cache directory $CACHE: set XDG_CACHE_HOME to a writable place" >&2; exit 1; }

# shellcheck source=scripts/versions
. "$TOP/scripts/versions"

export CCACHE_DIR=${CCACHE_DIR:-$CACHE/ccache}
export CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-5G}
# Kernel and QEMU builds embed the build path; let ccache hit across clones.
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$TOP}
export CCACHE_SLOPPINESS=${CCACHE_SLOPPINESS:-time_macros,include_file_mtime,include_file_ctime}

# git am needs a committer identity; supply one where the user has none.
if [ -z "$(git config user.email 2>/dev/null)" ]; then
	export GIT_COMMITTER_NAME=${GIT_COMMITTER_NAME:-uintr-emu build}
	export GIT_COMMITTER_EMAIL=${GIT_COMMITTER_EMAIL:-build@uintr-emu.invalid}
fi

die() { echo "error: $*" >&2; exit 1; }
note() { echo "==> $*" >&2; }

need() { # need CMD HOW-TO-GET
	command -v "$1" >/dev/null 2>&1 || die "'$1' is missing: $2"
}

as_root() {
	if [ "$(id -u)" = 0 ]; then "$@"; else need sudo "run as root or install sudo"; sudo "$@"; fi
}

# Private apt configuration: Debian 13 (trixie) source indexes and bookworm-backports binary
# indexes, kept under the cache.  The archive URIs come from the system's own apt sources.
APT_DIR=$CACHE/apt
apt_uris() {
	local f
	{
		for f in /etc/apt/sources.list.d/*.sources; do
			[ -r "$f" ] && sed -n 's/^URIs:[[:space:]]*//p' "$f"
		done
		for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
			[ -r "$f" ] && awk '$1 == "deb" || $1 == "deb-src" {
				for (i = 2; i <= NF; i++) if ($i ~ /^[a-z+]+:\/\//) { print $i; break } }' "$f"
		done
	} | tr ' ' '\n' | sed '/^$/d; s,/*$,,' | sort -u
}

apt_private() { # writes the private config, refreshes it once a day; prints the apt options to use
	local opts="-o Dir::Etc::SourceList=$APT_DIR/sources.list -o Dir::Etc::SourceParts=/dev/null"
	opts="$opts -o Dir::State::Lists=$APT_DIR/lists -o Dir::Cache::archives=$APT_DIR/archives"
	opts="$opts -o Debug::NoLocking=1 -o APT::Sandbox::User=root -o APT::Get::AllowUnauthenticated=false"
	mkdir -p "$APT_DIR/lists/partial" "$APT_DIR/archives/partial"
	local uri main="" sec="" tmp="$APT_DIR/sources.list.new"
	for uri in $(apt_uris); do
		case "$uri" in
		*debian-security*) sec=${sec:-$uri} ;;
		*/debian) main=${main:-$uri} ;;
		esac
	done
	[ -n "$main" ] || die "no Debian archive URI in /etc/apt/sources*: add a Debian mirror to your apt sources"
	# The suites whose source packages hold the supported bases (scripts/versions): Debian 13
	# and its updates (QEMU 10.0, Linux 6.12), trixie-backports (Linux 6.18) and sid (QEMU 10.2).
	{
		echo "deb-src $main trixie main"
		echo "deb-src $main trixie-updates main"
		[ -n "$sec" ] && echo "deb-src $sec trixie-security main"
		echo "deb-src $main trixie-backports main"
		echo "deb-src $main sid main"
		echo "deb $main bookworm-backports main"
	} >"$tmp"
	if ! cmp -s "$tmp" "$APT_DIR/sources.list" || [ ! -e "$APT_DIR/updated" ] ||
	   [ -n "$(find "$APT_DIR/updated" -mmin +1440 2>/dev/null)" ]; then
		mv "$tmp" "$APT_DIR/sources.list"
		# shellcheck disable=SC2086
		apt-get $opts -q update >"$APT_DIR/update.log" 2>&1 ||
			die "apt-get update with the private configuration failed: see $APT_DIR/update.log"
		touch "$APT_DIR/updated"
	fi
	rm -f "$tmp"
	echo "$opts"
}

# Patch-ids of a series (files) or of a revision range in a tree, one per line, sorted by order.
series_ids() { cat /dev/null "$@" 2>/dev/null | git patch-id --stable | awk '{print $1}'; }
tree_ids() { git -C "$1" format-patch --stdout "$2" 2>/dev/null | git patch-id --stable | awk '{print $1}'; }

# ---- Bases and their series (scripts/versions) ----

pins() { echo "$PINS" | awk -v n="$1" '$1 == n { print $2, $3 }'; } # pins NAME: "version sha256"
series_of() { echo "$1" | cut -d. -f1,2; }                          # 10.2.2 -> 10.2
supported() { pins "$1" | awk -v s="$2" 'index($1, s ".") == 1 { f = 1 } END { exit !f }'; } # supported NAME X.Y
label_of() { case "$1" in qemu) echo QEMU ;; linux) echo Linux ;; esac; }
patch_dir() { case "$1" in qemu) echo "$TOP/qemu-patches" ;; linux) echo "$TOP/kernel-patches" ;; esac; }

# series_files DIR: the patches of a series in the order they apply (a cover letter is not one).
series_files() {
	[ -d "$1" ] || return 0
	find "$1" -name '*.patch' ! -name '0000-cover-letter.patch' | LC_ALL=C sort
}

# Patch groups: a series folder holds either the patches themselves or one subfolder per group
# (qemu-patches/10.2/1-xsave/, 2-uintr/, ...: each an upstream series of its own, with its own
# cover letter), applied in name order.  In a build tree, tag group/<name> marks the last commit
# of each group; make export splits base..HEAD at those tags (commits above the last tag belong
# to the last group).
series_groups() { # series_groups DIR: the group subfolders, in order (none for a flat series)
	[ -d "$1" ] || return 0
	find "$1" -mindepth 2 -maxdepth 2 -name '*.patch' -printf '%h\n' | LC_ALL=C sort -u | sed 's,.*/,,'
}
group_tags() { # group_tags TREE: "group commit" of the tree's group tags, in history order
	local t
	for t in $(git -C "$1" tag -l 'group/*'); do
		echo "$(git -C "$1" rev-list --count "base..$t") ${t#group/} $(git -C "$1" rev-parse "$t^{commit}")"
	done | sort -n | awk '{ print $2, $3 }'
}

# tree_version NAME DIR: the upstream version a source tree says it is.
tree_version() {
	case "$1" in
	qemu) [ -r "$2/VERSION" ] && head -n 1 "$2/VERSION" | tr -d '[:space:]' ;;
	linux) [ -r "$2/Makefile" ] && awk -F' *= *' '$1 == "VERSION" { v = $2 } $1 == "PATCHLEVEL" { p = $2 }
		$1 == "SUBLEVEL" { s = $2 } v != "" && s != "" { print v "." p "." s; exit }' "$2/Makefile" ;;
	esac
}

# nearest_series NAME VERSION: the supported series closest to VERSION.
nearest_series() {
	pins "$1" | awk -v v="$2" 'function num(x, a) { split(x, a, "."); return a[1] * 1000 + a[2] }
		{ s = $1; sub(/\.[0-9]+$/, "", s); d = num(s) - num(v); if (d < 0) d = -d
		  if (best == "" || d < bd) { best = s; bd = d } } END { print best }'
}

# select_base NAME (qemu|linux): which base and series a build uses, from, in this order,
# QEMU_SRC/KERNEL_SRC (the tree's own version), QEMU_VERSION/KERNEL_VERSION (x.y picks the pinned
# point release), the base built last (build/.NAME-selected), the default of scripts/versions.
# Sets SEL_VERSION SEL_SERIES SEL_SHA SEL_SRC SEL_TREE SEL_OBJ SEL_PATCHES SEL_LABEL SEL_FITS.
select_base() {
	local name=$1 src ver forced how last v
	case "$name" in
	qemu) src=${QEMU_SRC:-} ver=${QEMU_VERSION:-} forced=${QEMU_SERIES_FORCE:-} ;;
	linux) src=${KERNEL_SRC:-} ver=${KERNEL_VERSION:-} forced=${KERNEL_SERIES_FORCE:-} ;;
	*) die "select_base: unknown name $name" ;;
	esac
	SEL_SRC="" SEL_SHA="" SEL_FITS=1
	if [ -z "$src" ] && [ -z "$ver" ] && [ -r "$BUILD/.$name-selected" ]; then
		read -r how last <"$BUILD/.$name-selected"
		case "$how" in src) src=$last ;; version) ver=$last ;; esac
		[ "$how" = src ] && note "building $src again, the tree built last (a version picks a pinned base)"
	fi
	if [ -n "$src" ]; then
		[ -d "$src" ] || die "$src is not a directory (QEMU_SRC= / KERNEL_SRC= name a source tree)"
		SEL_SRC=$(cd "$src" && pwd)
		SEL_VERSION=$(tree_version "$name" "$SEL_SRC")
		[ -n "$SEL_VERSION" ] || die "$SEL_SRC does not look like a $(label_of "$name") tree (no version found)"
		SEL_SERIES=$(series_of "$SEL_VERSION")
		if [ -n "$forced" ]; then
			SEL_SERIES=$forced
		elif [ -z "$(pins "$name" | awk -v s="$SEL_SERIES" 'index($1, s ".") == 1')" ] ||
		     [ "${SEL_VERSION##*.}" -ge 50 ] 2>/dev/null; then
			# x.y.50 and up is QEMU's development version after x.y: no release series fits it.
			SEL_FITS="" SEL_SERIES=$(nearest_series "$name" "$SEL_VERSION")
		fi
		SEL_TREE=$BUILD/$name-src
	else
		[ -n "$ver" ] || ver=$(case "$name" in qemu) echo "$QEMU_DEFAULT" ;; linux) echo "$LINUX_DEFAULT" ;; esac)
		case "$ver" in
		*.*.*) SEL_VERSION=$ver ;;
		*.*) SEL_VERSION=$(pins "$name" | awk -v s="$ver" 'index($1, s ".") == 1 { print $1; exit }') ;;
		*) SEL_VERSION="" ;;
		esac
		SEL_SERIES=$(series_of "${SEL_VERSION:-$ver}")
		if [ -z "$SEL_VERSION" ] || [ -z "$(pins "$name" | awk -v s="$SEL_SERIES" 'index($1, s ".") == 1')" ]; then
			die "$(label_of "$name") $ver is not a supported base; the supported ones are: $(pins "$name" | awk '{ printf "%s ", $1 }')"
		fi
		SEL_SHA=$(pins "$name" | awk -v v="$SEL_VERSION" '$1 == v { print $2 }')
		[ -n "$SEL_SHA" ] || note "$(label_of "$name") $SEL_VERSION is not pinned; its tarball is taken with the archive's SHA256"
		SEL_TREE=$BUILD/$name-$SEL_SERIES
	fi
	SEL_OBJ=$SEL_TREE-obj
	SEL_PATCHES=$(patch_dir "$name")/$SEL_SERIES
	SEL_LABEL="$(label_of "$name") $SEL_VERSION"
	[ -n "$SEL_FITS" ] && [ ! -d "$SEL_PATCHES" ] && [ "${BASE_ONLY:-0}" != 1 ] &&
		die "${SEL_PATCHES#"$TOP"/} is missing: the series for $SEL_LABEL is not in this checkout"
	return 0
}

# remember_base NAME: the base just built is what later builds use when none is asked for.
remember_base() {
	if [ -n "$SEL_SRC" ]; then echo "src $SEL_SRC"; else echo "version $SEL_VERSION"; fi \
		>"$BUILD/.$1-selected"
}

# kernel_make SRC OBJ ARGS...: make in the kernel tree SRC, out of tree in OBJ, with ccache and a
# fixed build stamp (same bzImage from the same sources).  Used by every script that builds Linux.
kernel_make() {
	local src=$1 obj=$2
	shift 2
	make -C "$src" O="$obj" ARCH=x86_64 "CC=ccache gcc" "HOSTCC=ccache gcc" -j "$JOBS" \
		KBUILD_BUILD_TIMESTAMP="2026-01-01" KBUILD_BUILD_USER=uintr KBUILD_BUILD_HOST=qemu "$@"
}

# kernel_configure SRC OBJ FRAGMENT: OBJ/.config from tinyconfig plus FRAGMENT, then olddefconfig.
kernel_configure() {
	kernel_make "$1" "$2" tinyconfig &&
		(cd "$2" && "$1/scripts/kconfig/merge_config.sh" -m -O "$2" .config "$3") &&
		kernel_make "$1" "$2" olddefconfig
}
