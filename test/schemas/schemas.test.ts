// Unit test of the JSON Schemas in schemas/ (run: node --import tsx --test test/schemas/schemas.test.ts).
//
// Loads every schemas/*.schema.json with fs, compiles them all ONCE with
// new Ajv({strict: true, allErrors: true}) + ajv-formats (as the suite does at start),
// then checks, for every schema file, bodies taken from the contract
// (/work/shared/contract.md) that must pass and realistic broken bodies that must fail.
import { describe, test, before } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import AjvImport from 'ajv';
import addFormatsImport from 'ajv-formats';

// ajv and ajv-formats are CommonJS; under ESM the default import is module.exports,
// which is the class/plugin itself (and also carries a .default). Accept both shapes.
const Ajv = ((AjvImport as unknown as { default?: typeof AjvImport }).default ?? AjvImport) as typeof AjvImport;
const addFormats = ((addFormatsImport as unknown as { default?: typeof addFormatsImport }).default ??
  addFormatsImport) as typeof addFormatsImport;

type AjvInstance = InstanceType<typeof Ajv>;
type Json = unknown;

const SCHEMA_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../schemas');
const SUFFIX = '.schema.json';
const DRAFT_07 = 'http://json-schema.org/draft-07/schema#';

interface SchemaFile {
  name: string;
  file: string;
  schema: Record<string, any>;
}

function loadSchemaFiles(): SchemaFile[] {
  return fs
    .readdirSync(SCHEMA_DIR)
    .filter((f) => f.endsWith(SUFFIX))
    .sort()
    .map((file) => ({
      name: file.slice(0, -SUFFIX.length),
      file,
      schema: JSON.parse(fs.readFileSync(path.join(SCHEMA_DIR, file), 'utf8')),
    }));
}

function makeAjv(): AjvInstance {
  const ajv = new Ajv({ strict: true, allErrors: true });
  addFormats(ajv);
  return ajv;
}

/** Deep copy of `base`, changed by `change` (which may mutate its argument freely). */
function variant<T>(base: T, change: (copy: any) => void): T {
  const copy = structuredClone(base);
  change(copy);
  return copy;
}

// ---------------------------------------------------------------------------
// Example bodies from the contract
// ---------------------------------------------------------------------------
const T1 = '2027-02-08T23:59:59Z';
const T2 = '2027-01-10T09:30:00.123+01:00';
const provider = { id: 'prov_7', name: 'Acme Foundation' };
const usd = { value: 5000, currency: 'USD' };
const latency = { p50: 42, p95: 180.5, p99: 420 };
const studentEmail = 'synthetic-student@example.test';
const signupEmail = 'synthetic+0b7e6c4e-5b0e-4b8e-9c1a-3d2f1e0a9b7c@example.test';

