#!/usr/bin/env node
// A FHIR-shaped server that misbehaves on cue, for the C++ FHIR client's failure tests.
//
//   node fault-server.mjs --cert DIR [--untrusted] [--exit-with-parent]
//
// DIR holds the files made by make-test-certs.sh. Four listeners on 127.0.0.1, ports chosen by the OS:
//   http              plain HTTP
//   https             TLS, server.pem (localhost + 127.0.0.1, signed by ca.pem)
//   https_wrong_name  TLS, wrong-name.pem (wrong.example only, signed by ca.pem)
//   https_untrusted   TLS, untrusted.pem (localhost + 127.0.0.1, signed by untrusted-ca.pem)
// Ready line (exactly one, on stdout):
//   listening http=<p1> https=<p2> https_wrong_name=<p3> https_untrusted=<p4>
// The FHIR base picks the behaviour: <scheme>://127.0.0.1:<port>/<mode>/fhir  (see README.md).

import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import { parseArgs } from 'node:util';

const FHIR_JSON = 'application/fhir+json; charset=utf-8';
const MAX_OVERSIZE = 2 * 1024 * 1024 * 1024; // 2 GiB; streamed, never held in memory
const MAX_SLOW_MS = 10 * 60 * 1000;

function usage(message) {
  if (message) {
    process.stderr.write(`fault-server: ${message}\n`);
  }
  process.stderr.write('usage: node fault-server.mjs --cert DIR [--untrusted] [--exit-with-parent]\n');
  process.exit(2);
}

function parseCli() {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        cert: { type: 'string' },
        // The untrusted listener is always on; the flag is accepted for compatibility.
        untrusted: { type: 'boolean', default: false },
        'exit-with-parent': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    usage(err.message);
  }
  if (values.help) {
    usage();
  }
  if (!values.cert) {
    usage('--cert DIR is required (make it with make-test-certs.sh DIR)');
  }
  return { certDir: values.cert, exitWithParent: values['exit-with-parent'] };
}

function readPair(dir, name) {
  try {
    return {
      cert: fs.readFileSync(path.join(dir, `${name}.pem`)),
      key: fs.readFileSync(path.join(dir, `${name}.key`)),
    };
  } catch (err) {
    process.stderr.write(`fault-server: cannot read ${name}.pem/.key in ${dir}: ${err.message}\n`);
    process.exit(1);
  }
}

// ---------------------------------------------------------------------------------------------
// Canned FHIR content

function outcome(code, text, severity = 'error') {
  return { resourceType: 'OperationOutcome', issue: [{ severity, code, details: { text } }] };
}

function patient(id) {
  return { resourceType: 'Patient', id, birthDate: '1990-01-01', gender: 'female' };
}

function observation(k, subject) {
  const obs = {
    resourceType: 'Observation',
    id: `obs-${k}`,
    status: 'final',
    category: [
      {
        coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'laboratory' }],
      },
    ],
    code: { coding: [{ system: 'http://loinc.org', code: '1988-5', display: 'C reactive protein' }], text: 'CRP' },
    effectiveDateTime: new Date(Date.UTC(2024, 0, 1) + k * 86_400_000).toISOString().slice(0, 10),
    valueQuantity: { value: k, unit: 'mg/L', system: 'http://unitsofmeasure.org', code: 'mg/L' },
  };
  if (subject) {
    obs.subject = { reference: subject };
  }
  return obs;
}

function searchset(selfUrl, entries, { total, next } = {}) {
  const link = [{ relation: 'self', url: selfUrl }];
  if (next) {
    link.push({ relation: 'next', url: next });
  }
  const bundle = { resourceType: 'Bundle', type: 'searchset', total: total ?? entries.length, link };
  if (entries.length > 0) {
    bundle.entry = entries.map((resource) => ({
      fullUrl: `${selfUrl.slice(0, selfUrl.indexOf('/fhir/') + 5)}/${resource.resourceType}/${resource.id}`,
      resource,
      search: { mode: 'match' },
    }));
  }
  return bundle;
}

function capabilityStatement() {
  return {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date: '2024-01-01',
    kind: 'instance',
    fhirVersion: '4.0.1',
    format: ['application/fhir+json'],
    rest: [{ mode: 'server' }],
  };
}

// ---------------------------------------------------------------------------------------------
// Request handling

function sendBody(res, status, body, contentType = FHIR_JSON, extra = {}) {
  if (res.destroyed || res.writableEnded) {
    return;
  }
  const data = Buffer.from(typeof body === 'string' ? body : JSON.stringify(body), 'utf8');
  res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': data.length, ...extra });
  res.end(data);
}

