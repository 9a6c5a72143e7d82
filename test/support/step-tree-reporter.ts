// A Playwright reporter for tests: writes every step of every test result, all categories (the
// JSON reporter keeps only `test.step`, so a stray `pw:api` step would not show there), with its
// location and its error's, to the file named by STEP_TREE_FILE.
import { writeFileSync } from 'node:fs';
import type { Reporter, TestCase, TestResult, TestStep } from '@playwright/test/reporter';

export interface TreeStep {
  title: string;
  category: string;
  /** `file:line`, the file as Playwright gives it (absolute). */
  location?: string;
  error?: { message: string; location?: string };
  steps: TreeStep[];
}

export interface TreeResult {
  test: string;
  retry: number;
  status: string;
  steps: TreeStep[];
}

const at = (l?: { file: string; line: number }) => (l ? `${l.file}:${l.line}` : undefined);

function tree(step: TestStep): TreeStep {
  return {
    title: step.title,
    category: step.category,
    location: at(step.location),
    ...(step.error ? { error: { message: step.error.message ?? '', location: at(step.error.location) } } : {}),
    steps: step.steps.map(tree),
  };
}

export default class StepTreeReporter implements Reporter {
  private readonly results: TreeResult[] = [];

  onTestEnd(test: TestCase, result: TestResult): void {
    this.results.push({ test: test.title, retry: result.retry, status: result.status, steps: result.steps.map(tree) });
  }

  onEnd(): void {
    writeFileSync(process.env.STEP_TREE_FILE!, JSON.stringify(this.results));
  }
}