const health = { status: 'ok', uptimeSeconds: 1234.5, version: '1.4.2', buildId: 'build-2027.02.08-17', gitSha: '3f9c2ab1d' };
const readyOk = { status: 'ready', checks: { db: 'ok', cache: 'ok' } };
const readyDown = { status: 'not_ready', checks: { db: 'down: ECONNREFUSED', cache: 'ok' } };
const slo = {
  windowSeconds: 300,
  requests: 1520,
  availability: 0.998,
  errorRate5xx: 0.002,
  latencyMs: latency,
  routes: [
    { method: 'GET', route: '/api/scholarships/:id', requests: 800, errorRate5xx: 0, latencyMs: latency },
    { method: 'POST', route: '/api/applications', requests: 20, errorRate5xx: 0.05, latencyMs: { p50: 60, p95: 90, p99: 130 } },
  ],
};
const listItem = {
  id: 'sch_01HV9',
  title: 'STEM Futures Award',
  provider,
  amount: usd,
  deadline: T1,
  tags: ['stem', 'undergraduate'],
};
const list = { items: [listItem], page: 1, pageSize: 20, total: 1 };
const detail = {
  id: 'sch_01HV9',
  title: 'STEM Futures Award',
  description: 'For first-generation STEM students.',
  provider,
  amount: usd,
  deadline: T1,
  eligibility: ['Enrolled in an accredited university', 'GPA 3.0+'],
};
const saved = { id: 'sav_1', scholarshipId: 'sch_01HV9', savedAt: T2 };
const application = { id: 'app_1', scholarshipId: 'sch_01HV9', status: 'draft', createdAt: T1, draft: { version: 0, fields: {} } };
const draftSaved = { id: 'app_1', version: 1, savedAt: T1 };
const applicationDetail = {
  id: 'app_1',
  scholarshipId: 'sch_01HV9',
  status: 'draft',
  draft: { version: 1, fields: { essay: 'Synthetic essay text' }, savedAt: T1 },
};
const session = {
  user: { id: 'usr_1', email: studentEmail, role: 'student' },
  accessToken: 'eyJhbGciOiJIUzI1NiJ9.e30.sig',
  refreshToken: 'rt_9f8e7d',
  expiresIn: 900,
};
const refreshed = { accessToken: 'eyJhbGciOiJIUzI1NiJ9.e30.sig2', refreshToken: 'rt_a1b2c3', expiresIn: 900 };
const me = { id: 'usr_1', email: studentEmail, role: 'student' };
const flags = { flags: { 'essay.generate': false, 'payments.live': false, 'provider.canary': true } };
const dashboard = {
  providerId: 'prov_7',
  listings: { active: 3, draft: 1 },
  applications: { received: 42, last7d: 5 },
  tiles: [
    { id: 'tile_received', title: 'Applications received', value: 42 },
    { id: 'tile_conv', title: 'Conversion', value: '12%' },
  ],
};
const pricing = {
  plans: [
    { id: 'plan_starter', name: 'Starter', price: { value: 9.99, currency: 'USD' }, credits: 10 },
    { id: 'plan_pro', name: 'Pro', price: { value: 2900, currency: 'JPY' }, credits: 100 },
  ],
};
const checkoutInit = {
  checkoutId: 'chk_1',
  clientToken: 'sandbox_ct_abc',
  nonce: 'nonce_123',
  amount: { value: 9.99, currency: 'USD' },
  mode: 'sandbox',
};
const errorBody = { error: { code: 'not_found', message: 'Scholarship not found', requestId: 'req_123' } };

// ---------------------------------------------------------------------------
// Cases: schema reference -> bodies that must pass / labelled bodies that must fail
// ---------------------------------------------------------------------------
interface Cases {
  valid: Json[];
  invalid: Record<string, Json>;
}

