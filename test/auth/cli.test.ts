import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAuthService } from '../../src/auth/index.ts';
import { migrateToLatest, openDatabase } from '../../src/db/index.ts';
import { cryptoIds, systemClock } from '../../src/kernel/index.ts';
import { runCli as run } from '../helpers/cli.ts';

describe('enquete user and apikey commands', () => {
  let dir: string;
  const saved = { ...process.env };
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'enquete-auth-cli-'));
    process.env['ENQUETE_DATA_DIR'] = dir;
    delete process.env['DATABASE_URL'];
  });
  afterEach(() => {
    process.env = { ...saved };
    rmSync(dir, { recursive: true, force: true });
  });

  /** The same database, opened as the server would, to check what the CLI did. */
  async function withAuth<T>(fn: (auth: ReturnType<typeof createAuthService>) => T | Promise<T>): Promise<T> {
    const db = openDatabase({ dataDir: dir });
    await migrateToLatest(db);
    try {
      return await fn(createAuthService({ db, clock: systemClock, ids: cryptoIds }));
    } finally {
      await db.close();
    }
  }

  it('adds a user with a generated one-time password that logs in', async () => {
    const res = await run(
      'user',
      'add',
      'Ann@Example.org',
      '--role',
      'client',
      '--client',
      'acme',
      '--name',
      'Ann',
    );
    expect(res.code).toBe(0);
    const lines = res.out.trim().split('\n');
    expect(lines[0]).toMatch(/^created us_[0-9a-z]{12} {2}ann@example\.org "Ann" {2}client client acme$/);
    const password = /^one-time password \(shown only now\): (\S+)$/.exec(lines[1]!)?.[1];
    expect(password).toHaveLength(24);
    const session = await withAuth((auth) => auth.login('ann@example.org', password!, null));
    expect(session.user).toMatchObject({
      email: 'ann@example.org',
      role: 'client',
      client: 'acme',
      name: 'Ann',
    });
  });

  it('takes the password from standard input and does not print it', async () => {
    const stdin = Object.getOwnPropertyDescriptor(process, 'stdin')!;
    Object.defineProperty(process, 'stdin', {
      value: Readable.from(['piped-password-1\n']),
      configurable: true,
    });
    try {
      const res = await run('user', 'add', 'rex@x.org', '--role', 'researcher', '--password-stdin', '--json');
      expect(res.code).toBe(0);
      const body = JSON.parse(res.out);
      expect(body.password).toBeNull();
      expect(body.user).toMatchObject({
        email: 'rex@x.org',
        role: 'researcher',
        client: null,
        disabled: false,
      });
      expect(res.out).not.toContain('piped-password-1');
    } finally {
      Object.defineProperty(process, 'stdin', stdin);
    }
    await expect(
      withAuth((auth) => auth.login('rex@x.org', 'piped-password-1', null)),
    ).resolves.toMatchObject({
      user: { email: 'rex@x.org' },
    });
  });

  it('refuses bad input with one line and a non-zero exit', async () => {
    expect(await run('user', 'add', 'c@x.org', '--role', 'client')).toEqual({
      code: 2,
      out: '',
      err: 'enquete: role client needs the name of its client [CLIENT_REQUIRED]\n',
    });
    expect((await run('user', 'add', 'c@x.org', '--role', 'boss')).err).toBe(
      'enquete: role must be one of admin, researcher, client, not boss [ROLE_INVALID]\n',
    );
    expect((await run('user', 'add', 'c@x.org', '--role', 'admin')).code).toBe(0);
    expect(await run('user', 'add', 'C@x.org', '--role', 'admin')).toMatchObject({
      code: 4,
      err: 'enquete: a user with the e-mail c@x.org already exists [USER_EXISTS]\n',
    });
    const missingRole = await run('user', 'add', 'd@x.org');
    expect(missingRole.code).toBe(2);
    expect(missingRole.err).toContain("required option '--role <role>' not specified");
  });

  it('records the commands that change something in the audit log, by the OS user', async () => {
    const file = join(dir, 'survey.json');
    writeFileSync(
      file,
      JSON.stringify({ title: 'Audited', pages: [{ elements: [{ type: 'text', name: 'q' }] }] }),
    );
    const imported = await run('survey', 'import', file, '--json');
    expect(imported.code).toBe(0);
    const id = (JSON.parse(imported.out) as { survey: { id: string } }).survey.id;
    expect((await run('survey', 'publish', id)).code).toBe(0);
    expect((await run('survey', 'list')).code).toBe(0);
    expect((await run('survey', 'publish', 'sv_nope')).code).toBe(3);
    const entries = await withAuth((auth) => auth.listAudit(50));
    expect(entries.map((e) => [e.actor, e.action, e.target])).toEqual([
      [`cli:${userInfo().username}`, 'cli survey publish', id],
      [`cli:${userInfo().username}`, 'cli survey import', file],
    ]);
  });

  it('lists users', async () => {
    await run('user', 'add', 'b@x.org', '--role', 'admin');
    await run('user', 'add', 'a@x.org', '--role', 'researcher');
    const res = await run('user', 'list', '--json');
    expect(JSON.parse(res.out).users.map((u: { email: string; role: string }) => [u.email, u.role])).toEqual([
      ['a@x.org', 'researcher'],
      ['b@x.org', 'admin'],
    ]);
    expect(res.out).not.toContain('argon2');
  });

  it('creates, lists and revokes API keys; the key is printed once', async () => {
    const created = await run('apikey', 'create', 'member portal', '--role', 'portal');
    expect(created.code).toBe(0);
    const [first, notice, key] = created.out.trim().split('\n');
    expect(first).toMatch(
      /^created ak_[0-9a-z]{12} {2}enq_\S{4}… {2}member portal {2}portal {2}created \S+ {2}last used never$/,
    );
    expect(notice).toBe('the key, shown only now:');
    expect(key).toMatch(/^enq_[A-Za-z0-9_-]{24}$/);
    const id = /ak_[0-9a-z]{12}/.exec(first!)![0];
    const principal = await withAuth((auth) => auth.resolveApiKey(key!));
    expect(principal).toEqual({ kind: 'apikey', id, label: 'member portal', role: 'portal', client: null });

    const json = await run('apikey', 'create', 'acme feed', '--role', 'client', '--client', 'acme', '--json');
    const body = JSON.parse(json.out);
    expect(body.apiKey).toMatchObject({
      name: 'acme feed',
      role: 'client',
      client: 'acme',
      createdBy: 'cli',
    });
    expect(body.key.slice(0, 8)).toBe(body.apiKey.prefix);

    const list = await run('apikey', 'list', '--json');
    const keys = JSON.parse(list.out).apiKeys as { id: string; name: string; lastUsedAt: string | null }[];
    expect(keys.map((k) => k.name).sort()).toEqual(['acme feed', 'member portal']);
    expect(keys.find((k) => k.id === id)?.lastUsedAt).not.toBeNull();
    expect(list.out).not.toContain(key!);
    expect(list.out).not.toContain(body.key);

    const revoked = await run('apikey', 'revoke', id);
    expect(revoked.code).toBe(0);
    expect(revoked.out).toMatch(new RegExp(`^revoked ${id} .* revoked \\S+\\n$`));
    expect(await withAuth((auth) => auth.resolveApiKey(key!))).toBeNull();
    expect(await run('apikey', 'revoke', 'ak_nope')).toMatchObject({
      code: 3,
      err: 'enquete: API key ak_nope does not exist [APIKEY_NOT_FOUND]\n',
    });
    expect((await run('apikey', 'create', 'k', '--role', 'client')).err).toBe(
      'enquete: role client needs the name of its client [CLIENT_REQUIRED]\n',
    );
    const audit = await withAuth((auth) => auth.listAudit());
    expect(audit.map((a) => [a.actor, a.action])).toEqual([
      ['cli', 'apikey.revoked'],
      ['cli', 'apikey.created'],
      ['cli', 'apikey.created'],
    ]);
  });
});
