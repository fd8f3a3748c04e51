"""The one way UNTITLE sends HTTP to an address a marketer typed (segment and alert webhooks).

A webhook URL is the user's input, sent by our workers from inside our network, so it is a
server-side request forgery waiting to happen (issue 17, finding 3). Here:

- the host is resolved and every answer checked: loopback, private, link-local (cloud metadata
  169.254.169.254 included), shared (100.64/10: Alibaba's metadata), multicast, reserved,
  unspecified and documentation addresses are refused, IPv4 inside IPv6 (mapped, 6to4, NAT64) is
  judged as the IPv4 it carries, legacy numeric hosts (``2130706433``, ``0x7f.1``, ``017700000001``)
  are read the way the C resolver reads them, and ``localhost`` / metadata names never resolve;
- the check runs inside the connection's own ``connect_tcp`` and the socket goes to the address just
  checked, so a DNS answer cannot change between check and connect (rebinding); the URL, the Host
  header and TLS SNI / certificate checks keep the name;
- no redirects, no proxy from the environment, a small timeout and an overall deadline, and at most
  ``BODY_CAP`` bytes of the answer are read;
- an allow-list (``WEBHOOK_ALLOWLIST``: host names, addresses, networks) lets an on-premise
  receiver on a private address through;
- what the caller (and so the audit log and the API) gets back is a generic sentence plus the HTTP
  status if one came back, never the socket error (which would tell open, closed and filtered ports
  apart: a port-scan oracle). The real cause goes to the server log only.

Pure: no Django (the caller hands in the allow-list from settings).
"""
from __future__ import annotations

import ipaddress
import logging
import socket
import time
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable, Iterable, Mapping

import httpcore
import httpx

log = logging.getLogger(__name__)

FAILED = "웹훅 전송에 실패했습니다"
REFUSED = "웹훅 주소가 내부·사설 네트워크를 가리켜 보낼 수 없습니다"
TIMEOUT_S = 5.0
DEADLINE_S = 10.0
BODY_CAP = 64 * 1024

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str, int], list[str]]

# Names that reach a cloud provider's instance metadata whatever the resolver says.
METADATA_NAMES = frozenset({"metadata", "metadata.google.internal", "metadata.goog", "instance-data",
                            "instance-data.ec2.internal", "metadata.azure.com"})
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_SHARED = ipaddress.ip_network("100.64.0.0/10")


