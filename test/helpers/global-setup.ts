// End-to-end tests drive the built CLI (dist/), exactly as `npx officiant` runs it: build once first.
import { execFileSync } from 'node:child_process';

export default function setup(): void {
  execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
}
