# -*- coding: utf-8 -*-
# The portvakt modules' shared part: an HTTPS client for the appliance's
# management API (mutual TLS, one kept-alive connection per module run) and
# the policy bundle a push or plan carries.
#
# The bundle follows the portvakt CLI (policy/compiler/compile.cc,
# readPolicyBundle): the site file and every file its compilation reads, each
# as {path, text}, the paths as the compiler opens them (relative names are
# taken from the directory of the file that names them):
#   - the `extends:` chain of bases (at most 4 files in all),
#   - each file's `fingerprints:` list (DHCP fingerprint data),
#   - each file's `inventory: {csv: FILE}`.
# A file that cannot be read is an error here, as in the CLI; every other
# problem (YAML syntax, schema, semantics) is left to the appliance's compiler,
# whose file:line:col diagnostics the module reports. A file whose YAML does
# not parse here is sent as it is, and the files it would name are not looked
# for: the compiler stops at its syntax error anyway.
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import socket
import ssl

try:
    import http.client as http_client
    from urllib.parse import urlsplit
except ImportError:  # Python 2 has no place on a controller that runs ansible-core 2.14
    http_client = None
    urlsplit = None

try:
    import yaml

    HAS_YAML = True
except ImportError:
    HAS_YAML = False

API_PREFIX = "/api/v1"
# portvaktd's limits (control/api/unix_socket.h, control/daemon/api_handler.cc).
MAX_BUNDLE_FILES = 16
MAX_REQUEST_BYTES = 1 << 20
MAX_EXTENDS_DEPTH = 4


class PortvaktError(Exception):
    """A call that failed: no answer, a TLS failure, or an answer that says ok: false."""

    def __init__(self, message, status=None, answer=None):
        super(PortvaktError, self).__init__(message)
        self.status = status
        self.answer = answer or {}


def connection_argument_spec():
    return dict(
        server=dict(type="str", required=True),
        client_cert=dict(type="path", required=True),
        client_key=dict(type="path", required=True),
        ca_path=dict(type="path", required=True),
        validate_hostname=dict(type="bool", default=True),
        timeout=dict(type="int", default=30),
    )