const responseCases: Record<string, Cases> = {
  health: {
    valid: [health, { ...health, region: 'eu-west-1' }],
    invalid: {
      'missing gitSha': variant(health, (b) => delete b.gitSha),
      'missing status': variant(health, (b) => delete b.status),
      'status not "ok"': { ...health, status: 'degraded' },
      'uptimeSeconds as string': { ...health, uptimeSeconds: '1234' },
      'negative uptimeSeconds': { ...health, uptimeSeconds: -1 },
      'version as number': { ...health, version: 1.4 },
      'not an object': 'ok',
    },
  },
  ready: {
    valid: [readyOk, readyDown, { status: 'ready', checks: {} }, { ...readyOk, took: 3 }],
    invalid: {
      'missing checks': { status: 'ready' },
      'missing status': { checks: { db: 'ok' } },
      'status outside enum': { status: 'ok', checks: { db: 'ok' } },
      'check value boolean': { status: 'ready', checks: { db: true } },
      'checks as array': { status: 'ready', checks: ['db'] },
    },
  },
  'slo-summary': {
    valid: [slo, { ...slo, routes: [] }, { ...slo, availability: 1, errorRate5xx: 0, generatedAt: T1 }],
    invalid: {
      'missing routes': variant(slo, (b) => delete b.routes),
      'missing latencyMs': variant(slo, (b) => delete b.latencyMs),
      'availability as percent': { ...slo, availability: 99.8 },
      'errorRate5xx above 1': { ...slo, errorRate5xx: 1.5 },
      'requests not integer': { ...slo, requests: 12.5 },
      'latencyMs missing p99': { ...slo, latencyMs: { p50: 1, p95: 2 } },
      'negative latency': { ...slo, latencyMs: { p50: -1, p95: 2, p99: 3 } },
      'route requests as string': variant(slo, (b) => (b.routes[0].requests = '800')),
      'route missing route pattern': variant(slo, (b) => delete b.routes[0].route),
      'route errorRate5xx negative': variant(slo, (b) => (b.routes[1].errorRate5xx = -0.1)),
      'routes as object': { ...slo, routes: {} },
    },
  },
  'scholarship-list': {
    valid: [
      list,
      { items: [], page: 1, pageSize: 20, total: 0 },
      // ids are opaque; any currency; decimals; extra fields allowed
      {
        items: [{ ...listItem, id: '42', amount: { value: 1250.5, currency: 'EUR' }, deadline: T2, featured: true }],
        page: 2,
        pageSize: 1,
        total: 7,
        nextPage: 3,
      },
    ],
    invalid: {
      'missing total': variant(list, (b) => delete b.total),
      'missing items': variant(list, (b) => delete b.items),
      'item missing deadline': variant(list, (b) => delete b.items[0].deadline),
      'deadline date only': variant(list, (b) => (b.items[0].deadline = '2027-02-08')),
      'deadline not a date': variant(list, (b) => (b.items[0].deadline = '08/02/2027')),
      'currency lower case': variant(list, (b) => (b.items[0].amount.currency = 'usd')),
      'currency name': variant(list, (b) => (b.items[0].amount.currency = 'US Dollar')),
      'amount as bare number': variant(list, (b) => (b.items[0].amount = 5000)),
      'amount value as string': variant(list, (b) => (b.items[0].amount.value = '5000')),
      'provider missing name': variant(list, (b) => delete b.items[0].provider.name),
      'tags as string': variant(list, (b) => (b.items[0].tags = 'stem')),
      'empty id': variant(list, (b) => (b.items[0].id = '')),
      'numeric id': variant(list, (b) => (b.items[0].id = 42)),
      'page as string': { ...list, page: '1' },
      'pageSize not integer': { ...list, pageSize: 2.5 },
      'negative total': { ...list, total: -1 },
    },
  },
  'scholarship-detail': {
    valid: [detail, { ...detail, amount: { value: 300000, currency: 'INR' }, eligibility: [], website: 'https://x.test' }],
    invalid: {
      'missing description': variant(detail, (b) => delete b.description),
      'missing eligibility': variant(detail, (b) => delete b.eligibility),
      'eligibility as string': { ...detail, eligibility: 'GPA 3.0+' },
      'eligibility item not string': { ...detail, eligibility: [3.0] },
      'deadline without time zone': { ...detail, deadline: '2027-02-08T23:59:59' },
      'deadline impossible date': { ...detail, deadline: '2027-02-30T12:00:00Z' },
      'currency too long': { ...detail, amount: { value: 5000, currency: 'USDT' } },
      'provider as string': { ...detail, provider: 'Acme Foundation' },
      'title as number': { ...detail, title: 7 },
    },
  },
  saved: {
    valid: [saved, { ...saved, savedAt: T1, note: 'x' }],
    invalid: {
      'missing savedAt': variant(saved, (b) => delete b.savedAt),
      'missing scholarshipId': variant(saved, (b) => delete b.scholarshipId),
      'savedAt not a date': { ...saved, savedAt: 'yesterday' },
      'savedAt epoch number': { ...saved, savedAt: 1786233600000 },
      'scholarshipId as number': { ...saved, scholarshipId: 17 },
    },
  },
  application: {
    valid: [application, { ...application, id: 'a', createdAt: T2, synthetic: true }],
    invalid: {
      'missing draft': variant(application, (b) => delete b.draft),
      'missing createdAt': variant(application, (b) => delete b.createdAt),
      'status not draft': { ...application, status: 'submitted' },
      'draft version not 0': variant(application, (b) => (b.draft.version = 1)),
      'draft version as string': variant(application, (b) => (b.draft.version = '0')),
      'draft fields missing': variant(application, (b) => delete b.draft.fields),
      'draft fields as array': variant(application, (b) => (b.draft.fields = [])),
      'createdAt bad date-time': { ...application, createdAt: '2027-13-01T00:00:00Z' },
    },
  },
  'draft-saved': {
    valid: [draftSaved, { ...draftSaved, version: 12, savedAt: T2 }],
    invalid: {
      'missing id': variant(draftSaved, (b) => delete b.id),
      'missing version': variant(draftSaved, (b) => delete b.version),
      'version 0': { ...draftSaved, version: 0 },
      'version not integer': { ...draftSaved, version: 1.5 },
      'version as string': { ...draftSaved, version: '2' },
      'savedAt bad date-time': { ...draftSaved, savedAt: 'now' },
    },
  },
  'application-detail': {
    valid: [
      applicationDetail,
      // before the first save: savedAt null or absent
      { ...applicationDetail, draft: { version: 0, fields: {}, savedAt: null } },
      { ...applicationDetail, draft: { version: 0, fields: {} } },
      { ...applicationDetail, status: 'submitted', createdAt: T1 },
    ],
    invalid: {
      'missing status': variant(applicationDetail, (b) => delete b.status),
      'missing draft': variant(applicationDetail, (b) => delete b.draft),
      'draft missing fields': variant(applicationDetail, (b) => delete b.draft.fields),
      'draft missing version': variant(applicationDetail, (b) => delete b.draft.version),
      'savedAt not a date': variant(applicationDetail, (b) => (b.draft.savedAt = 'not a date')),
      'savedAt as number': variant(applicationDetail, (b) => (b.draft.savedAt = 0)),
      'negative version': variant(applicationDetail, (b) => (b.draft.version = -1)),
      'status as number': { ...applicationDetail, status: 3 },
    },
  },
  'auth-session': {
    valid: [
      session,
      variant(session, (b) => (b.user = { id: 'usr_2', email: signupEmail, role: 'student' })),
      variant(session, (b) => (b.user.role = 'provider')),
      { ...session, tokenType: 'Bearer' },
    ],
    invalid: {
      'missing refreshToken': variant(session, (b) => delete b.refreshToken),
      'missing user': variant(session, (b) => delete b.user),
      'user missing role': variant(session, (b) => delete b.user.role),
      'bad email': variant(session, (b) => (b.user.email = 'synthetic-student')),
      'role outside enum': variant(session, (b) => (b.user.role = 'superuser')),
      'expiresIn as string': { ...session, expiresIn: '900' },
      'expiresIn not integer': { ...session, expiresIn: 900.5 },
      'empty accessToken': { ...session, accessToken: '' },
    },
  },
  'auth-refresh': {
    valid: [refreshed, { ...refreshed, expiresIn: 0 }],
    invalid: {
      'missing accessToken': variant(refreshed, (b) => delete b.accessToken),
      'missing expiresIn': variant(refreshed, (b) => delete b.expiresIn),
      'refreshToken null': { ...refreshed, refreshToken: null },
      'negative expiresIn': { ...refreshed, expiresIn: -5 },
    },
  },
  me: {
    valid: [me, { id: 'usr_9', email: 'synthetic-provider@example.test', role: 'provider', name: 'Prov' }],
    invalid: {
      'missing email': variant(me, (b) => delete b.email),
      'bad email': { ...me, email: 'student at example.test' },
      'role outside enum': { ...me, role: 'teacher' },
      'id as number': { ...me, id: 1 },
    },
  },
  csrf: {
    valid: [{ csrfToken: 'c5rf-token-abc' }],
    invalid: {
      'missing csrfToken': {},
      'csrfToken as number': { csrfToken: 123 },
      'empty csrfToken': { csrfToken: '' },
    },
  },
  flags: {
    valid: [
      flags,
      { flags: { ...flags.flags, 'search.v2': true, 'ui.dark': false } },
      // the schema checks shape only: essay.generate=true is a policy failure asserted by the journey
      { flags: { ...flags.flags, 'essay.generate': true } },
    ],
    invalid: {
      'missing flags': {},
      'missing essay.generate': variant(flags, (b) => delete b.flags['essay.generate']),
      'missing payments.live': variant(flags, (b) => delete b.flags['payments.live']),
      'missing provider.canary': variant(flags, (b) => delete b.flags['provider.canary']),
      'required flag as string': variant(flags, (b) => (b.flags['payments.live'] = 'false')),
      'other flag not boolean': variant(flags, (b) => (b.flags['search.v2'] = 'on')),
      'flags as array': { flags: [] },
    },
  },
  'provider-dashboard': {
    valid: [dashboard, { ...dashboard, tiles: [] }, { ...dashboard, period: '7d' }],
    invalid: {
      'missing tiles': variant(dashboard, (b) => delete b.tiles),
      'missing providerId': variant(dashboard, (b) => delete b.providerId),
      'listings missing draft': variant(dashboard, (b) => delete b.listings.draft),
      'applications missing last7d': variant(dashboard, (b) => delete b.applications.last7d),
      'count as string': variant(dashboard, (b) => (b.listings.active = '3')),
      'negative count': variant(dashboard, (b) => (b.applications.received = -1)),
      'tile value boolean': variant(dashboard, (b) => (b.tiles[0].value = true)),
      'tile value null': variant(dashboard, (b) => (b.tiles[0].value = null)),
      'tile missing title': variant(dashboard, (b) => delete b.tiles[1].title),
    },
  },
  pricing: {
    valid: [pricing, { plans: [pricing.plans[0]], currencyNote: 'x' }],
    invalid: {
      'missing plans': {},
      'no plans': { plans: [] },
      'plan missing credits': variant(pricing, (b) => delete b.plans[0].credits),
      'credits not integer': variant(pricing, (b) => (b.plans[0].credits = 10.5)),
      'negative credits': variant(pricing, (b) => (b.plans[0].credits = -1)),
      'currency lower case': variant(pricing, (b) => (b.plans[1].price.currency = 'jpy')),
      'price value as string': variant(pricing, (b) => (b.plans[0].price.value = '9.99')),
      'price missing currency': variant(pricing, (b) => delete b.plans[0].price.currency),
    },
  },
  'checkout-init': {
    valid: [
      checkoutInit,
      // mode is a plain string here: the payment journey itself fails loudly on anything but "sandbox"
      { ...checkoutInit, mode: 'live' },
      { ...checkoutInit, amount: { value: 1000, currency: 'KRW' }, expiresAt: T1 },
    ],
    invalid: {
      'missing mode': variant(checkoutInit, (b) => delete b.mode),
      'missing nonce': variant(checkoutInit, (b) => delete b.nonce),
      'missing clientToken': variant(checkoutInit, (b) => delete b.clientToken),
      'mode not a string': { ...checkoutInit, mode: 1 },
      'currency not ISO-4217 shaped': { ...checkoutInit, amount: { value: 9.99, currency: 'EURO' } },
      'amount missing value': { ...checkoutInit, amount: { currency: 'USD' } },
      'empty checkoutId': { ...checkoutInit, checkoutId: '' },
    },
  },
  'checkout-validate': {
    valid: [{ valid: true, status: 'authorized' }, { valid: false, status: 'declined' }, { valid: true, status: 'authorized', authCode: 'A1' }],
    invalid: {
      'missing status': { valid: true },
      'missing valid': { status: 'authorized' },
      'status outside enum': { valid: true, status: 'pending' },
      'valid as string': { valid: 'true', status: 'authorized' },
    },
  },
  error: {
    valid: [
      errorBody,
      { error: { code: 'over_quota', message: 'Quota exceeded', requestId: 'req_9', retryAfter: 30 } },
      { error: { code: 'csrf_failed', message: '', requestId: '' }, details: [] },
    ],
    invalid: {
      'empty code': variant(errorBody, (b) => (b.error.code = '')),
      'code as number': variant(errorBody, (b) => (b.error.code = 404)),
      'missing requestId': variant(errorBody, (b) => delete b.error.requestId),
      'missing message': variant(errorBody, (b) => delete b.error.message),
      'error as string': { error: 'not_found' },
      'flat body': { code: 'not_found', message: 'Scholarship not found', requestId: 'req_123' },
    },
  },
};

