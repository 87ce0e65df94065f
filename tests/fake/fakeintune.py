#!/usr/bin/env python3
"""fakeintune.py: a stand-in for Entra ID, Microsoft Graph and the Intune
SCEP validation service, for keyward's tests (spec/intune.md section 8).

One HTTPS listener on 127.0.0.1 serves:
  POST /{tenant}/oauth2/v2.0/token          client credentials (secret or
                                             JWT client assertion)
  GET  /v1.0/servicePrincipals/appId={id}/endpoints       service discovery
  POST /RACerts/.../ScepActions/{validateRequest,successNotification,
                                 failureNotification}
  GET  /v1.0/devices(deviceId='X'), /v1.0/devices?$filter=deviceId eq 'X',
       /v1.0/devices/delta, /v1.0/users/{id or UPN}, /v1.0/users('UPN'),
       /v1.0/users/delta, /{v1.0,beta}/deviceManagement/managedDevices/{id},
       /v1.0/identityProtection/riskyUsers/{id}
  POST /_control                             scripts and directory changes

Graph and Intune calls need a bearer token this server issued for their
scope; anything else gets 401.  Every request but /_control is written to
--log as one JSON line: t (arrival, seconds since the epoch), method,
path, headers, body, route.

Client assertions: the header's x5t#S256 (PS256) or x5t (RS256) must be the
thumbprint of --client-cert, the claims must name this server's token URL,
the client id and a fresh jti within a 10-minute window, and the signature
is checked with `openssl dgst -verify` against the certificate's public key
(Python's standard library has no RSA).

/_control takes one JSON object:
  {"op": "script", "route": R, "txid": T (optional), "responses": [S, ...]}
      queues responses for route R (token, discovery, validateRequest,
      successNotification, failureNotification, graph), for transactionId
      T only if given.  S: {"code": "ChallengeExpired", "desc": "..."}
      (Intune result), {"status": 500}, {"status": 429, "retry_after": 2},
      {"body": "not json"}, {"delay": 5} (then the normal answer),
      {"reset": true}, {"omit_scep": true}, {"paged": true} (discovery
      over two pages), {"error": "invalid_client"} (token)
  {"op": "reset"}                    forgets every script
  {"op": "set", "expires_in": N}     lifetime of new tokens
  {"op": "forget_tokens"}            every issued token becomes unknown
  {"op": "dir", "kind": "devices"|"managedDevices"|"users"|"riskyUsers",
   "action": "put"|"patch"|"delete", "id": ID, "obj": {...}}
"""
import argparse
import base64
import binascii
import hashlib
import http.server
import json
import os
import re
import secrets
import signal
import socket
import ssl
import struct
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
SCEP_BASE = ("/RACerts/ScepRequestValidationFEService/Gateway/"
             "StatelessScepRequestValidationService")
PKI_BASE = ("/RACerts/StatelessPkiConnectorService/Gateway/"
            "StatelessPkiConnectorService")
RESULT_CODES = (
    "Success Unknown CertificateRequestDecodingFailed ChallengePasswordMissing "
    "ChallengeDeserializationError ChallengeDecryptionError "
    "ChallengeDecodingError ChallengeInvalidTimestamp ChallengeExpired "
    "SubjectNameMissing SubjectNameMismatch SubjectAltNameMissing "
    "SubjectAltNameMismatch KeyUsageMismatch KeyLengthMismatch "
    "EnhancedKeyUsageMissing EnhancedKeyUsageMismatch "
    "AadKeyIdentifierListMissing RegisteredKeyMismatch "
    "SigningCertThumbprintMismatch ScepProfileNoLongerTargetedToTheClient "
    "SignatureValidationFailed BadCertificateRequestIdInChallenge "
    "BadDeviceIdInChallenge BadUserIdInChallenge").split()
USER_DEFAULT = ("businessPhones displayName givenName id jobTitle mail "
                "mobilePhone officeLocation preferredLanguage surname "
                "userPrincipalName").split()
