"""Which address phones on the room's Wi-Fi can reach this laptop at.

We list the machine's own IPv4 interface addresses (no packet is sent
anywhere) and prefer a private LAN address; a configured public URL wins.
"""

from __future__ import annotations

import fcntl
import ipaddress
import socket
import struct

SIOCGIFADDR = 0x8915


def interface_addresses() -> list[str]:
    out: list[str] = []
    try:
        names = [name for _, name in socket.if_nameindex()]
    except OSError:
        names = []
    for name in names:
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                packed = fcntl.ioctl(s.fileno(), SIOCGIFADDR,
                                     struct.pack("256s", name[:15].encode()))
                out.append(socket.inet_ntoa(packed[20:24]))
        except OSError:
            continue
    return out


def lan_address() -> str:
    candidates = [ipaddress.ip_address(a) for a in interface_addresses()]
    for pick in (lambda a: a.is_private and not a.is_loopback and not a.is_link_local,
                 lambda a: not a.is_loopback):
        for addr in candidates:
            if pick(addr):
                return str(addr)
    return "127.0.0.1"


def base_url(host: str, port: int, public_url: str | None) -> str:
    if public_url:
        return public_url.rstrip("/")
    if host in ("0.0.0.0", "::", ""):
        host = lan_address()
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"
