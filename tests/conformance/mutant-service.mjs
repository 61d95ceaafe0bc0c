// A small CDS Hooks 2.0 service for testing cds-conformance itself (Node 20, no packages).
//
//   node mutant-service.mjs [--mutant NAME] [--port N] [--issuer ISS --jwks-url URL
//                           --audience URL] [--origin ORIGIN] [--exit-with-parent]
//
// With --mutant none it is a correct service (two services, patient-view and order-sign,
// prefetch, fetching what is missing from fhirServer with the given token, 412, JWT
// authentication against a JWKS URL, CORS, feedback), so the harness must pass it. Every
// other mutant breaks one family of the spec on purpose; the harness must fail the checks of
// that family (tests/conformance/conformance_test.cpp holds the expected lists).
// Ready line on stdout: "listening <port>".
import { createServer } from 'node:http';
import { createPublicKey, verify as verifySignature, randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';

const MUTANTS = {
  none: 'a correct service',
  discovery: 'services without description/title, bad prefetch tokens, shapes and queries',
  'discovery-status': 'discovery answers 202',
  'discovery-shape': 'discovery is text/plain and services is not an array',
  status: 'hook calls answer 201; malformed requests and unknown services answer 200',
  response: 'cards is not an array; systemActions is not an array; slow; cards for everyone',
  cards: 'long summary, bad indicator, uuid, detail, source, icon, override reasons, nulls',
  suggestions: 'no selectionBehavior, bad suggestions and actions',
  links: 'relative link URL, unknown link type, appContext on an absolute link',
  'prefetch-null': 'null prefetch keys and sent keys are fetched anyway',
  'prefetch-fetch': 'nothing is ever fetched from fhirServer; OperationOutcome taken as data',
  'prefetch-token': 'FHIR calls without the access token',
  precondition: 'answers 200 with no cards when the patient cannot be had',
  auth: 'accepts any token, or none',
  'auth-reject': 'refuses every token on hook calls',
  cors: 'preflight without Allow-Headers, wildcard with credentials, no CORS on calls',
  feedback: 'refuses valid feedback and accepts garbage',
};

const { values: opts } = parseArgs({
  options: {
    mutant: { type: 'string', default: 'none' },
    port: { type: 'string', default: '0' },
    issuer: { type: 'string', default: '' },
    'jwks-url': { type: 'string', default: '' },
    audience: { type: 'string', default: '' },
    origin: { type: 'string', default: '' },
    'exit-with-parent': { type: 'boolean', default: false },
  },
  strict: true,
});
const M = opts.mutant;
if (!(M in MUTANTS)) {
  process.stderr.write(`unknown mutant ${M}; one of: ${Object.keys(MUTANTS).join(', ')}\n`);
  process.exit(2);
}

// ---------------------------------------------------------------- discovery

const SERVICES = [
  {
    id: 'mock-patient-view',
    hook: 'patient-view',
    title: 'Mock IBD check',
    description: 'Says when Crohn\'s disease is on record.',
    prefetch: {
      patient: 'Patient/{{context.patientId}}',
      conditions: 'Condition?patient={{context.patientId}}',
      medications: 'MedicationStatement?patient={{context.patientId}}',
    },
  },
  {
    id: 'mock-order-sign',
    hook: 'order-sign',
    title: 'Mock order check',
    description: 'Proposes to remove draft orders for patients with Crohn\'s disease.',
    prefetch: {
      patient: 'Patient/{{context.patientId}}',
      conditions: 'Condition?patient={{context.patientId}}',
    },
  },
];

function discovery() {
  const services = structuredClone(SERVICES);
  if (M === 'discovery') {
    delete services[0].description;
    delete services[1].title;
    services[1].prefetch.conditions = 'Condition?patient={{patientId}}';
    services[1].prefetch.observations =
      'Observation?patient={{context.patientId}}&_include=Observation:subject';
    services[1].prefetch.extra = 42;
    services[1].usageRequirements = '';
    return { services, extension: { mock: { version: 1 } } };
  }
  return { services, extension: { 'org.example.mock': { version: 1 } } };
}

// ---------------------------------------------------------------- authentication

const seenJti = new Set();
let jwksCache = null;

async function keyFor(kid) {
  if (!jwksCache || !jwksCache.keys.some((k) => k.kid === kid)) {
    const r = await fetch(opts['jwks-url']);
    jwksCache = await r.json();
  }
  return jwksCache.keys.find((k) => k.kid === kid);
}

function b64json(part) {
  return JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
}

// null when the call may go on, else the reason for a 401.
async function authenticate(req, path) {
  if (!opts['jwks-url'] || M === 'auth') return null;
  if (M === 'auth-reject' && path !== '/cds-services') return 'refusing every hook call';
  const h = req.headers.authorization || '';
  if (!h.startsWith('Bearer ')) return 'no token';
  const parts = h.slice(7).split('.');
  if (parts.length !== 3) return 'not a JWS';
  let header, claims;
  try {
    header = b64json(parts[0]);
    claims = b64json(parts[1]);
  } catch {
    return 'unreadable';
  }
  const hashes = { ES256: 'sha256', ES384: 'sha384' };
  if (!(header.alg in hashes)) return 'algorithm';
  if (header.jku) return 'jku not allowed';
  if (claims.iss !== opts.issuer) return 'issuer';
  const jwk = await keyFor(header.kid);
  if (!jwk) return 'kid';
  const ok = verifySignature(
    hashes[header.alg],
    Buffer.from(`${parts[0]}.${parts[1]}`),
    { key: createPublicKey({ key: jwk, format: 'jwk' }), dsaEncoding: 'ieee-p1363' },
    Buffer.from(parts[2], 'base64url'),
  );
  if (!ok) return 'signature';
  const now = Math.floor(Date.now() / 1000);
  if (typeof claims.exp !== 'number' || claims.exp < now) return 'expired';
  const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (!aud.includes((opts.audience || `http://127.0.0.1:${port}`) + path)) return 'audience';
  if (seenJti.has(claims.jti)) return 'replay';
  seenJti.add(claims.jti);
  return null;
}

// ---------------------------------------------------------------- data

function render(template, context) {
  let ok = true;
  const out = template.replace(/\{\{\s*context\.([A-Za-z]+)\s*\}\}/g, (_, f) => {
    if (typeof context[f] !== 'string') ok = false;
    return encodeURIComponent(context[f] ?? '');
  });
  return ok && !out.includes('{{') ? out : null;
}

async function fetchKey(request, query) {
  if (!request.fhirServer || M === 'prefetch-fetch') return undefined;
  const headers = { accept: 'application/fhir+json' };
  if (request.fhirAuthorization && M !== 'prefetch-token')
    headers.authorization = `Bearer ${request.fhirAuthorization.access_token}`;
  try {
    const r = await fetch(`${request.fhirServer}/${query}`, { headers });
    return r.status === 200 ? await r.json() : undefined;
  } catch {
    return undefined;
  }
}

// key -> resource/Bundle, null (no data), or undefined (could not be had).
async function gather(service, request) {
  const data = {};
  const prefetch = request.prefetch || {};
  await Promise.all(
    Object.entries(service.prefetch).map(async ([key, template]) => {
      const query = typeof template === 'string' ? render(template, request.context) : null;
      const sent = prefetch[key];
      const isOutcome = sent && sent.resourceType === 'OperationOutcome';
      if (sent === null && M !== 'prefetch-null') {
        data[key] = null;
      } else if (sent !== undefined && sent !== null && (!isOutcome || M === 'prefetch-fetch')) {
        data[key] = sent;
        if (M === 'prefetch-null' && query) await fetchKey(request, query);
      } else {
        data[key] = query ? await fetchKey(request, query) : undefined;
      }
    }),
  );
  return data;
}

function entries(bundle) {
  return bundle && bundle.resourceType === 'Bundle' ? (bundle.entry || []).map((e) => e.resource) : [];
}

// ---------------------------------------------------------------- cards

const PNG_16 = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]),
  Buffer.from('IHDR'),
  Buffer.from([0, 0, 0, 16, 0, 0, 0, 16, 8, 6, 0, 0, 0]),
]);