const signup = { email: signupEmail, password: 'Synth3tic-Passw0rd!', role: 'student' };
const requestCases: Record<string, Cases> = {
  'signup-request': {
    valid: [signup],
    invalid: {
      'extra property': { ...signup, name: 'Synthetic' },
      'missing role': variant(signup, (b) => delete b.role),
      'role not student': { ...signup, role: 'provider' },
      'password too short': { ...signup, password: 'short' },
      'bad email': { ...signup, email: 'synthetic+uuid' },
    },
  },
  'login-request': {
    valid: [{ email: studentEmail, password: 'x' }],
    invalid: {
      'extra property': { email: studentEmail, password: 'secret', next: '/' },
      'missing password': { email: studentEmail },
      'bad email': { email: 'synthetic-student', password: 'secret' },
      'empty password': { email: studentEmail, password: '' },
    },
  },
  'refresh-request': {
    valid: [{ refreshToken: 'rt_9f8e7d' }],
    invalid: {
      'extra property': { refreshToken: 'rt_9f8e7d', accessToken: 'a' },
      'missing refreshToken': {},
      'empty refreshToken': { refreshToken: '' },
    },
  },
  'saved-request': {
    valid: [{ scholarshipId: 'sch_01HV9' }, { scholarshipId: '42' }],
    invalid: {
      'extra property': { scholarshipId: 'sch_01HV9', e2e: 1 },
      'missing scholarshipId': {},
      'scholarshipId as number': { scholarshipId: 42 },
      'empty scholarshipId': { scholarshipId: '' },
    },
  },
  'application-request': {
    valid: [{ scholarshipId: 'sch_01HV9' }],
    invalid: {
      'extra property': { scholarshipId: 'sch_01HV9', status: 'draft' },
      'missing scholarshipId': {},
      'scholarshipId as number': { scholarshipId: 42 },
    },
  },
  'draft-request': {
    valid: [{ version: 0, fields: {} }, { version: 3, fields: { essay: 'Synthetic essay text', wordCount: 3 } }],
    invalid: {
      'extra property': { version: 0, fields: {}, id: 'app_1' },
      'missing fields': { version: 0 },
      'missing version': { fields: {} },
      'negative version': { version: -1, fields: {} },
      'version as string': { version: '0', fields: {} },
      'version not integer': { version: 0.5, fields: {} },
      'fields as string': { version: 0, fields: 'essay' },
    },
  },
  'checkout-init-request': {
    valid: [{ planId: 'plan_starter' }],
    invalid: {
      'extra property': { planId: 'plan_starter', amount: { value: 9.99, currency: 'USD' } },
      'missing planId': {},
      'empty planId': { planId: '' },
    },
  },
  'checkout-validate-request': {
    valid: [{ checkoutId: 'chk_1', nonce: 'nonce_123' }],
    invalid: {
      'extra property': { checkoutId: 'chk_1', nonce: 'nonce_123', status: 'authorized' },
      'missing nonce': { checkoutId: 'chk_1' },
      'missing checkoutId': { nonce: 'nonce_123' },
    },
  },
};

