import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { UserFacingError } from '../../src/core/errors.ts';
import { loadTargetsFile } from '../../src/config/targets-file.ts';
import { tempDir } from '../support/cli.ts';

const file = (content: string) => {
  const path = join(tempDir('targets-'), 'targets.json');
  writeFileSync(path, content);
  return path;
};
const problem = (path: string) => {
  try {
    loadTargetsFile(path);
  } catch (e) {
    assert.ok(e instanceof UserFacingError);
    return e.message;
  }
  return '';
};

test('a targets file gives names, URLs and explicit canary labels', () => {
  const specs = loadTargetsFile(file(JSON.stringify([
    { name: 'canary', url: 'https://canary.example.test/' },
    { name: 'blue', url: 'https://blue.example.test', canary: true },
    { name: 'control', url: 'https://www.example.test' },
  ])));
  assert.deepEqual(specs, [
    { name: 'canary', baseUrl: 'https://canary.example.test', canary: undefined },
    { name: 'blue', baseUrl: 'https://blue.example.test', canary: true },
    { name: 'control', baseUrl: 'https://www.example.test', canary: undefined },
  ]);
});

test('mistakes in a targets file are one line each, naming the item and the field', () => {
  const path = file(JSON.stringify([{ name: 'canary', url: 'canary.example.test' }, { name: 'c d', url: 'https://x.test', colour: 'red' }]));
  const lines = problem(path).split('\n');
  assert.ok(lines.some((l) => l.startsWith(`targets file ${path}: item 1 url must match pattern`)), lines.join('\n'));
  assert.ok(lines.some((l) => l.startsWith(`targets file ${path}: item 2 name must match pattern`)));
  assert.ok(lines.some((l) => l.startsWith(`targets file ${path}: item 2 must NOT have additional properties (colour)`)));
  assert.match(problem(file('[]')), /must NOT have fewer than 1 items/);
  assert.match(problem(file('{not json')), /not valid JSON/);
  assert.match(problem('/nonexistent/targets.json'), /targets file \/nonexistent\/targets.json: not found/);
  assert.match(problem(file(JSON.stringify([{ name: 'a', url: 'https://a.test' }, { name: 'a', url: 'https://b.test' }]))), /target name "a" appears twice/);
});
