"""Network guard for the test run: any connection to an address other than loopback fails.

It sees what Python's socket module does (connect, connect_ex, sendto, sendmsg, name look-ups).
It cannot see connections that native code opens itself (FFmpeg's own network protocols, say):
CI therefore runs the tests in a network namespace that has only loopback (.ci/run), where the
kernel refuses those too; this guard is what a student's `make test` has.

The test suite puts this folder on PYTHONPATH, so Python imports it (through sitecustomize.py)
at start-up in every notebook kernel that nbval starts; conftest.py installs it in pytest itself. A blocked attempt raises ConnectionError
and is appended to the file named by $COURSE_NETGUARD_LOG, which conftest.py reads at the end of
the run to fail it, even when the code that tried swallowed the error.
"""
import ipaddress
import os
import socket

_LOG = os.environ.get("COURSE_NETGUARD_LOG")


def _is_loopback(host):
    if host in (None, "", "localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(str(host).split("%")[0]).is_loopback
    except ValueError:
        return False  # a host name other than localhost would need DNS: blocked


def _refuse(what, target):
    message = f"network access blocked by the course's test guard: {what} {target!r} (only loopback is allowed)"
    if _LOG:
        with open(_LOG, "a") as log:
            log.write(f"pid {os.getpid()}: {message}\n")
    raise ConnectionError(message)


def _guard_address(what, sock, address):
    if getattr(sock, "family", None) in (socket.AF_INET, socket.AF_INET6) and not _is_loopback(address[0]):
        _refuse(what, address)


def install():
    if getattr(socket, "_course_guarded", False):
        return
    connect, connect_ex, sendto = socket.socket.connect, socket.socket.connect_ex, socket.socket.sendto
    sendmsg = socket.socket.sendmsg
    getaddrinfo = socket.getaddrinfo

    def guarded_connect(self, address):
        _guard_address("connect to", self, address)
        return connect(self, address)

    def guarded_connect_ex(self, address):
        _guard_address("connect to", self, address)
        return connect_ex(self, address)

    def guarded_sendto(self, data, *args):
        _guard_address("send to", self, args[-1])
        return sendto(self, data, *args)

    def guarded_sendmsg(self, buffers, ancdata=(), flags=0, address=None):
        if address is not None:
            _guard_address("send to", self, address)
            return sendmsg(self, buffers, ancdata, flags, address)
        return sendmsg(self, buffers, ancdata, flags)

    def guarded_getaddrinfo(host, *args, **kwargs):
        if not _is_loopback(host if not isinstance(host, bytes) else host.decode()):
            _refuse("look up", host)
        return getaddrinfo(host, *args, **kwargs)

    socket.socket.connect, socket.socket.connect_ex, socket.socket.sendto = guarded_connect, guarded_connect_ex, guarded_sendto
    socket.socket.sendmsg = guarded_sendmsg
    socket.getaddrinfo = guarded_getaddrinfo
    socket._course_guarded = True

