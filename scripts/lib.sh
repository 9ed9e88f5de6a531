# Common settings and helpers for the project's scripts.  Source it; do not run it.
# shellcheck shell=bash

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-$TOP/build}
CACHE=${UINTR_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/uintr-emu}
JOBS=${JOBS:-$(nproc)}

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

apt_private() { # writes the private config once a day; prints the apt options to use
	local opts="-o Dir::Etc::SourceList=$APT_DIR/sources.list -o Dir::Etc::SourceParts=/dev/null"
	opts="$opts -o Dir::State::Lists=$APT_DIR/lists -o Dir::Cache::archives=$APT_DIR/archives"
	opts="$opts -o Debug::NoLocking=1 -o APT::Sandbox::User=root -o APT::Get::AllowUnauthenticated=false"
	mkdir -p "$APT_DIR/lists/partial" "$APT_DIR/archives/partial"
	if [ ! -s "$APT_DIR/sources.list" ] ||
	   [ -n "$(find "$APT_DIR/sources.list" -mmin +1440 2>/dev/null)" ] ||
	   [ ! -e "$APT_DIR/updated" ]; then
		local uri main="" sec="" tmp="$APT_DIR/sources.list.new"
		for uri in $(apt_uris); do
			case "$uri" in
			*debian-security*) sec=${sec:-$uri} ;;
			*/debian) main=${main:-$uri} ;;
			esac
		done
		[ -n "$main" ] || die "no Debian archive URI in /etc/apt/sources*: add a Debian mirror to your apt sources"
		{
			echo "deb-src $main trixie main"
			echo "deb-src $main trixie-updates main"
			[ -n "$sec" ] && echo "deb-src $sec trixie-security main"
			echo "deb $main bookworm-backports main"
		} >"$tmp"
		mv "$tmp" "$APT_DIR/sources.list"
		# shellcheck disable=SC2086
		apt-get $opts -q update >"$APT_DIR/update.log" 2>&1 ||
			die "apt-get update with the private configuration failed: see $APT_DIR/update.log"
		touch "$APT_DIR/updated"
	fi
	echo "$opts"
}

# Patch-ids of a series (files) or of a revision range in a tree, one per line, sorted by order.
series_ids() { cat "$@" 2>/dev/null | git patch-id --stable | awk '{print $1}'; }
tree_ids() { git -C "$1" format-patch --stdout "$2" 2>/dev/null | git patch-id --stable | awk '{print $1}'; }
