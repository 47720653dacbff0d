// Integration and drill tests drive the built CLI (dist/bundle/), exactly as `npx officiant` runs it. scripts/test.sh
// builds once before its tiers and says so (OFFICIANT_BUILT=1); run on their own, these tiers build first.
import { execFileSync } from 'node:child_process';

export default function setup(): void {
  if (process.env.OFFICIANT_BUILT === '1') return;
  execFileSync('npm', ['run', '--silent', 'build'], { stdio: 'inherit' });
}