function crohnsCard(service, request, data) {
  const conditions = entries(data.conditions);
  const crohns = conditions.filter((c) =>
    /crohn|colitis/i.test(JSON.stringify(c.code || {})),
  );
  if (crohns.length === 0) return null;
  const patientId = request.context.patientId;
  const card = {
    uuid: randomUUID(),
    summary: `Crohn's disease on record (${crohns.length} of ${conditions.length} conditions)`,
    detail: '**Crohn\'s disease** is on the problem list.',
    indicator: 'info',
    source: {
      label: 'Mock guideline',
      url: 'https://guidelines.example.org/ibd',
      topic: { system: 'https://example.org/topics', code: 'ibd', display: 'IBD' },
    },
    overrideReasons: [
      { system: 'https://example.org/override', code: 'known', display: 'Already known' },
    ],
    links: [
      { label: 'Open the IBD app', url: 'https://smart.example.org/launch', type: 'smart', appContext: 'ibd' },
      { label: 'About', url: 'https://example.org/about', type: 'absolute' },
    ],
    extension: { 'org.example.mock.rule': { id: 'crohns' } },
  };
  let actions = [
    {
      type: 'create',
      description: 'Order a faecal calprotectin',
      resource: {
        resourceType: 'ServiceRequest',
        status: 'draft',
        intent: 'proposal',
        code: { text: 'Faecal calprotectin' },
        subject: { reference: `Patient/${patientId}` },
      },
    },
  ];
  if (service.hook === 'order-sign') {
    actions = (request.context.draftOrders?.entry || []).map((e) => ({
      type: 'delete',
      description: 'Remove the draft order',
      resourceId: `${e.resource.resourceType}/${e.resource.id}`,
    }));
  }
  card.suggestions = [{ label: 'Act on it', uuid: randomUUID(), isRecommended: true, actions }];
  card.selectionBehavior = 'at-most-one';

  if (M === 'cards') {
    card.summary = 'S'.repeat(160);
    card.indicator = 'urgent';
    card.uuid = 12345;
    card.detail = { markdown: 'no' };
    card.source = { url: `/patients/${patientId}`, icon: `http://127.0.0.1:${port}/icon.png` };
    card.overrideReasons = [{ system: 'https://example.org/override', code: 'known' }];
    card.extension = [];
    card.note = '';
  }
  if (M === 'cards' && service.hook === 'order-sign') {
    // The other source rules, on a card whose source is otherwise fine.
    card.source = {
      label: 'Mock',
      url: `https://example.org/chart/${patientId}`,
      icon: `http://127.0.0.1:${port}/icon.png`,
      topic: { code: 'x' },
    };
    card.extension = { shortname: true };
  }
  if (M === 'suggestions') {
    delete card.selectionBehavior;
    card.suggestions = [
      { uuid: 7, isRecommended: 'yes', actions: [{ type: 'insert', description: 'x' }] },
      {
        label: 'Broken actions',
        actions: [
          { type: 'create', description: 'no resource' },
          { type: 'update', description: 'no id', resource: { resourceType: 'ServiceRequest' } },
          { type: 'delete', description: 'id in resource', resource: 'ServiceRequest/1' },
          { type: 'update' },
        ],
      },
    ];
  }
  if (M === 'links') {
    card.links = [
      { label: 'Relative', url: '/launch', type: 'absolute' },
      { label: 'Odd type', url: 'https://example.org/x', type: 'relative' },
      { label: 'Context', url: 'https://example.org/y', type: 'absolute', appContext: 'z' },
    ];
  }
  return card;
}

