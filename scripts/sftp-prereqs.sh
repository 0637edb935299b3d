#!/usr/bin/env bash
# Installs what the SFTP drop-folder tests need: the OpenSSH server (sshd with internal-sftp),
# the sftp client and ssh-keygen. Idempotent: does nothing when they are already there.
# Needs root (the tests also create per-partner system users and chroot directories).
set -euo pipefail

missing=()
[ -x /usr/sbin/sshd ] || missing+=(openssh-server)
command -v sftp >/dev/null 2>&1 || missing+=(openssh-client)
command -v ssh-keygen >/dev/null 2>&1 || missing+=(openssh-client)
command -v useradd >/dev/null 2>&1 || missing+=(passwd)

# sshd refuses to start without its privilege-separation directory, which lives under /run and
# so is gone after a reboot even when the package is installed.
ensure_privsep_dir() { mkdir -p /run/sshd && chmod 0755 /run/sshd; }

if [ ${#missing[@]} -eq 0 ]; then
  [ "$(id -u)" -ne 0 ] || ensure_privsep_dir
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "sftp-prereqs: need root to install ${missing[*]}" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
# Other builds on the machine may hold the dpkg lock for a while: wait rather than fail.
apt-get -o DPkg::Lock::Timeout=300 update -qq
apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# The package's own service is not used: tests start sshd on their own port and config.
ensure_privsep_dir
[ -x /usr/sbin/sshd ] || { echo "sftp-prereqs: /usr/sbin/sshd still missing" >&2; exit 1; }
