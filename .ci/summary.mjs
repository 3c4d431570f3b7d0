// Sums JUnit reports into the plain closing line "N passed, N failed, N skipped".
// A missing report counts as a failure, so a run that executed nothing cannot look green.
import { existsSync, readFileSync } from 'node:fs';

let passed = 0;
let failed = 0;
let skipped = 0;
for (const file of process.argv.slice(2)) {
  if (!existsSync(file)) {
    console.log(`${file}: missing (the run produced no report)`);
    failed += 1;
    continue;
  }
  const xml = readFileSync(file, 'utf8');
  const suites = xml.match(/<testsuite\b[^>]*>/g) ?? [];
  const sum = (name) =>
    suites.reduce((n, tag) => n + Number(tag.match(new RegExp(`\\b${name}="(\\d+)"`))?.[1] ?? 0), 0);
  const tests = sum('tests');
  const f = sum('failures') + sum('errors');
  const s = sum('skipped');
  console.log(`${file}: ${tests} tests, ${f} failed, ${s} skipped`);
  passed += tests - f - s;
  failed += f;
  skipped += s;
}
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
