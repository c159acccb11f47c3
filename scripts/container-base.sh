#!/bin/sh
# Makes a local base image for the Dockerfile where registry images cannot be pulled: Debian
# bookworm (debootstrap minbase, from a Debian mirror) plus this machine's Node.js (20 or newer),
# its npm and its C headers (for native addons), laid out as in the official node image
# (/usr/local), with the extra CA this machine's Node trusts (NODE_EXTRA_CA_CERTS), if any.
# Nothing of mmbot's is in it. An existing image of that tag is reused.
#
#   scripts/container-base.sh [TAG]          default TAG: mmbot-base:local
#   docker build --build-arg BASE=mmbot-base:local -t mmbot .
#
# Needs root, debootstrap and podman (or PODMAN="docker"); DEBIAN_MIRROR picks the mirror.
set -eu

tag=${1:-mmbot-base:local}
podman=${PODMAN:-podman}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}

if $podman image exists "$tag" 2>/dev/null; then
  echo "$tag: already made"
  exit 0
fi

node_bin=$(readlink -f "$(command -v node)")
major=$("$node_bin" -p 'process.versions.node.split(".")[0]')
if [ "$major" -lt 20 ]; then
  echo "container-base: Node.js 20 or newer needed, this machine has $("$node_bin" --version)" >&2
  exit 1
fi
npm_dir=$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")
include_dir=$(dirname "$(dirname "$node_bin")")/include/node

rootfs=$(mktemp -d)
trap 'rm -rf "$rootfs"' EXIT INT TERM

debootstrap --variant=minbase bookworm "$rootfs" "$mirror"

install -D -m 755 "$node_bin" "$rootfs/usr/local/bin/node"
mkdir -p "$rootfs/usr/local/lib/node_modules" "$rootfs/usr/local/etc"
cp -a "$npm_dir" "$rootfs/usr/local/lib/node_modules/npm"
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$rootfs/usr/local/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$rootfs/usr/local/bin/npx"
if [ -d "$include_dir" ]; then
  # node-gyp builds against these headers instead of downloading them
  mkdir -p "$rootfs/usr/local/include"
  cp -a "$include_dir" "$rootfs/usr/local/include/node"
  echo "nodedir=/usr/local" > "$rootfs/usr/local/etc/npmrc"
fi
extra_ca_env=
if [ -n "${NODE_EXTRA_CA_CERTS:-}" ] && [ -f "$NODE_EXTRA_CA_CERTS" ]; then
  # behind a TLS-inspecting proxy this machine's Node trusts an extra CA; builds on this local
  # base (npm ci) need the same to reach the registry
  mkdir -p "$rootfs/usr/local/share/ca-certificates"
  cp "$NODE_EXTRA_CA_CERTS" "$rootfs/usr/local/share/ca-certificates/extra-ca.crt"
  extra_ca_env=/usr/local/share/ca-certificates/extra-ca.crt
fi
chroot "$rootfs" /usr/local/bin/node --version >/dev/null

# what an image does not need: package lists, caches, docs
rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/* "$rootfs"/var/log/* \
  "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* "$rootfs"/usr/share/locale/*

tar -C "$rootfs" -c . | $podman import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  ${extra_ca_env:+--change "ENV NODE_EXTRA_CA_CERTS=$extra_ca_env"} \
  --change 'CMD ["node"]' \
  - "$tag"
echo "$tag: made (Debian bookworm, Node.js $("$node_bin" --version))"
