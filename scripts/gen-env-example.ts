// Regenerates .env.example from the config keys: npx tsx scripts/gen-env-example.ts > .env.example
import { CONFIG_KEYS } from '../src/config/keys.ts';
import { SANDBOX_ACCOUNTS } from '../sandbox/defaults.ts';
const sandboxValue: Record<string,string> = {
  SYNTH_STUDENT_PASSWORD: SANDBOX_ACCOUNTS.student.password,
  SYNTH_PROVIDER_PASSWORD: SANDBOX_ACCOUNTS.provider.password,
  SYNTH_QUOTA_PASSWORD: SANDBOX_ACCOUNTS.quota.password,
};
const out = ['# canary synthetics configuration. Copy to .env (real environment variables win over .env).',
 '# Every key is optional against the embedded sandbox; with BASE_URL set, the SYNTH_* accounts are required.',
 '# The password values below are the reference sandbox defaults: replace them for a real deployment.', ''];
for (const k of CONFIG_KEYS) {
  out.push(`# ${k.meaning}${k.default !== undefined ? ` Default: ${k.default || '(empty)'}.` : ''}`);
  const v = sandboxValue[k.key] ?? (k.key.endsWith('_EMAIL') ? k.example : k.default ?? '');
  out.push(`${k.key}=${k.key === 'BASE_URL' ? '' : v}`, '');
}
process.stdout.write(out.join('\n'));
