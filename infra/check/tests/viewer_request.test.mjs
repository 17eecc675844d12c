// The viewer-request CloudFront Function of edge.yaml, run the way CloudFront runs it: the code alone in a fresh
// context (no module system, no Node globals, no I/O), `handler(event)` called with CloudFront's event structure
// (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/functions-event-structure.html), and the
// result read as CloudFront reads it: a request to forward, or a response to send. Started by
// infra/check/tests/viewer_request.rs, which extracts the code from the template (VIEWER_REQUEST_JS, with the
// template's ${DomainName} set to APEX).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import vm from 'node:vm';

const source = readFileSync(process.env.VIEWER_REQUEST_JS, 'utf8');
const apex = process.env.APEX;

function load() {
  const context = vm.createContext({});
  vm.runInContext(source, context, { filename: 'viewer-request.js', timeout: 1000 });
  assert.equal(typeof context.handler, 'function', 'the code must define handler(event)');
  return context.handler;
}

function event(host, uri, querystring = {}) {
  return {
    version: '1.0',
    context: { distributionDomainName: 'd111111abcdef8.cloudfront.net', distributionId: 'EDFDVBD6EXAMPLE', eventType: 'viewer-request', requestId: 'r1' },
    viewer: { ip: '198.51.100.7' },
    request: {
      method: 'GET',
      uri,
      querystring,
      headers: { host: { value: host }, accept: { value: 'text/html' } },
      cookies: {},
    },
  };
}

const isResponse = (result) => typeof result.statusCode === 'number';

test('www answers 301 with the same path and query on the apex', () => {
  const handler = load();
  const result = handler(event(`www.${apex}`, '/callback.html', {
    code: { value: 'abc123' },
    state: { value: 'x%2By' },
  }));
  assert.ok(isResponse(result), 'a response, not a forwarded request');
  assert.equal(result.statusCode, 301);
  assert.equal(result.statusDescription, 'Moved Permanently');
  assert.equal(result.headers.location.value, `https://${apex}/callback.html?code=abc123&state=x%2By`);
});

test('repeated query parameters all survive the redirect', () => {
  const handler = load();
  const result = handler(event(`www.${apex}`, '/search.html', {
    guests: { value: '2' },
    room: { value: 'a', multiValue: [{ value: 'a' }, { value: 'b' }] },
  }));
  assert.equal(result.headers.location.value, `https://${apex}/search.html?guests=2&room=a&room=b`);
});

test('www root redirects to the apex root, not to index.html', () => {
  const handler = load();
  const result = handler(event(`WWW.${apex.toUpperCase()}`, '/'));
  assert.equal(result.statusCode, 301);
  assert.equal(result.headers.location.value, `https://${apex}/`);
});

test('the apex is served: directory paths get index.html, other paths pass untouched', () => {
  const handler = load();
  const root = handler(event(apex, '/'));
  assert.ok(!isResponse(root));
  assert.equal(root.uri, '/index.html');
  const dir = handler(event(apex, '/rooms/'));
  assert.equal(dir.uri, '/rooms/index.html');
  const page = event(apex, '/callback.html', { code: { value: 'abc' } });
  const forwarded = handler(page);
  assert.equal(forwarded.uri, '/callback.html');
  assert.deepEqual(forwarded.querystring, { code: { value: 'abc' } });
  assert.equal(forwarded.headers.host.value, apex);
});

test('other hosts (the cloudfront.net name) are not redirected', () => {
  const handler = load();
  const result = handler(event('d111111abcdef8.cloudfront.net', '/book.html'));
  assert.ok(!isResponse(result));
  assert.equal(result.uri, '/book.html');
});

test('the code fits CloudFront Functions: under 10 KB, no modules or Node APIs', () => {
  assert.ok(Buffer.byteLength(source, 'utf8') <= 10240, 'CloudFront Functions are limited to 10 KB');
  for (const forbidden of ['require(', 'import ', 'process.', 'fetch(', 'setTimeout(', 'async ', 'await ']) {
    assert.ok(!source.includes(forbidden), `CloudFront Functions have no ${forbidden.trim()}`);
  }
});