// common definitions, validated through their JSON pointer
const commonCases: Record<string, Cases> = {
  id: {
    valid: ['sch_01HV9', '42', '550e8400-e29b-41d4-a716-446655440000', 'a b/c'],
    invalid: { 'empty string': '', number: 42, null: null },
  },
  dateTime: {
    valid: [T1, T2, '2027-02-08T23:59:59.5-05:00'],
    invalid: {
      'date only': '2027-02-08',
      'no time zone': '2027-02-08T23:59:59',
      'impossible date': '2027-02-30T00:00:00Z',
      'free text': 'tomorrow',
      'epoch number': 1786233600,
    },
  },
  money: {
    valid: [usd, { value: 0.5, currency: 'XOF' }, { value: 0, currency: 'EUR', display: '€0' }],
    invalid: {
      'lower-case currency': { value: 1, currency: 'usd' },
      'two-letter currency': { value: 1, currency: 'US' },
      'four-letter currency': { value: 1, currency: 'USDT' },
      'currency symbol': { value: 1, currency: '$' },
      'value as string': { value: '1', currency: 'USD' },
      'missing currency': { value: 1 },
      'missing value': { currency: 'USD' },
    },
  },
  provider: {
    valid: [provider, { ...provider, logoUrl: 'https://x.test/l.png' }],
    invalid: { 'missing name': { id: 'prov_7' }, 'empty id': { id: '', name: 'Acme' }, 'as string': 'Acme' },
  },
  error: {
    valid: [errorBody],
    invalid: { 'empty code': { error: { code: '', message: 'm', requestId: 'r' } }, 'missing error': {} },
  },
  latencyMs: {
    valid: [latency, { p50: 0, p95: 0, p99: 0 }],
    invalid: { 'missing p95': { p50: 1, p99: 2 }, negative: { p50: -1, p95: 1, p99: 2 }, 'as string': { p50: '1', p95: 1, p99: 2 } },
  },
  count: { valid: [0, 17], invalid: { negative: -1, fraction: 1.5, string: '3' } },
  rate: { valid: [0, 0.25, 1], invalid: { 'above 1': 1.01, negative: -0.01, string: '0.5' } },
  email: { valid: [studentEmail, signupEmail], invalid: { 'no at sign': 'synthetic-student', number: 1 } },
  role: { valid: ['student', 'provider', 'admin'], invalid: { unknown: 'guest', 'upper case': 'Student' } },
  token: { valid: ['t', 'eyJhbGciOiJIUzI1NiJ9.e30.sig'], invalid: { empty: '', number: 1 } },
};