KINDS = ("devices", "managedDevices", "users", "riskyUsers")
BODY_MAX = 1024 * 1024


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class State:
    """Everything the server remembers, behind one lock."""

    def __init__(self, args):
        self.args = args
        self.lock = threading.Lock()
        self.tokens = {}            # token -> (scope, expiry)
        self.scripts = {}           # (route, txid or None) -> [spec]
        self.expires_in = 3599
        self.jtis = set()
        self.dir = {k: {} for k in KINDS}
        self.changes = []           # (seq, kind, id) for delta queries
        self.seq = 0
        self.log = open(args.log, "a", encoding="utf-8")
        with open(args.secret_file) as f:
            self.secret = f.readline().rstrip("\r\n")
        self.thumbs = {}
        self.pubkey = None
        if args.client_cert:
            self.load_client_cert(args.client_cert)

    def load_client_cert(self, path):
        with open(path) as f:
            der = ssl.PEM_cert_to_DER_cert(f.read())
        self.thumbs = {"x5t#S256": b64url(hashlib.sha256(der).digest()),
                       "x5t": b64url(hashlib.sha1(der).digest())}
        out = subprocess.run(["openssl", "x509", "-in", path, "-pubkey",
                              "-noout"], check=True, capture_output=True)
        fd, self.pubkey = tempfile.mkstemp(suffix=".pem")
        os.write(fd, out.stdout)
        os.close(fd)

    def record(self, entry):
        with self.lock:
            self.log.write(json.dumps(entry) + "\n")
            self.log.flush()

    def next_script(self, route, txid):
        with self.lock:
            for key in ((route, txid), (route, None)):
                queue = self.scripts.get(key)
                if queue:
                    return queue.pop(0)
        return {}

    def issue(self, scope):
        token = "fk." + secrets.token_urlsafe(32)
        with self.lock:
            self.tokens[token] = (scope, time.time() + self.expires_in)
            return token, self.expires_in

    def token_ok(self, token, scope):
        with self.lock:
            entry = self.tokens.get(token)
        return entry is not None and entry[0] == scope and \
            entry[1] > time.time()

    def dir_change(self, op):
        kind, action, oid = op["kind"], op["action"], op["id"]
        with self.lock:
            table = self.dir[kind]
            if action == "put":
                table[oid] = dict(op.get("obj", {}), id=oid)
            elif action == "patch":
                table[oid].update(op.get("obj", {}))
            elif action == "delete":
                table.pop(oid)
            else:
                raise ValueError("unknown action %r" % action)
            self.seq += 1
            self.changes.append((self.seq, kind, oid))


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fakeintune"

    def log_message(self, fmt, *args):
        pass

    @property
    def st(self):
        return self.server.state

    # -- plumbing ---------------------------------------------------------

    def read_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        if n > BODY_MAX:
            raise ValueError("body too large")
        return self.rfile.read(n) if n else b""

    def send(self, status, body, ctype="application/json", extra=None):
        if isinstance(body, (dict, list)):
            body = json.dumps(body)
        data = body.encode() if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        for k, v in (extra or {}).items():
            self.send_header(k, str(v))
        self.end_headers()
        self.wfile.write(data)

    def reset(self):
        """Drops the connection with a TCP RST, mid-request."""
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                   struct.pack("ii", 1, 0))
        self.close_connection = True
        self.request.close()

    def base_url(self):
        return "https://127.0.0.1:%d" % self.server.server_address[1]

    def graph_error(self, status, code, message):
        self.send(status, {"error": {
            "code": code, "message": message, "innerError": {
                "date": time.strftime("%Y-%m-%dT%H:%M:%S"),
                "request-id": str(uuid.uuid4()),
                "client-request-id":
                    self.headers.get("client-request-id", "")}}})

    def bearer(self, scope):
        """True if the request carries a live token for scope; else 401."""
        auth = self.headers.get("Authorization", "")
        if auth.startswith("Bearer ") and \
                self.st.token_ok(auth[7:], scope):
            return True
        self.graph_error(401, "InvalidAuthenticationToken",
                         "Access token is empty, unknown or not for this "
                         "audience.")
        return False

    def scripted(self, spec):
        """Applies a script's generic parts; True if it answered."""
        if spec.get("delay"):
            time.sleep(float(spec["delay"]))
        if spec.get("reset"):
            self.reset()
            return True
        if "body" in spec:
            self.send(spec.get("status", 200), spec["body"])
            return True
        status = spec.get("status", 200)
        if status != 200:
            extra = {}
            if "retry_after" in spec:
                extra["Retry-After"] = spec["retry_after"]
            self.send(status, {"error": {"code": "scripted",
                                         "message": "HTTP %d" % status}},
                      extra=extra)
            return True
        return False

    # -- dispatch ---------------------------------------------------------

    def handle_one(self, method):
        url = urllib.parse.urlsplit(self.path)
        path = urllib.parse.unquote(url.path)
        try:
            body = self.read_body()
        except ValueError:
            self.send(413, {"error": "too large"})
            return
        if path == "/_control" and method == "POST":
            self.control(body)
            return
        route, handler = self.route(method, path)
        text = body.decode("utf-8", "replace")
        self.st.record({"t": time.time(), "method": method,
                        "path": self.path, "route": route,
                        "headers": dict(self.headers.items()),
                        "body": text})
        if handler is None:
            self.graph_error(404, "Request_BadRequest", "no such endpoint")
            return
        handler(url, path, text)

    def do_GET(self):
        self.handle_one("GET")

    def do_POST(self):
        self.handle_one("POST")

    def route(self, method, path):
        tenant = "/%s/oauth2/v2.0/token" % self.st.args.tenant
        if method == "POST" and path == tenant:
            return "token", self.token
        if method == "GET" and path == ("/v1.0/servicePrincipals/appId=%s/"
                                        "endpoints" % self.st.args.app_id):
            return "discovery", self.discovery
        m = re.fullmatch(re.escape(SCEP_BASE) + r"/ScepActions/(\w+)", path)
        if method == "POST" and m and m.group(1) in (
                "validateRequest", "successNotification",
                "failureNotification"):
            return m.group(1), self.scep_action
        if method == "GET" and (path.startswith("/v1.0/") or
                                path.startswith("/beta/")):
            return "graph", self.graph
        return "unknown", None

    # -- /_control ----------------------------------------------------------

    def control(self, body):
        try:
            op = json.loads(body)
            kind = op["op"]
            if kind == "script":
                with self.st.lock:
                    key = (op["route"], op.get("txid"))
                    self.st.scripts.setdefault(key, []).extend(
                        op["responses"])
            elif kind == "reset":
                with self.st.lock:
                    self.st.scripts.clear()
            elif kind == "set":
                with self.st.lock:
                    self.st.expires_in = int(op["expires_in"])
            elif kind == "forget_tokens":
                with self.st.lock:
                    self.st.tokens.clear()
            elif kind == "dir":
                self.st.dir_change(op)
            else:
                raise ValueError("unknown op %r" % kind)
        except (ValueError, KeyError, TypeError) as e:
            self.send(400, {"ok": False, "error": str(e)})
            return
        self.send(200, {"ok": True})

    # -- Entra ID -----------------------------------------------------------

    def token_error(self, status, error, desc):
        self.send(status, {"error": error, "error_description": desc,
                           "error_codes": [int(desc[6:desc.index(":")])],
                           "timestamp": time.strftime("%Y-%m-%d %H:%M:%SZ"),
                           "trace_id": str(uuid.uuid4()),
                           "correlation_id": str(uuid.uuid4())})

    def token(self, url, path, text):
        spec = self.st.next_script("token", None)
        if spec.get("error"):
            self.token_error(401, spec["error"],
                             "AADSTS7000215: Scripted refusal.")
            return
        if self.scripted(spec):
            return
        args = self.st.args
        form = urllib.parse.parse_qs(text, keep_blank_values=True)
        field = {k: v[0] for k, v in form.items() if len(v) == 1}
        if self.headers.get("Content-Type", "").split(";")[0] != \
                "application/x-www-form-urlencoded" or \
                len(field) != len(form):
            self.token_error(400, "invalid_request",
                             "AADSTS900144: Malformed form body.")
        elif field.get("grant_type") != "client_credentials":
            self.token_error(400, "unsupported_grant_type",
                             "AADSTS70003: grant_type must be "
                             "client_credentials.")
        elif field.get("client_id") != args.client_id:
            self.token_error(400, "unauthorized_client",
                             "AADSTS700016: Application not found.")
        elif field.get("scope") not in (args.graph_scope, args.intune_scope):
            self.token_error(400, "invalid_scope",
                             "AADSTS70011: The provided scope is not valid.")
        elif "client_secret" in field:
            if "client_assertion" in field or \
                    field["client_secret"] != self.st.secret:
                self.token_error(401, "invalid_client",
                                 "AADSTS7000215: Invalid client secret "
                                 "provided.")
            else:
                self.token_ok(field["scope"])
        elif "client_assertion" in field:
            why = self.assertion_problem(field)
            if why:
                self.token_error(401, "invalid_client",
                                 "AADSTS700027: Client assertion failed: "
                                 + why)
            else:
                self.token_ok(field["scope"])
        else:
            self.token_error(400, "invalid_client",
                             "AADSTS7000218: No client_secret or "
                             "client_assertion.")

    def token_ok(self, scope):
        token, life = self.st.issue(scope)
        self.send(200, {"token_type": "Bearer", "expires_in": life,
                        "ext_expires_in": life, "access_token": token})

    def assertion_problem(self, field):
        """Why the JWT client assertion is not acceptable, or None."""
        if field.get("client_assertion_type") != ASSERTION_TYPE:
            return "wrong client_assertion_type"
        parts = field["client_assertion"].split(".")
        if len(parts) != 3:
            return "not a JWS compact serialisation"
        try:
            hdr = json.loads(b64url_decode(parts[0]))
            claims = json.loads(b64url_decode(parts[1]))
            sig = b64url_decode(parts[2])
        except (ValueError, binascii.Error):
            return "undecodable part"
        alg = hdr.get("alg")
        thumb = {"PS256": "x5t#S256", "RS256": "x5t"}.get(alg)
        if thumb is None or hdr.get("typ") != "JWT":
            return "bad header"
        if hdr.get(thumb) != self.st.thumbs.get(thumb):
            return "unknown certificate thumbprint"
        now, aud = time.time(), "%s/%s/oauth2/v2.0/token" % (
            self.base_url(), self.st.args.tenant)
        cid = self.st.args.client_id
        if claims.get("aud") != aud or claims.get("iss") != cid or \
                claims.get("sub") != cid:
            return "bad aud, iss or sub"
        try:
            nbf, exp = int(claims["nbf"]), int(claims["exp"])
            jti = str(claims["jti"])
        except (KeyError, ValueError, TypeError):
            return "missing nbf, exp or jti"
        if not nbf - 300 <= now < exp or exp - nbf > 600:
            return "outside its time window"
        with self.st.lock:
            if jti in self.st.jtis:
                return "jti replayed"
            self.st.jtis.add(jti)
        if not self.signature_ok(alg, (parts[0] + "." + parts[1]).encode(),
                                 sig):
            return "signature does not verify"
        return None

    def signature_ok(self, alg, data, sig):
        with tempfile.NamedTemporaryFile() as f:
            f.write(sig)
            f.flush()
            cmd = ["openssl", "dgst", "-sha256", "-verify", self.st.pubkey,
                   "-signature", f.name]
            if alg == "PS256":
                cmd += ["-sigopt", "rsa_padding_mode:pss",
                        "-sigopt", "rsa_pss_saltlen:32"]
            return subprocess.run(cmd, input=data, capture_output=True
                                  ).returncode == 0

    # -- Graph: discovery ---------------------------------------------------

    def discovery(self, url, path, text):
        if not self.bearer(self.st.args.graph_scope):
            return
        spec = self.st.next_script("discovery", None)
        if self.scripted(spec):
            return
        base, app = self.base_url(), self.st.args.app_id
        ctx = ("https://graph.microsoft.com/v1.0/$metadata#servicePrincipals"
               "('appId%%3D%s')/endpoints" % app)
        pki = {"id": str(uuid.uuid4()), "capability": "PkiConnectorFEService",
               "providerId": app, "providerName": "PkiConnectorFEService",
               "providerResourceId": None, "uri": base + PKI_BASE}
        scep = {"id": str(uuid.uuid4()),
                "capability": "ScepRequestValidationFEService",
                "providerId": app,
                "providerName": "ScepRequestValidationFEService",
                "providerResourceId": None, "uri": base + SCEP_BASE}
        if url.query:
            if url.query != "page=2":
                self.graph_error(400, "Request_BadRequest",
                                 "unexpected query string")
                return
            self.send(200, {"@odata.context": ctx, "value": [scep]})
        elif spec.get("omit_scep"):
            self.send(200, {"@odata.context": ctx, "value": [pki]})
        elif spec.get("paged"):
            self.send(200, {"@odata.context": ctx, "value": [pki],
                            "@odata.nextLink": base + url.path + "?page=2"})
        else:
            self.send(200, {"@odata.context": ctx, "value": [pki, scep]})

    # -- Intune SCEP actions ------------------------------------------------

    REQUIRED = {
        "validateRequest": ("request", ("transactionId",
                                        "certificateRequest", "callerInfo")),
        "successNotification": ("notification", (
            "transactionId", "certificateRequest", "certificateThumbprint",
            "certificateSerialNumber", "certificateExpirationDateUtc",
            "issuingCertificateAuthority", "callerInfo")),
        "failureNotification": ("notification", (
            "transactionId", "certificateRequest", "errorDescription",
            "callerInfo")),
    }

    def scep_problem(self, action, text):
        """(transactionId, problem or None) for an action's body."""
        outer, fields = self.REQUIRED[action]
        try:
            inner = json.loads(text)[outer]
        except (ValueError, KeyError, TypeError):
            return None, "body is not {\"%s\": {...}}" % outer
        if not isinstance(inner, dict):
            return None, "%s is not an object" % outer
        txid = inner.get("transactionId")
        for f in fields:
            if not isinstance(inner.get(f), str) or not inner[f]:
                return txid, "missing or empty %s" % f
        for f in ("caConfiguration", "certificateAuthority"):
            if inner.get(f) is not None and not isinstance(inner[f], str):
                return txid, "%s is not a string" % f
        if action == "failureNotification" and (
                not isinstance(inner.get("hResult"), int) or
                len(inner["errorDescription"]) > 255):
            return txid, "bad hResult or errorDescription"
        try:
            csr = base64.b64decode(inner["certificateRequest"],
                                   validate=True)
        except binascii.Error:
            csr = b""
        if not csr.startswith(b"\x30"):
            return txid, "certificateRequest is not base64 DER"
        return txid, None

    def scep_action(self, url, path, text):
        action = path.rsplit("/", 1)[1]
        if not self.bearer(self.st.args.intune_scope):
            return
        if self.headers.get("api-version") != "2018-02-20":
            self.send(400, {"code": "Unknown",
                            "errorDescription": "api-version missing"})
            return
        txid, problem = self.scep_problem(action, text)
        spec = self.st.next_script(action, txid)
        if self.scripted(spec):
            return
        if problem:
            self.send(400, {"code": "Unknown", "errorDescription": problem})
            return
        code = spec.get("code", "Success")
        self.send(200, {"code": code, "errorDescription":
                        spec.get("desc", "" if code == "Success" else
                                 "scripted " + code)})

    # -- Graph: directory ---------------------------------------------------

    def graph(self, url, path, text):
        if not self.bearer(self.st.args.graph_scope):
            return
        if self.scripted(self.st.next_script("graph", None)):
            return
        query = dict(urllib.parse.parse_qsl(url.query))
        select = query.get("$select")
        m = re.fullmatch(r"/v1\.0/devices\(deviceId='([^']*)'\)", path)
        if m:
            return self.one("devices", self.find("devices", "deviceId",
                                                 m.group(1)), select)
        if path == "/v1.0/devices" and "$filter" in query:
            f = re.fullmatch(r"deviceId eq '([^']*)'", query["$filter"])
            if not f:
                return self.graph_error(400, "Request_UnsupportedQuery",
                                        "unsupported filter")
            obj = self.find("devices", "deviceId", f.group(1))
            return self.send(200, {"value": [self.pick(obj, select)]
                                   if obj else []})
        m = re.fullmatch(r"/v1\.0/(devices|users)/delta", path)
        if m:
            return self.delta(m.group(1), query)
        m = re.fullmatch(r"/(v1\.0|beta)/deviceManagement/managedDevices/"
                         r"([^/]+)", path)
        if m:
            obj = self.find("managedDevices", "id", m.group(2))
            if obj and m.group(1) == "v1.0":
                obj = {k: v for k, v in obj.items()
                       if k != "managementState"}
            return self.one("managedDevices", obj, select)
        m = re.fullmatch(r"/v1\.0/users(?:/([^/(]+)|\('([^']+)'\))", path)
        if m:
            key = m.group(1) or m.group(2)
            if key.startswith("$") and m.group(1):
                return self.graph_error(400, "Request_BadRequest",
                                        "a UPN starting with $ needs "
                                        "users('UPN')")
            obj = self.find("users", "id", key) or \
                self.find("users", "userPrincipalName", key)
            if obj and not select:
                obj = {k: v for k, v in obj.items() if k in USER_DEFAULT}
            return self.one("users", obj, select)
        m = re.fullmatch(r"/v1\.0/identityProtection/riskyUsers/([^/]+)",
                         path)
        if m:
            return self.one("riskyUsers", self.find("riskyUsers", "id",
                                                    m.group(1)), select)
        self.graph_error(400, "Request_BadRequest", "unsupported query")

    def find(self, kind, field, value):
        with self.st.lock:
            for obj in self.st.dir[kind].values():
                v = obj.get(field)
                if isinstance(v, str) and v.lower() == value.lower():
                    return dict(obj)
        return None

    @staticmethod
    def pick(obj, select):
        if not select:
            return obj
        keys = select.split(",")
        return {k: v for k, v in obj.items() if k in keys}

    def one(self, kind, obj, select):
        if obj is None:
            return self.graph_error(
                404, "Request_ResourceNotFound",
                "Resource does not exist or one of its queried "
                "reference-property objects are not present.")
        out = {"@odata.context": "https://graph.microsoft.com/v1.0/"
               "$metadata#%s/$entity" % kind}
        out.update(self.pick(obj, select))
        return self.send(200, out)

    def delta(self, kind, query):
        """All objects, or what changed since $deltatoken, and a new link."""
        with self.st.lock:
            seq, table = self.st.seq, dict(self.st.dir[kind])
            since = query.get("$deltatoken")
            if since is None:
                value = list(table.values())
            else:
                ids = []
                for s, k, oid in self.st.changes:
                    if s > int(since) and k == kind and oid not in ids:
                        ids.append(oid)
                value = [table[i] if i in table else
                         {"id": i, "@removed": {"reason": "deleted"}}
                         for i in ids]
        link = "%s/v1.0/%s/delta?$deltatoken=%d" % (self.base_url(), kind,
                                                    seq)
        self.send(200, {"value": value, "@odata.deltaLink": link})


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file")
    ap.add_argument("--log", required=True)
    ap.add_argument("--tenant", default="contoso.onmicrosoft.com")
    ap.add_argument("--client-id", required=True)
    ap.add_argument("--secret-file", required=True)
    ap.add_argument("--client-cert", help="certificate for assertions")
    ap.add_argument("--app-id", default="0000000a-0000-0000-c000-000000000000")
    ap.add_argument("--graph-scope",
                    default="https://graph.microsoft.com/.default")
    ap.add_argument("--intune-scope",
                    default="https://api.manage.microsoft.com//.default")
    args = ap.parse_args()

    srv = Server(("127.0.0.1", args.port), Handler)
    srv.state = State(args)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(args.cert, args.key)
    # The handshake runs in the request's thread, not in accept().
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True,
                                 do_handshake_on_connect=False)
    port = srv.server_address[1]
    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % port)
        os.rename(tmp, args.port_file)
    print(port, flush=True)
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        if srv.state.pubkey:
            os.unlink(srv.state.pubkey)


if __name__ == "__main__":
    sys.exit(main())
