import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../../cli/main';
import { applyEnv } from '../../../local/emulators';

describe('--local without a running pipeline and without moto', () => {
  it('says what to install, in one sentence, with exit code 1', async () => {
    // Prepare: an empty working directory (no .local-aws/env) and no moto_server
    const cwd = process.cwd();
    const dir = mkdtempSync(join(tmpdir(), 'dms-cli-'));
    const restore = applyEnv({ MOTO_SERVER_COMMAND: join(dir, 'no-such-moto_server') });
    const err: string[] = [];
    try {
      process.chdir(dir);
      // Act
      const code = await runCli(['status', '--local'], { out: () => undefined, err: (t) => err.push(t), signal: new AbortController().signal });
      // Assess
      expect(code).toBe(1);
      expect(err.at(-1)).toMatch(/^dms-event-bus: moto server is required for the local AWS emulators: install it with `pip install "moto\[server\]>=5,<6"`/);
    } finally {
      process.chdir(cwd);
      restore();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