// ---------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------
const files = loadSchemaFiles();
const byName = new Map(files.map((f) => [f.name, f]));
let ajv: AjvInstance;

function errorsOf(ref: string, body: Json): string {
  const validate = ajv.getSchema(ref);
  assert.ok(validate, `schema ${ref} is not registered`);
  validate(body);
  return ajv.errorsText(validate.errors);
}

function assertValid(ref: string, body: Json): void {
  const validate = ajv.getSchema(ref)!;
  assert.equal(validate(body), true, `${ref} should accept ${JSON.stringify(body)}: ${errorsOf(ref, body)}`);
}

function assertInvalid(ref: string, label: string, body: Json): void {
  const validate = ajv.getSchema(ref)!;
  assert.equal(validate(body), false, `${ref} should reject (${label}) ${JSON.stringify(body)}`);
  assert.ok(validate.errors && validate.errors.length > 0, `${ref} reported no errors for (${label})`);
}

function runCases(ref: string, cases: Cases): void {
  test('accepts contract examples', () => {
    for (const body of cases.valid) assertValid(ref, body);
  });
  for (const [label, body] of Object.entries(cases.invalid)) {
    test(`rejects: ${label}`, () => assertInvalid(ref, label, body));
  }
}

/** Every object node of a schema (for structural checks). */
function* walk(node: unknown): Generator<Record<string, any>> {
  if (Array.isArray(node)) {
    for (const child of node) yield* walk(child);
  } else if (node && typeof node === 'object') {
    yield node as Record<string, any>;
    for (const child of Object.values(node)) yield* walk(child);
  }
}

