// deepl_mock_inject.js: a Node preload for DeepL's API mock in the honyaku
// test suite (node -r THIS index.js; the mock itself stays unmodified).
//
// DeepL's mock configures faults per test session from request headers
// (mock-server-session, mock-server-session-429-count, ...). honyaku never
// sends those, so this preload adds them in front of the mock, per the
// scenario the test sets: each rule names a session, its fault headers and
// optionally the account key to use, for the requests it matches (method
// and path prefix). It also records what happened, for the test to check:
// every request with its session, socket, status, and the translate
// parameters that matter; and any mock-server-* header a client sent itself.
//
// Requests carrying "x-honyaku-test" are the test's own: passed as they
// are, not recorded.
//
// Control endpoints (never passed to the mock, no key):
//   POST /__honyaku__/scenario  {"rules": [{"method"?, "path"?, "session",
//                                "headers"?: {"429-count": 2, ...},
//                                "auth_key"?}]}
//   GET  /__honyaku__/stats     {"requests": [...], "client_session_headers": n,
//                                "connections": n}
'use strict';

const http = require('http');

const CONTROL = '/__honyaku__/';
const MAX_RECORDS = 20000;          // the test sends far fewer: a cap all the same
const MAX_BODY_KEPT = 600;          // bytes of an error answer kept

let rules = [];
const stats = { requests: [], client_session_headers: 0, connections: 0 };

function reply(res, status, doc) {
  const text = JSON.stringify(doc);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

function control(req, res) {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const path = req.url.split('?')[0];
    if (req.method === 'POST' && path === `${CONTROL}scenario`) {
      try {
        const doc = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
        if (!Array.isArray(doc.rules)) throw new Error('rules must be an array');
        rules = doc.rules;
        reply(res, 200, { ok: true });
      } catch (err) {
        reply(res, 400, { error: String(err.message) });
      }
    } else if (req.method === 'GET' && path === `${CONTROL}stats`) {
      reply(res, 200, stats);
    } else {
      reply(res, 404, { error: 'unknown control request' });
    }
  });
}

function matches(rule, req) {
  const path = req.url.split('?')[0];
  return (!rule.method || rule.method === req.method) && (!rule.path || path.startsWith(rule.path));
}

// Record the request once its answer is sent, or once the client gave up
// (the mock's no-response faults answer nothing at all).
function record(req, res, session) {
  const entry = {
    method: req.method,
    path: req.url.split('?')[0],
    session,
    socket: req.socket.hnyId,
    status: null,
    body: '',
  };
  const end = res.end;
  res.end = function endAndKeep(chunk, ...rest) {
    if (chunk && res.statusCode >= 400) {
      entry.body = Buffer.from(chunk).toString('utf8').slice(0, MAX_BODY_KEPT);
    }
    return end.call(this, chunk, ...rest);
  };
  let done = false;
  const finish = (answered) => {
    if (done) return;
    done = true;
    entry.status = answered ? res.statusCode : null;
    // express has parsed the JSON body by now
    const body = req.body && typeof req.body === 'object' ? req.body : {};
    if (entry.path === '/v2/translate') {
      entry.texts = Array.isArray(body.text) ? body.text.length : 0;
      entry.params = Object.keys(body).filter((k) => k !== 'text').sort();
      entry.tag_handling = body.tag_handling || null;
      entry.split_sentences = body.split_sentences ?? null;
      entry.glossary_id = body.glossary_id || null;
    }
    if (stats.requests.length < MAX_RECORDS) stats.requests.push(entry);
  };
  res.on('finish', () => finish(true));
  res.on('close', () => finish(res.writableFinished));
}

function handle(req, res, listener) {
  if (req.url.startsWith(CONTROL)) {
    control(req, res);
    return;
  }
  const headers = req.headers;
  if (headers['x-honyaku-test']) {
    // the test itself, asking the mock (e.g. /__session__/last-request)
    listener(req, res);
    return;
  }
  for (const name of Object.keys(headers)) {
    if (name.startsWith('mock-server-')) {
      stats.client_session_headers += 1;
      delete headers[name];
    }
  }
  const rule = rules.find((r) => matches(r, req));
  if (rule) {
    headers['mock-server-session'] = String(rule.session);
    for (const [name, value] of Object.entries(rule.headers || {})) {
      headers[`mock-server-session-${name}`] = String(value);
    }
    if (rule.auth_key) headers.authorization = `DeepL-Auth-Key ${rule.auth_key}`;
  }
  record(req, res, rule ? String(rule.session) : null);
  listener(req, res);
}

const createServer = http.createServer;
http.createServer = function createServerWithSessions(...args) {
  const listener = args.find((a) => typeof a === 'function');
  const options = args.filter((a) => typeof a !== 'function');
  const server = createServer.call(this, ...options, (req, res) => handle(req, res, listener));
  server.on('connection', (socket) => {
    stats.connections += 1;
    // eslint-disable-next-line no-param-reassign
    socket.hnyId = stats.connections;
  });
  return server;
};
