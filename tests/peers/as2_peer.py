#!/usr/bin/env python3
"""Independent AS2 peer for Chargegate's interop tests, built on pyas2lib 1.4.4.

serve: an HTTP server that receives AS2 messages with pyas2lib, writes each payload into
       --out-dir (named after the message id) and answers with pyas2lib's MDN (signed when
       asked): in the response, or, when the sender asked for an asynchronous one, posted to its
       Receipt-Delivery-Option URL after --async-delay-ms (--async-mdn never: not at all, to
       test a sender's resends). Every POST's Message-ID is appended to <out-dir>/posts.log.
       Prints "LISTENING <port>" once ready; runs until killed.
send:  builds a message with pyas2lib (compressed, signed and/or encrypted as told), posts it to
       --url, parses the MDN (from the response, or posted to a listener this peer opens for async
       MDNs) with pyas2lib and prints one JSON verdict line, including the MIC check.
       --compress before-sign is pyas2lib's own order (compress, sign, encrypt); after-sign
       signs first and compresses the signed entity, as other AS2 products do, from pyas2lib's
       CMS functions.
"""
import argparse
import http.server
import json
import os
import re
import socket
import sys
import threading


def _import_pyas2lib():
    # oscrypto 1.3.0 expects a one-digit patch level in the OpenSSL version ("3.0.9") and fails
    # on "3.0.19"; widen its regex only while oscrypto loads instead of patching site-packages.
    original = re.search

    def widened(pattern, string, *args, **kwargs):
        if pattern == "\\b(\\d\\.\\d\\.\\d[a-z]*)\\b":
            pattern = "\\b(\\d\\.\\d\\.\\d+[a-z]*)\\b"
        return original(pattern, string, *args, **kwargs)

    re.search = widened
    try:
        import oscrypto.asymmetric  # noqa: F401
    finally:
        re.search = original
    import pyas2lib
    return pyas2lib


as2 = _import_pyas2lib()


def read(path):
    with open(path, "rb") as f:
        return f.read()


def organization(args, mdn_url=None):
    key_and_cert = read(args.org_key) + b"\n" + read(args.org_cert)
    decrypt = key_and_cert
    if args.org_decrypt_key:  # a key senders did not encrypt to: negative MDNs, signed as usual
        decrypt = read(args.org_decrypt_key) + b"\n" + read(args.org_decrypt_cert)
    return as2.Organization(
        as2_name=args.org_id,
        sign_key=key_and_cert,
        decrypt_key=decrypt,
        mdn_url=mdn_url,
    )


def partner(args, **settings):
    cert = read(args.partner_cert)
    return as2.Partner(
        as2_name=args.partner_id,
        verify_cert=cert,
        encrypt_cert=read(args.partner_encrypt_cert) if args.partner_encrypt_cert else cert,
        validate_certs=False,
        **settings,
    )


def raw_http(headers, body):
    """pyas2lib parses HTTP headers followed by the body as one MIME message."""
    head = "".join(f"{k}: {v}\r\n" for k, v in headers.items()).encode("utf-8")
    return head + b"\r\n" + body