function sendJson(res, status, body) {
  sendBody(res, status, body, 'application/json');
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function drain(req) {
  return new Promise((resolve) => {
    req.on('data', () => {});
    req.on('end', resolve);
    req.on('error', resolve);
    req.on('close', resolve);
  });
}

// Parses "/<mode>/fhir/<rest>" → { mode, segments } or undefined.
function parseFhirPath(pathname) {
  const parts = pathname.split('/');
  // ['', mode, 'fhir', ...rest]
  if (parts.length < 3 || parts[0] !== '' || !parts[1] || parts[2] !== 'fhir') {
    return undefined;
  }
  return { mode: parts[1], segments: parts.slice(3).filter(Boolean) };
}

class FaultServer {
  constructor() {
    this.log = [];
    this.flakySeen = new Set();
    this.hanging = new Set();
  }

  handler(listener) {
    return (req, res) => {
      this.handle(listener, req, res).catch((err) => {
        process.stderr.write(`fault-server: ${err?.stack ?? err}\n`);
        if (!res.headersSent) {
          sendBody(res, 500, outcome('exception', 'Internal error in fault server'));
        } else {
          res.destroy();
        }
      });
    };
  }

  async handle(listener, req, res) {
    const url = req.url ?? '/';
    const qIndex = url.indexOf('?');
    const pathname = qIndex < 0 ? url : url.slice(0, qIndex);
    const rawQuery = qIndex < 0 ? '' : url.slice(qIndex + 1);

    if (pathname === '/__log') {
      return req.method === 'GET' ? sendJson(res, 200, { requests: this.log }) : sendJson(res, 405, { error: 'GET only' });
    }
    if (pathname === '/__reset-log' || pathname === '/__reset-flaky' || pathname === '/__reset') {
      if (req.method !== 'POST') {
        return sendJson(res, 405, { error: 'POST only' });
      }
      if (pathname !== '/__reset-flaky') {
        this.log = [];
      }
      if (pathname !== '/__reset-log') {
        this.flakySeen.clear();
      }
      return sendJson(res, 200, { ok: true });
    }

    const parsed = parseFhirPath(pathname);
    if (!parsed) {
      return sendBody(res, 404, outcome('not-found', `No such path: ${pathname} (expected /<mode>/fhir/...)`));
    }

    this.log.push({
      listener: listener.name,
      method: req.method,
      url,
      host: req.headers.host ?? null,
      authorization: req.headers.authorization ?? null,
    });

    const { mode, segments } = parsed;

    // Modes that act before the request body is read.
    if (mode === 'reset') {
      const socket = req.socket;
      try {
        // A real TCP RST (SO_LINGER 0). For TLS, on the TCP socket under the TLS one.
        const tcp = listener.tls ? socket._parent : socket;
        if (tcp && typeof tcp.resetAndDestroy === 'function') {
          tcp.resetAndDestroy();
          if (tcp !== socket) {
            socket.destroy();
          }
        } else {
          socket.destroy();
        }
      } catch {
        socket.destroy();
      }
      return undefined;
    }
    if (mode === 'hang') {
      // Read the request and never answer. Consume the body so the client's send completes.
      req.on('data', () => {});
      this.hanging.add(res);
      res.on('close', () => this.hanging.delete(res));
      return undefined;
    }

    await drain(req);

    const ctx = {
      listener,
      req,
      res,
      url,
      pathname,
      rawQuery,
      segments,
      query: new URLSearchParams(rawQuery),
      scheme: listener.tls ? 'https' : 'http',
      hostPort: this.hostPort(listener, req),
    };
    ctx.origin = `${ctx.scheme}://${ctx.hostPort}`;
    ctx.selfUrl = `${ctx.origin}${url}`;

    let m;
    if (mode === 'ok') {
      return this.ok(ctx);
    }
    if ((m = /^slow-(\d+)$/.exec(mode))) {
      const ms = Math.min(Number(m[1]), MAX_SLOW_MS);
      await sleep(ms);
      return this.ok(ctx);
    }
    if ((m = /^status-(\d{3})$/.exec(mode))) {
      return this.statusReply(ctx, Number(m[1]));
    }
    if ((m = /^flaky-(\d{3})$/.exec(mode))) {
      // Distinct path+query (the mode is part of the path), counted per listener.
      const key = `${listener.name} ${url}`;
      if (!this.flakySeen.has(key)) {
        this.flakySeen.add(key);
        return this.statusReply(ctx, Number(m[1]), true);
      }
      return this.ok(ctx);
    }
    if (mode === 'malformed') {
      return sendBody(res, 200, '{"resourceType":"Bundle","type":"searchset","entry":[');
    }
    if (mode === 'html') {
      return sendBody(res, 200, '<html>login</html>', 'text/html; charset=utf-8');
    }
    if (mode === 'next-other-host' || mode === 'next-other-port' || mode === 'next-http-downgrade') {
      return this.nextElsewhere(ctx, mode);
    }
    if (mode === 'page-loop') {
      if (!this.isSearch(ctx)) {
        return this.ok(ctx);
      }
      return sendBody(res, 200, searchset(ctx.selfUrl, [observation(1, this.subjectOf(ctx))], { next: ctx.selfUrl }));
    }
    if ((m = /^pages-(\d+)$/.exec(mode))) {
      return this.pages(ctx, Number(m[1]));
    }
    if ((m = /^oversized-(chunked-)?(\d+)$/.exec(mode))) {
      return this.oversized(ctx, Number(m[2]), Boolean(m[1]));
    }
    if (mode === 'redirect') {
      const rest = pathname.slice('/redirect'.length); // "/fhir/..."
      const location = `${ctx.origin}/ok${rest}${rawQuery ? `?${rawQuery}` : ''}`;
      return sendBody(res, 302, outcome('informational', `Moved to ${location}`, 'information'), FHIR_JSON, {
        Location: location,
      });
    }
    return sendBody(res, 404, outcome('not-found', `Unknown fault mode '${mode}'`));
  }

  hostPort(listener, req) {
    const host = req.headers.host;
    if (host && /^[A-Za-z0-9.\-]+(:\d+)?$|^\[[0-9A-Fa-f:.]+\](:\d+)?$/.test(host)) {
      return host;
    }
    return `127.0.0.1:${listener.port}`;
  }

  isSearch(ctx) {
    return ctx.req.method === 'GET' && ctx.segments.length === 1 && ctx.segments[0] !== 'metadata';
  }

  subjectOf(ctx) {
    const value = ctx.query.get('patient') ?? ctx.query.get('subject');
    if (!value) {
      return undefined;
    }
    return value.includes('/') ? value : `Patient/${value}`;
  }

  ok(ctx) {
    const { req, res, segments } = ctx;
    if (req.method !== 'GET') {
      return sendBody(res, 405, outcome('not-supported', `${req.method} is not supported by the fault server`));
    }
    if (segments.length === 1 && segments[0] === 'metadata') {
      return sendBody(res, 200, capabilityStatement());
    }
    if (segments.length === 1) {
      return sendBody(res, 200, searchset(ctx.selfUrl, [], { total: 0 }));
    }
    if (segments.length === 2 && segments[0] === 'Patient') {
      return sendBody(res, 200, patient(segments[1]));
    }
    if (segments.length === 2) {
      return sendBody(res, 404, outcome('not-found', `${segments[0]}/${segments[1]} is not known`));
    }
    return sendBody(res, 400, outcome('not-supported', 'Unsupported interaction'));
  }

  statusReply(ctx, code, retryAfter = false) {
    if (code < 200 || code > 599) {
      return sendBody(ctx.res, 400, outcome('invalid', `status-${code}: only 200..599 can be injected`));
    }
    const headers = {};
    if (retryAfter || code === 429 || code === 503) {
      headers['Retry-After'] = '0';
    }
    if (code === 401) {
      headers['WWW-Authenticate'] = 'Bearer realm="fhir"';
    }
    return sendBody(ctx.res, code, outcome('exception', `Injected HTTP ${code}`), FHIR_JSON, headers);
  }

  nextElsewhere(ctx, mode) {
    if (!this.isSearch(ctx)) {
      return this.ok(ctx);
    }
    const page = Number(ctx.query.get('page') ?? '1');
    const subject = this.subjectOf(ctx);
    if (page >= 2) {
      // A client that does follow lands on a last page, so it never loops.
      return sendBody(ctx.res, 200, searchset(ctx.selfUrl, [observation(2, subject)]));
    }
    const port = ctx.listener.port;
    const tail = `/${mode}/fhir/${ctx.segments[0]}?page=2`;
    let next;
    if (mode === 'next-other-host') {
      next = `${ctx.scheme}://other.example:${port}${tail}`;
    } else if (mode === 'next-other-port') {
      next = `${ctx.scheme}://127.0.0.1:1${tail}`;
    } else {
      next = `http://${ctx.hostPort}${tail}`;
    }
    return sendBody(ctx.res, 200, searchset(ctx.selfUrl, [observation(1, subject)], { next }));
  }

  pages(ctx, n) {
    if (!this.isSearch(ctx)) {
      return this.ok(ctx);
    }
    if (n < 1) {
      return sendBody(ctx.res, 200, searchset(ctx.selfUrl, [], { total: 0 }));
    }
    const pageRaw = ctx.query.get('page') ?? '1';
    const page = /^\d+$/.test(pageRaw) ? Number(pageRaw) : NaN;
    if (!(page >= 1 && page <= n)) {
      return sendBody(ctx.res, 400, outcome('invalid', `page must be 1..${n}`));
    }
    let next;
    if (page < n) {
      const q = new URLSearchParams(ctx.rawQuery);
      q.set('page', String(page + 1));
      next = `${ctx.origin}${ctx.pathname}?${q.toString()}`;
    }
    return sendBody(ctx.res, 200, searchset(ctx.selfUrl, [observation(page, this.subjectOf(ctx))], { total: n, next }));
  }

  oversized(ctx, bytes, chunked) {
    const { res } = ctx;
    if (bytes > MAX_OVERSIZE) {
      return sendBody(res, 400, outcome('too-costly', `oversized: at most ${MAX_OVERSIZE} bytes`));
    }
    // Valid JSON: a searchset whose one Observation carries a long narrative div.
    const obs = observation(1, this.subjectOf(ctx));
    obs.text = { status: 'generated', div: '@@PAD@@' };
    const template = JSON.stringify(searchset(ctx.selfUrl, [obs], { total: 1 }));
    const marker = '"<div xmlns=\\"http://www.w3.org/1999/xhtml\\">';
    const [head, tail] = template.split('"@@PAD@@"');
    const prefix = Buffer.from(`${head}${marker}`, 'utf8');
    const suffix = Buffer.from(`</div>"${tail}`, 'utf8');
    const padLen = Math.max(0, bytes - prefix.length - suffix.length);
    const total = prefix.length + padLen + suffix.length;

    const headers = { 'Content-Type': FHIR_JSON };
    if (!chunked) {
      headers['Content-Length'] = total;
    }
    res.writeHead(200, headers); // without Content-Length node uses chunked encoding on HTTP/1.1

    const CHUNK = 64 * 1024;
    const filler = Buffer.alloc(CHUNK, 'x');
    let remaining = padLen;
    let closed = false;
    res.on('close', () => {
      closed = true;
    });
    res.write(prefix);
    const pump = () => {
      while (!closed && remaining > 0) {
        const n = Math.min(CHUNK, remaining);
        remaining -= n;
        const ok = res.write(n === CHUNK ? filler : filler.subarray(0, n));
        if (!ok) {
          res.once('drain', pump);
          return;
        }
      }
      if (!closed && remaining === 0) {
        res.end(suffix);
      }
    };
    pump();
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------

function listen(server) {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port: 0, host: '127.0.0.1', backlog: 512 }, () => {
      server.off('error', reject);
      resolve(server.address().port);
    });
  });
}

