/**
 * The documentation cannot rot: every relative link (and its #anchor) resolves, and every
 * `dms-event-bus` / `npm start --` / `npm run` command shown in the docs names a command, flag or
 * script that exists.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { USAGE } from '../../cli/main';
import { LOCAL_USAGE } from '../../local/main';

const ROOT = resolve(__dirname, '../..');

function markdownFiles(): string[] {
  const files = [join(ROOT, 'README.md')];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (name === 'node_modules' || name.startsWith('.')) continue;
      if (statSync(path).isDirectory()) walk(path);
      else if (name.endsWith('.md')) files.push(path);
    }
  };
  for (const dir of ['docs', 'examples']) if (existsSync(join(ROOT, dir))) walk(join(ROOT, dir));
  return files;
}

/** Text outside fenced code blocks (links inside code are not links). */
function prose(markdown: string): string {
  return markdown.replace(/^```[\s\S]*?^```/gm, '');
}

/** GitHub's heading anchor: lowercase, punctuation dropped, spaces to hyphens, repeats numbered. */
export function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const match of prose(markdown).matchAll(/^#{1,6} (.+)$/gm)) {
    const base = match[1]!.trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-');
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    anchors.add(count === 0 ? base : `${base}-${count}`);
  }
  return anchors;
}

function relativeLinks(markdown: string): string[] {
  return [...prose(markdown).matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]!).filter((target) => !/^[a-z]+:/i.test(target));
}

/** Command lines shown in code: fenced shell blocks and inline code spans. */
function shownCommands(markdown: string): string[] {
  const lines: string[] = [];
  for (const block of markdown.matchAll(/^```(?:sh|bash|console|shell)?\n([\s\S]*?)^```/gm)) lines.push(...block[1]!.split('\n'));
  for (const span of prose(markdown).matchAll(/`([^`\n]+)`/g)) lines.push(span[1]!);
  return lines.map((line) => line.replace(/^\$ /, '').replace(/#.*$/, '').trim()).filter(Boolean);
}

function flagsOf(usage: string): Set<string> {
  return new Set([...usage.matchAll(/(?:^|\s)(--[a-z][a-z-]*)/g)].map((m) => m[1]!));
}

function commandsOf(usage: string): Set<string> {
  const section = usage.split(/^Commands:$/m)[1]?.split(/^Options:$/m)[0] ?? '';
  return new Set([...section.matchAll(/^ {2}([a-z][a-z-]*)/gm)].map((m) => m[1]!));
}

const files = markdownFiles();

describe('documentation links', () => {
  it.each(files.map((file) => [relative(ROOT, file), file]))('%s: every relative link and anchor resolves', (_name, file) => {
    // Prepare
    const markdown = readFileSync(file, 'utf8');
    const broken: string[] = [];
    // Act
    for (const link of relativeLinks(markdown)) {
      const [path, anchor] = link.split('#') as [string, string | undefined];
      const target = path === '' ? file : resolve(dirname(file), decodeURIComponent(path));
      if (!existsSync(target)) broken.push(`${link} (no such file)`);
      else if (anchor && target.endsWith('.md') && !anchorsOf(readFileSync(target, 'utf8')).has(anchor)) broken.push(`${link} (no such heading)`);
    }
    // Assess
    expect(broken).toEqual([]);
  });

  it('links every page under docs/ from README.md', () => {
    // Prepare
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const pages = readdirSync(join(ROOT, 'docs')).filter((name) => name.endsWith('.md'));
    // Assess
    expect(pages.filter((page) => !readme.includes(`(docs/${page}`))).toEqual([]);
  });

  it('keeps README.md a front door (about 250 lines at most)', () => {
    expect(readFileSync(join(ROOT, 'README.md'), 'utf8').split('\n').length).toBeLessThanOrEqual(260);
  });
});

describe('documented commands exist', () => {
  const cliCommands = commandsOf(USAGE);
  const cliFlags = flagsOf(USAGE);
  const localFlags = flagsOf(LOCAL_USAGE);
  const scripts = Object.keys(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).scripts as Record<string, string>);

  it('reads the CLI usage (guards the parsers of this test)', () => {
    expect([...cliCommands]).toEqual(expect.arrayContaining(['status', 'tail', 'local']));
    expect([...localFlags]).toEqual(expect.arrayContaining(['--rows', '--exit']));
  });

  it.each(files.map((file) => [relative(ROOT, file), file]))('%s: every dms-event-bus, npm start and npm run line is real', (_name, file) => {
    // Prepare
    const problems: string[] = [];
    // Act
    for (const line of shownCommands(readFileSync(file, 'utf8'))) {
      for (const m of line.matchAll(/\bnpm run ([a-z][\w:-]*)/g)) if (!scripts.includes(m[1]!)) problems.push(`${line}: no script ${m[1]}`);
      const start = /\bnpm start(?: -- (.*))?$/.exec(line);
      if (start?.[1]) for (const flag of start[1].match(/--[a-z][a-z-]*/g) ?? []) if (!localFlags.has(flag)) problems.push(`${line}: npm start has no ${flag}`);
      const cli = /\bdms-event-bus ([a-z][a-z-]*)(.*)$/.exec(line);
      if (!cli || line.startsWith('dms-event-bus <')) continue;
      const [, command, rest] = cli as unknown as [string, string, string];
      if (!cliCommands.has(command)) {
        // Prose like "dms-event-bus makes every change ..." is not a command line.
        if (/^(npx )?dms-event-bus /.test(line)) problems.push(`${line}: no command ${command}`);
        continue;
      }
      const known = command === 'local' ? new Set([...cliFlags, ...localFlags]) : cliFlags;
      for (const flag of rest.match(/(?:^|\s)--[a-z][a-z-]*/g) ?? []) if (!known.has(flag.trim())) problems.push(`${line}: no flag ${flag.trim()}`);
    }
    // Assess
    expect(problems).toEqual([]);
  });
});
