"""A minimal schema registry for the benches (no registry server can be installed on these
machines): Confluent's register and fetch-by-id endpoints, in memory. Usage: registry.py PORT"""
import json
import re
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

schemas = []  # (subject, schema, schemaType)


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def answer(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("content-type", "application/vnd.schemaregistry.v1+json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        m = re.fullmatch(r"/subjects/([^/]+)/versions", self.path.split("?")[0])
        if not m:
            return self.answer(404, {"error_code": 404})
        body = json.loads(self.rfile.read(int(self.headers["content-length"])))
        entry = (m.group(1), body["schema"], body.get("schemaType", "AVRO"))
        if entry not in schemas:
            schemas.append(entry)
        self.answer(200, {"id": schemas.index(entry) + 1})

    def do_GET(self):
        m = re.fullmatch(r"/schemas/ids/(\d+)", self.path.split("?")[0])
        if not m or not 0 < int(m.group(1)) <= len(schemas):
            return self.answer(404, {"error_code": 40403})
        _, schema, kind = schemas[int(m.group(1)) - 1]
        self.answer(200, {"schema": schema, "schemaType": kind})


ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