def serve(args):
    org = organization(args)
    known = partner(args)
    seen = set()
    os.makedirs(args.out_dir, exist_ok=True)

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *a):  # keep test output quiet
            pass

        def do_POST(self):
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            with open(os.path.join(args.out_dir, "posts.log"), "a") as f:
                f.write(f"{self.headers.get('Message-ID', '')}\n")
            raw = raw_http(dict(self.headers.items()), body)
            message = as2.Message()
            status, exception, mdn = message.parse(
                raw,
                find_org_cb=lambda name: org if name == org.as2_name else None,
                find_partner_cb=lambda name: known if name == known.as2_name else None,
                find_message_cb=lambda mid, pid: (mid, pid) in seen,
            )
            if status == "processed":
                seen.add((message.message_id, known.as2_name))
                name = re.sub(r"[^A-Za-z0-9._-]", "_", message.message_id)
                with open(os.path.join(args.out_dir, name), "wb") as f:
                    f.write(message.content)
                with open(os.path.join(args.out_dir, name + ".json"), "w") as f:
                    json.dump({"status": status, "signed": message.signed,
                               "encrypted": message.encrypted,
                               "mic": message.mic.decode() if message.mic else None}, f)
            else:
                sys.stderr.write(f"peer: receive failed: {exception[0]!r}\n")
            if mdn is not None and mdn.mdn_mode == "SYNC":
                content = mdn.content
                self.send_response(200)
                for k, v in mdn.headers.items():
                    self.send_header(k, v.replace("\r", "").replace("\n", " "))
                self.send_header("Content-Length", str(len(content)))
                self.end_headers()
                self.wfile.write(content)
            else:
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()
                if mdn is not None and mdn.mdn_mode == "ASYNC" and args.async_mdn == "post":
                    threading.Thread(target=post_async_mdn, args=(mdn,), daemon=True).start()

    def post_async_mdn(mdn):
        threading.Event().wait(args.async_delay_ms / 1000)
        try:
            post(mdn.mdn_url, mdn.headers, mdn.content)
        except Exception as e:  # the test sees the missing MDN; say why here
            sys.stderr.write(f"peer: async MDN to {mdn.mdn_url} failed: {e!r}\n")

    server = http.server.ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    print(f"LISTENING {server.server_address[1]}", flush=True)
    server.serve_forever()


class AsyncMdnListener:
    """Receives one async MDN POST on a loopback port."""

    def __init__(self):
        self.received = threading.Event()
        self.raw = None
        listener = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, fmt, *a):
                pass

            def do_POST(self):
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                listener.raw = raw_http(dict(self.headers.items()), body)
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()
                listener.received.set()

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/mdn"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def post(url, headers, body):
    import urllib.request
    request = urllib.request.Request(url, data=body, method="POST")
    for k, v in headers.items():
        request.add_header(k, v.replace("\r", "").replace("\n", " "))
    with urllib.request.urlopen(request, timeout=60) as response:
        return response.status, dict(response.headers.items()), response.read()


def compress_after_signing(message, receiver, enc_alg):
    """The headers and body of `message` (built signed, not encrypted or compressed) with its
    signed entity compressed, then encrypted if `enc_alg` is not "none"."""
    from email import message as email_message
    from pyas2lib.cms import compress_message, encrypt_message
    from pyas2lib.utils import mime_to_bytes

    signed_type = message.payload.get("Content-Type").replace("\r", "").replace("\n", " ")
    signed_entity = f"Content-Type: {signed_type}\r\n\r\n".encode() + message.content
    headers = {k: v for k, v in message.headers.items()
               if k.lower() not in ("content-type", "mime-version")}
    compressed = email_message.Message()
    compressed.set_type("application/pkcs7-mime")
    compressed.set_param("name", "smime.p7z")
    compressed.set_param("smime-type", "compressed-data")
    compressed.add_header("Content-Disposition", "attachment", filename="smime.p7z")
    compressed.add_header("Content-Transfer-Encoding", "binary")
    compressed.set_payload(compress_message(signed_entity))
    del compressed["MIME-Version"]
    if enc_alg == "none":
        headers.update({k: v for k, v in compressed.items()})
        return headers, compress_message(signed_entity)
    body = encrypt_message(mime_to_bytes(compressed), enc_alg, receiver.load_encrypt_cert())
    headers.update({
        "Content-Type": 'application/pkcs7-mime; name="smime.p7m"; smime-type=enveloped-data',
        "Content-Disposition": 'attachment; filename="smime.p7m"',
        "Content-Transfer-Encoding": "binary",
    })
    return headers, body