async function hookCall(service, request) {
  const data = await gather(service, request);
  const patient = data.patient;
  if (!patient || patient.resourceType !== 'Patient') {
    if (M === 'precondition') return [200, { cards: [] }];
    return [412, { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'not-found', diagnostics: 'the patient is needed' }] }];
  }
  const card = crohnsCard(service, request, data);
  if (M === 'response') {
    if (!card) {
      await new Promise((r) => setTimeout(r, 520));
      return [200, { cards: [crohnsCardFor()], systemActions: { type: 'create' } }];
    }
    return [200, { cards: {} }];
  }
  return [200, { cards: card ? [card] : [] }];
}

function crohnsCardFor() {
  return {
    summary: 'A card for everyone',
    indicator: 'info',
    source: { label: 'Mock' },
  };
}

// ---------------------------------------------------------------- HTTP

let port = 0;
const issued = new Set();

function cors(req, res) {
  const origin = req.headers.origin;
  if (!origin || M === 'cors') return;
  if (origin === opts.origin) {
    res.setHeader('Access-Control-Allow-Origin', origin);
    res.setHeader('Vary', 'Origin');
  }
}

function send(req, res, status, body, type = 'application/json') {
  cors(req, res);
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

function readBody(req) {
  return new Promise((resolve) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}

function feedbackValid(body) {
  if (!body || !Array.isArray(body.feedback) || body.feedback.length === 0) return false;
  return body.feedback.every(
    (f) =>
      typeof f.card === 'string' &&
      issued.has(f.card) &&
      (f.outcome === 'accepted' || f.outcome === 'overridden') &&
      typeof f.outcomeTimestamp === 'string',
  );
}

async function handle(req, res) {
  const url = new URL(req.url, 'http://mock');
  const path = url.pathname;
  if (req.method === 'OPTIONS') {
    const origin = req.headers.origin;
    if (M === 'cors') {
      res.writeHead(200, {
        'Access-Control-Allow-Origin': '*',
        'Access-Control-Allow-Credentials': 'true',
        'Access-Control-Allow-Methods': 'GET',
      });
      return res.end();
    }
    if (origin !== opts.origin) {
      res.writeHead(403);
      return res.end();
    }
    res.writeHead(204, {
      'Access-Control-Allow-Origin': origin,
      'Access-Control-Allow-Methods': 'GET, POST, OPTIONS',
      'Access-Control-Allow-Headers': 'Authorization, Content-Type',
      'Access-Control-Max-Age': '600',
      Vary: 'Origin',
    });
    return res.end();
  }
  if (path === '/icon.png') {
    res.writeHead(200, { 'Content-Type': 'image/png' });
    return res.end(PNG_16);
  }
  const why = await authenticate(req, path);
  if (why !== null) {
    res.setHeader('WWW-Authenticate', 'Bearer');
    return send(req, res, 401, { error: 'unauthorized' });
  }
  if (path === '/cds-services' && req.method === 'GET') {
    if (M === 'discovery-status') return send(req, res, 202, discovery());
    if (M === 'discovery-shape')
      return send(req, res, 200, JSON.stringify({ services: { a: 1 } }), 'text/plain');
    return send(req, res, 200, discovery());
  }
  const m = /^\/cds-services\/([^/]+)(\/feedback)?$/.exec(path);
  const service = m && SERVICES.find((s) => s.id === m[1]);
  if (!m || req.method !== 'POST') return send(req, res, 404, { error: 'not found' });
  if (!service) return send(req, res, M === 'status' ? 200 : 404, { error: 'unknown service' });
  const text = await readBody(req);
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    return send(req, res, M === 'status' ? 200 : 400, { error: 'not JSON' });
  }
  if (m[2]) {
    const valid = feedbackValid(body);
    if (M === 'feedback') return send(req, res, valid ? 400 : 200, {});
    return send(req, res, valid ? 200 : 400, valid ? {} : { error: 'bad feedback' });
  }
  if (!body || body.hook !== service.hook || typeof body.hookInstance !== 'string' || typeof body.context !== 'object')
    return send(req, res, M === 'status' ? 200 : 400, { error: 'not a valid request' });
  const [status, answer] = await hookCall(service, body);
  for (const c of Array.isArray(answer.cards) ? answer.cards : []) if (typeof c.uuid === 'string') issued.add(c.uuid);
  return send(req, res, M === 'status' && status === 200 ? 201 : status, answer);
}

const server = createServer((req, res) => {
  handle(req, res).catch((err) => {
    process.stderr.write(`${err.stack}\n`);
    if (!res.headersSent) send(req, res, 500, { error: 'internal' });
  });
});
server.listen(Number(opts.port), '127.0.0.1', () => {
  port = server.address().port;
  process.stdout.write(`listening ${port}\n`);
});
if (opts['exit-with-parent']) {
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) process.exit(0);
  }, 500).unref();
}