class Refused(ValueError):
    """The URL may not be sent to; ``reason`` is the Korean sentence for the marketer."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class AllowList:
    hosts: frozenset[str] = frozenset()
    networks: tuple[Network, ...] = ()

    @classmethod
    def parse(cls, entries: Iterable[str] | str | None) -> "AllowList":
        """``"hooks.corp.example, 10.20.0.0/16, 127.0.0.1"`` -> names and networks."""
        if isinstance(entries, str):
            entries = entries.split(",")
        return _parse_allow(tuple(e.strip().lower() for e in entries or () if e and e.strip()))

    def allows_host(self, host: str) -> bool:
        return host in self.hosts

    def allows_address(self, ip: Address) -> bool:
        return any(ip.version == n.version and ip in n for n in self.networks)


@lru_cache(maxsize=16)
def _parse_allow(entries: tuple[str, ...]) -> AllowList:
    hosts, nets = set(), []
    for e in entries:
        try:
            nets.append(ipaddress.ip_network(e.strip("[]"), strict=False))
        except ValueError:
            hosts.add(e.rstrip("."))
    return AllowList(frozenset(hosts), tuple(nets))


@dataclass(frozen=True)
class Delivery:
    ok: bool
    status: int | None = None      # the receiver's HTTP status, when one came back
    refused: bool = False          # the address is not allowed: retrying cannot help

    @property
    def error(self) -> str:
        """What the audit log and the API may show: no socket detail."""
        if self.ok:
            return ""
        if self.refused:
            return REFUSED
        return f"{FAILED} (HTTP {self.status})" if self.status is not None else FAILED


def address_refused(ip: Address) -> bool:
    """Whether a connection to ``ip`` could reach something of ours rather than the internet."""
    if ip.version == 6:
        embedded = ip.ipv4_mapped or ip.sixtofour
        if embedded is None and ip in _NAT64:
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is None and ip.teredo:
            embedded = ip.teredo[1]
        if embedded is not None:
            return address_refused(embedded)
    return (not ip.is_global or ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_multicast
            or ip.is_reserved or ip.is_unspecified or (ip.version == 4 and ip in _SHARED))


def _numeric_ipv4(host: str) -> ipaddress.IPv4Address | None:
    """``2130706433``, ``0x7f.1``, ``0177.0.0.1``, ``127.1``: what inet_aton (and so getaddrinfo) reads."""
    labels = host.split(".")
    if not 1 <= len(labels) <= 4 or not all(lbl and (lbl.isdigit() or lbl[:2] in ("0x", "0X")) for lbl in labels):
        return None
    try:
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except OSError:
        return None


def host_of(url: str) -> tuple[str, int, str]:
    """(host as the resolver sees it, port, scheme) of an http(s) URL; Refused otherwise."""
    try:
        u = httpx.URL(url)
    except Exception:
        raise Refused("웹훅 URL을 읽을 수 없습니다.") from None
    if u.scheme not in ("http", "https") or not u.host:
        raise Refused("웹훅 URL은 http:// 또는 https://로 시작해야 합니다.")
    if u.userinfo:
        raise Refused("웹훅 URL에 사용자 이름이나 비밀번호를 넣을 수 없습니다.")
    return u.host.rstrip(".").lower(), u.port or (443 if u.scheme == "https" else 80), u.scheme


def literal_address(host: str) -> Address | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return _numeric_ipv4(host)


def system_resolver(host: str, port: int) -> list[str]:
    seen: list[str] = []
    for *_rest, sockaddr in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM):
        if sockaddr[0] not in seen:
            seen.append(sockaddr[0])
    return seen


def checked_address(host: str, port: int, *, allow: AllowList, resolver: Resolver) -> str:
    """The one address to connect to for ``host``, or Refused. Any refused answer refuses the
    name (a name answering public and private addresses would let the attacker pick)."""
    host = host.rstrip(".").lower()
    literal = literal_address(host)
    if literal is not None:
        if address_refused(literal) and not allow.allows_address(literal):
            raise Refused(REFUSED)
        return str(literal)
    name_allowed = allow.allows_host(host)
    if not name_allowed and (host == "localhost" or host.endswith(".localhost") or host in METADATA_NAMES):
        raise Refused(REFUSED)
    try:
        answers = [ipaddress.ip_address(a.split("%", 1)[0]) for a in resolver(host, port)]
    except (OSError, UnicodeError, ValueError) as exc:
        raise LookupError(f"cannot resolve {host!r}: {exc}") from exc
    if not answers:
        raise LookupError(f"no address for {host!r}")
    if not name_allowed and any(address_refused(a) and not allow.allows_address(a) for a in answers):
        raise Refused(REFUSED)
    return str(answers[0])


def check_url(url: str, *, allow: AllowList, resolver: Resolver = system_resolver) -> None:
    """Save-time check: a Refused for a URL that can never be sent to. A name that does not
    resolve yet passes (DNS may be set up later); the send checks again, at connect time."""
    host, port, _scheme = host_of(url)
    try:
        checked_address(host, port, allow=allow, resolver=resolver)
    except LookupError:
        pass


class _PinnedBackend(httpcore.NetworkBackend):
    """Connects wherever httpcore asks only after checking the address, and to that address."""

    def __init__(self, *, allow: AllowList, resolver: Resolver):
        self._allow, self._resolver = allow, resolver
        self._inner = httpcore.SyncBackend()

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        address = checked_address(host, port, allow=self._allow, resolver=self._resolver)
        return self._inner.connect_tcp(address, port, timeout=timeout, local_address=local_address,
                                       socket_options=socket_options)

    def connect_unix_socket(self, path, timeout=None, socket_options=None):  # pragma: no cover
        raise Refused(REFUSED)

    def sleep(self, seconds: float) -> None:  # pragma: no cover - retries are off
        self._inner.sleep(seconds)


class _PinnedTransport(httpx.HTTPTransport):
    def __init__(self, *, allow: AllowList, resolver: Resolver):
        super().__init__(trust_env=False, retries=0)
        ssl_context = self._pool._ssl_context
        self._pool = httpcore.ConnectionPool(ssl_context=ssl_context, max_connections=1,
                                             max_keepalive_connections=0, retries=0,
                                             network_backend=_PinnedBackend(allow=allow, resolver=resolver))


def post(url: str, *, body: bytes, headers: Mapping[str, str], allow: AllowList,
         resolver: Resolver = system_resolver, timeout: float = TIMEOUT_S, deadline: float = DEADLINE_S,
         what: str = "webhook") -> Delivery:
    """POST ``body`` to ``url`` through the checks above. Never raises for the receiver's faults."""
    try:
        host_of(url)
    except Refused as exc:
        log.warning("%s refused before sending: %s", what, exc.reason)
        return Delivery(ok=False, refused=True)
    started = time.monotonic()
    try:
        with httpx.Client(transport=_PinnedTransport(allow=allow, resolver=resolver), follow_redirects=False,
                          trust_env=False, timeout=httpx.Timeout(timeout)) as client:
            with client.stream("POST", url, content=body, headers=dict(headers)) as resp:
                read = 0
                for chunk in resp.iter_raw():
                    read += len(chunk)
                    if read >= BODY_CAP or time.monotonic() - started > deadline:
                        break  # the status is what we came for; a long answer is the receiver's business
                status = resp.status_code
    except Refused:
        log.warning("%s to a refused address (%s)", what, _redacted(url))
        return Delivery(ok=False, refused=True)
    except (httpx.HTTPError, httpcore.ConnectError, LookupError, OSError) as exc:
        log.warning("%s failed (%s): %r", what, _redacted(url), exc)
        return Delivery(ok=False)
    return Delivery(ok=200 <= status < 300, status=status)


def _redacted(url: str) -> str:
    """Scheme, host and port only: the path or query may carry a token."""
    try:
        u = httpx.URL(url)
        return f"{u.scheme}://{u.host}:{u.port or ''}"
    except (httpx.InvalidURL, TypeError, ValueError):
        return "?"