def send(args):
    listener = AsyncMdnListener() if args.mdn == "async" else None
    org = organization(args, mdn_url=listener.url if listener else None)
    after_sign = args.compress == "after-sign" and args.sign != "none"
    receiver = partner(
        args,
        # Signed then compressed: built signed only, then compressed and encrypted here.
        encrypt=args.enc_alg != "none" and not after_sign,
        enc_alg=args.enc_alg if args.enc_alg != "none" else "tripledes_192_cbc",
        sign=args.sign != "none",
        digest_alg=args.sign if args.sign != "none" else "sha256",
        compress=args.compress != "none" and not after_sign,
        mdn_mode={"sync": "SYNC", "async": "ASYNC", "none": None}[args.mdn],
        mdn_digest_alg=None if args.mdn_signed == "none" else args.mdn_signed,
    )
    message = as2.Message(org, receiver)
    message.build(read(args.file), filename=os.path.basename(args.file),
                  content_type="application/edi-x12", message_id=args.message_id)
    if after_sign:
        request_headers, request_body = compress_after_signing(message, receiver, args.enc_alg)
    else:
        request_headers, request_body = message.headers, message.content
    status_code, headers, body = post(args.url, request_headers, request_body)
    verdict = {"http_status": status_code, "message_id": message.message_id,
               "expected_mic": message.mic.decode() if message.mic else None}
    raw_mdn = None
    if args.mdn == "sync":
        raw_mdn = raw_http(headers, body)
    elif args.mdn == "async":
        if not listener.received.wait(60):
            verdict["status"] = "no-async-mdn"
        raw_mdn = listener.raw
    if raw_mdn is not None:
        mdn = as2.Mdn()
        status, detailed = mdn.parse(
            raw_mdn, find_message_cb=lambda mid, recipient: message if mid == message.message_id else None)
        found = re.search(rb"Received-Content-MIC:\s*([^,\r\n]+)\s*,\s*([^\r\n]+)", raw_mdn, re.I)
        verdict.update({
            "status": status,
            "detailed_status": detailed,
            "mdn_signed": b"multipart/signed" in raw_mdn.split(b"\r\n\r\n", 1)[0].lower(),
            "mdn_mic": found.group(1).decode().strip() if found else None,
            "mdn_mic_alg": found.group(2).decode().strip() if found else None,
        })
        verdict["mic_ok"] = bool(verdict["mdn_mic"]) and verdict["mdn_mic"] == verdict["expected_mic"]
    print(json.dumps(verdict), flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("mode", choices=["serve", "send"])
    parser.add_argument("--org-id", required=True)
    parser.add_argument("--org-key", required=True)
    parser.add_argument("--org-cert", required=True)
    parser.add_argument("--org-decrypt-key", help="decrypt with this key instead (tests)")
    parser.add_argument("--org-decrypt-cert", help="the certificate of --org-decrypt-key")
    parser.add_argument("--partner-id", required=True)
    parser.add_argument("--partner-cert", required=True)
    parser.add_argument("--partner-encrypt-cert", help="encrypt to this certificate instead (tests)")
    parser.add_argument("--out-dir")
    parser.add_argument("--url")
    parser.add_argument("--file")
    parser.add_argument("--message-id")
    parser.add_argument("--enc-alg", default="aes_256_cbc",
                        choices=["aes_128_cbc", "aes_192_cbc", "aes_256_cbc", "tripledes_192_cbc", "none"])
    parser.add_argument("--sign", default="sha256", choices=["sha1", "sha256", "sha384", "sha512", "none"])
    parser.add_argument("--compress", default="none", choices=["none", "before-sign", "after-sign"],
                        help="send: compress the payload before signing (pyas2lib's order) or "
                             "the signed entity after signing")
    parser.add_argument("--mdn", default="sync", choices=["sync", "async", "none"])
    parser.add_argument("--mdn-signed", default="sha256", choices=["sha1", "sha256", "sha384", "sha512", "none"])
    parser.add_argument("--port", type=int, default=0, help="serve: listen here (0: any free port)")
    parser.add_argument("--async-mdn", default="post", choices=["post", "never"],
                        help="serve: post asynchronous MDNs that senders ask for, or never")
    parser.add_argument("--async-delay-ms", type=int, default=200,
                        help="serve: wait this long before posting an asynchronous MDN")
    args = parser.parse_args()
    if args.mode == "serve":
        serve(args)
    else:
        send(args)


if __name__ == "__main__":
    main()