const compileErrors = new Map<string, string>();
before(() => {
  // Compile everything ONCE, the way the suite does at start: add all, then compile each.
  // Failures are collected (not thrown) so that the report names the broken file(s).
  ajv = makeAjv();
  for (const f of files) ajv.addSchema(f.schema);
  for (const f of files) {
    try {
      if (!ajv.getSchema(f.name)) compileErrors.set(f.file, 'not registered');
    } catch (err) {
      compileErrors.set(f.file, (err as Error).message);
    }
  }
});

describe('schema files', () => {
  test('strict mode is really on (a sloppy schema is refused)', () => {
    const probe = makeAjv();
    assert.throws(() => probe.compile({ properties: { a: { type: 'string' } } }), /strict mode/);
    assert.throws(() => probe.compile({ type: 'string', foo: 1 }), /strict mode|unknown keyword/);
  });

  test('every file compiles in strict mode (also each alone with common)', () => {
    assert.ok(files.length > 0);
    assert.deepEqual(Object.fromEntries(compileErrors), {}, 'schemas failing to compile in strict mode');
    for (const f of files) {
      const fresh = makeAjv();
      if (f.name !== 'common') fresh.addSchema(byName.get('common')!.schema);
      assert.doesNotThrow(() => fresh.compile(f.schema), `${f.file} does not compile in strict mode`);
    }
  });

  test('every file is draft-07 with $id equal to its name, a title and a description', () => {
    for (const f of files) {
      assert.equal(f.schema.$schema, DRAFT_07, `${f.file}: $schema`);
      assert.equal(f.schema.$id, f.name, `${f.file}: $id`);
      assert.equal(typeof f.schema.title, 'string', `${f.file}: title`);
      assert.ok(f.schema.title.length > 0, `${f.file}: title`);
      assert.equal(typeof f.schema.description, 'string', `${f.file}: description`);
      assert.ok(f.schema.description.length > 0, `${f.file}: description`);
    }
  });

  test('every expected schema exists, and every file has valid and invalid examples here', () => {
    const expected = ['common', ...Object.keys(responseCases), ...Object.keys(requestCases)].sort();
    assert.deepEqual(files.map((f) => f.name).sort(), expected);
    for (const cases of [...Object.values(responseCases), ...Object.values(requestCases), ...Object.values(commonCases)]) {
      assert.ok(cases.valid.length > 0 && Object.keys(cases.invalid).length > 0);
    }
    assert.deepEqual(Object.keys(byName.get('common')!.schema.definitions).sort(), Object.keys(commonCases).sort());
  });

  test('request bodies are exact, response bodies stay open', () => {
    for (const f of files) {
      if (f.name.endsWith('-request')) {
        assert.equal(f.schema.additionalProperties, false, `${f.file} must set additionalProperties: false`);
        assert.ok(Array.isArray(f.schema.required) && f.schema.required.length > 0, `${f.file} must list required`);
        assert.deepEqual([...f.schema.required].sort(), Object.keys(f.schema.properties).sort(), `${f.file}: all properties required`);
      } else {
        for (const node of walk(f.schema)) {
          assert.notEqual(node.additionalProperties, false, `${f.file}: responses must allow additional properties`);
        }
      }
    }
  });
});

describe('response schemas', () => {
  for (const [name, cases] of Object.entries(responseCases)) {
    describe(name, () => runCases(name, cases));
  }
});

describe('request schemas', () => {
  for (const [name, cases] of Object.entries(requestCases)) {
    describe(name, () => {
      test('has an "extra property" case', () => assert.ok('extra property' in cases.invalid));
      runCases(name, cases);
    });
  }
});

describe('common definitions', () => {
  for (const [def, cases] of Object.entries(commonCases)) {
    describe(def, () => runCases(`common#/definitions/${def}`, cases));
  }
});