class PortvaktClient(object):
    """The appliance's HTTPS API. Keeps one connection open across calls."""

    def __init__(self, server, client_cert, client_key, ca_path, validate_hostname=True, timeout=30):
        parts = urlsplit(server)
        if parts.scheme != "https" or not parts.hostname:
            raise PortvaktError("server must be https://HOST[:PORT], not %r" % server)
        self.server = server
        self.host = parts.hostname
        self.port = parts.port or 443
        self.timeout = timeout
        for what, path in (("client_cert", client_cert), ("client_key", client_key), ("ca_path", ca_path)):
            if not os.path.isfile(path):
                raise PortvaktError("%s %s is not a readable file" % (what, path))
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.check_hostname = validate_hostname
        context.verify_mode = ssl.CERT_REQUIRED
        try:
            context.load_verify_locations(cafile=ca_path)
            context.load_cert_chain(certfile=client_cert, keyfile=client_key)
        except (ssl.SSLError, OSError) as e:
            raise PortvaktError("cannot load the TLS files (client_cert %s, client_key %s, ca_path %s): %s"
                                % (client_cert, client_key, ca_path, e))
        self.context = context
        self.connection = None

    def _connect(self):
        self.connection = http_client.HTTPSConnection(self.host, self.port, timeout=self.timeout, context=self.context)

    def close(self):
        if self.connection is not None:
            self.connection.close()
            self.connection = None

    def call(self, method, path, body=None):
        """Returns the JSON answer of an ok call; raises PortvaktError otherwise."""
        headers = {"Accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body).encode("utf-8")
            headers["Content-Type"] = "application/json"
        # One retry on a fresh connection: the server may have closed a kept-alive
        # one since the last call (its keep-alive timeout). A request that never
        # got an answer changed nothing on the appliance only if it never left;
        # a push is safe to repeat anyway (the same bundle is the same hash).
        last = None
        for attempt in (1, 2):
            if self.connection is None:
                self._connect()
            try:
                self.connection.request(method, path, body=data, headers=headers)
                response = self.connection.getresponse()
                raw = response.read()
                status = response.status
                break
            except (http_client.RemoteDisconnected, BrokenPipeError, ConnectionResetError) as e:
                last = e
                self.close()
                if attempt == 2:
                    raise PortvaktError("%s closed the connection during %s %s: %s" % (self.server, method, path, e))
            except ssl.SSLError as e:
                self.close()
                raise PortvaktError("TLS with %s failed (is the client certificate signed by the appliance's CA, "
                                    "not revoked, and the server certificate by ca_path?): %s" % (self.server, e))
            except (socket.timeout, OSError) as e:
                self.close()
                raise PortvaktError("cannot reach portvaktd at %s: %s" % (self.server, e))
        else:  # pragma: no cover - the loop breaks or raises
            raise PortvaktError(str(last))
        if path == "/metrics" and status == 200:
            return raw.decode("utf-8", "replace")
        try:
            answer = json.loads(raw.decode("utf-8"))
        except ValueError:
            raise PortvaktError("%s answered %s %s with HTTP %d and no JSON: %s"
                                % (self.server, method, path, status, raw[:200]), status=status)
        if not isinstance(answer, dict) or not answer.get("ok"):
            error = answer.get("error", "no error text") if isinstance(answer, dict) else "not a JSON object"
            raise PortvaktError("%s %s: HTTP %d: %s" % (method, path, status, error), status=status,
                                answer=answer if isinstance(answer, dict) else {})
        return answer

    def get(self, path):
        return self.call("GET", API_PREFIX + path)

    def post(self, path, body):
        return self.call("POST", API_PREFIX + path, body)


def _read_text(path, named_by):
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except (IOError, OSError) as e:
        where = " (named in %s)" % named_by if named_by else ""
        raise PortvaktError("%s%s: error[file-unreadable]: %s" % (path, where, e.strerror or e))
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise PortvaktError("%s: error[not-text]: not a UTF-8 text file: byte at offset %d" % (path, e.start))


def _named_files(document):
    """The fingerprint and inventory files a parsed policy names, in the compiler's order."""
    out = []
    if not isinstance(document, dict):
        return out
    fingerprints = document.get("fingerprints")
    if isinstance(fingerprints, list):
        out.extend(f for f in fingerprints if isinstance(f, str))
    inventory = document.get("inventory")
    if isinstance(inventory, dict) and isinstance(inventory.get("csv"), str):
        out.append(inventory["csv"])
    return out


def _beside(including, name):
    return name if os.path.isabs(name) else os.path.join(os.path.dirname(including), name)


def build_bundle(site):
    """The bundle for `site`: {"site": PATH, "files": [{"path", "text"}, ...]}."""
    if not HAS_YAML:
        raise PortvaktError("the portvakt modules need PyYAML (python3-yaml) on the controller")
    site = os.path.normpath(os.path.abspath(site))
    files = []
    seen = set()

    def add(path, named_by):
        text = _read_text(path, named_by)
        files.append({"path": path, "text": text})
        return text

    chain = []
    path, named_by = site, None
    identities = []
    for depth in range(MAX_EXTENDS_DEPTH):
        text = add(path, named_by)
        identities.append(os.path.realpath(path))
        try:
            document = yaml.safe_load(text)
        except yaml.YAMLError:
            document = None  # the appliance's compiler reports it, with line and column
        chain.append((path, document))
        base = document.get("extends") if isinstance(document, dict) else None
        if not isinstance(base, str):
            break
        next_path = _beside(path, base)
        if os.path.realpath(next_path) in identities:
            break  # a cycle: the compiler names it (error[extends-cycle])
        if depth + 1 >= MAX_EXTENDS_DEPTH:
            break  # too deep: the compiler names it (error[extends-depth])
        if not os.path.isfile(next_path):
            raise PortvaktError("%s: error[extends-missing]: base policy '%s' not found (looked for %s)"
                                % (path, base, next_path))
        path, named_by = next_path, path
    # Fingerprints of every file, base first (buildFingerprints), then inventories.
    for path, document in reversed(chain):
        for name in _named_files(document):
            named = _beside(path, name)
            key = os.path.normpath(named)
            if key in seen or any(os.path.normpath(f["path"]) == key for f in files):
                continue
            seen.add(key)
            if not os.path.isfile(named):
                raise PortvaktError("%s: error[file-unreadable]: '%s' not found (looked for %s)" % (path, name, named))
            add(named, path)
    if len(files) > MAX_BUNDLE_FILES:
        raise PortvaktError("the bundle of %s holds %d files; portvaktd accepts at most %d"
                            % (site, len(files), MAX_BUNDLE_FILES))
    size = sum(len(f["text"].encode("utf-8")) for f in files)
    if size > MAX_REQUEST_BYTES:
        raise PortvaktError("the bundle of %s holds %d bytes of text; portvaktd accepts at most %d (1 MiB) per request"
                            % (site, size, MAX_REQUEST_BYTES))
    return {"site": site, "files": files}


def format_plan(plan):
    """The plan as the CLI prints it: '+ section key' lines, then the device moves."""
    lines = []
    for change in plan.get("changes", []):
        kind = change.get("kind")
        mark = "+" if kind == "added" else "-" if kind == "removed" else "~"
        lines.append("%s %s %s" % (mark, change.get("section", ""), change.get("key", "")))
    for move in plan.get("moves", []):
        lines.append("> device %s on %s: %s/%s -> %s/%s" % (
            move.get("mac"), move.get("port"), move.get("from_class") or "-", move.get("from_zone"),
            move.get("to_class") or "-", move.get("to_zone")))
    return "\n".join(lines) + ("\n" if lines else "")
