import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { SchemaLoadError } from '../../src/core/errors.ts';
import { fillRoute, mapRoute, routePatternOf } from '../../src/core/routes.ts';
import { SchemaRegistry } from '../../src/core/schemas.ts';
import { budgetFor } from '../../src/core/budgets.ts';
import { loadConfig } from '../../src/config/load.ts';
import { parseExposition } from '../../src/core/exposition.ts';

test('a schema problem names the field and what was expected, never the value', () => {
  const schemas = new SchemaRegistry();
  const missing = schemas.validate('scholarship-list', { page: 1, pageSize: 20, total: 0 });
  assert.deepEqual(missing.problems, ['field "items" is missing']);
  const wrongType = schemas.validate('scholarship-list', { items: 'secret-value', page: 1, pageSize: 20, total: 0 });
  assert.deepEqual(wrongType.problems, ['field "items" must be array, got string']);
  const nested = schemas.validate('scholarship-list', {
    items: [{ id: 'x', title: 7, provider: { id: 'p', name: 'P' }, amount: { value: 1, currency: 'USD' }, deadline: '2027-01-01T00:00:00Z', tags: [] }],
    page: 1, pageSize: 20, total: 1,
  });
  assert.deepEqual(nested.problems, ['field "items[0].title" must be string, got number']);
  assert.ok(schemas.hash('scholarship-list')?.match(/^[0-9a-f]{12}$/));
});

test('a broken schema stops loading and names its file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'schemas-'));
  writeFileSync(join(dir, 'ok.schema.json'), JSON.stringify({ $id: 'ok', type: 'object' }));
  writeFileSync(join(dir, 'bad.schema.json'), JSON.stringify({ $id: 'bad', type: 'object', properties: { a: { type: 'strnig' } } }));
  assert.throws(() => new SchemaRegistry(dir), (e: unknown) => e instanceof SchemaLoadError && /bad\.schema\.json/.test(e.message));
  writeFileSync(join(dir, 'bad.schema.json'), JSON.stringify({ $id: 'bad', type: 'object', requird: ['a'] }));
  assert.throws(() => new SchemaRegistry(dir), (e: unknown) => e instanceof SchemaLoadError && /bad\.schema\.json.*strict mode/.test(e.message));
  writeFileSync(join(dir, 'bad.schema.json'), '{ not json');
  assert.throws(() => new SchemaRegistry(dir), (e: unknown) => e instanceof SchemaLoadError && /bad\.schema\.json: not valid JSON/.test(e.message));
});

test('raw paths map to bounded route patterns', () => {
  assert.equal(routePatternOf('/api/scholarships/sch_7f3a'), '/api/scholarships/:id');
  assert.equal(routePatternOf('/api/applications/app_1/draft'), '/api/applications/:id/draft');
  assert.equal(routePatternOf('/scholarships/abc'), '/scholarships/:id');
  assert.equal(routePatternOf('/static/app.js'), 'static');
  assert.equal(routePatternOf('/wp-admin/evil/123'), 'other');
  assert.equal(fillRoute('/api/saved/:scholarshipId', { scholarshipId: 'a/b c' }), '/api/saved/a%2Fb%20c');
  assert.throws(() => fillRoute('/api/scholarships/:id', {}), /missing parameter "id"/);
  assert.equal(mapRoute('/api/me', { '/api/me': '/v2/me' }), '/v2/me');
});

test('budgets: override, then critical, page or default', () => {
  const { budgets } = loadConfig({ LATENCY_BUDGETS: '{"GET /api/pricing": 90}' });
  assert.equal(budgetFor(budgets, 'GET', '/api/scholarships'), 150);
  assert.equal(budgetFor(budgets, 'GET', '/api/pricing'), 90);
  assert.equal(budgetFor(budgets, 'POST', '/api/auth/signup'), 500);
  assert.equal(budgetFor(budgets, 'GET', '/search', true), 2000);
});

test('exposition parser reads labels, escapes and infinities', () => {
  const { samples, types } = parseExposition('# TYPE h histogram\nh_bucket{route="/a/:id",le="+Inf"} 3\nh_count{route="/a/:id"} 3\nm{v="a\\"b"} 1.5e-3\n');
  assert.equal(types.get('h'), 'histogram');
  assert.deepEqual(samples[0], { name: 'h_bucket', labels: { route: '/a/:id', le: '+Inf' }, value: 3 });
  assert.equal(samples[2]!.labels.v, 'a"b');
  assert.equal(samples[2]!.value, 0.0015);
  assert.throws(() => parseExposition('not a metric line at all {'), /not a sample line/);
});