async function main() {
  const { certDir, exitWithParent } = parseCli();
  const trusted = readPair(certDir, 'server');
  const wrongName = readPair(certDir, 'wrong-name');
  const untrusted = readPair(certDir, 'untrusted');

  const fault = new FaultServer();
  const listeners = [
    { name: 'http', tls: false },
    { name: 'https', tls: true, pair: trusted },
    { name: 'https_wrong_name', tls: true, pair: wrongName },
    { name: 'https_untrusted', tls: true, pair: untrusted },
  ];
  const servers = [];
  for (const listener of listeners) {
    const handler = fault.handler(listener);
    const server = listener.tls ? https.createServer({ ...listener.pair }, handler) : http.createServer(handler);
    server.keepAliveTimeout = 65_000;
    server.headersTimeout = 66_000;
    server.requestTimeout = 0; // 'hang' must be able to hold a request for as long as the client waits
    server.on('clientError', (err, socket) => {
      if (socket.writable && !socket.destroyed) {
        socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
      } else {
        socket.destroy();
      }
    });
    // TLS handshake failures (a client rejecting our certificate) are expected; keep quiet.
    server.on('tlsClientError', () => {});
    listener.port = await listen(server);
    servers.push(server);
  }

  const shutdown = () => {
    for (const server of servers) {
      server.close();
      server.closeAllConnections();
    }
    process.exit(0);
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);

  process.stdout.write(
    `listening ${listeners.map((l) => `${l.name}=${l.port}`).join(' ')}\n`
  );

  if (exitWithParent) {
    const parent = process.ppid;
    setInterval(() => {
      if (process.ppid !== parent) {
        shutdown();
      }
    }, 500).unref();
  }
}

main().catch((err) => {
  process.stderr.write(`fault-server: ${err?.stack ?? err}\n`);
  process.exit(1);
});
