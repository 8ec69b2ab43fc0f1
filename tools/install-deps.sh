#!/bin/sh
# install-deps.sh: installs the Debian 12 packages the build, `make run`
# and `make test` need; as a non-root user prints the apt-get line instead.
set -eu

PKGS="build-essential pkg-config clang libfcgi-dev libfcgi-bin libcjson-dev
libjwt-dev libssl-dev libpq-dev libcurl4-openssl-dev zlib1g-dev libyaml-dev
libcmocka-dev postgresql lighttpd apache2 libapache2-mod-fcgid spawn-fcgi
wrk curl jq python3 python3-requests python3-cryptography python3-yaml procps
iproute2 valgrind chromium chromium-driver patroni etcd-server python3-etcd
pgbouncer"

missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
	    missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "missing Debian packages; as root run:" >&2
	echo "  apt-get update && apt-get install -y$missing" >&2
	exit 1
fi
echo "installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# Debian starts daemons on install; our own instances run on other ports,
# and policy-rc.d keeps the package scripts from starting system services.
if [ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
	chmod 755 /usr/sbin/policy-rc.d
	trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
apt-get install -y -qq --no-install-recommends $missing >/dev/null
